"""Scheduling in the llama.cpp engine (priority classes, the batched greedy path), real model.

No timed thresholds: every assertion is about order (whose first token came first)
or about what a stream received, which a slow or noisy machine cannot change.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Callable
from functools import partial

import grpc
import pytest
import pytest_asyncio

from helixflow.common.grpc_server import CHANNEL_OPTIONS
from helixflow.common.tls import TlsFiles, channel_credentials
from helixflow.v1 import worker_pb2, worker_pb2_grpc
from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import (
    Delta,
    Finished,
    FinishReason,
    GenerationRequest,
    SamplingOptions,
    TextPrompt,
    TokenPrompt,
)
from helixflow.worker.server import create_server
from tests.conftest import tls_settings

pytestmark = pytest.mark.slow

LOW, NORMAL, HIGH = 1, 2, 3
LONG = 240  # prompt tokens: 15 prefill steps of 16 each


@pytest_asyncio.fixture(scope="module")
async def engine() -> AsyncIterator[LlamaCppEngine]:
    # Two slots and a small chunk, so a long prompt's prefill spans many decode steps.
    config = LlamaEngineConfig(
        n_ctx_per_seq=512,
        max_sequences=2,
        max_waiting=8,
        n_threads=2,
        prefill_chunk=16,
        step_budget_ms=0,
        embedding_ctx=0,
        priority_aging_s=0,  # strict priority: these tests are about order, not aging
    )
    eng = LlamaCppEngine(config)
    await eng.load()
    yield eng
    await eng.close()


class Log:
    """The order in which the engine's events reached the streams."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []  # (request id, "first" | "done")
        self.finished: dict[str, Finished] = {}

    def first(self, rid: str) -> int:
        return self.events.index((rid, "first"))

    def done(self, rid: str) -> int:
        return self.events.index((rid, "done"))

    async def run(self, engine: LlamaCppEngine, request: GenerationRequest) -> None:
        seen = False
        async for event in engine.generate(request):
            if isinstance(event, Delta) and event.token_ids and not seen:
                seen = True
                self.events.append((request.request_id, "first"))
            elif isinstance(event, Finished):
                self.events.append((request.request_id, "done"))
                self.finished[request.request_id] = event


def long_prompt(seed: int) -> TokenPrompt:
    rng = random.Random(seed)  # distinct prompts: no prefix reuse between them
    return TokenPrompt(tuple(rng.randrange(1000, 100000) for _ in range(LONG)))


def request(rid: str, prompt: TextPrompt | TokenPrompt, priority: int, max_tokens: int) -> GenerationRequest:
    sampling = SamplingOptions(temperature=0.0, max_tokens=max_tokens, ignore_eos=True)
    return GenerationRequest(rid, prompt, sampling, priority=priority)


async def until(predicate: Callable[[], bool]) -> None:
    """Yield to the event loop until ``predicate`` holds (what the engine did, not a time)."""
    for _ in range(1_000_000):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the engine never got there")


def waiting_at_least(engine: LlamaCppEngine, n: int) -> bool:
    return engine.load_report().waiting >= n


async def test_high_priority_short_requests_go_ahead_of_a_flood_of_low_priority_long_prompts(
    engine: LlamaCppEngine,
) -> None:
    log = Log()
    preempted_before = engine.load_report().preemptions
    lows = [f"flood-{i}" for i in range(4)]
    tasks = [asyncio.create_task(log.run(engine, request(r, long_prompt(i), LOW, 4))) for i, r in enumerate(lows)]
    # Both slots now prefill long LOW prompts and four more wait behind them.
    await until(lambda: engine.load_report().running == 2)
    highs = [f"high-{i}" for i in range(2)]
    tasks += [
        asyncio.create_task(log.run(engine, request(r, TextPrompt(f"Question {i}: what is 2+2?"), HIGH, 2)))
        for i, r in enumerate(highs)
    ]
    await asyncio.gather(*tasks)
    # Every HIGH request saw its first token before any LOW one did, although every LOW
    # was submitted first and two already held the slots: a prefill with no token yet is
    # preempted, and the queue is ordered by priority before age.
    assert max(log.first(h) for h in highs) < min(log.first(low) for low in lows)
    # Preempted work is redone, not lost: every LOW request still completes in full.
    for rid in lows:
        fin = log.finished[rid]
        assert fin.reason is FinishReason.LENGTH
        assert fin.usage.completion_tokens == 4
        assert fin.usage.prompt_tokens == LONG
    for rid in highs:
        assert log.finished[rid].reason is FinishReason.LENGTH
    assert engine.load_report().preemptions - preempted_before >= 1  # both slots held LOW prefills


