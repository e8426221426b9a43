# Two commands set everything up on a fresh Debian machine: `make demo` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Use the machine's Python 3.11; never download an interpreter.
export UV_PYTHON_DOWNLOADS := never
# The Dagster instance shared by `make demo` and `make ui`, so the demo's runs show in the UI.
export DAGSTER_HOME := $(CURDIR)/.dagster
export PATH := $(HOME)/.local/bin:$(PATH)

VENV_STAMP := .venv/.synced-$(shell cat uv.lock pyproject.toml 2>/dev/null | cksum | cut -d' ' -f1)
# dbt's manifest, prepared ahead so loading the code location never parses dbt (amd_assets/audits/project.py).
DBT_MANIFEST := dbt_models/target/manifest.json
DBT_FILES := dbt_models/dbt_project.yml dbt_models/profiles.yml $(shell find dbt_models/models dbt_models/tests dbt_models/macros -type f 2>/dev/null)
# dbt's sources, generated from the table contracts (amd_assets/contracts/dbt_sources.py).
DBT_SOURCES := dbt_models/models/sources.yml
CONTRACTS := $(wildcard amd_assets/contracts/*.py amd_assets/*/tables.py) amd_assets/registry/model.py resources/teacher/retry.py
# gRPC requests from the webserver and daemon to the code server: generous for a loaded 2-core machine.
export DAGSTER_GRPC_TIMEOUT_SECONDS ?= 180

.PHONY: help bootstrap demo test lint ui clean

help:
	@echo "make demo   run the whole pipeline on the bundled sample data"
	@echo "make test   lint and run the test suite"
	@echo "make ui     start the Dagster UI on http://127.0.0.1:3000"

bootstrap: $(VENV_STAMP) $(DBT_MANIFEST)
	@command -v bwrap >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing bubblewrap (code sandbox)"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap >/dev/null; \
	  else \
	    echo "bubblewrap is missing: run 'sudo apt-get install -y bubblewrap' (the code sandbox needs it)" >&2; exit 1; \
	  fi; }
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium (the Dagster UI browser test drives it; Playwright never downloads a browser)"; \
	    (apt-get update -qq || true) && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "warning: chromium is missing: run 'sudo apt-get install -y chromium' (the UI test in tests/ui drives it" \
	      "and fails without it; AMD_SKIP_UI_TEST=1 skips it)" >&2; \
	  fi; }

$(VENV_STAMP): uv.lock pyproject.toml
	@command -v uv >/dev/null || { \
	  echo "installing uv with pip"; \
	  python3 -m pip --version >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq python3-pip >/dev/null; }; \
	  python3 -m pip install --user --quiet uv 2>/dev/null || python3 -m pip install --user --quiet --break-system-packages uv; }
	uv sync --frozen --compile-bytecode --python 3.11   # .pyc written once here, not by the first import of every process
	@rm -f .venv/.synced-* && touch $@

demo: bootstrap
	uv run --frozen amd demo

lint: bootstrap
	uv run --frozen ruff check .
	uv run --frozen ruff format --check .
	uv run --frozen mypy   # amd_assets, resources, sensors ([tool.mypy] in pyproject.toml)

test: bootstrap lint
	uv run --frozen pytest

ui: bootstrap
	@uv run --frozen amd instance >/dev/null   # run queue, one run per source at a time, code-server timeouts
	@uv run --frozen amd sources sync          # every source of sources.yaml is a partition before the UI opens
	uv run --frozen dagster dev -h 127.0.0.1 -p 3000 -w workspace.yaml

$(DBT_SOURCES): $(VENV_STAMP) $(CONTRACTS)
	uv run --frozen python -m amd_assets.contracts.dbt_sources --write
	@touch $@

$(DBT_MANIFEST): $(VENV_STAMP) $(DBT_SOURCES) $(DBT_FILES)
	uv run --frozen dagster-dbt project prepare-and-package --file amd_assets/audits/dbt_project.py
	@touch $@

clean:
	rm -rf lakehouse releases .dagster dbt_models/target dbt_models/logs
