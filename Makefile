# The two commands of a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint typecheck unit bench lock clean postgres chromium

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/deconflict demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -n 2 -q

test: lint typecheck unit

# The PostgreSQL server binaries for the tests: tests/pg.py starts a throwaway server from them, and
# without them the PostgreSQL tests are skipped. Installs Debian's package only when no initdb is
# found (as root, or with sudo); otherwise warns. Never fails.
PG_WARN := warning: PostgreSQL not installed and could not be installed; its tests will be skipped
APT_PG  := env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
postgres:
	@if command -v initdb >/dev/null 2>&1 \
	  || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || test -x "$$(pg_config --bindir 2>/dev/null)/initdb"; then \
		echo "PostgreSQL found"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "$(PG_WARN) (no apt-get)"; \
	elif [ "$$(id -u)" = 0 ]; then \
		{ apt-get update -qq; $(APT_PG); } || echo "$(PG_WARN)"; \
	elif command -v sudo >/dev/null 2>&1; then \
		{ sudo -n apt-get update -qq; sudo -n $(APT_PG); } || echo "$(PG_WARN) (sudo)"; \
	else \
		echo "$(PG_WARN) (not root, no sudo)"; \
	fi

# Debian's Chromium for the console's browser tests (Playwright drives /usr/bin/chromium; no
# browser download). Installed only when missing (as root, or with sudo); otherwise warns, and
# the browser tests are skipped with that reason. Never fails.
CR_WARN := warning: Chromium not installed and could not be installed; the browser tests will be skipped
APT_CR  := env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium
chromium:
	@if test -x /usr/bin/chromium; then \
		echo "Chromium found"; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
		echo "$(CR_WARN) (no apt-get)"; \
	elif [ "$$(id -u)" = 0 ]; then \
		{ apt-get update -qq; $(APT_CR); } || echo "$(CR_WARN)"; \
	elif command -v sudo >/dev/null 2>&1; then \
		{ sudo -n apt-get update -qq; sudo -n $(APT_CR); } || echo "$(CR_WARN) (sudo)"; \
	else \
		echo "$(CR_WARN) (not root, no sudo)"; \
	fi

bench: $(STAMP)
	$(BIN)/python bench/bench_detect.py --out docs/benchmarks.md
	$(BIN)/python bench/bench_real.py --out docs/benchmarks.md
	$(BIN)/python bench/bench_alerting.py --out docs/benchmarks.md
	$(BIN)/python bench/bench_plans.py --out docs/benchmarks.md
	$(BIN)/python bench/bench_line.py --out docs/benchmarks.md
	$(BIN)/python bench/bench_analysis.py --states 100000000 --out docs/benchmarks.md

# Regenerate the lock file from pyproject.toml (needs the registry).
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
