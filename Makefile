# Set-up and the two jobs. Everything is installed into .venv from the package registries.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test

.PHONY: demo test bench clean

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

demo: $(VENV)/.installed-$(EXTRAS)
	MPLBACKEND=Agg $(VENV)/bin/ssblab demo --out demo-out
	@echo "open demo-out/report.html"

test: $(VENV)/.installed-$(EXTRAS)
	MPLBACKEND=Agg $(PY) -m pytest -q

# The reference tools include torch-based ones (TauFactor): install the CPU wheel first so pip
# never pulls a CUDA build.
bench: EXTRAS = test,bench
bench:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	MPLBACKEND=Agg $(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo-out build *.egg-info
