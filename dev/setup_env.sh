#!/usr/bin/env bash
# Sets up everything LJOF needs, on a fresh machine that reaches only the package registries.
#
# Usage:  bash dev/setup_env.sh            (or `make setup`)
#
# Environment variables (all optional):
#   LJOF_VENV=path          the virtualenv to create/use (default: .venv in the repository root)
#   LJOF_USE_CURRENT_ENV=1  install into the Python that runs this script instead of a virtualenv
#   PYTHON=python3          the interpreter used to create the virtualenv
#   DETECTRON2_SOURCE=...   a pip requirement for detectron2 to install when none imports yet, e.g.
#                           'git+https://github.com/facebookresearch/detectron2.git' or a local checkout
#   LJOF_FORCE_SETUP=1      redo every step even when the environment looks complete
#   LJOF_UNLOCKED=1         install from setup.py's ranges instead of dev/requirements.lock (what `make
#                           lock` does; also the way on a platform the lock was not made for)
#
# The lock: in the virtualenv, every distribution is installed at the exact version of
# dev/requirements.lock (written by `make lock`, see dev/lock.py for why a list read off a venv), and the
# finished venv is checked against it. LJOF_USE_CURRENT_ENV=1 installs into your own environment with
# setup.py's ranges and no lock.
#
# Steps (each is skipped when its result is already there, so a second run takes seconds):
#   1. the virtualenv, then every locked distribution that installs from a wheel;
#   2. torch==2.14.1 / torchvision==0.29.1 unless a torch 2.x already imports (bring your own CUDA build);
#   3. detectron2: keep one that imports; else $DETECTRON2_SOURCE; else PyPI's pb1-detectron2==0.6 sdist
#      (upstream v0.6 Python sources) built without its C++ extension, with its model-zoo configs packaged;
#   4. xtcocotools built from source against the installed numpy, pycocotools, fvcore, OpenCV;
#   5. this project in editable mode with its test and deploy (onnx, onnxruntime) extras.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
log() { printf '[setup %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

# ---------------------------------------------------------------------------------------------- 1. env
if [[ "${LJOF_USE_CURRENT_ENV:-0}" == "1" ]]; then
  PY="${PYTHON:-python3}"
  log "using the current environment: $(command -v "$PY")"
else
  VENV="${LJOF_VENV:-$ROOT/.venv}"
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating virtualenv $VENV"
    "${PYTHON:-python3}" -m venv "$VENV"
  fi
  PY="$VENV/bin/python"
fi
# `setuptools<82` keeps pkg_resources, which detectron2 (v0.6 and main) imports.
CONSTRAINTS="$ROOT/dev/constraints.txt"
LOCK="$ROOT/dev/requirements.lock"
LOCKED=1
if [[ "${LJOF_UNLOCKED:-0}" == "1" || "${LJOF_USE_CURRENT_ENV:-0}" == "1" ]]; then
  LOCKED=0
fi
PIP=("$PY" -m pip --disable-pip-version-check)
PIP_ARGS=(-c "$CONSTRAINTS")
[[ "$LOCKED" == "1" ]] && PIP_ARGS+=(-c "$LOCK")
LOGS="$(mktemp -d)"
# pip's output goes to a log; a failure is one line (pip's first ERROR line and where the log is).
pip_install() {
  local log="$LOGS/pip-$((++PIP_CALLS)).log"
  if ! "${PIP[@]}" install "${PIP_ARGS[@]}" "$@" >"$log" 2>&1; then
    local why
    why="$(grep -m1 -E '^ERROR' "$log" || tail -n1 "$log")"
    if [[ "$LOCKED" == "1" ]]; then
      why="$why (the versions come from dev/requirements.lock; LJOF_UNLOCKED=1 installs setup.py's ranges)"
    fi
    echo "error: pip install $* failed: $why; full log: $log" >&2
    exit 1
  fi
}
PIP_CALLS=0
lock_check() { [[ "$LOCKED" == "0" ]] || "$PY" "$ROOT/dev/lock.py" check "$LOCK"; }

STAMP_DIR="$("$PY" -c 'import sys; print(sys.prefix)')"
STAMP="$STAMP_DIR/.ljof-setup-stamp"
fingerprint() {
  cat "$ROOT/dev/setup_env.sh" "$ROOT/dev/constraints.txt" "$ROOT/dev/lock.py" "$ROOT/setup.py" \
    "$ROOT/dev/patch_detectron2_sdist.py"
  [[ "$LOCKED" == "0" ]] || cat "$LOCK"
  echo "DETECTRON2_SOURCE=${DETECTRON2_SOURCE:-} LOCKED=$LOCKED"
}
WANT="$(fingerprint | "$PY" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
imports_ok() {
  "$PY" - <<'EOF' >/dev/null 2>&1
import torch, torchvision, cv2, fvcore, pycocotools, xtcocotools.cocoeval  # noqa: F401
import ljof  # noqa: F401  (applies the compatibility shims, then imports detectron2)
from detectron2 import model_zoo
model_zoo.get_config_file("COCO-Keypoints/keypoint_rcnn_R_50_FPN_1x.yaml")
EOF
}
if [[ "${LJOF_FORCE_SETUP:-0}" != "1" && -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]] && imports_ok \
  && lock_check; then
  log "environment is up to date ($STAMP_DIR); nothing to do"
  exit 0
fi
rm -f "$STAMP"

if [[ "$LOCKED" == "1" ]]; then
  # Everything that installs from a wheel, at its locked version, in one resolver run; detectron2 and
  # xtcocotools are built from source in steps 3 and 4 (the constraints pin their versions there too).
  log "installing the locked environment (dev/requirements.lock; torch is several GB, from the local wheel cache when present)"
  grep -v -E '^(pb1-detectron2|xtcocotools)==' "$LOCK" >"$LOGS/wheels.txt"
  pip_install -r "$LOGS/wheels.txt"
else
  log "installing from setup.py's ranges (no lock)"
fi
pip_install wheel "setuptools<82"
pip_install numpy cython

# -------------------------------------------------------------------------------------------- 2. torch
if "$PY" -c 'import sys, torch; sys.exit(0 if torch.__version__.startswith("2.") else 1)' 2>/dev/null; then
  log "keeping torch $("$PY" -c 'import torch; print(torch.__version__)')"
else
  log "installing torch==2.14.1 torchvision==0.29.1 (several GB; from the local wheel cache when present)"
  pip_install torch==2.14.1 torchvision==0.29.1
fi

# ---------------------------------------------------------------------------------------- 3. detectron2
# detectron2 must import on its own (detectron2's stock tools import it before ljof): the sdist route
# patches its sources for that (dev/patch_detectron2_sdist.py). Into your own environment
# (LJOF_USE_CURRENT_ENV=1 / LJOF_UNLOCKED=1) a detectron2 that imports after ljof/compat.py's run-time
# shims is kept as it is.
d2_imports() {
  "$PY" - "$ROOT/ljof/compat.py" "$LOCKED" <<'EOF' >/dev/null 2>&1
import runpy, sys
if sys.argv[2] == "0":
    runpy.run_path(sys.argv[1])["apply"]()
import detectron2.data, detectron2.modeling, detectron2.engine  # noqa: F401,E401
EOF
}
if d2_imports; then
  log "keeping detectron2 $("$PY" -c 'import detectron2; print(detectron2.__version__)' 2>/dev/null)"
elif [[ -n "${DETECTRON2_SOURCE:-}" ]]; then
  log "installing detectron2 from DETECTRON2_SOURCE=$DETECTRON2_SOURCE"
  pip_install --no-build-isolation "$DETECTRON2_SOURCE"
else
  log "installing detectron2 v0.6 from PyPI's pb1-detectron2 sdist (Python only, no C++ ops)"
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  # pip fetches the sdist by name. pip >= 25 refuses it ("Distributions from PyPI cannot declare direct URL
  # dependencies": its unused "all" extra names a URL), so an older pip, kept in a throw-away folder, does
  # the download. Its metadata step imports torch, hence --no-build-isolation.
  "${PIP[@]}" install --quiet --target "$WORK/oldpip" "pip<25" >"$WORK/download.log" 2>&1
  PYTHONPATH="$WORK/oldpip" "$PY" -m pip --disable-pip-version-check download --no-deps \
    --no-binary :all: --no-build-isolation -d "$WORK" pb1-detectron2==0.6 >>"$WORK/download.log" 2>&1 || true
  SDIST="$(ls "$WORK"/pb1-detectron2-0.6.tar.gz 2>/dev/null || true)"
  if [[ -z "$SDIST" ]]; then
    cat "$WORK/download.log" >&2
    echo "error: could not download pb1-detectron2==0.6 from the package index" >&2
    exit 1
  fi
  tar -xzf "$SDIST" -C "$WORK"
  "$PY" "$ROOT/dev/patch_detectron2_sdist.py" "$WORK/pb1-detectron2-0.6"
  pip_install --no-build-isolation --no-deps --force-reinstall "$WORK/pb1-detectron2-0.6"
  # detectron2's own runtime requirements (its setup.py lists them; --no-deps skipped them above).
  pip_install "fvcore>=0.1.5,<0.1.6" "iopath>=0.1.7,<0.1.10" "pycocotools>=2.0.2" "omegaconf>=2.1" \
    "hydra-core>=1.1" black termcolor tabulate cloudpickle matplotlib tqdm tensorboard yacs Pillow
fi

# ------------------------------------------------------------------------------------ 4. eval + vision
if ! "$PY" -c 'import xtcocotools.cocoeval' >/dev/null 2>&1; then
  log "building xtcocotools from source against numpy $("$PY" -c 'import numpy; print(numpy.__version__)')"
  pip_install --no-build-isolation --no-binary xtcocotools --force-reinstall --no-deps xtcocotools
fi
pip_install pycocotools fvcore opencv-python-headless

# ------------------------------------------------------------------------------------------ 5. project
log "installing ljof (editable) with test and deploy extras"
pip_install --no-build-isolation -e "$ROOT[test,deploy]"

if ! imports_ok; then
  echo "error: the environment was set up but 'import ljof' or one of its dependencies fails:" >&2
  "$PY" -c 'import ljof; import xtcocotools.cocoeval, pycocotools, fvcore, cv2' >&2 || true
  exit 1
fi
if ! lock_check; then
  echo "error: $STAMP_DIR differs from dev/requirements.lock (lines above); LJOF_FORCE_SETUP=1 make setup reinstalls" >&2
  exit 1
fi
echo "$WANT" >"$STAMP"
rm -rf "$LOGS"
log "done: $("$PY" -c 'import torch, detectron2; print("torch", torch.__version__, "detectron2", detectron2.__version__)')"
