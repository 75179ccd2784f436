# Everything runs from the project-local virtual environment; nothing needs activating.
PYTHON ?= python3.11
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
# nbgrader calls `alembic` (and kernels call `python`) by name: the venv must lead PATH.
export PATH := $(BIN):$(PATH)

.PHONY: setup demo test test-fast lint clean-demo

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

test: setup
	$(BIN)/python -m ruff check src tests benchmarks calibration nbgrader_config.py
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/python -m ruff check src tests benchmarks calibration nbgrader_config.py
	$(BIN)/python -m ruff format --check src tests benchmarks calibration

clean-demo:
	rm -rf demo
