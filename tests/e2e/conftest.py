"""One real stack (workers + router over mTLS + bridge) per session, on a background loop.

The backend is the llama.cpp engine with the packaged model. HELIXFLOW_E2E_BACKEND=fake
runs the benchmark-only fake engine instead, for bridge overhead work (then the
model-quality tests skip); CI never sets it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from bridge_testing.backend import backend_and_model
from bridge_testing.serve import LoopThread

from helixflow.stack.local import LocalStack, StackOptions


@contextlib.contextmanager
def running_stack(tmp_path_factory: pytest.TempPathFactory, *, auth: bool = False) -> Iterator[LocalStack]:
    """Workers + router + bridge on free loopback ports, on a background event loop."""
    backend, model_id = backend_and_model()
    options = StackOptions(
        backend=backend,
        model_id=model_id,
        router_port=0,
        bridge_port=0,
        certs_dir=Path(tmp_path_factory.mktemp("certs")),
        drain_grace_s=2.0,
        auth=auth,
    )
    loop = LoopThread()
    local = LocalStack(options)
    loop.run(local.start, timeout=180)
    try:
        yield local
    finally:
        loop.run(local.stop)
        loop.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory) as local:
        yield local


@pytest.fixture(scope="session")
def real_model(stack: LocalStack) -> bool:
    return stack.options.backend != "fake"


@pytest.fixture(scope="session")
def model(stack: LocalStack) -> str:
    return stack.options.model_id
