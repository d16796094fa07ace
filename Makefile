# LJOF developer commands. Every target sets up the environment first (dev/setup_env.sh is idempotent:
# a second run with nothing changed takes a few seconds).
#
#   make setup   create .venv and install torch, detectron2, xtcocotools and ljof at the versions of
#                dev/requirements.lock (see README)
#   make lock    rewrite dev/requirements.lock from a new venv set up from setup.py's ranges (newest
#                releases) and dev/constraints.txt; then run `make test` before committing it
#   make test    lint + the whole test suite
#   make demo    the main job on the generated occlusion data (baseline vs LJOF)
#   make bench   the benchmarks under benchmarks/
#
# Variables: DETECTRON2_SOURCE=<pip requirement> installs that detectron2 when none imports;
#            LJOF_USE_CURRENT_ENV=1 installs into the current Python instead of .venv (no lock);
#            LJOF_UNLOCKED=1 installs setup.py's ranges instead of the lock;
#            PYTEST_ARGS=... extra pytest arguments.
SHELL := /bin/bash
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
ifeq ($(LJOF_USE_CURRENT_ENV),1)
PY ?= python3
else
PY ?= $(if $(LJOF_VENV),$(LJOF_VENV),$(ROOT)/.venv)/bin/python
endif
export DETECTRON2_SOURCE LJOF_USE_CURRENT_ENV LJOF_VENV

.PHONY: setup lock test lint demo bench
setup:
	bash $(ROOT)/dev/setup_env.sh

LOCK_VENV := $(ROOT)/.lock-venv
lock:
	rm -rf $(LOCK_VENV)
	LJOF_VENV=$(LOCK_VENV) LJOF_UNLOCKED=1 LJOF_USE_CURRENT_ENV=0 bash $(ROOT)/dev/setup_env.sh
	$(LOCK_VENV)/bin/python $(ROOT)/dev/lock.py write $(ROOT)/dev/requirements.lock
	rm -rf $(LOCK_VENV)

lint: setup
	$(PY) -m ruff check $(ROOT)

test: setup lint
	cd $(ROOT) && $(PY) -m pytest tests $(PYTEST_ARGS)

demo: setup
	cd $(ROOT) && $(PY) tools/run_main_job.py --output output/main_job

bench: setup
	cd $(ROOT) && for b in benchmarks/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done
