# hrgate: two commands for a newcomer.
#   make run   installs what it needs, migrates, loads demo data, serves GraphiQL at http://127.0.0.1:8000/graphql
#              and the candidate's interview page at /interview/<token>
#   make test  installs what it needs, then runs the suite on SQLite and on PostgreSQL (+ Redis);
#              the browser tests (tests/browser, real Chromium) run once, on SQLite

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install system-packages services test-sqlite test-postgresql

run: install
	@scripts/install-system-packages runtime
	$(BIN)/hrgate serve

test: install system-packages services test-sqlite test-postgresql

install: $(VENV)/.installed web/dist/index.html

# torch first, pinned: the CPU build (an unpinned torch pulls a multi-GB CUDA build).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,otel]'
	touch $@

# The web pages (web/): Node.js and npm from Debian's packages where missing, `npm ci` from the committed
# lockfile, typed operations generated from schema.graphql, then the Vite build into web/dist (served by the gateway).
WEB_SOURCES := $(shell find web/src web/scripts -type f 2>/dev/null) web/index.html web/graphiql.html \
	web/vite.config.ts web/tsconfig.json schema.graphql
web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@scripts/install-system-packages build
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build
	touch $@

# Test media are made by the project: speech from espeak-ng, converted with sox.
system-packages:
	@scripts/install-system-packages

services:
	@scripts/ensure-services

test-sqlite:
	HRGATE_TEST_DATABASE=sqlite $(BIN)/python -m pytest

# Once (on SQLite) is enough for: pure pipeline functions (no database); the browser tests (pages and HTTP); the
# process-kill drills (gateways, workers and brokers killed mid-flight), whose database-specific parts (the sweep's
# row locks, the outbox's commit order) are tested in-process on both databases (test_scoring_faults, test_outbox);
# and the real-model scoring end to end, whose database writes and reads are tested on both (test_scoring_records,
# test_read_compiler, and test_media_store_s3 scores one interview through PostgreSQL too). Keeps `make test` under
# 30 minutes on a 2-core machine.
ONCE_ON_SQLITE := --ignore=tests/pipeline --ignore=tests/browser --ignore=tests/test_fault_drills.py \
	--ignore=tests/test_webhook_crash.py --ignore=tests/test_live_status_outage.py --ignore=tests/test_observability.py \
	--ignore=tests/test_scoring_end_to_end.py
test-postgresql:
	HRGATE_TEST_DATABASE=postgresql $(BIN)/python -m pytest $(ONCE_ON_SQLITE)
