# maskloop developer entry points. Quick start: `make demo`, `make test` (see README.md).
# The main virtualenv lives in .venv, the Label Studio server's own virtualenv in .venv-labelstudio.

PYTHON ?= python3.11
VENV := .venv
LS_VENV := .venv-labelstudio
PIP := $(VENV)/bin/pip
CONSTRAINTS := infra/constraints.txt
PYTEST_ARGS ?=

.PHONY: help venv labelstudio-venv system-deps demo test test-unit lint bench clean

help:
	@echo "make demo   - create .venv, install, run the main job on embedded defaults"
	@echo "make test   - create .venv, install, start the local service stack, run every test"
	@echo "make bench  - run every benchmark in bench/ and write bench/results/summary.md"
	@echo "make lint   - ruff check . (make test runs it first)"

venv: $(VENV)/.installed

# torch: the CPU wheel 2.13.0 is the only torch this machine can take without gigabytes of CUDA;
# sam2 is an sdist whose build imports torch, so it is built without isolation and without CUDA.
$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip setuptools wheel
	$(PIP) install -q -c $(CONSTRAINTS) torch==2.13.0
	SAM2_BUILD_CUDA=0 $(PIP) install -q -c $(CONSTRAINTS) --no-build-isolation sam2==1.1.0 torchvision==0.28.0
	$(PIP) install -q -c $(CONSTRAINTS) -e '.[dev]'
	touch $@

labelstudio-venv: $(LS_VENV)/.installed

$(LS_VENV)/.installed:
	test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/pip install -q label-studio==1.23.2
	touch $@

# PostgreSQL 15 server binaries (the stack runs them as plain processes) and Debian's Chromium
# (headless rendering tests of the lineage pages), installed through apt when missing.
system-deps:
	@missing=""; \
	test -x /usr/lib/postgresql/15/bin/initdb || missing="$$missing postgresql-15"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
		echo "installing system packages:$$missing"; \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi; \
	fi

demo: venv
	$(VENV)/bin/maskloop demo

# The session fixtures in tests/conftest.py start the real local stack (same code as
# `maskloop stack up`) once per run and stop it at the end. pytest's "no tests collected" (5) is not
# a failure of the suite.
lint: venv
	$(VENV)/bin/ruff check .

test: venv labelstudio-venv system-deps lint
	@start=$$(date +%s); \
	$(VENV)/bin/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	echo "make test: $$(( $$(date +%s) - start )) s of tests"; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; \
	exit $$rc

test-unit: venv
	$(VENV)/bin/python -m pytest tests/unit $(PYTEST_ARGS)

# bench/bench_engine.py needs real DAVIS data the project does not ship (absent: it says it did not run);
# an environment variable or `make bench DAVIS_ROOT=/data/DAVIS` overrides this default.
DAVIS_ROOT ?= ../shared/data/davis2016

bench: venv
	DAVIS_ROOT=$(DAVIS_ROOT) $(VENV)/bin/python bench/run_all.py

clean:
	rm -rf $(VENV) $(LS_VENV) .maskloop build *.egg-info
