"""One fake router + bridge per session, served from a background event loop."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from bridge_testing.fake_router import start_fake_router
from bridge_testing.serve import LoopThread, free_port, start_uvicorn, stop_uvicorn
from bridge_testing.stack import FakeStack

from helixflow.rest_bridge.app import create_app
from helixflow.rest_bridge.config import BridgeSettings


@pytest.fixture(scope="session")
def fake_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FakeStack]:
    loop = LoopThread()
    router, router_port, servicer = loop.run(start_fake_router)
    port = free_port()
    settings = BridgeSettings(
        router_address=f"127.0.0.1:{router_port}",
        port=port,
        max_body_bytes=64 * 1024,
        responses_db_path=tmp_path_factory.mktemp("responses") / "responses.sqlite3",
    )
    server, task = loop.run(lambda: start_uvicorn(create_app(settings), port))
    yield FakeStack(f"http://127.0.0.1:{port}", servicer, loop)
    loop.run(lambda: stop_uvicorn(server, task))
    loop.run(lambda: router.stop(None))
    loop.stop()


@pytest.fixture
def http(fake_stack: FakeStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fake_stack.base_url, timeout=30) as client:
        yield client
