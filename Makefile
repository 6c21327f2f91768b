# Two entry points: `make demo` (the main job) and `make test` (the whole suite).
# Both create the virtual environment in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
OUT    := out

.PHONY: demo test clean

demo: $(STAMP)
	$(BIN)/kg build --out $(OUT)
	$(BIN)/kg export -o $(OUT)/gpu-kg.nt
	$(BIN)/kg export -o $(OUT)/gpu-kg.jsonld
	$(BIN)/kg queries --run-all --out $(OUT)/queries
	$(BIN)/kg charts --out $(OUT)/charts
	$(BIN)/kg views --out $(OUT)/views

test: $(STAMP)
	$(BIN)/pytest

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) $(OUT)
