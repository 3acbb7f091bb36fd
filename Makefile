# cjmodels: `make demo` runs the end-to-end analysis, `make test` runs the test suite.
# Both create a virtual environment in .venv with the package and its extras on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,notebooks

.PHONY: setup demo test test-slow lint datasets benchmark clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/cjmodels demo --out output/demo

test: $(STAMP)
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

lint: $(STAMP)
	$(BIN)/ruff check .

datasets: $(STAMP)
	$(BIN)/cjmodels datasets build --out datasets

benchmark: $(STAMP)
	$(BIN)/python benchmarks/bench_conversions.py

clean:
	rm -rf $(VENV) output .pytest_cache .ruff_cache
