# FieldCRM — `make run` serves the app with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi.py
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test bench bench-quick bench-load bench-clean translations system-deps system-deps-test extract-messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { scripts/install-system-deps.sh venv && rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime-installed

system-deps:
	@scripts/install-system-deps.sh runtime

system-deps-test:
	@scripts/install-system-deps.sh test

translations: $(VENV)/.runtime-installed
	@$(BIN)/pybabel compile -d app/translations

# The job worker (e-mails and their retries, app/jobs.py) runs in the background and stops with gunicorn.
run: $(VENV)/.runtime-installed system-deps translations
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo
	@echo "FieldCRM on http://$(HOST):$(PORT), job worker alongside  (Ctrl+C stops both)"
	$(BIN)/huey_consumer app.jobs.huey --workers 2 --worker-type thread --flush-locks --quiet & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	SESSION_COOKIE_SECURE=$${SESSION_COOKIE_SECURE:-0} $(BIN)/gunicorn --workers 2 --threads 4 --timeout 120 --bind $(HOST):$(PORT) \
		--access-logfile - --forwarded-allow-ips 127.0.0.1 wsgi:app

# axe-core for the accessibility tests, pinned in package-lock.json (used by tests only).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test: $(VENV)/.dev-installed system-deps-test translations node_modules/.installed
	scripts/run-tests.sh

# Benchmarks are not part of `make test`: they build 100,000-customer databases (cached in bench/.cache).
bench: $(VENV)/.dev-installed system-deps-test translations node_modules/.installed
	$(BIN)/python -m bench.run

bench-quick: $(VENV)/.dev-installed system-deps-test translations node_modules/.installed
	$(BIN)/python -m bench.run --quick

bench-load: $(VENV)/.dev-installed system-deps-test translations
	$(BIN)/python -m bench.load

# Drop cached bench databases (bench/.cache, and fieldcrm_bench_* on BENCH_DATABASE_URL).
bench-clean: $(VENV)/.dev-installed
	$(BIN)/python -m bench.data clean

# Refresh the message catalogue after adding or changing user-visible strings.
extract-messages: $(VENV)/.runtime-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_ngettext:1,2 -k gettext_once -k lazy_pgettext:1c,2 --ignore-dirs '.* __pycache__' -o app/translations/messages.pot .
	$(BIN)/pybabel update -i app/translations/messages.pot -d app/translations --no-fuzzy-matching

clean:
	rm -rf $(VENV) .pytest_cache
