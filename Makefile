# Two entry points: `make demo` (the main job) and `make test` (the whole suite).
# Both create the virtual environment in .venv on first use; the main job installs
# only what it runs, the tests add their own tools (pytest, a browser driver, servers).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    := out

.PHONY: demo test clean

demo: $(VENV)/.installed-demo
	$(BIN)/kg build --out $(OUT)
	$(BIN)/kg export -o $(OUT)/gpu-kg.nt
	$(BIN)/kg export -o $(OUT)/gpu-kg.jsonld
	$(BIN)/kg queries --run-all --out $(OUT)/queries
	$(BIN)/kg charts --out $(OUT)/charts
	$(BIN)/kg views --out $(OUT)/views

test: $(VENV)/.installed-test
	$(BIN)/pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) $(OUT)
