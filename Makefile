# Two commands on a fresh clone: `make run` and `make test`. Both install into .venv when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The embeddings backend's CPU build of torch; asked for by exact version so pip takes the
# CPU wheel instead of resolving the newest build with its CUDA packages.
TORCH ?= torch==2.13.0

.PHONY: run test install install-dev bench check clean

$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "socialdesk needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $(STAMP)

# Tests cover both understanding backends, so they need the embeddings extra too.
$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e '.[dev,embeddings]'
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

run: $(STAMP)
	@test -f business.yaml || $(BIN)/socialdesk init
	$(BIN)/socialdesk run

test: $(DEV_STAMP)
	$(BIN)/python -m pytest -q

check: $(DEV_STAMP)
	$(BIN)/lint-imports
	$(BIN)/socialdesk check

bench: $(DEV_STAMP)
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/understanding.py

clean:
	rm -rf $(VENV) .pytest_cache
