# dabai — two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DABAI := $(VENV)/bin/dabai
HOST ?= 127.0.0.1
PORT ?= 8000
export DABAI_VAR_DIR ?= $(CURDIR)/var
# Everything make starts is development (the demo key, plain HTTP); production sets DABAI_DEV=0 or leaves it unset.
export DABAI_DEV ?= 1
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
# A font that renders Chinese in PDFs (programme certificates) is needed at run time too.
DEB_RUN_PACKAGES := fonts-wqy-microhei
DEB_TEST_PACKAGES := postgresql redis-server chromium $(DEB_RUN_PACKAGES) dovecot-imapd
ARTIFACTS := $(CURDIR)/artifacts
SERVICES_DIR := /tmp/dabai-test-services-$(shell id -u)-$(notdir $(CURDIR))

.PHONY: help run install install-test debs debs-run lint test test-sqlite test-postgres test-browser bench messages clean

help:
	@echo "make run    install, migrate, load the demo, serve on http://$(HOST):$(PORT) with a worker"
	@echo "make test   install test tools (Debian packages too), lint, whole suite on SQLite and PostgreSQL, browser tests"
	@echo "make bench  benchmarks (PostgreSQL and Redis started on loopback)"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(VENV)/bin/python
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test debs

# Debian packages the tests need: real PostgreSQL, Redis, IMAP and Chromium, and a font that renders Chinese.
debs: DEB_PACKAGES = $(DEB_TEST_PACKAGES)
debs-run: DEB_PACKAGES = $(DEB_RUN_PACKAGES)
debs debs-run:
	@missing=$$(for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:" $$missing; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

run: install debs-run
	@mkdir -p $(DABAI_VAR_DIR)
	$(DABAI) migrate --no-input -v 0
	$(DABAI) demo --if-empty
	@echo ""
	@echo "dabai is starting on http://$(HOST):$(PORT)/  (Ctrl-C stops the server and the worker)"
	@trap 'kill 0' EXIT INT TERM; \
	  $(DABAI) worker & \
	  $(DABAI) serve --host $(HOST) --port $(PORT)

lint: install-test
	@mkdir -p $(DABAI_VAR_DIR)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/ruff format --check src tests bench
	$(VENV)/bin/lint-imports
	$(DABAI) makemigrations --check --dry-run -v 0

test: install-test
	@rm -rf $(ARTIFACTS) && mkdir -p $(ARTIFACTS)
	$(MAKE) --no-print-directory lint
	@scripts/test-services.sh start $(SERVICES_DIR)
	@trap 'scripts/test-services.sh stop $(SERVICES_DIR)' EXIT; \
	  source $(SERVICES_DIR)/env && \
	  $(MAKE) --no-print-directory test-sqlite && \
	  $(MAKE) --no-print-directory test-postgres && \
	  $(MAKE) --no-print-directory test-browser

test-sqlite:
	@echo "== whole suite on SQLite"
	env -u DATABASE_URL $(VENV)/bin/pytest -m "not browser"

test-postgres:
	@echo "== whole suite on PostgreSQL"
	@test -n "$$TEST_DATABASE_URL" || { echo "TEST_DATABASE_URL is not set: run make test"; exit 1; }
	DATABASE_URL=$$TEST_DATABASE_URL $(VENV)/bin/pytest -m "not browser"

test-browser:
	@echo "== browser tests (Debian chromium, screenshots in artifacts/)"
	env -u DATABASE_URL ARTIFACTS_DIR=$(ARTIFACTS) $(VENV)/bin/pytest -m browser tests/browser

bench: install-test
	@scripts/test-services.sh start $(SERVICES_DIR)
	@trap 'scripts/test-services.sh stop $(SERVICES_DIR)' EXIT; \
	  source $(SERVICES_DIR)/env && \
	  for b in bench/*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

messages: install
	cd src/dabai && ../../$(DABAI) makemessages -l en -l zh_Hans --no-obsolete && ../../$(DABAI) compilemessages

clean:
	rm -rf $(VENV) var artifacts
