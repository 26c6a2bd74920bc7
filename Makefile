# newborn-enroll: `make demo` runs the app with demo data, `make test` runs the test suite.
# Every target is safe to repeat; `make help` lists them.

SHELL := /bin/bash
.DEFAULT_GOAL := help
.NOTPARALLEL:

VENV := .venv
VENV_STAMP := $(VENV)/.installed
MANAGE := $(VENV)/bin/python manage.py
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
PG_CLUSTER ?= main
PYTEST_ARGS ?=
# Where `make demo` serves: `make demo PORT=8001`, `make demo HOST=0.0.0.0` (every interface).
HOST ?= 127.0.0.1
PORT ?= 8000
# The address a browser opens: the loopback one when the demo listens on every interface.
DEMO_URL = http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)/

# Python 3.11 to build .venv with: python3.11, else python3 when it is 3.11. Override: make BASE_PYTHON=...
ifeq ($(origin BASE_PYTHON),undefined)
BASE_PYTHON := $(shell for p in python3.11 python3; do \
	if $$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1; then \
	command -v $$p; break; fi; done)
endif

.PHONY: help venv system system-browser system-cluster migrate demo demo-port-check test test-pg test-cluster pg-up lint bench bench-province web-font clean

help:
	@echo "make demo     install what is missing, migrate, load the Guangxi divisions and demo data, serve on $(HOST):$(PORT)"
	@echo "              (make demo PORT=8001 serves on another port, HOST=0.0.0.0 on every interface)"
	@echo "make test     run the whole test suite on SQLite (installs Debian's chromium for the browser tests)"
	@echo "make test-pg  run the whole test suite on PostgreSQL ($(PG_URL)), starting the local cluster if needed"
	@echo "make test-cluster  moto, two gunicorn nodes behind nginx and a PostgreSQL standby, with browser tests"
	@echo "make lint     ruff format --check and ruff check"
	@echo "make system   install the missing Debian packages (scripts/system-packages.sh; root or sudo)"
	@echo "make venv     create .venv and install the project with its dev extras"
	@echo "make migrate  apply the database migrations"
	@echo "make bench    run bench/run.py"
	@echo "make web-font rebuild static/fonts/CardSansSC-Regular.woff2 from the card's TrueType font"
	@echo "make bench-province  build a province of 2 million newborns in PostgreSQL and time every page (bench/province.py)"
	@echo "make clean    remove caches and build leftovers (keeps .venv and var/, the database and uploads)"

system:
	@PYTHON="$(BASE_PYTHON)" scripts/system-packages.sh

# The test targets also need Debian's chromium: the browser tests (tests/e2e) fail without it.
system-browser:
	@PYTHON="$(BASE_PYTHON)" scripts/system-packages.sh --browser

# make test-cluster also needs nginx and openssl (and chromium).
system-cluster:
	@PYTHON="$(BASE_PYTHON)" scripts/system-packages.sh --browser --cluster

venv: $(VENV_STAMP)

$(VENV)/bin/python:
	@if [ -z "$(BASE_PYTHON)" ]; then \
		echo "error: Python 3.11 is needed to create $(VENV): found neither python3.11 nor a python3 that is 3.11." >&2; \
		exit 1; fi
	@echo "creating $(VENV) with $(BASE_PYTHON)"
	@$(BASE_PYTHON) -m venv $(VENV) || { \
		echo "error: '$(BASE_PYTHON) -m venv' failed; on Debian run 'make system' (it adds python3.11-venv)." >&2; \
		rm -rf $(VENV); exit 1; }

# Reinstall only when pyproject.toml changed since the last successful install.
$(VENV_STAMP): pyproject.toml | $(VENV)/bin/python
	@echo "installing the project and its dev dependencies into $(VENV)"
	$(VENV)/bin/python -m pip install --disable-pip-version-check -q -e '.[dev]'
	@touch $@

migrate: venv
	$(MANAGE) migrate --noinput

# NEWBORN_DEMO=1: DEBUG off, so the demo shows the app's own Chinese error pages (docs/configuration.md).
demo: demo-port-check system venv migrate
	$(MANAGE) import_divisions registration/data/divisions/guangxi
	$(MANAGE) seed_demo --url $(DEMO_URL)
	@echo "serving on http://$(HOST):$(PORT)/ (Ctrl-C stops); the text messages go to this log (SMS_BACKEND=console)"
	@# The SMS job beside the server, every 5 seconds, at any hour (the demo has no night): a registration's
	@# welcome text appears in this log a few seconds after it is saved (docs/sms.md).
	@NEWBORN_DEMO=1 SMS_QUIET_START=0 SMS_QUIET_END=0 $(MANAGE) send_reminders --every 5 & job=$$!; \
		trap 'kill $$job 2>/dev/null' EXIT INT TERM; \
		NEWBORN_DEMO=1 $(MANAGE) runserver $(HOST):$(PORT)

