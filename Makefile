# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Each framework gets its own demo database: KPIS_FRAMEWORK=data/frameworks/x.toml make run uses data/kpis-x.duckdb.
DB ?= data/kpis$(if $(KPIS_FRAMEWORK),-$(basename $(notdir $(KPIS_FRAMEWORK))),).duckdb
PORT ?= 8501

.PHONY: run test test-fast lint chromium venv db bench clean

$(VENV)/.installed: requirements.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed: install python3.11 (or run make PYTHON=python3)"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

venv: $(VENV)/.installed

$(DB): | $(VENV)/.installed
	$(PY) -m kpis --db $(DB) init --demo

db: $(DB)

run: $(VENV)/.installed $(DB)
	KPIS_DB=$(DB) $(VENV)/bin/streamlit run dashboard.py --server.port $(PORT)

# The browser the tests, chart images and the load test need: Debian's Chromium through apt when we are
# root on Debian, otherwise Playwright's own Chromium (downloaded once into ~/.cache/ms-playwright).
chromium: $(VENV)/.installed
	@if $(PY) -m kpis.core.chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && [ -f /etc/debian_version ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "Installing Debian's chromium, fonts-dejavu-core and poppler-utils with apt"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core poppler-utils >/dev/null; \
	else \
	  echo "Installing Playwright's Chromium (not root on Debian, so apt is not used)"; \
	  $(PY) -m playwright install chromium; \
	fi
	@$(PY) -m kpis.core.chromium

# Every test, browser, load and benchmark smoke tests included. Each test file runs whole on one worker
# (--dist loadfile), so a file's module fixtures (a served app, a generated corpus) are made once. Three workers on
# two cores: much of this suite waits on browsers and servers (two workers kept the cores 62% busy), and on
# 8 December 2026 -n 3 ran the 1,494 tests in 12 min 46 s against 15 min 54 s with -n 2; later that day, from a fresh
# clone, the 1,544 tests took 10 min 54 s.
test: $(VENV)/.installed chromium
	$(PY) -m pytest -q -n 3 --dist loadfile

# The fast tests only (no browser, load or benchmark tests), on both cores: for a developer's loop. 8 December
# 2026, quiet: 1,312 tests in 2 min 10 s (these keep the cores busy: -n 3 took 2 min 41 s for the 1,269 of the morning).
test-fast: $(VENV)/.installed
	$(PY) -m pytest -q -m "not slow" -n 2

# Architecture contracts (import-linter) and ruff.
lint: $(VENV)/.installed
	$(VENV)/bin/lint-imports
	$(VENV)/bin/ruff check .
	$(PY) -m tools.public_hints
	$(PY) -m tools.sql_home
	$(PY) -m tools.entry_contract

# Full-scale benchmark (about 10 minutes on 2 cores): prints a table, writes bench/results.json.
# BENCH_ARGS="--quick" for a smoke run; "--scale 1 --runs 5" and so on (python -m tools.bench.run --help).
bench: $(VENV)/.installed
	$(PY) -m tools.bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DB) $(DB).wal .pytest_cache .ruff_cache .import_linter_cache
