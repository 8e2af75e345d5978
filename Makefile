# Set-up and the two jobs. Everything is installed into .venv from the package registries.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test
# `make demo` needs every layer but the machine-learned potentials: no torch, no CHGNet.
DEMO_EXTRAS ?= demo

.PHONY: demo test test-fast lint bench clean

# Only extras that pull an MLIP get torch, and then the CPU wheel first, before anything can
# ask for a CUDA build.
$(VENV)/.installed-%: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	case ",$*," in *,test,*|*,all,*|*,mlip,*|*,sevenn,*|*,torch,*) \
	  $(PY) -m pip install -q torch==2.13.0 ;; esac
	$(PY) -m pip install -q -e '.[$*]'
	touch $@

demo: $(VENV)/.installed-$(DEMO_EXTRAS)
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

bench: $(VENV)/.installed-test,bench
	MPLBACKEND=Agg $(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) demo-out build *.egg-info
