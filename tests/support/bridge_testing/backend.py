"""Which engine the end-to-end tests run: the real llama.cpp model when installed."""

from __future__ import annotations

import importlib.util
import os

from helixflow.worker.config import Backend


def backend_and_model() -> tuple[Backend, str]:
    """llama.cpp with the packaged Gemma model, else the fake engine; HELIXFLOW_E2E_BACKEND forces one."""
    forced = os.environ.get("HELIXFLOW_E2E_BACKEND")
    if forced == "fake":
        return "fake", "fake"
    has_llama = importlib.util.find_spec("helixflow.worker.backends.llama_cpp") is not None
    if forced == "llama_cpp" or has_llama:
        return "llama_cpp", "gemma-3-270m"
    return "fake", "fake"
