# Meta Lead Desk: `make run` serves the demo, `make test` runs the suite.
# Another port: `PORT=5001 make run` (the demo's sign-in lines are printed once it serves).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi.py
# The suite runs on every core (pytest-xdist, one test file per worker at a time, each worker
# with its own PostgreSQL database; the 30 slowest tests are listed at the end, to keep CI under
# 30 minutes); PYTEST_ARGS="-n 0" runs it in one process.
PYTEST_ARGS ?= -n auto --dist loadfile --durations=30

I18N := app/translations
# Also read by tests/test_i18n.py, which extracts the same way.
BABEL_EXTRACT := -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k Nn_:1,2 --add-location=file --sort-output --no-wrap -c TRANSLATORS:

.PHONY: run test serve setup lint bench clean i18n

run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo --quiet
	META_SANDBOX=1 SCHEDULER_ENABLED=1 META_GRAPH_URL=http://$(HOST):$(PORT)/_sandbox/graph \
		META_APP_SECRET=$${META_APP_SECRET:-demo-sandbox-app-secret} META_APP_ID=900000000000001 \
		HOST=$(HOST) PORT=$(PORT) $(BIN)/python wsgi.py

test: $(VENV)/.dev-installed static/vendor/.built
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed static/vendor/.built

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (set PYTHON=python3.12, say)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	touch $@

$(VENV)/.installed: requirements.txt $(VENV)/.python-ok
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

static/vendor/.built: package.json package-lock.json scripts/vendor.mjs
	npm ci --no-audit --no-fund
	npm run vendor
	touch $@

# After adding or changing a string: extract, merge into each catalogue, compile (README:
# "Adding a string"). The app also compiles stale catalogues when it starts.
i18n: $(VENV)/.installed
	$(BIN)/pybabel extract $(BABEL_EXTRACT) -o $(I18N)/messages.pot app
	$(BIN)/pybabel update -i $(I18N)/messages.pot -d $(I18N) --no-wrap --ignore-obsolete --no-fuzzy-matching
	$(BIN)/python scripts/i18n_tidy.py $(I18N)
	$(BIN)/pybabel compile -d $(I18N) --statistics

lint: $(VENV)/.dev-installed
	$(BIN)/ruff check app tests bench config.py wsgi.py
	$(BIN)/ruff format --check app tests bench config.py wsgi.py

bench: $(VENV)/.dev-installed
	$(BIN)/python bench/ingest.py

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache
