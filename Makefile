# Một Cửa — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed
DOSSIERS ?= 40000
CHAOS_DOSSIERS ?= 1000
SOAK_SECONDS ?= 600
BENCH_NOTE ?=

.PHONY: help install compose-tool chromium pgbouncer screenshots contracts run test unit integration e2e browser lint check-architecture check-compose bench chaos clean
.PHONY: fonts

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## create the virtualenv and install the project with its dev tools

run: $(STAMP) fonts ## start the whole system on the embedded broker and database; Ctrl-C stops it
	$(BIN)/python -m deploy.local

test: $(STAMP) fonts lint check-architecture compose-tool chromium pgbouncer ## every test: unit, integration (real broker + db), e2e, browser
	$(BIN)/python -m pytest

unit: $(STAMP) ## unit tests only (no broker, no database)
	$(BIN)/python -m pytest tests/unit

integration: $(STAMP) ## integration tests on a real broker and database
	$(BIN)/python -m pytest tests/integration

e2e: $(STAMP) ## the end-to-end test: every service as its own process
	$(BIN)/python -m pytest tests/e2e

browser: $(STAMP) chromium ## the browser tests: headless Chromium on the console and citizen pages
	$(BIN)/python -m pytest tests/browser

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

# The PgBouncer test (tests/integration/test_pgbouncer.py) runs the runtime through a real
# PgBouncer in transaction mode; it finds the binary on PATH or in /usr/sbin (Debian's place).
pgbouncer: ## install Debian's pgbouncer for the transaction-pooling test when it is missing
	@if command -v pgbouncer >/dev/null 2>&1 || [ -x /usr/sbin/pgbouncer ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends pgbouncer >/dev/null; } \
	  || echo "pgbouncer could not be installed: tests/integration/test_pgbouncer.py will skip"; \
	else echo "pgbouncer missing and not root: apt-get install pgbouncer, or set PGBOUNCER_PATH"; fi

# Playwright drives Debian's chromium through executable_path: never `playwright install`
# (no browser download; the machines reach only package registries).
chromium: ## install Debian's chromium for the browser tests when /usr/bin/chromium is missing
	@if [ -x /usr/bin/chromium ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "chromium could not be installed: the browser tests will fail (-m 'not browser' skips them)"; \
	else echo "chromium missing and not root: apt-get install chromium, or set CHROMIUM_PATH"; fi

screenshots: $(STAMP) chromium ## a PNG of each main screen in docs/screenshots/ (the README shows them)
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

contracts: $(STAMP) ## regenerate docs/contracts (AsyncAPI for the events, OpenAPI per service)
	$(BIN)/python -m deploy.contracts

bench: $(STAMP) ## the national-day benchmark and a soak (DOSSIERS=N, SOAK_SECONDS=S, 0 skips the soak)
	$(BIN)/python -m tests.bench --dossiers $(DOSSIERS) --soak-seconds $(SOAK_SECONDS) \
	  $(if $(BENCH_NOTE),--note "$(BENCH_NOTE)")

chaos: $(STAMP) ## kill -9 parts of the stack under load, check nothing lost or repeated (CHAOS_DOSSIERS=N)
	$(BIN)/python -m tests.chaos --dossiers $(CHAOS_DOSSIERS) --record

clean: ## remove the virtualenv and local data (var/)
	rm -rf $(VENV) var

fonts: ## Pango (WeasyPrint's layout), HarfBuzz's subsetter and fonts with Vietnamese glyphs, from Debian, when missing
	@missing=""; \
	ldconfig -p | grep -q 'libpango-1.0.so' || missing="$$missing libpango-1.0-0"; \
	ldconfig -p | grep -q 'libpangoft2-1.0.so' || missing="$$missing libpangoft2-1.0-0"; \
	ldconfig -p | grep -q 'libharfbuzz-subset.so' || missing="$$missing libharfbuzz-subset0"; \
	fc-list 2>/dev/null | grep -qi 'DejaVu Serif' || missing="$$missing fonts-dejavu-core"; \
	if [ -z "$$missing" ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing fontconfig >/dev/null; } \
	  || { echo "could not install$$missing: the printable forms cannot be made"; exit 1; }; \
	else echo "missing$$missing (apt-get install$$missing): the printable forms cannot be made"; exit 1; fi
