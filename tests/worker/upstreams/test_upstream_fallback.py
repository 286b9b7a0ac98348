"""A fallback chain from a local worker to an upstream: the local worker's process is
killed while the request waits on it, and a real llama-server behind an ``openai``
worker answers instead, priced at the upstream's price."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import pytest

from helixflow.common.tls import TlsFiles
from helixflow.v1 import admin_pb2, admin_pb2_grpc, inference_pb2
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import create_server
from helixflow.worker.upstream_settings import UpstreamSettings
from tests.conftest import tls_settings
from tests.router.conftest import WorkerProcess, router, wait_for

PRICING = {"local": {"prompt": 100.0, "completion": 100.0}, "gemma-remote": {"prompt": 1.0, "completion": 2.0}}


async def test_chain_falls_from_a_killed_local_worker_to_a_llama_server_upstream(
    pki: dict[str, TlsFiles], llama_url: str, upstream_key_file: Path
) -> None:
    local = WorkerProcess(pki["worker"].ca_file.parent, 0, 30.0, "local")  # its first token would take 30 s
    settings = WorkerSettings(
        listen="127.0.0.1:0",
        tls=tls_settings(pki["worker"]),
        backend="openai",
        model_id="gemma-remote",
        metrics_port=0,
        upstream=UpstreamSettings(base_url=f"{llama_url}/v1", api_key_file=upstream_key_file),
    )
    upstream, port = create_server(settings)
    await upstream.start()
    chain = {"smart": ["local", "gemma-remote"]}
    try:
        async with router(pki, [local.address, f"127.0.0.1:{port}"], fallbacks=chain, pricing=PRICING) as (rs, stub):
            request = inference_pb2.GenerateRequest(model="smart", prompt="The capital of France is")
            request.sampling.max_tokens = 5
            request.sampling.temperature = 0.0
            request.sampling.ignore_eos = True
            pending = asyncio.create_task(_collect(stub.Generate(request)))
            await wait_for(lambda: rs.pool.workers[local.address].inflight == 1)
            local.kill()
            replies = await pending
            complete = replies[-1].complete
            assert complete.usage.completion_tokens == 5
            assert "".join(r.delta.text for r in replies[:-1]).strip()

            async with grpc.aio.insecure_channel(f"127.0.0.1:{rs.port}") as channel:
                admin = admin_pb2_grpc.AdminStub(channel)
                ranged = admin_pb2.GetUsageRequest(model="smart")
                ranged.start_time.FromSeconds(int(time.time()) - 600)
                cost = 0.0
                for _ in range(200):  # the bucket is written just after the reply went out
                    cost = sum(b.cost_usd for b in (await admin.GetUsage(ranged)).buckets)
                    if cost:
                        break
                    await asyncio.sleep(0.05)
            usage = complete.usage
            # Priced at the target that answered, not the chain's first one.
            assert cost == pytest.approx((usage.prompt_tokens * 1.0 + usage.completion_tokens * 2.0) / 1e6)
    finally:
        await upstream.stop(0)
        if local.proc.poll() is None:
            local.kill()


async def _collect(
    call: grpc.aio.UnaryStreamCall[inference_pb2.GenerateRequest, inference_pb2.GenerateResponse],
) -> list[inference_pb2.GenerateResponse]:
    return [r async for r in call]
