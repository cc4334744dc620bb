# wengang: two commands on a fresh machine — `make demo` and `make test`.
# Everything they need is installed from here; nothing by hand.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp
SYSTEM_PACKAGES := fonts-wqy-zenhei chromium libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
	openjdk-17-jre-headless
DATA_DIR ?= var
DEMO_UNITS ?= 20000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

export WENGANG_DATA_DIR := $(abspath $(DATA_DIR))
DEMO_DIR := $(abspath $(DATA_DIR))/demo
DEMO := WENGANG_DATA_DIR=$(DEMO_DIR) $(BIN)/wengang

.PHONY: setup system assets demo serve test test-sqlite test-postgres bench lint clean
.PHONY: serve-prod load-prepare load soak

setup: system $(STAMP) assets

# Debian packages the project needs (a CJK font for charts and PDFs; chromium for the browser
# tests, driven by Playwright; pango and harfbuzz for WeasyPrint PDFs; Java for the Spark
# equivalence test). Installed only if missing.
system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing $$missing"; apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
		else echo "please install: $$missing (charts need the font, browser tests chromium)"; fi; \
	fi

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "wengang needs Python 3.12+ (found " + sys.version.split()[0] + "); install it or set PYTHON=")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	touch $(STAMP)

# Front-end assets (htmx, ECharts) come from npm at the versions of package-lock.json and are
# served from the package's static folder: never a CDN, sites run offline. `npm ci` reruns only
# when the lock file is newer than what is installed.
VENDOR := src/wengang/web/static/vendor
VENDOR_FILES := $(VENDOR)/htmx.min.js $(VENDOR)/echarts.min.js

assets: $(VENDOR_FILES)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error && touch $@

$(VENDOR)/htmx.min.js: node_modules/.package-lock.json
	install -D -m 644 node_modules/htmx.org/dist/htmx.min.js $@

$(VENDOR)/echarts.min.js: node_modules/.package-lock.json
	install -D -m 644 node_modules/echarts/dist/echarts.min.js $@

# The demo city lives in its own data directory, rebuilt from scratch on every run.
demo: setup
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(DEMO) manage migrate --verbosity 0
	$(DEMO) synth --out $(DEMO_DIR)/feeds --units $(DEMO_UNITS) --seed 2020 --region 360100 --year 2019
	# Trainees beside the city: a copy of its feeds (以工代训 reads the units) plus a small
	# training population, screened from their own folder.
	cp -r $(DEMO_DIR)/feeds $(DEMO_DIR)/feeds-training
	$(DEMO) synth-training --out $(DEMO_DIR)/feeds-training --completions 2000 --certificates 300 \
		--seed 2020 --region 360100
	$(DEMO) import $(DEMO_DIR)/feeds
	$(DEMO) screen --snapshot latest --program inclusive-2020 --program difficult-2020 \
		--as-of 2020-04-15 --region 360100 --out $(DEMO_DIR)/screening-2020-04-15.csv
	$(DEMO) screen-persons --feeds $(DEMO_DIR)/feeds-training --program training-online-2020 \
		--as-of 2020-04-15 --region 360100 --out $(DEMO_DIR)/persons-2020-04-15.csv
	$(DEMO) walkthrough $(DEMO_DIR)/screening-2020-04-15.csv --persons $(DEMO_DIR)/persons-2020-04-15.csv
	$(DEMO) manage demo_logins
	$(MAKE) --no-print-directory serve

# The web UI of the demo city on the demo's last simulated day (the walkthrough writes it).
DEMO_TODAY ?= $(shell cat $(DEMO_DIR)/demo-today 2>/dev/null || echo 2020-05-09)
serve: setup
	@echo "稳岗通 / wengang: http://127.0.0.1:8000  (Ctrl-C to stop)"
	WENGANG_TODAY=$(DEMO_TODAY) $(DEMO) manage runserver 127.0.0.1:8000 --noreload

# The suite runs on SQLite and, at the same time (one run per CPU), its database tests again on
# PostgreSQL; each run has its own data directory, and each prints its output when it ends.
test: setup
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: setup
	WENGANG_DATA_DIR=$(WENGANG_DATA_DIR)/test-sqlite \
		DATABASE_URL=sqlite:///$(WENGANG_DATA_DIR)/test-sqlite/test.sqlite3 $(BIN)/pytest -q

test-postgres: setup
	@if $(BIN)/python -c "import psycopg, sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
		WENGANG_DATA_DIR=$(WENGANG_DATA_DIR)/test-postgres DATABASE_URL=$(PG_URL) $(BIN)/pytest -q -m django_db; \
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

# --- production serving and load tests (issue 10; docs/deployment.md) ----------------------
# `make serve-prod`: gunicorn (WORKERS workers on PORT) and the task worker, DEBUG off; the
# secrets and DATABASE_URL come from the environment and it refuses to start without them.
WORKERS ?= 5
PORT ?= 8100
serve-prod: setup
	WENGANG_WORKERS=$(WORKERS) WENGANG_BIND=127.0.0.1:$(PORT) deploy/serve-prod.sh

# The load test's city: LOAD_CASES cases in the scratch PostgreSQL database LOAD_DB (emptied).
LOAD_DB ?= postgres://postgres@127.0.0.1:5432/wg_load
LOAD_DIR ?= var-load
LOAD_CASES ?= 1000000
load-prepare: setup
	$(BIN)/pip install --quiet -e ".[load]"
	DATABASE_URL=$(LOAD_DB) WENGANG_TODAY=2020-04-20 WENGANG_DATA_DIR=$(abspath $(LOAD_DIR))/data \
		$(BIN)/python bench/load/prepare.py --cases $(LOAD_CASES) --out $(LOAD_DIR)

# One scenario (status, confirm, officer, public, login, mixed) for DURATION with USERS users.
SCENARIO ?= mixed
USERS ?= 40
DURATION ?= 60s
load: setup
	LOAD_DB=$(LOAD_DB) LOAD_DIR=$(LOAD_DIR) WORKERS=$(WORKERS) \
		bench/load/run.sh $(SCENARIO) $(USERS) $(DURATION)

# Soak and fault test (bench/soak/soak.py): SOAK_DURATION of load on its own PostgreSQL
# instance in var-soak (port 55432), the database stopped and started and the task worker
# killed mid-run, then every check; report in var-soak/results/. SHORT=1: the 75-second version.
SOAK_DURATION ?= 10m
soak: setup
	$(BIN)/python bench/soak/soak.py --duration $(SOAK_DURATION) $(if $(filter 1,$(SHORT)),--short)