# Before anything is installed: a bad PORT should not cost a migration first.
demo-port-check:
	@if ! [[ "$(PORT)" =~ ^[0-9]+$$ ]] || [ "$(PORT)" -lt 1 ] || [ "$(PORT)" -gt 65535 ]; then \
		echo "error: PORT must be a port number from 1 to 65535, got '$(PORT)'" >&2; exit 1; fi

# pytest exits 5 when it collected no tests; say so, and fail like any other non-zero exit.
define run_pytest
	@echo "pytest $(PYTEST_ARGS) on $(2)"
	@$(1) $(VENV)/bin/pytest $(PYTEST_ARGS) || { rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests (exit code 5)" >&2; fi; exit $$rc; }
endef

test: system-browser system-cluster venv
	$(call run_pytest,env -u DATABASE_URL,SQLite)

test-pg: system-browser system-cluster venv pg-up
	$(call run_pytest,DATABASE_URL=$(PG_URL),$(PG_URL))

# The cluster tests (tests/cluster, docs/deployment.md) on a database of their own, created afresh each run
# on the PostgreSQL that test-pg uses; their ports come from CLUSTER_PORTS.
CLUSTER_DB_URL ?= $(dir $(PG_URL))newborn_cluster
CLUSTER_PORTS ?= 18700-18799

test-cluster: system-cluster venv pg-up
	@$(VENV)/bin/python scripts/recreate_database.py '$(CLUSTER_DB_URL)'
	@DATABASE_URL='$(CLUSTER_DB_URL)' $(MANAGE) migrate --noinput -v0
	@echo "pytest -m cluster tests/cluster $(PYTEST_ARGS) on $(CLUSTER_DB_URL)"
	@NEWBORN_CLUSTER_TESTS=1 CLUSTER_PORTS=$(CLUSTER_PORTS) DATABASE_URL='$(CLUSTER_DB_URL)' \
		$(VENV)/bin/pytest -m cluster tests/cluster $(PYTEST_ARGS) || { rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "error: pytest collected no tests (exit code 5)" >&2; fi; exit $$rc; }

PG_CHECK := $(VENV)/bin/python -c $$'import sys, psycopg\ntry:\n    psycopg.connect(sys.argv[1], connect_timeout=3).close()\nexcept psycopg.Error as e:\n    sys.exit(str(e))' '$(PG_URL)'

pg-up: venv
	@if $(PG_CHECK) 2>/dev/null; then echo "PostgreSQL answers at $(PG_URL)"; exit 0; fi; \
	version=$$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1); \
	if [ -z "$$version" ]; then \
		echo "error: PostgreSQL does not answer at $(PG_URL) and no local cluster exists in /etc/postgresql." >&2; \
		exit 1; fi; \
	echo "PostgreSQL does not answer at $(PG_URL); starting cluster $$version/$(PG_CLUSTER)"; \
	sudo=; if [ "$$(id -u)" -ne 0 ]; then sudo=sudo; fi; \
	$$sudo pg_ctlcluster --skip-systemctl-redirect "$$version" $(PG_CLUSTER) start || true; \
	for i in $$(seq 20); do $(PG_CHECK) 2>/dev/null && break; sleep 0.5; done; \
	if ! $(PG_CHECK); then \
		echo "error: PostgreSQL still does not answer at $(PG_URL) (see the error above)." >&2; exit 1; fi; \
	echo "PostgreSQL answers at $(PG_URL)"

lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

bench: system venv
	@if [ -f bench/run.py ]; then $(VENV)/bin/python bench/run.py; \
	else echo "bench/run.py does not exist yet: nothing to run"; fi

# The pages' WOFF2 of the card's font (static/css/app.css); rebuilt when the card's TrueType font changes.
web-font: venv
	$(VENV)/bin/python scripts/build_web_font.py
# Not part of `make bench`: it builds 2 million records (BENCH_PROVINCE_ARGS, e.g. --newborns 200000).
BENCH_PROVINCE_ARGS ?=
bench-province: venv
	$(VENV)/bin/python bench/province.py $(BENCH_PROVINCE_ARGS)

clean:
	rm -rf .pytest_cache .ruff_cache .hypothesis build dist *.egg-info
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
