# The two set-up commands of the README:  `make demo`  and  `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint bench mutation install clean

# The pip a venv comes with (Python 3.11+) installs editable projects: no upgrade, no
# round trip to the index for it (make demo stays well under 30 s from a fresh clone).
$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-%: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[$*]"
	touch $@

install: $(VENV)/.installed-dev

## Start the AWS IAM Identity Center sandbox, validate, plan, apply and plan again the example org.
demo: $(VENV)/.installed-sandbox
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo.sh

## Run the whole test suite (unit and integration against real SCIM servers).
test: $(VENV)/.installed-dev
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.installed-dev
	$(BIN)/python bench/bench.py $(ARGS)

## Break the safety rules one change at a time (mutmut, in a copy under build/mutation) and
## write bench/MUTATION.md; ARGS=--head mutates the last commit instead of the work tree.
mutation: $(VENV)/.installed-dev $(VENV)/.installed-mutation
	$(BIN)/python bench/mutation.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
