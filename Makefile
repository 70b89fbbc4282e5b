# Entry point of the workbench. `make help` lists the targets.
PYTHON  ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
KERNEL  := community-workbench
DEFAULT := data/processed/default
DATA    ?= $(DEFAULT)
STAMP   := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help venv data reports test lab validate clean

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

# Until the synthetic generator lands, the default dataset is the small test fixture.
# Built beside its final place, validated, then moved in: never left half-written.
$(DEFAULT)/.complete: $(STAMP) $(wildcard tests/data/good/*.csv)
	rm -rf $(DEFAULT).tmp && mkdir -p $(dir $(DEFAULT))
	cp -r tests/data/good $(DEFAULT).tmp
	$(BIN)/python -m helpers validate $(DEFAULT).tmp > /dev/null
	rm -rf $(DEFAULT) && mv $(DEFAULT).tmp $(DEFAULT) && touch $@

data: $(DEFAULT)/.complete ## Build the default dataset under data/processed/default

reports: $(STAMP) $(if $(filter $(DEFAULT),$(DATA)),$(DEFAULT)/.complete) ## Run every notebook on DATA (default dataset); HTML under reports/
	$(BIN)/python -m helpers.report --data $(DATA) --kernel $(KERNEL)

validate: $(STAMP) ## Validate a dataset directory: make validate DATA=path
	$(BIN)/python -m helpers validate $(DATA)

test: $(STAMP) ## Run the test suite
	$(BIN)/python -m pytest -q

lab: $(STAMP) ## Start JupyterLab on localhost (token auth on)
	$(BIN)/jupyter lab --ip=127.0.0.1 --no-browser --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean: ## Remove the venv, generated data and reports
	rm -rf $(VENV) data/processed/* reports/*/ reports/index.html
