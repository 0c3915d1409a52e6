# `make demo`, `make test` and `make docs` work on a fresh clone: each creates (or reuses) .venv and
# installs what it needs first. `make docs` builds the documentation (docs/, mkdocs.yml) into site/;
# `make test` builds it too, strictly, so a broken link or anchor fails the tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test soak docs lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(INSTALLED): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(INSTALLED)
	$(BIN)/picscore demo --workdir demo-output

test: $(INSTALLED) docs
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/python -m pytest

# The robustness checks at the size the issue asks for (20 kills of each job, a 5-minute server load): about 10 minutes.
soak: $(INSTALLED)
	PICSCORE_SOAK=1 $(BIN)/python -m pytest tests/robustness

docs: $(INSTALLED)
	$(BIN)/mkdocs build --strict --quiet --site-dir site

format: $(INSTALLED)
	$(BIN)/ruff check --fix src tests bench tools
	$(BIN)/ruff format src tests bench tools

bench: $(INSTALLED)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/index_speed.py

clean:
	rm -rf $(VENV) demo-output site .pytest_cache .ruff_cache
