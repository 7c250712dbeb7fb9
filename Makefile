# HomeLoop — `make run` serves the demo, `make test` runs the whole suite (SQLite + PostgreSQL).
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
LOCALES := backend/locale

.PHONY: help run test test-sqlite test-postgres lint bench load setup messages catalogs postgres clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PY) >/dev/null || PY=python3; test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip uv
	$(BIN)/uv pip install -q -p $(VENV) -r requirements.lock
	$(BIN)/uv pip install -q -p $(VENV) --no-deps -e .
	@touch $(STAMP)

catalogs: $(STAMP) ## Compile the translation catalogs (zh_CN, en)
	@$(BIN)/pybabel compile -d $(LOCALES) -D messages --use-fuzzy 2>/dev/null || $(BIN)/pybabel compile -d $(LOCALES) -D messages

setup: $(STAMP) catalogs ## Create .venv with the locked dependencies and compile catalogs

messages: $(STAMP) ## Extract messages and update the catalogs (then translate zh_CN)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -o $(LOCALES)/messages.pot --ignore-dirs=".* var static tests bench" --no-location --sort-output --omit-header .
	$(BIN)/pybabel update -i $(LOCALES)/messages.pot -d $(LOCALES) -D messages --no-fuzzy-matching --omit-header --no-wrap
	$(BIN)/python scripts/merge_translations.py
	$(MAKE) --no-print-directory catalogs

run: setup ## Migrate, seed the demo company and serve http://127.0.0.1:8000
	$(BIN)/homeloop demo --port 8000

postgres: ## Start the local PostgreSQL and Redis when they are down
	@bash scripts/services.sh

test: setup postgres ## The whole suite: SQLite (with browser tests), then PostgreSQL
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

test-sqlite: setup
	@bash scripts/ensure-chromium.sh
	HOMELOOP_TEST_DB=sqlite $(BIN)/pytest -q -p no:cacheprovider -m "not e2e"
	@# Playwright's sync API runs its own event loop: browser tests get their own process.
	HOMELOOP_TEST_DB=sqlite $(BIN)/pytest -q -p no:cacheprovider -m e2e tests/e2e

test-postgres: setup
	HOMELOOP_TEST_DB=$(PG_URL) $(BIN)/pytest -q -p no:cacheprovider -m "not e2e"

lint: $(STAMP) ## ruff
	$(BIN)/ruff check backend portal fieldapp tests bench

bench: setup postgres ## Run the benchmarks and rewrite bench/RESULTS.md
	$(BIN)/python bench/run_all.py

clean: ## Remove the virtualenv and local data
	rm -rf $(VENV) var

load: setup postgres ## Drive homeloop serve for 60 s on SQLite and PostgreSQL; writes bench/LOAD.md
	$(BIN)/python bench/load.py sqlite postgres --seconds 60
