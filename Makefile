# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Each framework gets its own demo database: KPIS_FRAMEWORK=data/frameworks/x.toml make run uses data/kpis-x.duckdb.
DB ?= data/kpis$(if $(KPIS_FRAMEWORK),-$(basename $(notdir $(KPIS_FRAMEWORK))),).duckdb
PORT ?= 8501

.PHONY: run test venv db bench clean

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

test: $(VENV)/.installed
	$(PY) -m pytest -q

# Full-scale benchmark (about 10 minutes on 2 cores): prints a table, writes bench/results.json.
# BENCH_ARGS="--quick" for a smoke run; "--scale 1 --runs 5" and so on (python -m tools.bench.run --help).
bench: $(VENV)/.installed
	$(PY) -m tools.bench.run $(BENCH_ARGS)

clean:
	rm -rf $(VENV) $(DB) $(DB).wal .pytest_cache
