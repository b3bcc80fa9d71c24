# The two commands a new user needs: `make demo` and `make test`.
# Both create .venv and install into it themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test test-fast lint format bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/mlci demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint browser
	$(BIN)/pytest

# The report.html test opens the page in headless Chromium. Where it is missing and
# this is a Debian/Ubuntu machine we may install on (root, as in CI), install it;
# elsewhere the test says how to get it (or set MLCI_SKIP_BROWSER=1).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	       && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } \
	  || echo "note: chromium not found; the report.html browser test will fail (MLCI_SKIP_BROWSER=1 skips it)"

test-fast: $(VENV)/.installed-test
	$(BIN)/pytest -m "not e2e"

format: $(VENV)/.installed-test
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	touch $(VENV)/.installed $@

# mlci check against the hand-written DVC flow, then data checks + drift on 10M rows
# against pandas + pandera (a few minutes; `bench_data.py --rows N` for a quick run).
bench: $(VENV)/.installed-bench
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_data.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
