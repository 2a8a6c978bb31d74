# Two commands on a fresh machine: `make run` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8501

.PHONY: install run test lint bench demo screenshots clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# the demo store lives in the checkout (git-ignored), not in the user's data folder
DEMO_DB ?= sqlite:///$(CURDIR)/data/sanwei.db

# the demo switch: an empty store gets the demo quarters and one-click demo accounts for every role
run: install
	SANWEI_DEMO=1 SANWEI_DATABASE_URL=$${SANWEI_DATABASE_URL:-$(DEMO_DB)} $(VENV)/bin/streamlit run app.py --server.port $(PORT)

test: install
	$(PY) -m pytest -n 3

# refresh the README's screenshots from a browser run (make test writes them to a temporary folder)
screenshots: install
	SANWEI_SCREENSHOTS=1 $(PY) -m pytest tests/e2e -q

lint: install
	$(VENV)/bin/ruff check scoring tests bench app.py ui app_pages

bench: install
	$(PY) bench/import --quick
	$(PY) bench/store --quick
	$(PY) bench/sensitivity
	$(PY) bench/dashboard
	$(PY) bench/load

demo: install
	$(PY) -m scoring demo --out data/demo

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
