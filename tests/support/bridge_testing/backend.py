"""Which engine the end-to-end tests run: the real llama.cpp model, always in CI."""

from __future__ import annotations

import os

from helixflow.worker.config import Backend


def backend_and_model() -> tuple[Backend, str]:
    """llama.cpp with the packaged Gemma model; HELIXFLOW_E2E_BACKEND=fake runs the
    benchmark-only fake engine instead (for bridge overhead work, never in CI)."""
    if os.environ.get("HELIXFLOW_E2E_BACKEND") == "fake":
        return "fake", "fake"
    return "llama_cpp", "gemma-3-270m"
