#!/usr/bin/env python
"""Write or check ``dev/requirements.lock``: the exact version of every distribution in the environment.

    python dev/lock.py write  LOCK   # run by `make lock` with the new venv's python
    python dev/lock.py check  LOCK   # run by dev/setup_env.sh at the end of every setup

Why a list read off an installed environment (and not pip-compile / uv): the environment is not what a
resolver produces from ``setup.py``. detectron2 is PyPI's ``pb1-detectron2`` sdist patched and built here,
xtcocotools is built from source, and torch comes from the machine's wheel cache; only the finished venv
knows the result. ``dev/setup_env.sh`` passes the lock to every ``pip install`` as a constraints file,
so each step installs the locked version or fails, then ``check`` compares the venv with the lock.

The lock's header records the platform and Python it was made on; ``check`` refuses another one in one
line (``LJOF_UNLOCKED=1 make setup`` installs from setup.py's ranges there).
Exit status: 0 when the environment equals the lock, 1 with one ``error:`` line per problem otherwise.
"""

import importlib.metadata
import os
import platform
import re
import sys

# Not locked: the installer itself and the project (installed editable from the checkout).
UNLOCKED = {"pip", "ljof"}
# detectron2 installed from $DETECTRON2_SOURCE (upstream main) replaces the locked pb1-detectron2.
DETECTRON2_NAMES = {"pb1-detectron2", "detectron2"}


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _platform_tag() -> str:
    return f"{sys.platform}-{platform.machine()} cpython-{sys.version_info[0]}.{sys.version_info[1]}"


def installed() -> dict:
    """{canonical name: version} of every distribution this interpreter sees, less ``UNLOCKED``."""
    found = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and _canonical(name) not in UNLOCKED:
            found[_canonical(name)] = dist.version
    return found


def read_lock(path: str):
    """(platform tag, {canonical name: version}) from a lock file."""
    pins, tag = {}, None
    with open(path) as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if line.startswith("# platform:"):
                tag = line.split(":", 1)[1].strip()
            if not line or line.startswith("#"):
                continue
            name, sep, version = line.partition("==")
            if not sep or not version:
                raise SystemExit(f"error: {path}:{number}: expected 'name==version', got {line!r}")
            pins[_canonical(name)] = version
    return tag, pins


def write(path: str) -> int:
    pins = installed()
    with open(path, "w") as f:
        f.write(
            "# Exact versions of every distribution in the LJOF development venv (.venv), read off an\n"
            "# environment that `make lock` set up from setup.py's ranges and dev/constraints.txt.\n"
            "# dev/setup_env.sh installs with it as pip constraints and checks the venv against it.\n"
            "# Regenerate with `make lock`; do not edit by hand.\n"
            f"# platform: {_platform_tag()}\n"
        )
        for name in sorted(pins):
            f.write(f"{name}=={pins[name]}\n")
    print(f"wrote {path}: {len(pins)} distributions for {_platform_tag()}")
    return 0


def check(path: str) -> int:
    tag, pins = read_lock(path)
    if tag != _platform_tag():
        print(
            f"error: {path} was made on {tag}, this is {_platform_tag()}: run `make lock` here, or "
            "`LJOF_UNLOCKED=1 make setup` to install from setup.py's ranges",
            file=sys.stderr,
        )
        return 1
    have = installed()
    if os.environ.get("DETECTRON2_SOURCE"):
        for name in DETECTRON2_NAMES:
            pins.pop(name, None)
            have.pop(name, None)
    problems = [
        f"{name} {have[name]} is installed, {path} locks {version}"
        if name in have
        else f"{name}=={version} is locked in {path} but not installed"
        for name, version in sorted(pins.items())
        if have.get(name) != version
    ]
    for line in problems:
        print(f"error: {line}", file=sys.stderr)
    extra = sorted(set(have) - set(pins))
    if extra:
        print(f"warning: installed but not in {path}: {', '.join(extra)}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("write", "check"):
        raise SystemExit("usage: python dev/lock.py {write|check} LOCK_FILE")
    sys.exit({"write": write, "check": check}[sys.argv[1]](sys.argv[2]))
