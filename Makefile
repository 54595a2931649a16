# Two commands on a fresh machine: `make run` (demo page + scheduler) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
DEV := STATUSPAGE_CONFIG=config.DevelopmentConfig FLASK_APP=wsgi
# Two workers; on PostgreSQL each worker has a database of its own (see tests/conftest.py).
PYTEST_WORKERS ?= 2

.PHONY: run test install install-dev bench lint typecheck clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) || { \
	  echo "Could not create $(VENV): install Python's venv module (Debian: apt-get install python3-venv)"; \
	  exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@ $(VENV)/.runtime

install: $(VENV)/.runtime
install-dev: $(VENV)/.dev

# axe-core and the Nu HTML Checker for the browser and HTML tests; those tests skip without npm.
# --ignore-scripts: vnu-jar's postinstall would fetch a JDK; the system Java runs the jar.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --no-audit --no-fund --ignore-scripts && touch $@; \
	fi

## Serve the demo status page on http://127.0.0.1:5000 with its scheduler; Ctrl-C stops both.
run: $(VENV)/.runtime
	@mkdir -p instance
	@$(DEV) $(BIN)/flask db upgrade
	@$(DEV) $(BIN)/flask demo seed --if-empty
	@$(DEV) $(BIN)/flask users ensure-admin
	@echo "Status page: http://$(HOST):$(PORT)/   admin: http://$(HOST):$(PORT)/admin/"
	@$(DEV) bash -c 'trap "kill \$$(jobs -p) 2>/dev/null; wait" EXIT; \
	  $(BIN)/flask scheduler run & \
	  $(BIN)/flask run --host $(HOST) --port $(PORT) --no-reload & \
	  wait -n'

## The whole suite (set TEST_DATABASE_URL=postgresql://... to run it on PostgreSQL).
test: $(VENV)/.dev node_modules/.installed
	$(BIN)/python -m pytest -q $(if $(filter-out 0,$(PYTEST_WORKERS)),-n $(PYTEST_WORKERS)) $(PYTEST_ARGS)

## Benchmarks: the public page beside /healthz, then mail fan-out (--json figures: bench/results/).
bench: $(VENV)/.dev
	$(BIN)/python bench/public_page.py
	$(BIN)/python bench/fanout.py

## mypy over the package, with the settings and third-party exceptions of mypy.ini.
typecheck: $(VENV)/.dev
	$(BIN)/mypy

## ruff (lint and format), mypy and bandit: the gates CI runs before the tests.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit -q -r statuspage -ll

clean:
	rm -rf $(VENV) .pytest_cache node_modules
