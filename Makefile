# Netwerkcoach: every command a newcomer or CI needs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run chat telegram test lint fmt typecheck pytest i18n flows-check diagram up clean bench

help: ## List the commands
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install the bot with its dev tools

# The Matrix tests' homeserver: Synapse in an environment of its own (its pins are its own).
SYNAPSE_VENV := .venv-synapse
SYNAPSE_STAMP := $(SYNAPSE_VENV)/.installed

$(SYNAPSE_STAMP): tests/synapse-requirements.txt
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(SYNAPSE_VENV)/bin/python -m pip install --quiet -r tests/synapse-requirements.txt
	touch $(SYNAPSE_STAMP)

$(VENV)/.installed-bench: $(STAMP)
	$(PY) -m pip install --quiet -e ".[dev,bench]"
	touch $@

run: $(STAMP) ## Start: the Telegram bot if TELEGRAM_BOT_TOKEN is set, else the console chat
	$(PY) -m bot run

chat: $(STAMP) ## The console conversation (no Telegram needed)
	$(PY) -m bot chat

test: lint typecheck pytest ## Lint, type-check and run every test

lint: $(STAMP) ## ruff lint and format check
	$(VENV)/bin/ruff check bot tests
	$(VENV)/bin/ruff format --check bot tests

fmt: $(STAMP) ## Format and fix what ruff can
	$(VENV)/bin/ruff format bot tests
	$(VENV)/bin/ruff check --fix bot tests

typecheck: $(STAMP) ## mypy --strict on bot/
	$(VENV)/bin/mypy

PYTEST_WORKERS ?= auto

pytest: $(STAMP) $(SYNAPSE_STAMP) ## The test suite (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist worksteal

i18n: $(STAMP) ## Extract msgids, update and compile the nl and en catalogs
	$(VENV)/bin/pybabel extract -F babel.cfg --no-location --sort-output \
		--project=netwerkcoach --copyright-holder=Netwerkcoach -o locales/messages.pot .
	$(VENV)/bin/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete
	$(PY) -m bot i18n fill-en
	$(VENV)/bin/pybabel compile -d locales -D messages --statistics

flows-check: $(STAMP) ## Validate flows/*.yaml (file:line errors)
	$(PY) -m bot flows check

diagram: $(STAMP) ## Mermaid diagrams of every flow into docs/flows/
	$(PY) -m bot flows diagram --out docs/flows

bench: $(VENV)/.installed-bench $(SYNAPSE_STAMP) ## Benchmark vs PTB and aiogram baselines (ARGS="--database-url ...")
	$(PY) -m tests.perf.bench $(ARGS)

up: ## Production-like: the bot and PostgreSQL 16 in Docker
	docker compose up --build

clean: ## Remove the virtual environment and caches
	rm -rf $(VENV) $(SYNAPSE_VENV) .mypy_cache .pytest_cache .ruff_cache
