# Entry points: `make demo` (the main job), `make serve` (the web app over what it built)
# and `make test` (the whole suite). Each creates the virtual environment in .venv on
# first use; the main job installs only what it runs, the web app adds its server, the
# tests add their own tools (pytest, a browser driver, servers).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
OUT    := out
PORT   := 8711

.PHONY: demo serve test clean

demo: $(VENV)/.installed-demo
	$(BIN)/kg build --out $(OUT)
	$(BIN)/kg export -o $(OUT)/gpu-kg.nt
	$(BIN)/kg export -o $(OUT)/gpu-kg.jsonld
	$(BIN)/kg queries --run-all --out $(OUT)/queries
	$(BIN)/kg charts --out $(OUT)/charts
	$(BIN)/kg views --out $(OUT)/views
	@echo
	@echo "Done: $(OUT)/ holds the graph, each saved query's answer, the charts and the network views."
	@echo "Next:"
	@echo "  open $(OUT)/views/index.html and $(OUT)/charts/index.html in a browser"
	@echo "  make serve                        # the web app at http://127.0.0.1:8711/ (Ctrl-C to stop)"
	@echo "  $(BIN)/kg query listing-race   # a saved query; $(BIN)/kg queries lists them all"
	@echo "  . $(BIN)/activate              # then type kg ... without $(BIN)/ (kg --help: every command)"

# The web app over the graph of facts/ at http://127.0.0.1:$(PORT)/ (Ctrl-C to stop).
serve: $(VENV)/.installed-serve
	$(BIN)/kg serve --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/pytest

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-demo: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-serve: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[serve]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

clean:
	rm -rf $(VENV) $(OUT)
