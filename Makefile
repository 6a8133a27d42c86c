# lstm-workbench: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONFIG ?= configs/demo.yaml
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONHASHSEED ?= 0

.DEFAULT_GOAL := help
.PHONY: help setup run test lab lint benchmarks clean-reports

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON) (Python 3.11) on PATH, or run: make PYTHON=/path/to/python3.11"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,tracking]"
	$(BIN)/python -m ipykernel install --sys-prefix --name lstm-workbench --display-name "Python 3 (lstm-workbench)" >/dev/null
	@touch $(STAMP)

setup: $(STAMP) ## create .venv and install the project (once; again when pyproject.toml changes)

run: $(STAMP) ## run the whole pipeline on the demo recordings (CONFIG=... for another config)
	$(BIN)/lstm-workbench run --config $(CONFIG)

test: $(STAMP) ## run the test suite
	$(BIN)/python -m pytest -q

lab: $(STAMP) ## open JupyterLab on notebooks/ with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: $(STAMP) ## ruff
	$(BIN)/ruff check lstm_helpers tests benchmarks

benchmarks: $(STAMP) ## windowing and training-throughput benchmarks (minutes)
	$(BIN)/python benchmarks/windows.py
	$(BIN)/python benchmarks/train_throughput.py

clean-reports: ## delete reports/ (all runs!)
	rm -rf reports/*/ reports/index.html
