# fedaudit: `make report` renders the demo audit; `make test` runs the tests. Both start from nothing.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
SAMPLES_ASOF := $(shell sed -n 's/^As-of date: *\([0-9-]*\).*/\1/p' data/samples/README.md 2>/dev/null)

.PHONY: all test lint report check lab bench fuzz samples clean help

help:
	@echo "make report  - render the demo audit report (HTML and PDF) from data/samples into reports/"
	@echo "make check   - create .venv and print the demo audit's verdicts and findings"
	@echo "make test    - create .venv, install with test extras, run the tests"
	@echo "make lint    - ruff (lint and format check) and mypy over fedaudit/"
	@echo "make lab     - open JupyterLab on notebooks/explore.ipynb"
	@echo "make bench   - speed and memory benchmarks against a floor measured in the same run"
	@echo "make fuzz    - mutate the samples and test data through every parser and load() (FUZZ_INPUTS=100000)"
	@echo "make samples - regenerate data/samples from data/samples/make_samples.py"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,pdf]'
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

lint: $(STAMP)
	$(VENV)/bin/ruff check fedaudit
	$(VENV)/bin/ruff format --check fedaudit
	$(VENV)/bin/mypy

report: $(STAMP)
	$(VENV)/bin/fedaudit report data/samples --out reports --as-of $(SAMPLES_ASOF) --organisation "Contoso Group (demo)" --fail-on none --pdf

check: $(STAMP)
	$(VENV)/bin/fedaudit check data/samples --as-of $(SAMPLES_ASOF) --fail-on none

# JupyterLab refuses to run as root (containers) unless told to
LAB_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: $(STAMP)
	FEDAUDIT_INPUTS=$(CURDIR)/data/samples FEDAUDIT_AS_OF=$(SAMPLES_ASOF) $(VENV)/bin/jupyter lab $(LAB_ROOT) notebooks/explore.ipynb

bench: $(STAMP)
	$(PY) -m benchmarks

FUZZ_INPUTS ?= 100000
FUZZ_SEED   ?= 12

fuzz: $(STAMP)
	$(PY) -m fuzz --inputs $(FUZZ_INPUTS) --seed $(FUZZ_SEED) --out fuzz-out

samples: $(STAMP)
	$(PY) data/samples/make_samples.py

clean:
	rm -rf $(VENV) reports bench-out fuzz-out .pytest_cache
