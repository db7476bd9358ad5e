# Two commands for a fresh machine: `make demo` (discovery end to end) and `make test` (the whole suite).
# Each does all of its own setup: a .venv on Python 3.12+, the pinned packages, the database, migrations.

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test typecheck lint fuzz serve venv browser redis migrate check clean-db help

help:
	@echo "make demo   - set up and run discovery end to end on the embedded database (offline)"
	@echo "make test   - set up, type-check (make typecheck) and run the whole test suite"
	@echo "make typecheck - mypy with django-stubs over the whole repository (mypy.ini)"
	@echo "make lint   - ruff (format and rules, pyproject.toml) and import-linter's layer contracts (.importlinter)"
	@echo "make fuzz   - every route with hostile methods, headers and bodies, and schemathesis over the API (zero 5xx)"
	@echo "make serve  - run the web app, both emulators and the worker on http://127.0.0.1:8000"

$(STAMP): requirements.txt bin/find-python
	@PYTHON_BIN=$$(bin/find-python) || exit 1; \
	if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$PYTHON_BIN"; $$PYTHON_BIN -m venv $(VENV); fi
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

venv: $(STAMP)

# Debian's Chromium for the dashboard's browser tests (Playwright cannot download its own browser here).
browser:
	@if [ ! -x /usr/bin/chromium ]; then \
		echo "Installing Debian's chromium for the browser tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi

# Debian's redis-server: the REDIS_URL tests (broker and shared session cache) start their own on loopback.
redis:
	@if ! command -v redis-server >/dev/null 2>&1; then \
		echo "Installing Debian's redis-server for the REDIS_URL tests"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq redis-server >/dev/null; \
	fi

migrate: venv
	MAATCHAA_DEV=true $(PY) manage.py migrate --no-input -v 0

demo: venv migrate
	MAATCHAA_DEV=true $(PY) manage.py demo

# mypy.ini's django plugin imports the settings, which read the environment: MAATCHAA_DEV as for the tests.
# ~13 s cold on 2 cores, ~1 s with its .mypy_cache (gitignored).
typecheck: venv
	MAATCHAA_DEV=true $(PY) -m mypy .

# Seconds: formatting, lint rules, and the layers every import must respect (README "Architecture").
lint: venv
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports

# Lint and types first: CI (.ci/run) runs `make test`, so either fails it before the slower suite starts.
# Then the suite, then the fuzz stage (marked `fuzz`, so it runs once).
test: venv browser redis lint typecheck
	MAATCHAA_DEV=true $(PY) -m pytest -m "not fuzz"
	$(MAKE) fuzz

# The fuzz stage (fuzz/): every route from the URL resolver with any method, hostile headers, bodies and
# queries, and schemathesis over /api/schema/ with a token (fixed seed, bounded examples, stateful links).
# Zero 5xx is the pass mark. A few minutes on 2 cores; FUZZ_MAX_EXAMPLES=N changes schemathesis's bound.
fuzz: venv
	MAATCHAA_DEV=true $(PY) -m pytest -m fuzz fuzz

# The web app, both emulators and the django-q2 cluster, for a person to try the dashboard.
serve: venv
	bin/serve

check: venv
	MAATCHAA_DEV=true $(PY) manage.py makemigrations --check --dry-run

clean-db:
	rm -rf .pgdata