async def test_a_preemption_shows_in_watch_load_and_the_worker_metric(
    engine: LlamaCppEngine, pki: dict[str, TlsFiles]
) -> None:
    settings = WorkerSettings(listen="127.0.0.1:0", tls=tls_settings(pki["worker"]), metrics_port=0, warmup=False)
    server, port = create_server(settings, engine=engine)
    await server.start()
    try:
        before = engine.load_report().preemptions
        log = Log()
        lows = [
            asyncio.create_task(log.run(engine, request(f"victim-{i}", long_prompt(10 + i), LOW, 1))) for i in range(2)
        ]
        await until(lambda: engine.load_report().running == 2)  # both slots prefill LOW prompts
        await log.run(engine, request("urgent", TextPrompt("Quick: 3+3?"), HIGH, 1))
        await asyncio.gather(*lows)
        creds = channel_credentials(pki["router"])
        async with grpc.aio.secure_channel(f"localhost:{port}", creds, options=CHANNEL_OPTIONS) as channel:
            call = worker_pb2_grpc.WorkerStub(channel).WatchLoad(worker_pb2.WatchLoadRequest(interval_ms=50))
            report = await call.read()
            call.cancel()
        assert isinstance(report, worker_pb2.WatchLoadResponse)
        assert report.preemptions >= before + 1
        scraped = server.metrics.registry.get_sample_value(
            "helixflow_worker_preemptions_total", {"model_name": settings.model_id}
        )
        assert scraped == report.preemptions
    finally:
        await server.stop(grace=0)


async def test_a_stream_already_producing_tokens_is_never_preempted(engine: LlamaCppEngine) -> None:
    log = Log()
    streams = [f"stream-{i}" for i in range(2)]
    tasks = [
        asyncio.create_task(log.run(engine, request(r, TextPrompt(f"Story {i}: once upon a time"), LOW, 48)))
        for i, r in enumerate(streams)
    ]
    await until(lambda: all((r, "first") in log.events for r in streams))
    tasks.append(asyncio.create_task(log.run(engine, request("vip", TextPrompt("Quick: 1+1?"), HIGH, 2))))
    await asyncio.gather(*tasks)
    for rid in streams:  # both streams ran to their full length, uncut
        fin = log.finished[rid]
        assert fin.reason is FinishReason.LENGTH
        assert fin.usage.completion_tokens == 48
    # The HIGH request had to wait for a slot that a finished stream gave back.
    assert log.first("vip") > min(log.done(r) for r in streams)


async def test_waiting_requests_are_admitted_by_priority_then_age(engine: LlamaCppEngine) -> None:
    log = Log()
    holders = [f"holder-{i}" for i in range(2)]
    tasks = [
        asyncio.create_task(log.run(engine, request(r, TextPrompt(f"List {i}: apples, pears"), NORMAL, 24)))
        for i, r in enumerate(holders)
    ]
    await until(lambda: all((r, "first") in log.events for r in holders))
    queued = [("low-old", LOW), ("normal-old", NORMAL), ("low-young", LOW), ("high", HIGH), ("normal-young", NORMAL)]
    for rid, priority in queued:  # submitted in this order while both slots stream
        tasks.append(asyncio.create_task(log.run(engine, request(rid, TextPrompt(f"{rid}: hello"), priority, 2))))
        await until(partial(waiting_at_least, engine, len(tasks) - len(holders)))
    await asyncio.gather(*tasks)
    order = sorted((rid for rid, _ in queued), key=log.first)
    assert order == ["high", "normal-old", "normal-young", "low-old", "low-young"]


