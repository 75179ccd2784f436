# Everything runs from the project-local virtual environment; nothing needs activating.
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# nbgrader calls `alembic` (and kernels call `python`) by name: the venv must lead PATH.
export PATH := $(BIN):$(PATH)

.PHONY: setup demo check test-fast test lint clean-demo

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m coursekit.isolation.warm install
	touch $@

demo: setup
	$(BIN)/course demo

# The suite in three layers (tests/conftest.py): a test that requests the `kernels` fixture is
# marked `kernel`; `slow` marks TensorFlow notebooks and tests that grade a cohort of their own.
PYTEST := $(BIN)/python -m pytest
LINTED := src tests benchmarks calibration tools nbgrader_config.py

# ruff and the tests that start no kernel: under a minute.
check: lint
	$(PYTEST) -m "not kernel and not slow"

# Everything but `slow`: adds the kernel tests, which share one small graded cohort per session.
test-fast: lint
	$(PYTEST) -m "not slow"

# Everything: what CI runs (.ci/run).
test: lint
	$(PYTEST)

lint: setup
	$(BIN)/python -m ruff check $(LINTED)
	$(BIN)/python -m ruff format --check $(LINTED)

clean-demo:
	rm -rf demo
