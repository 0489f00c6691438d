# Two commands do all set-up on a fresh machine:
#   make demo   builds the embedded demo catalogue and serves it
#   make test   runs the linter and the test suite (SQLite; PostgreSQL when
#               FAIRCAT_TEST_DATABASE_URL is set, as .ci/run does)
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8080
# The demo's pages, DOIs and file links point at the machine that serves it, not at the
# facility's public host (OAI-PMH identifiers need a dotted domain, so that one is kept).
DEMO_URL ?= http://$(HOST):$(PORT)

.PHONY: install demo serve test lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: export FAIRCAT_FACILITY_BASE_URL ?= $(DEMO_URL)
demo: export FAIRCAT_OAI_REPOSITORY_IDENTIFIER ?= data.alba.example.org
demo: $(STAMP)
	$(BIN)/faircat demo --reset
	$(BIN)/faircat export --full
	@echo "Serving the demo catalogue at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	$(BIN)/faircat serve --host $(HOST) --port $(PORT)

serve: $(STAMP)
	$(BIN)/faircat serve --host $(HOST) --port $(PORT)

lint: $(STAMP)
	$(BIN)/ruff check faircat tests bench

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
