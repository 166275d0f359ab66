# The two commands of the README: `make run` and `make test`. Everything else supports them.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000
SCALE  ?= small
WORKERS ?= 1

VENDORED := app/static/vendor/.installed

.PHONY: run test lint typecheck pytest browser postgres proxy bench eval clean

run: $(VENV)/.installed $(VENDORED)
	$(BIN)/geokg migrate
	$(BIN)/geokg serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-dev $(VENDORED) browser postgres proxy lint typecheck pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

pytest: $(VENV)/.installed-dev $(VENDORED)
	$(BIN)/pytest

# The benchmark of issue 6: small (~10k edges, minutes), medium (~1M), large (~10M);
# WORKERS=N runs the server with N worker processes. STORE=postgresql runs it on a throwaway
# PostgreSQL cluster (issue 9: also writes, apply lag across replicas and cold start), into
# bench/results/postgres-$(SCALE).json.
STORE  ?= sqlite
bench: $(VENV)/.installed-bench $(if $(filter postgresql,$(STORE)),postgres)
	$(BIN)/python -m bench --scale $(SCALE) --workers $(WORKERS) $(if $(filter postgresql,$(STORE)),--store postgresql)

# Ingestion against the hand-annotated articles (issue 7): per article and overall.
eval: $(VENV)/.installed
	$(BIN)/python -m graph.ingest.evaluate evaluation/dev evaluation/heldout-1 evaluation/heldout-2 evaluation/heldout-3 evaluation/heldout-4

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "geokg needs Python 3.11"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(VENV)/.installed $(VENV)/.installed-bench

# The explorer's JavaScript (app/vendor.lock.json): npm tarballs fetched from the registry,
# checked against their recorded sha512, the listed files extracted into app/static/vendor/.
$(VENDORED): app/vendor.lock.json app/vendor.py | $(BIN)/python
	$(BIN)/python -m app.vendor
	touch $@

# The browser tests drive Debian's Chromium with Playwright (Playwright's own download cannot
# reach its host here). Installs it once, as root, when it is missing.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The PostgreSQL tests start their own throwaway cluster with Debian's server (initdb, pg_ctl).
# Installs it once, as root, when it is missing.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql for the PostgreSQL tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# The proxy test runs docker/haproxy.cfg in Debian's HAProxy in front of real replicas.
# Installs it once, as root, when it is missing.
proxy:
	@command -v haproxy >/dev/null 2>&1 || test -x /usr/sbin/haproxy || { \
	  echo "installing Debian's haproxy for the proxy test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info app/static/vendor
