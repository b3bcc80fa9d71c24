# The two commands a new user needs: `make demo` and `make test`.
# Both create .venv and install into it themselves; neither touches the system.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Coverage of mlci/ by the whole suite must not fall below this (measured 93%, 2026-11-30).
COVERAGE_FLOOR ?= 90
# Extra requirements installed with mlci's test extra, each word one requirement: the
# DVC the suite runs against. Empty: the newest DVC pyproject.toml allows. CI also runs
# the lowest: `make suite DVC_SPEC='dvc==3.50.* pathspec<1'` (see .github/workflows/ci.yml).
# Changing it needs a fresh .venv (`make clean`).
DVC_SPEC ?=

.PHONY: demo test suite test-fast lint format bench clean browser templates

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]' $(foreach req,$(DVC_SPEC),'$(req)')
	touch $(VENV)/.installed-demo $@

demo: $(VENV)/.installed-demo
	$(BIN)/mlci demo

# ruff, ruff format, mypy, actionlint and zizmor, as .pre-commit-config.yaml lists them
# (`.venv/bin/pre-commit install` runs the same on every commit).
lint: $(VENV)/.installed-test
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/pre-commit run --all-files --show-diff-on-failure

test: lint suite

# The whole suite with coverage, without lint (what CI runs against the lowest DVC).
suite: $(VENV)/.installed-test
	$(BIN)/pytest --cov=mlci --cov-report=term:skip-covered --cov-fail-under=$(COVERAGE_FLOOR)

test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -m "not e2e"

# The report.html test opens the page in headless Chromium and is skipped (saying
# so) without it. This installs Debian's chromium package; it needs root and apt-get.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The templates' precompiled modules (mlci/render/compiled/), after editing a template.
templates: $(VENV)/.installed-test
	$(BIN)/python -m mlci.render.precompile

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(VENV)/.installed-demo $@

# mlci check against the hand-written DVC flow, then data checks + drift on 10M rows
# against pandas + pandera (a few minutes; `bench_data.py --rows N` for a quick run),
# mlci diff against dvc metrics diff on 10,000 and 100,000 metrics, warm CI runs, and
# how a check's cost grows (scale.py rewrites benchmarks/scale.png).
bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_data.py
	$(BIN)/python benchmarks/bench_diff.py
	$(BIN)/python benchmarks/bench_warm.py
	$(BIN)/python benchmarks/scale.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage
