"""Engine backends. Each is one module; ``make_engine`` picks one by name.

Modules are imported only when chosen, so a worker loads just the engine it
runs (vLLM pulls in torch). A new backend is one module plus one line here.
"""

from __future__ import annotations

import importlib
from typing import cast

from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import Engine

BACKENDS = {
    "llama_cpp": "helixflow.worker.backends.llama_cpp:LlamaCppEngine",
    "vllm": "helixflow.worker.backends.vllm:VllmEngine",
    "openai": "helixflow.worker.backends.openai_compat:OpenAIEngine",
    "anthropic": "helixflow.worker.backends.anthropic_messages:AnthropicEngine",
    "fake": "helixflow.worker.backends.fake:FakeEngine",
}


def make_engine(settings: WorkerSettings) -> Engine:
    """Build (not load) the engine the settings name, via its ``from_worker_settings``."""
    module_name, _, class_name = BACKENDS[settings.backend].partition(":")
    engine_class = getattr(importlib.import_module(module_name), class_name)
    return cast(Engine, engine_class.from_worker_settings(settings))
