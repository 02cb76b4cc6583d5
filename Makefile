# `make run` and `make test` do all set-up on a fresh machine; a second run only does what changed.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INDEX ?= index
PORT ?= 8501

.PHONY: run test lint bench bench-scale bench-1m browser clean-index

$(VENV)/.runtime: pyproject.toml setup.py archive/index/_kernels.c archive/extract/_loops.c
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check -e .
	touch $@

$(VENV)/.test: $(VENV)/.runtime pyproject.toml
	$(PY) -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@

# The index is built from the bundled seeds the first time only; `news-archive rebuild-index` replaces it.
run: $(VENV)/.runtime
	@$(PY) -m archive stats --index $(INDEX) >/dev/null 2>&1 || $(PY) -m archive rebuild-index --index $(INDEX)
	$(PY) -m archive serve --index $(INDEX) --port $(PORT)

# Debian's chromium for the real-browser tests (no browser download); the tests skip, saying why, without it.
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
	  || echo "WARNING: could not install chromium; the browser tests will be skipped"

# mypy reads [tool.mypy] in pyproject.toml (checks archive/).
lint: $(VENV)/.test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# Two test processes (pytest-xdist): each test file runs whole in one of them, the files sharing the corpus sample and
# the Dask cluster together (tests/conftest.py), the slowest first. TEST_WORKERS=0 runs the suite in one process.
TEST_WORKERS ?= 2
test: $(VENV)/.test browser lint
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder

bench: $(VENV)/.test
	$(PY) bench/run_all.py

# Cost as the archive grows, beside Lucene in the same run (bench/scale.py; needs ../shared and a JDK).
bench-scale: $(VENV)/.test
	$(PY) bench/scale.py

# The million-article run: about two hours on 2 cores; the derived corpus and indexes go to a temporary folder.
bench-1m: $(VENV)/.test
	$(PY) bench/scale.py --sizes 1000000

clean-index:
	rm -rf $(INDEX)/*/ $(INDEX)/CURRENT
