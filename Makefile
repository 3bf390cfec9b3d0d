# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
STAMP := $(VENV)/.installed
# `make run PORT=5001` serves on another port.
PORT ?= 5000

# The compiled catalogs are built here, never committed (`make translations` updates the sources).
CATALOGS := $(wildcard translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)

.PHONY: install run serve worker test bench clean translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(COMPILED): %.mo: %.po $(STAMP)
	$(BIN)/pybabel -q compile --use-fuzzy -i $< -o $@

install: $(STAMP) $(COMPILED)

# Extract every message of the code and templates, and bring each language's catalog up to date.
translations: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k _n:1,2 --no-location --sort-output \
		-o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations \
		--ignore-obsolete

run: install
	$(FLASK) db upgrade
	$(FLASK) registers seed
	$(FLASK) users demo
	$(FLASK) demo story
	$(FLASK) incidents import data/public_incidents.csv --as investigator
	$(FLASK) run --host 127.0.0.1 --port $(PORT)

serve: install
	@RESTRAINT_ENV=production $(BIN)/python -m config production
	RESTRAINT_ENV=production $(FLASK) db upgrade
	RESTRAINT_ENV=production $(BIN)/gunicorn --config gunicorn.conf.py 'app:create_app()'

# The notifications worker: the daily overdue sweep, and the emails (when MAIL_SERVER is set).
worker: install
	$(FLASK) notifications send --loop

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) instance .pytest_cache
