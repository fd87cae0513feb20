# Everything a user or CI needs, from a fresh clone:
#   make run    set up, build the index over seeds/ if needed, start the web chat
#   make test   set up (with test tools and Chromium) and run every test
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is installed first, pinned, so that nothing pulls a multi-GB CUDA build.
# Where the CPU build is not the default, pass the index that serves it:
#   make run TORCH_ARGS="--index-url <your CPU wheel index>"
TORCH ?= torch==2.13.0
TORCH_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: setup setup-test browser index run serve test lint check bench eval clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(TORCH) $(TORCH_ARGS)
	$(BIN)/pip install -q -e .
	touch $@

setup-test: $(VENV)/.installed-test browser

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# Debian's Chromium drives the browser tests; no browser is downloaded.
browser:
	@test -x /usr/bin/chromium || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The index is rebuilt when seeds/ no longer matches it (compared by content:
# file times after a git checkout say nothing); unchanged texts keep their vectors.
index: setup
	$(BIN)/rag index info --check >/dev/null 2>&1 || $(BIN)/rag index build

run: index
	$(BIN)/rag serve --host $(HOST) --port $(PORT)

serve: run

lint: setup-test
	$(BIN)/ruff check rag ui tests benchmarks
	$(BIN)/ruff format --check rag ui tests benchmarks
	$(BIN)/mypy

test: setup-test lint
	$(BIN)/pytest

bench: setup-test index
	$(BIN)/python benchmarks/bench_pipeline.py

eval: index
	$(BIN)/rag eval

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
