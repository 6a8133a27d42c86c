# lstm-workbench: `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3.11
# A `python3.X` that is not on PATH but installed by pyenv is found in its versions folder.
PY := $(shell command -v $(PYTHON) >/dev/null 2>&1 && $(PYTHON) -c '' >/dev/null 2>&1 && echo $(PYTHON) \
        || ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/*/bin/$(PYTHON) 2>/dev/null | tail -n 1)
PYVER := $(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(PYVER)
# The one set of extras: make and environment.yml install the same (tests/test_packaging.py).
EXTRAS := dev,dask,tune,tracking,benchmarks
CONFIG ?= configs/demo.yaml
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONHASHSEED ?= 0
# make test: one pytest worker per core, at most 4 (each may start TensorFlow and kernels).
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && n=4; echo $$n)

.DEFAULT_GOAL := help
.PHONY: help setup run test lab lint format benchmarks lock clean-reports

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-15s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt lstm_helpers/runs/kernelspec.py
	@test -n "$(PYVER)" || { echo "need $(PYTHON) (Python 3.11, 3.12 or 3.13), or run: make PYTHON=/path/to/python3.11"; exit 1; }
	@if ! test -x $(BIN)/python || [ "$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$(PYVER)" ]; then \
	  rm -rf $(VENV) && $(PY) -m venv $(VENV); fi
	@echo "installing lstm-workbench and its dependencies into $(VENV) (Python $(PYVER); a few minutes the first time)"
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -c constraints.txt -e ".[$(EXTRAS)]"
	@$(BIN)/python -m lstm_helpers.runs.kernelspec >/dev/null
	@$(BIN)/python -c "from lstm_helpers.judge.baseline import warm_up; warm_up()"  # numba compiles the baseline's kernels once, here, not in the first run
	@rm -f $(VENV)/.installed-* && touch $(STAMP)

setup: $(STAMP) ## create .venv and install the project (once; again when pyproject.toml, constraints.txt or the kernel spec change)

run: $(STAMP) ## run the whole pipeline on the demo recordings (CONFIG=... for another config)
	@$(BIN)/lstm-workbench run --config $(CONFIG)

test: $(STAMP) ## lint (ruff check + format check), then the test suite
	@$(BIN)/ruff check lstm_helpers tests benchmarks
	@$(BIN)/ruff format --check lstm_helpers tests benchmarks
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

lab: $(STAMP) ## open JupyterLab at the project root (notebooks/, reports/) with the project's kernel
	$(BIN)/jupyter lab --notebook-dir=.

lint: $(STAMP) ## ruff check and format check
	$(BIN)/ruff check lstm_helpers tests benchmarks
	$(BIN)/ruff format --check lstm_helpers tests benchmarks

format: $(STAMP) ## ruff: fix what it can and format the tree
	$(BIN)/ruff check --fix lstm_helpers tests benchmarks
	$(BIN)/ruff format lstm_helpers tests benchmarks

benchmarks: $(STAMP) ## windowing and training-throughput benchmarks (minutes)
	$(BIN)/python benchmarks/windows.py
	$(BIN)/python benchmarks/train_throughput.py

lock: $(STAMP) ## rewrite constraints.txt from the installed environment (after changing dependencies)
	$(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e ' > constraints.txt

clean-reports: ## delete reports/ (all runs!)
	rm -rf reports/*/ reports/index.html