def test_the_wire_priority_reaches_the_engine_request() -> None:
    from helixflow.v1 import common_pb2, inference_pb2
    from helixflow.worker.convert import generation_request

    for wire, domain in ((common_pb2.PRIORITY_UNSPECIFIED, NORMAL), (common_pb2.PRIORITY_LOW, LOW), (3, HIGH)):
        pb = inference_pb2.GenerateRequest(request_id="r", prompt="hi", priority=wire)  # type: ignore[arg-type]
        assert generation_request(pb).priority == domain


async def test_batched_greedy_picks_the_same_tokens_as_the_sampler_chain(engine: LlamaCppEngine) -> None:
    # logprobs=True keeps a request on llama.cpp's own sampler chain; without it, a plain
    # greedy request takes the runner's numpy argmax. Both must give the same tokens, also
    # with EOS banned (ignore_eos). One-token prompts, one request at a time: every step's
    # batch is then the same in both runs (llama.cpp's kernels are not batch-invariant, so
    # different batches may break near-ties differently).
    async def tokens(rid: str, prompt: tuple[int, ...], logprobs: bool) -> list[int]:
        sampling = SamplingOptions(temperature=0.0, max_tokens=24, ignore_eos=True, logprobs=logprobs)
        out: list[int] = []
        async for event in engine.generate(GenerationRequest(rid, TokenPrompt(prompt), sampling)):
            if isinstance(event, Delta):
                out += event.token_ids
        return out

    for i, prompt in enumerate([(2,), (818,), (1437,)]):
        fast = await tokens(f"fast-{i}", prompt, logprobs=False)
        assert fast == await tokens(f"chain-{i}", prompt, logprobs=True)
        assert len(fast) == 24


AGING_S = 0.25


@pytest_asyncio.fixture(scope="module")
async def aging_engine() -> AsyncIterator[LlamaCppEngine]:
    # One slot and a short aging period, so a waiting class rises within the test.
    config = LlamaEngineConfig(
        n_ctx_per_seq=512, max_sequences=1, max_waiting=8, n_threads=2, embedding_ctx=0, priority_aging_s=AGING_S
    )
    eng = LlamaCppEngine(config)
    await eng.load()
    yield eng
    await eng.close()


async def test_a_low_request_that_waited_long_enough_goes_before_a_newer_high_one(
    aging_engine: LlamaCppEngine,
) -> None:
    engine, log = aging_engine, Log()
    tasks = [asyncio.create_task(log.run(engine, request("holder", TextPrompt("Count: one, two"), NORMAL, 160)))]
    await until(lambda: ("holder", "first") in log.events)  # the only slot streams: nothing is preempted
    tasks.append(asyncio.create_task(log.run(engine, request("low-old", TextPrompt("low: hello"), LOW, 2))))
    await until(partial(waiting_at_least, engine, 1))
    # Two aging periods and more: LOW has risen to HIGH, the class of the newcomer below.
    await asyncio.sleep(3 * AGING_S)
    tasks.append(asyncio.create_task(log.run(engine, request("high-new", TextPrompt("high: hello"), HIGH, 2))))
    await until(partial(waiting_at_least, engine, 2))
    assert ("holder", "done") not in log.events, "the holder ended before both waited: make it longer"
    await asyncio.gather(*tasks)
    # Strict priority would serve "high-new" first (test_waiting_requests_are_admitted_by_priority_then_age);
    # aged, the LOW request ties with it on class and wins on age.
    assert log.first("low-old") < log.first("high-new")
