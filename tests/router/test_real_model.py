"""The router over two real llama.cpp workers (packaged Gemma 3 270M, real mTLS)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from helixflow.common.tls import TlsFiles
from helixflow.v1 import common_pb2, inference_pb2
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import create_server as create_worker
from tests.conftest import tls_settings
from tests.router.conftest import router, wait_for
from tests.router.test_router import collect

pytestmark = pytest.mark.slow


@asynccontextmanager
async def llama_worker(pki: dict[str, TlsFiles], **overrides: object) -> AsyncIterator[str]:
    settings = WorkerSettings.model_validate(
        {
            **overrides,
            "listen": "127.0.0.1:0",
            "tls": tls_settings(pki["worker"]),
            "backend": "llama_cpp",
            "max_sequences": 4,
            "context_per_sequence": 512,
            "llama": {"n_threads": 1},
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


async def test_prefix_affinity_turns_a_shared_system_prompt_into_cache_hits(pki: dict[str, TlsFiles]) -> None:
    async with (
        llama_worker(pki) as wa,
        llama_worker(pki) as wb,
        router(pki, [wa, wb], policy="prefix_affinity") as (rs, stub),
    ):
        await wait_for(lambda: len(rs.pool.routable()) == 2)
        sampling = common_pb2.SamplingParams(max_tokens=2, temperature=0.0)
        for group in range(3):
            system = f"You are assistant {group} of the support desk. " + "Answer briefly and politely. " * 40
            usages = []
            for question in range(3):  # one at a time: load never outweighs affinity
                messages = common_pb2.ChatMessages(
                    messages=[
                        common_pb2.ChatMessage(role=common_pb2.ROLE_SYSTEM, content=system),
                        common_pb2.ChatMessage(role=common_pb2.ROLE_USER, content=f"Question {question}?"),
                    ]
                )
                reply = await collect(stub, inference_pb2.GenerateRequest(messages=messages, sampling=sampling))
                usages.append(reply[-1].complete.usage)
            assert usages[0].prompt_tokens > 200
            # Every later request of the group found the system prompt in its worker's KV cache.
            for usage in usages[1:]:
                assert usage.cached_tokens > 0.9 * usage.prompt_tokens


Read = tuple[str, list[int], list[tuple[int, float, int]], tuple[int, int] | None, int]


async def _read_slowly(stub: object, request: inference_pb2.GenerateRequest, pause_s: float) -> Read:
    text, messages = "", 0
    ids: list[int] = []
    logprobs: list[tuple[int, float, int]] = []
    usage: tuple[int, int] | None = None
    async for reply in stub.Generate(request):  # type: ignore[attr-defined]
        messages += 1
        if reply.HasField("delta"):
            text += reply.delta.text
            ids.extend(reply.delta.token_ids)
            logprobs.extend((lp.token_id, round(lp.logprob, 4), len(lp.top)) for lp in reply.delta.logprobs)
        else:
            usage = (reply.complete.usage.prompt_tokens, reply.complete.usage.completion_tokens)
        await asyncio.sleep(pause_s)
    return text, ids, logprobs, usage, messages


async def test_the_worker_interval_keeps_a_real_models_text_ids_logprobs_and_usage(pki: dict[str, TlsFiles]) -> None:
    """Greedy decoding on two identical workers, one merging its deltas (stream_interval_ms=250)
    for a slow reader: the same text, token ids, logprobs and usage as one delta per token."""
    sampling = common_pb2.SamplingParams(max_tokens=24, temperature=0.0, ignore_eos=True, logprobs=True, top_logprobs=2)
    request = inference_pb2.GenerateRequest(prompt="The capital of France is", sampling=sampling)
    async with llama_worker(pki) as plain, router(pki, [plain]) as (_, stub):
        fast = await _read_slowly(stub, request, 0.0)
    async with llama_worker(pki, stream_interval_ms=250) as paced, router(pki, [paced]) as (_, stub):
        slow = await _read_slowly(stub, request, 0.05)
    assert fast[4] == 25  # one message per token, then the Complete
    assert fast[:4] == slow[:4]
    assert len(fast[1]) == 24
    assert len(fast[2]) == 24
    assert slow[4] <= 25
