# Entry point of the workbench. `make help` lists the targets.
PYTHON  ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
KERNEL  := community-workbench
DEFAULT := data/processed/default
DATA    ?= $(DEFAULT)
STAMP   := $(VENV)/.installed
TESTED  := $(VENV)/.test-installed

.DEFAULT_GOAL := help
.PHONY: help venv data reports slides test test-fast lint bench calibrate lab validate clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) (set PYTHON=...)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Community workbench"
	touch $(STAMP)

venv: $(STAMP) ## Build .venv from pyproject.toml + constraints.txt and register its Jupyter kernel

$(TESTED): $(STAMP) # the test extra: pytest, playwright, ruff, import-linter
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]"
	touch $(TESTED)

# The default dataset: 800 synthetic groups over 12 months with planted effects (truth.json).
# The generator writes beside the target and moves it in when complete; then it is validated.
GROUPS ?= 800
SEED   ?= 1
MONTHS ?= 12
$(DEFAULT)/.complete: $(STAMP) $(wildcard src/helpers/synth/*.py)
	$(BIN)/python -m helpers.synth --replace --out $(DEFAULT) --groups $(GROUPS) --seed $(SEED) --months $(MONTHS)
	$(BIN)/python -m helpers validate $(DEFAULT) > /dev/null
	touch $@

data: $(DEFAULT)/.complete ## Generate the default synthetic dataset (+ truth.json) under data/processed/default

reports: $(STAMP) $(if $(filter $(DEFAULT),$(DATA)),$(DEFAULT)/.complete) ## Run the batch in reports.yml on DATA (default dataset); reports/index.html
	$(BIN)/python -m helpers.reporting.batch --config reports.yml --data $(DATA)

slides: $(STAMP) ## Review slides (reveal.js, offline) from the last `make reports`: reports/slides/
	$(BIN)/python -m helpers.reporting.slides --reports reports

validate: $(STAMP) ## Validate a dataset directory: make validate DATA=path
	$(BIN)/python -m helpers validate $(DATA)

CHROMIUM := /usr/bin/chromium-headless-shell
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)
$(CHROMIUM): # Debian's headless Chromium for the browser tests, no desktop packages (Playwright drives it)
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium-headless-shell

JAVA := /usr/bin/java
$(JAVA): # A Java runtime for the Spark parity test (pyspark runs Spark in a local JVM)
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless

lint: $(TESTED) ## ruff (lint and format check) and the package's layer contract (import-linter)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/lint-imports

test: lint $(CHROMIUM) $(JAVA) ## Lint, then every test: unit, slow, browser, spark, lab (installs chromium and Java if missing)
	$(BIN)/python -m pytest -q

test-fast: $(TESTED) ## The unit tests only (no notebooks, full-size worlds, browser, Spark or JupyterLab)
	$(BIN)/python -m pytest -q -m "not slow and not browser and not spark and not lab"

CAL_WORLDS ?= 200
CAL_GROUPS ?= 80
CAL_MONTHS ?= 9
CAL_THRESHOLD_WORLDS ?= 120
CAL_OPERATIONS_WORLDS ?= 60
calibrate: $(STAMP) ## Every verdict's error rates on 200 drawn worlds, plus the threshold check (about 40 min on 2 cores): benchmarks/calibration.json
	$(BIN)/python -m helpers.calibrate --worlds $(CAL_WORLDS) --groups $(CAL_GROUPS) --months $(CAL_MONTHS) --seed 1 \
		--threshold-worlds $(CAL_THRESHOLD_WORLDS) --operations-worlds $(CAL_OPERATIONS_WORLDS)

# The scale dataset: 17,000 groups, 101 million messages (bench.py generates it the same way if missing).
BENCH := data/processed/bench_17000
$(BENCH)/.complete: $(STAMP) $(wildcard src/helpers/synth/*.py)
	rm -f $@ && $(BIN)/python -c "import sys; sys.path.insert(0, 'benchmarks'); import bench; bench.dataset(17000)"

bench: $(TESTED) $(JAVA) $(BENCH)/.complete ## Scale runs (about an hour): the suite at 100M messages raced against pandas, Polars and DuckDB SQL, a Spark cluster, the studies at 10,000 groups, the main job timed; benchmarks/
	$(BIN)/python benchmarks/bench_synth.py
	$(BIN)/python benchmarks/bench_ingest.py
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/bench_cluster.py
	$(BIN)/python -c "import sys; sys.path.insert(0, 'benchmarks'); import bench; bench.dataset(10000)"
	$(BIN)/python benchmarks/bench_studies.py data/processed/bench_10000
	$(MAKE) data
	$(BIN)/python benchmarks/bench_redraw.py --data $(DEFAULT)
	$(BIN)/python benchmarks/bench_reports.py

lab: $(STAMP) ## Start JupyterLab on localhost (token auth on)
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean: ## Remove the venv, generated data and reports
	rm -rf $(VENV) build data/processed/* reports/*/ reports/index.html
