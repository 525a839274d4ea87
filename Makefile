# Two entry points: `make run` (the chat UI on the bundled corpus) and `make test`.
# Each sets up what it needs: a .venv with the pinned packages (CPU torch, no CUDA).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
# llama.cpp (for the LLM mode's tests) compiles from source; without these flags its default
# build emits AVX-512/AMX code that crashes on CPUs or VMs without it (../shared MODELS.md).
LLAMA_CMAKE := -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
	-DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF

PIP := $(BIN)/pip install --quiet --disable-pip-version-check
# uv installs the same pins in seconds where pip takes minutes (10 s vs about 3 min here):
# it is installed into the venv from the same index, told pip's configuration
# (tools/uv_flags.py), and pip does the work if any of that fails.
UV_INSTALL = ($(PIP) uv && $(BIN)/uv pip install --python $(BIN)/python \
	$$($(BIN)/python tools/uv_flags.py) $(1)) || $(PIP) $(1)

CHROMIUM := /usr/bin/chromium
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test test-fast index eval lint install clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(call UV_INSTALL,-e .)
	@touch $(STAMP)

# The tests need the dev tools too (the first time, llama.cpp builds: about 10 minutes; pip
# keeps that wheel in its cache, so pip installs these).
$(DEV_STAMP): $(STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
		$(PIP) -e ".[dev]"
	@touch $(DEV_STAMP)

install: $(DEV_STAMP)

# The browser tests drive Debian's chromium through Playwright (never `playwright install`).
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium chromium-driver

run: $(STAMP)  ## index the bundled corpus if needed, then serve the chat UI on 127.0.0.1:7860
	$(BIN)/python -m assistant serve

index: $(STAMP)
	$(BIN)/python -m assistant index

# The tests run on 2 workers, each file on one (module fixtures stay shared): most of the
# suite waits on subprocesses, servers and the browser, so 2 cores give 1.5x (15 -> 10 min).
test: $(DEV_STAMP) $(CHROMIUM)  ## lint, the layer contract, the quality gate on the seed test set, then every test
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m assistant eval --store .store-eval --baseline eval/baseline.json \
		--json out/eval/results.json --report out/eval
	$(BIN)/python -m pytest -n 2 --dist loadfile

eval: $(STAMP)  ## the seed test set with its HTML report in out/eval
	$(BIN)/python -m assistant eval --store .store-eval --report out/eval --json out/eval/results.json

test-fast: $(DEV_STAMP)
	$(BIN)/python -m pytest -m "not slow and not e2e and not browser"

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf .store .store-eval out .pytest_cache
