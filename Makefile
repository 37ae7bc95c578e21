# The two commands of the Quickstart, and what they need.
#   make site   build the site from the bundled content into _site/
#   make test   run the whole test suite
# Also: make check (the curation checks alone; CHECK_ARGS=--strict fails on warnings), make serve (a live preview),
# make golden (rewrites the expected sites of tests/golden after an intended change), and
# make site SITE_ARGS="--base-url URL" (as the deploy workflow builds it).
# Each installs what it needs first: a virtual environment in .venv/ with the Python
# packages, and the npm packages in node_modules/. Both steps are skipped when up to date.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
SITE_ARGS ?=
CHECK_ARGS ?=
NPM_STAMP := node_modules/.installed

.PHONY: site test serve check golden install clean

site: install
	$(BIN)/sitegen build $(SITE_ARGS)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

serve: install
	$(BIN)/sitegen serve

check: install
	$(BIN)/sitegen check $(CHECK_ARGS)

# After an intended change to what a build writes: rewrite tests/golden/*/expected, then review the diff.
golden: install
	SITEGEN_GOLDEN=regenerate $(BIN)/python -m pytest -q tests/test_golden.py

install: $(PY_STAMP) $(NPM_STAMP)

$(PY_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sitegen needs Python 3.11 or newer: set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

clean:
	rm -rf _site .sitegen-cache
