"""Worker -> router -> bridge on the test's event loop, for observability plumbing.

The worker runs the benchmark-only fake engine: these tests check logs and
traces crossing the services, where model output is irrelevant. The bridge app
is driven in-process through httpx's ASGI transport.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from helixflow.common.tls import TlsFiles
from helixflow.rest_bridge.app import create_app
from helixflow.rest_bridge.config import BridgeSettings
from tests.router.conftest import CountingEngine, router, worker


@asynccontextmanager
async def http_stack(pki: dict[str, TlsFiles], **router_overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        worker(pki, CountingEngine()) as (_, addr),
        router(pki, [addr], **router_overrides) as (rs, _),
    ):
        app = create_app(BridgeSettings(router_address=f"127.0.0.1:{rs.port}"))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bridge") as client,
        ):
            yield client


COMPLETION = {"model": "fake", "prompt": "hello there", "max_tokens": 3}
