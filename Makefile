# wengang: two commands on a fresh machine — `make demo` and `make test`.
# Everything they need is installed from here; nothing by hand.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
SYSTEM_PACKAGES := fonts-wqy-zenhei
DATA_DIR ?= var
DEMO_UNITS ?= 20000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

export WENGANG_DATA_DIR := $(abspath $(DATA_DIR))
DEMO_DIR := $(abspath $(DATA_DIR))/demo
DEMO := WENGANG_DATA_DIR=$(DEMO_DIR) $(BIN)/wengang

.PHONY: setup system demo test test-sqlite test-postgres bench lint clean

setup: system $(STAMP)

# Debian packages the project needs (a CJK font for charts and PDFs). Installed only if missing.
system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing $$missing"; apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "please install: $$missing (Chinese text in charts needs them)"; fi; \
	fi

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "wengang needs Python 3.12+ (found " + sys.version.split()[0] + "); install it or set PYTHON=")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

# The demo city lives in its own data directory, rebuilt from scratch on every run.
demo: setup
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(DEMO) manage migrate --verbosity 0
	$(DEMO) synth --out $(DEMO_DIR)/feeds --units $(DEMO_UNITS) --seed 2020 --region 360100 --year 2019
	$(DEMO) import $(DEMO_DIR)/feeds
	$(DEMO) screen --snapshot latest --program inclusive-2020 --program difficult-2020 \
		--as-of 2020-04-15 --region 360100 --out $(DEMO_DIR)/screening-2020-04-15.csv
	$(DEMO) walkthrough $(DEMO_DIR)/screening-2020-04-15.csv

# The suite runs on SQLite, then its database tests again on PostgreSQL.
test: setup test-sqlite test-postgres

test-sqlite: setup
	DATABASE_URL=sqlite:///$(WENGANG_DATA_DIR)/test.sqlite3 $(BIN)/pytest -q

test-postgres: setup
	@if $(BIN)/python -c "import psycopg, sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -m django_db; \
	elif [ "$${WENGANG_REQUIRE_POSTGRES:-0}" = "1" ]; then \
		echo "PostgreSQL is required but not reachable at $(PG_URL)"; exit 1; \
	else \
		echo "PostgreSQL not reachable at $(PG_URL): database tests ran on SQLite only."; \
	fi

bench: setup
	$(BIN)/python bench/bench_synth_import.py --units 1000000
	$(BIN)/python bench/bench_screen.py --units 1000000

lint: setup
	$(BIN)/pip install --quiet ruff
	$(BIN)/ruff check src tests bench

clean:
	rm -rf $(VENV) $(DATA_DIR) .pytest_cache .hypothesis
