# lscb: `make demo` sets everything up and writes a pack from synthetic data; `make test` tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DEMO   := reports/demo

.DEFAULT_GOAL := help
.PHONY: help install demo data run notebooks test test-fast bench bench-national bench-floor lint clean

help: ## Show the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/lscb: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

install: $(BIN)/lscb ## Create .venv and install lscb with its test tools

data/raw/.generated: $(BIN)/lscb
	$(BIN)/lscb generate --raw data/raw --reference data/reference
	@touch $@

data: data/raw/.generated ## Generate the synthetic demo council and synthetic DfE reference files

run: data ## Run the pipeline on data/raw (the settings in lscb.toml)
	$(BIN)/lscb run --out $(DEMO)

notebooks: install ## Execute the analysts' notebooks against the warehouse into reports/demo/notebooks
	$(BIN)/lscb notebooks --out $(DEMO)

demo: run notebooks ## Set up, generate the synthetic council, run the pipeline, write the pack
	@echo "Demo pack written to $(DEMO):" && ls -1 $(DEMO) | sed 's|^|  $(DEMO)/|'

test: install ## Run the tests (those needing ../shared or Chromium skip outside CI)
	$(BIN)/python -m pytest

test-fast: install ## Run the tests except the slow end-to-end ones
	$(BIN)/python -m pytest -m "not slow"

bench: install ## Measure speed and memory (demo council, 10 years, the liiatools peer); prints a table
	$(BIN)/python benchmarks/bench.py --scale demo --scale decade --scale peer

bench-national: install ## The national-scale set (150 councils over 5 years, 69 M rows: ~9 min to generate, ~11 to measure)
	$(BIN)/python benchmarks/bench.py --scale national

bench-floor: install ## What this machine allows on the national set with no checks at all (a floor)
	$(BIN)/python benchmarks/floor.py

lint: install ## Lint Python with ruff
	$(BIN)/python -m pip install --quiet "ruff>=0.5" && $(BIN)/ruff check pipeline tests benchmarks

clean: ## Remove generated data, the warehouse and reports (keeps .venv)
	rm -rf data/raw/* data/raw/.generated data/processed/* data/reference reports/* .bench
	@touch data/raw/.gitkeep data/processed/.gitkeep reports/.gitkeep
