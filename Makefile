# Set-up and main jobs. `make run` and `make test` create .venv when needed and install the project.
# PYTHON=/path/to/python3.12 overrides the interpreter search.
SHELL := /bin/bash
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find a Python >= 3.12: $(PYTHON) if given, else python3.13/python3.12/python3 on PATH, else pyenv's.
PYTHON ?= $(shell for p in python3.13 python3.12 python3 $$HOME/.pyenv/versions/3.12*/bin/python3 $$HOME/.pyenv/versions/3.13*/bin/python3; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then command -v $$p; break; fi; done)

.PHONY: run test lint bench bench-batch bench-national baseline-refresh clean venv

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No Python >= 3.12 found. Install Python 3.12 or newer (e.g. 'pyenv install 3.12', or your system's python3.12 package)"; \
	  echo "and run make again, or point to it: make run PYTHON=/path/to/python3.12"; exit 1; fi
	@if [ -x "$(VPY)" ] && ! $(VPY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then \
	  echo "$(VENV) uses a Python older than 3.12: recreating it"; rm -rf $(VENV); fi
	@[ -x "$(VPY)" ] || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -e '.[dev,app]'
	@touch $(STAMP)

run: $(STAMP)
	$(VPY) run.py run scenarios/baseline.toml --seed 1 --out results/baseline
	rm -rf results/compare
	$(VPY) run.py compare scenarios/baseline.toml scenarios/proeftuin.toml scenarios/transformatiefonds.toml \
	  scenarios/combined.toml scenarios/experimenteerruimte.toml --seeds 1-4 --scale 0.25 --end-year 2041 \
	  --out results/compare --quiet
	@path=$$($(VPY) run.py report results/compare) && echo "report: $$path"

test: $(STAMP)
	$(VPY) -m pytest -q

lint: $(STAMP)
	$(VPY) -m ruff check model tests run.py calibration benchmarks

# Regenerate the committed baseline summary that tests/test_baseline_summary.py compares against.
baseline-refresh: $(STAMP)
	$(VPY) -m tests.baseline_summary --refresh

clean:
	rm -rf $(VENV) results/*

bench: $(STAMP)
	$(VPY) -m benchmarks.bench

bench-national: $(STAMP)
	$(VPY) -m benchmarks.national --copies 58 --years 2

bench-batch: $(STAMP)
	$(VPY) -m benchmarks.batch_bench --repeat 2
