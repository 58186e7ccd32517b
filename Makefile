# The two commands of the README: `make demo` and `make test`.
# Dependencies are installed from committed locks of exact versions (hashes checked):
#   requirements.lock      what the package needs to run (the demo)
#   requirements-dev.lock  everything the tests, type checks and lint need
# `make lock` refreshes both from pyproject.toml's lower bounds.
VENV ?= .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
PYTHON ?= python3
UV_VERSION := 0.13.9
LOCK_FLAGS := --python-version 3.11 --generate-hashes --quiet
# uv trusts the system's certificate store (as pip does), so it works behind a proxy
# whose CA is installed there, even when SSL_CERT_FILE is not set.
export UV_NATIVE_TLS := 1

.PHONY: demo test lint typecheck bench clean lock

$(UV):
	@echo "setup: creating $(VENV) with $$($(PYTHON) --version) and installing uv $(UV_VERSION) (the installer)..."
	@$(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.installed-run: requirements.lock pyproject.toml | $(UV)
	@echo "setup: installing the locked runtime dependencies (requirements.lock) and llm_router..."
	@$(UV) pip install --python $(PY) --quiet --require-hashes -r requirements.lock
	@$(UV) pip install --python $(PY) --quiet --no-deps -e .
	@touch $@

$(VENV)/.installed-dev: requirements-dev.lock $(VENV)/.installed-run
	@echo "setup: installing the locked test and tool dependencies (requirements-dev.lock)..."
	@$(UV) pip install --python $(PY) --quiet --require-hashes -r requirements-dev.lock
	@touch $@

demo: $(VENV)/.installed-run
	$(VENV)/bin/llm-router demo

test: $(VENV)/.installed-dev
	$(PY) -m ruff check llm_router tests benchmarks examples
	$(PY) -m mypy
	$(PY) -m pytest

bench: $(VENV)/.installed-dev
	$(PY) benchmarks/run.py

lock: | $(UV)
	$(UV) pip compile pyproject.toml $(LOCK_FLAGS) -o requirements.lock
	$(UV) pip compile pyproject.toml --all-extras $(LOCK_FLAGS) -o requirements-dev.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
