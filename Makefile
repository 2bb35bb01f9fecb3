# CollectGuard task runner. `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SHARED ?= ../shared
BENCH  ?= --quick
# Type-checked (mypy): the rulebook, the gate, the ledger, the registry and every domain package.
TYPED  := $(addprefix src/collectguard/,rulebook gate ledger registry agencies collectors tools templates debts monitoring oversight public notices users complaints incidents retention replay plan)

.DEFAULT_GOAL := help
.PHONY: help install run scenarios test test-sqlite lint bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/collectguard: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $@

install: $(BIN)/collectguard ## Create .venv and install CollectGuard with its dev tools

run: install ## Main job: build the synthetic demo world on SQLite and serve the API (prints a key per role)
	$(BIN)/collectguard demo

scenarios: install ## Run the rulebook's scenario files on the embedded default (SQLite)
	$(BIN)/collectguard scenario run $(wildcard $(SHARED)/scenarios/examples) tests/scenarios

test: install ## The whole suite: lint, import contracts, pytest on SQLite and PostgreSQL
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy $(TYPED)
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

test-sqlite: install ## Tests on SQLite only (no PostgreSQL needed)
	$(BIN)/python -m pytest -q -m "not postgres"

lint: install ## ruff, the import contracts and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/mypy $(TYPED)

bench: install ## Benchmarks, quick form (make bench BENCH=--json; BENCH= for the full ≤20-minute run)
	$(BIN)/python -m bench $(BENCH)

clean: ## Remove the virtualenv and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis
