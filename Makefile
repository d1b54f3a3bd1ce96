# Deskpilot — the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.deskpilot-installed
CHROMIUM ?= /usr/bin/chromium
# The lock pins every file by hash; extra local indexes only add noise to the install log.
PIP := PIP_EXTRA_INDEX_URL=" " $(BIN)/pip install --quiet --disable-pip-version-check

export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=
export ANONYMIZED_TELEMETRY := False

.PHONY: setup run run-scale serve seed test test-fast lint format lock browser nginx clean

setup: $(STAMP)

# Idempotent: the venv is rebuilt only when the lock or the project metadata change.
$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes --no-deps -r requirements.lock
	$(PIP) --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Debian's Chromium for the browser tests (Playwright's own browser download cannot work offline).
browser:
	@test -x $(CHROMIUM) || { echo "Installing Debian chromium for browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Debian's nginx for scale mode (the reverse proxy in front of the app processes).
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { echo "Installing Debian nginx"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx >/dev/null; }

seed: setup
	$(BIN)/deskpilot seed-demo --if-empty

run: setup seed
	$(BIN)/deskpilot serve

# Scale mode on this machine: two app processes behind nginx (sticky sessions) on the local
# PostgreSQL (DATABASE_URL) and Redis (REDIS_URL) and a Chroma server it starts; README "Scale mode".
run-scale: setup nginx
	$(BIN)/deskpilot scale --apps 2 --port 8080

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: setup browser nginx lint
	$(BIN)/pytest -q

test-fast: setup
	$(BIN)/pytest -q -m "not browser and not slow"

# Re-resolve requirements.in into requirements.lock (needs the package registries).
lock:
	$(BIN)/pip install --quiet uv==0.13.9
	$(BIN)/uv pip compile requirements.in --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 --generate-hashes \
	  --find-links /opt/wheels --index-strategy unsafe-best-match -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
