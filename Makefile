# Một Cửa — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
DOSSIERS ?= 40000
CHAOS_DOSSIERS ?= 1000

.PHONY: help install compose-tool contracts run test unit integration e2e lint check-architecture check-compose bench chaos clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install the project with its dev tools

run: $(STAMP) ## start the whole system on the embedded broker and database; Ctrl-C stops it
	$(BIN)/python -m deploy.local

test: $(STAMP) lint check-architecture compose-tool ## every test: unit, integration (real broker + db), e2e
	$(BIN)/python -m pytest

unit: $(STAMP) ## unit tests only (no broker, no database)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP) ## integration tests on a real broker and database
	$(BIN)/python -m pytest tests/integration

e2e: $(STAMP) ## the end-to-end test: every service as its own process
	$(BIN)/python -m pytest tests/e2e

lint: $(STAMP) ## ruff
	$(BIN)/ruff check services shared deploy tests

check-architecture: $(STAMP) ## fail when a service imports another service
	$(BIN)/lint-imports

compose-tool: ## install Debian's docker-compose, which renders the compose file without an engine
	@if command -v docker-compose >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null; } \
	  || echo "docker-compose could not be installed: compose file checked against the schema only"; \
	else echo "docker-compose unavailable: compose file checked against the schema only"; fi

contracts: $(STAMP) ## regenerate docs/contracts (AsyncAPI for the events, OpenAPI per service)
	$(BIN)/python -m deploy.contracts

bench: $(STAMP) ## the national-day benchmark (DOSSIERS=N for a quick run)
	$(BIN)/python -m tests.bench --dossiers $(DOSSIERS)

chaos: $(STAMP) ## kill -9 parts of the stack under load, check nothing lost or repeated (CHAOS_DOSSIERS=N)
	$(BIN)/python -m tests.chaos --dossiers $(CHAOS_DOSSIERS) --record

clean: ## remove the virtualenv and local data (var/)
	rm -rf $(VENV) var
