# cjmodels: `make demo` runs the end-to-end analysis, `make test` runs the test suite.
# Both create a virtual environment in .venv with the package and its extras on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,notebooks,docs

.PHONY: setup browser mathjax docs demo test reference-data test-slow test-pandas3 test-py313 test-spark lint fuzz datasets benchmark benchmark-full paper clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $(STAMP)

setup: $(STAMP)

# Headless Chromium (Debian's package) for the tests of what a browser shows (results' notebook
# view). Installed with apt-get when missing: as root directly, otherwise through sudo.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# Debian's MathJax (libjs-mathjax), copied into the documentation site so that its formulas
# render offline; installed like the browser.
mathjax:
	@test -f /usr/share/javascript/mathjax/MathJax.js || { \
	  echo "installing Debian's libjs-mathjax for the documentation's formulas"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq libjs-mathjax >/dev/null; }

# The documentation site into build/docs/html (open build/docs/html/index.html): Sphinx with
# warnings as errors from a fresh environment, the notebooks as the test suite executed them
# (their tests run first when output/notebooks/ is missing or stale), the internal links
# checked, and the site opened in headless Chromium (screenshots in build/docs/screenshots/).
docs: $(STAMP) browser mathjax
	$(BIN)/python -m tools.build_docs

demo: $(STAMP)
	$(BIN)/cjmodels demo --out output/demo --force

# Published reference data that cannot be shipped (CDNOW, donations) is fetched from the
# lifetimes wheel on PyPI into ~/.cache/cjmodels/reference; without it those tests skip.
reference-data: $(STAMP)
	-$(BIN)/python tests/survival/reference/fetch_lifetimes_datasets.py 2>&1 | grep -v "^WARNING"

test: $(STAMP) browser reference-data
	$(BIN)/python -m pytest

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

# The same suite under pandas 3 (lifelines still declares pandas<3, so pandas is upgraded over
# the resolved environment; pip's resolver warning about that pin is expected).
PD3 := .venv-pandas3
$(PD3)/.installed: pyproject.toml
	$(PYTHON) -m venv $(PD3)
	$(PD3)/bin/python -m pip install --quiet --upgrade pip
	$(PD3)/bin/python -m pip install --quiet -e ".[dev]"
	$(PD3)/bin/python -m pip install --quiet "pandas>=3" 2>&1 | grep -v "lifelines\|incompatible\|dependency resolver" || true
	touch $(PD3)/.installed

test-pandas3: $(PD3)/.installed browser reference-data
	$(PD3)/bin/python -c "import pandas; assert int(pandas.__version__.split('.')[0]) >= 3, pandas.__version__"
	$(PD3)/bin/python -m pytest

# The same suite under Python 3.13 (the newest Python supported; .venv uses 3.11), installed as
# pip resolves it there (numpy 2.5). Without the notebooks extra: the notebooks' byte-for-byte
# outputs belong to the reference environment of `make test` (numpy 2.5 draws other binomial
# variates from the same seed, and last digits of floats move). PY313 is python3.13 on the PATH,
# else pyenv's 3.13.x (a pyenv shim of a version that is not active fails and is skipped); or
# give it: make test-py313 PY313=/path/to/python3.13
PY313 ?= $(shell for p in python3.13 $$(pyenv root 2>/dev/null)/versions/3.13*/bin/python3.13; do \
	$$p -c "import sys; assert sys.version_info[:2] == (3, 13); print(sys.executable)" \
	2>/dev/null && break; done)
V313 := .venv-py313
$(V313)/.installed: pyproject.toml
	@test -n "$(PY313)" || { echo "make test-py313: no Python 3.13 found; install it (pyenv install 3.13, apt-get install python3.13, or python.org) or run make test-py313 PY313=/path/to/python3.13" >&2; exit 1; }
	$(PY313) -m venv $(V313)
	$(V313)/bin/python -m pip install --quiet --upgrade pip
	$(V313)/bin/python -m pip install --quiet -e ".[dev]"
	touch $(V313)/.installed

test-py313: $(V313)/.installed browser reference-data
	$(V313)/bin/python -c "import sys; assert sys.version_info[:2] == (3, 13), sys.version"
	$(V313)/bin/python -m pytest

# The Spark backend against the in-memory and DuckDB paths, in a local Spark session (needs Java
# 17; PySpark is ~0.5 GB and takes a few minutes to install the first time).
SPARK := .venv-spark
$(SPARK)/.installed: pyproject.toml
	$(PYTHON) -m venv $(SPARK)
	$(SPARK)/bin/python -m pip install --quiet --upgrade pip
	$(SPARK)/bin/python -m pip install --quiet -e ".[dev,spark]"
	touch $(SPARK)/.installed

test-spark: $(SPARK)/.installed
	$(SPARK)/bin/python -m pytest -m "slow or not slow" -p no:cacheprovider tests/data/test_spark.py tests/data/test_backends.py

# The fuzz suite's long run: tests/fuzz with the hypothesis profile "long" (random, about
# 110,000 generated cases in total; the default suite runs the same tests deterministically with
# a few cases each). Cases per test are printed and written to output/fuzz_counts.json.
fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=long CJMODELS_FUZZ_COUNTS=output/fuzz_counts.json $(BIN)/python -m pytest -p no:cacheprovider tests/fuzz

# Style (ruff), then the architecture (ARCHITECTURE.md): import-linter's contracts in
# pyproject.toml and tools/check_imports.py (private names, module cycles, find_spec, size);
# then the docstrings of every public name (numpydoc's validator, tools/check_docstrings.py).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache --no-logo
	$(BIN)/python tools/check_imports.py
	$(BIN)/python tools/check_docstrings.py

datasets: $(STAMP)
	$(BIN)/cjmodels datasets build --out datasets --force

# Regenerate datasets, notebooks' tables and figures, quick benchmarks, and paper/main.pdf
# (the PDF needs: apt-get install -y latexmk texlive-latex-recommended texlive-latex-extra).
paper: $(STAMP)
	$(BIN)/python -m tools.reproduce

# The benchmark suite: cjmodels and the peers (ChannelAttribution, marketing-attribution-models,
# PyDTMC, lifelines, lifetimes, tea-tasting; installed into .venv-bench, never into .venv) on the
# same data in one run; writes benchmarks/results/suite_<mode>.{json,md}. Quick: a few minutes.
benchmark: $(STAMP)
	$(BIN)/python benchmarks/suite.py --mode quick --install-peers

# Full sizes, the scaling curves and the 100M-event out-of-core run (about an hour on 2 cores;
# the out-of-core run writes a 1 GB Parquet file under /tmp and deletes it).
benchmark-full: $(STAMP)
	$(BIN)/python benchmarks/suite.py --mode full --install-peers
	$(BIN)/python benchmarks/bench_scaling.py --mode full
	$(BIN)/python benchmarks/bench_out_of_core.py --journeys 20_000_000 --out benchmarks/results/out_of_core_20M.json

clean:
	rm -rf $(VENV) $(PD3) $(V313) $(SPARK) .venv-bench output build docs/api docs/cli.rst docs/notebooks .pytest_cache .ruff_cache
