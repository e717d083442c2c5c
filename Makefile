# hrgate: two commands for a newcomer.
#   make run   installs what it needs, migrates, loads demo data, serves GraphiQL at http://127.0.0.1:8000/graphql
#   make test  installs what it needs, then runs the suite on SQLite and on PostgreSQL (+ Redis)

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test install system-packages services test-sqlite test-postgresql

run: install
	@scripts/install-system-packages runtime
	$(BIN)/hrgate serve

test: install system-packages services test-sqlite test-postgresql

install: $(VENV)/.installed

# torch first, pinned: the CPU build (an unpinned torch pulls a multi-GB CUDA build).
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[dev,otel]'
	touch $@

# Test media are made by the project: speech from espeak-ng, converted with sox.
system-packages:
	@scripts/install-system-packages

services:
	@scripts/ensure-services

test-sqlite:
	HRGATE_TEST_DATABASE=sqlite $(BIN)/python -m pytest

test-postgresql:
	HRGATE_TEST_DATABASE=postgresql $(BIN)/python -m pytest --ignore=tests/pipeline  # pure pipeline functions: no database
