"""The "Done when" spread check with the real llama.cpp engine, once that backend exists.

Skipped until ``helixflow.worker.backends.llama_cpp`` lands; written against the
documented WorkerSettings (backend="llama_cpp", packaged Gemma 3 270M).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from helixflow.common.tls import TlsFiles
from helixflow.v1 import common_pb2, inference_pb2
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import create_server as create_worker
from tests.router.conftest import router, tls_settings
from tests.router.test_router import collect

pytestmark = pytest.mark.slow


@asynccontextmanager
async def llama_worker(pki: dict[str, TlsFiles]) -> AsyncIterator[str]:
    pytest.importorskip("helixflow.worker.backends.llama_cpp")
    settings = WorkerSettings.model_validate(
        {
            "listen": "127.0.0.1:0",
            "tls": tls_settings(pki["worker"]),
            "backend": "llama_cpp",
            "max_sequences": 4,
            "context_per_sequence": 512,
            "n_threads": 1,
            "metrics_port": 0,
        }
    )
    server, port = create_worker(settings)
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def test_real_model_requests_spread_over_two_workers(pki: dict[str, TlsFiles]) -> None:
    async with (
        llama_worker(pki) as wa,
        llama_worker(pki) as wb,
        router(pki, [wa, wb], policy="least_load") as (rs, stub),
    ):
        sampling = common_pb2.SamplingParams(max_tokens=4, temperature=0.0)
        requests = [inference_pb2.GenerateRequest(prompt=f"Count to {i}:", sampling=sampling) for i in range(6)]
        results = await asyncio.gather(*(collect(stub, q) for q in requests))
        assert all(r[-1].HasField("complete") for r in results)
        assert all(w.served > 0 for w in rs.pool.workers.values())
