# Set-up and the two jobs. Everything is installed into .venv from the package registries.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test

.PHONY: demo test test-fast lint bench clean

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0  # the CPU wheel, before anything can ask for a CUDA one
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

demo: $(VENV)/.installed-$(EXTRAS)
	MPLBACKEND=Agg $(VENV)/bin/ssblab demo --out demo-out
	@echo "open demo-out/report.html"

lint: $(VENV)/.installed-$(EXTRAS)
	$(VENV)/bin/ruff check src tests benchmarks examples

# every test, slow ones included
test: lint
	MPLBACKEND=Agg $(PY) -m pytest -q

# the edit loop: tests marked slow are skipped
test-fast: $(VENV)/.installed-$(EXTRAS)
	MPLBACKEND=Agg $(PY) -m pytest -q -m "not slow"

bench:
	$(MAKE) EXTRAS=test,bench $(VENV)/.installed-test,bench
	MPLBACKEND=Agg $(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo-out build *.egg-info
