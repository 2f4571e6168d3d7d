# Two commands on a fresh clone: `make run` and `make test`. Both install into .venv when needed.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev
# The embeddings backend's CPU build of torch; asked for by exact version so pip takes the
# CPU wheel instead of resolving the newest build with its CUDA packages.
TORCH ?= torch==2.13.0

.PHONY: run test test-dates install install-dev bench check clean dovecot

$(STAMP): pyproject.toml Makefile
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "socialdesk needs Python 3.11 or newer")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -e .
	touch $(STAMP)

# Tests cover both understanding backends, so they need the embeddings extra too.
$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --progress-bar on $(TORCH)
	$(BIN)/python -m pip install --progress-bar on -e '.[dev,embeddings]'
	touch $(DEV_STAMP)

install: $(STAMP)

install-dev: $(DEV_STAMP)

run: $(STAMP)
	@test -f business.yaml || $(BIN)/socialdesk init
	$(BIN)/socialdesk run

# The suite runs on every core (pytest-xdist); each test file stays whole on one worker, so its module
# fixtures (a trained model, a batch of CLI processes) are built once.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile

# The email tests start a real IMAP server (Dovecot) on loopback; as root, install it when missing.
dovecot:
	@test -x /usr/sbin/dovecot || { [ "$$(id -u)" = 0 ] && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null \
		|| { [ "$$(id -u)" = 0 ] && apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q dovecot-imapd >/dev/null; } \
		|| { echo "make test needs Dovecot for the email tests: sudo apt-get install dovecot-imapd"; exit 1; }; }

test: $(DEV_STAMP) dovecot
	$(PYTEST)

# The suite again on days that break date logic: a Saturday that is Christmas Day, and the night the
# clocks go forward in Europe (the run crosses 01:00 UTC on 28 March 2027). Needs faketime.
FAKED_DAYS ?= 2027-12-25T10:00:00 2027-03-28T00:59:00
test-dates: $(DEV_STAMP) dovecot
	@command -v faketime >/dev/null || { echo "make test-dates needs faketime (apt-get install faketime)"; exit 1; }
	@for day in $(FAKED_DAYS); do \
		echo "== the whole suite on $$day UTC"; \
		TZ=UTC faketime "$$(echo $$day | tr T ' ')" $(PYTEST) -p no:cacheprovider || exit 1; \
	done

check: $(DEV_STAMP)
	$(BIN)/lint-imports
	$(BIN)/socialdesk check

bench: $(DEV_STAMP)
	$(BIN)/python bench/pipeline.py
	$(BIN)/python bench/understanding.py

clean:
	rm -rf $(VENV) .pytest_cache
