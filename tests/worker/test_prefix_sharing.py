"""Prefix reuse across slots in the llama.cpp scheduler, on the real default model.

- a new request copies the prefix a RUNNING sequence has decoded (a KV stream copy)
  and still produces exactly what it produces without any cache;
- idle caches are evicted least recently used first;
- prefill budget goes to the sequence closest to its first token.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.backends.llama_plan import MIN_COPY_GAIN
from helixflow.worker.engine import Delta, Event, Finished, GenerationRequest, SamplingOptions, TextPrompt


def preamble(topic: str) -> str:
    return f"You are a careful assistant for a {topic} shop. " + " ".join(
        f"Rule {i}: answer politely, cite the {topic} catalogue number, never invent prices." for i in range(12)
    )


SHOP = preamble("hardware")
QUESTION = " Question: which hammer is best for a beginner? Answer:"
PROBE = SamplingOptions(temperature=0.0, max_tokens=1, ignore_eos=True, logprobs=True, top_logprobs=5)
ONE_TOKEN = SamplingOptions(temperature=0.0, max_tokens=1)


async def new_engine(slots: int, prefill_chunk: int = 256) -> LlamaCppEngine:
    config = LlamaEngineConfig(
        n_ctx_per_seq=512,
        max_sequences=slots,
        max_waiting=4,
        n_threads=2,
        prefill_chunk=prefill_chunk,
        step_budget_ms=0,
        embedding_ctx=0,
    )
    engine = LlamaCppEngine(config)
    await engine.load()
    return engine


async def finish(events: AsyncIterator[Event]) -> tuple[str, Finished]:
    text = ""
    async for event in events:
        if isinstance(event, Finished):
            return text, event
        text += event.text
    raise AssertionError("stream ended without Finished")


async def run(engine: LlamaCppEngine, rid: str, prompt: str, sampling: SamplingOptions = ONE_TOKEN) -> Finished:
    return (await finish(engine.generate(GenerationRequest(rid, TextPrompt(prompt), sampling))))[1]


async def first_token(engine: LlamaCppEngine, rid: str, prompt: str) -> tuple[Delta, Finished]:
    """The first generated token with its top-5 logprobs."""
    events = [e async for e in engine.generate(GenerationRequest(rid, TextPrompt(prompt), PROBE))]
    deltas = [e for e in events if isinstance(e, Delta) and e.logprobs]
    finished = events[-1]
    assert len(deltas) == 1
    assert isinstance(finished, Finished)
    return deltas[0], finished


async def test_a_new_request_copies_the_prefix_of_a_running_one() -> None:
    long_run = SamplingOptions(temperature=0.0, max_tokens=400, ignore_eos=True)
    # Reference: the same prefix reused from an IDLE cache while another sequence
    # decodes, so both runs split the prompt at the same token and batch it the same way
    # (either changes float rounding). Only the first token's logits are compared: later
    # steps attend over KV views padded by the other sequence's length, which also
    # changes rounding.
    reference = await new_engine(slots=4)
    try:
        await run(reference, "ref-first", SHOP + " Say hello.")
        other = reference.generate(GenerationRequest("other", TextPrompt("Count to ten."), long_run))
        await other.__anext__()
        ref_delta, ref_fin = await first_token(reference, "ref", SHOP + QUESTION)
        await other.aclose()
    finally:
        await reference.close()

    engine = await new_engine(slots=4)
    try:
        shop_ids = (await engine.tokenize(TextPrompt(SHOP), return_pieces=False)).token_ids
        assert len(shop_ids) > 200
        first = engine.generate(GenerationRequest("first", TextPrompt(SHOP + " Say hello."), long_run))
        await first.__anext__()  # a first token exists, so the whole first prompt is decoded
        delta, fin = await first_token(engine, "second", SHOP + QUESTION)
        assert engine.load_report().running == 1  # the source was still running: it was not an idle cache
        assert fin.usage.cached_tokens >= len(shop_ids) - 1
        assert fin.usage.cached_tokens == ref_fin.usage.cached_tokens
        # The copied KV is the KV the source computed: the same distribution. Not bit-exact:
        # the other sequence's length pads the attention view differently, which changes
        # rounding by a few hundredths of a nat.
        assert delta.logprobs is not None
        assert ref_delta.logprobs is not None
        got = {t.token_id: t.logprob for t in delta.logprobs[0].top}
        want = {t.token_id: t.logprob for t in ref_delta.logprobs[0].top}
        assert delta.token_ids == ref_delta.token_ids
        assert len(got.keys() & want.keys()) >= 4
        for token in got.keys() & want.keys():
            assert got[token] == pytest.approx(want[token], abs=0.15)
        await first.aclose()
    finally:
        await engine.close()


async def test_idle_caches_are_evicted_least_recently_used_first() -> None:
    engine = await new_engine(slots=2)
    try:
        hardware, garden, books = preamble("hardware"), preamble("garden"), preamble("book")
        await run(engine, "h1", hardware + " Q1?")
        await run(engine, "g1", garden + " Q1?")
        assert (await run(engine, "h2", hardware + " Q2?")).usage.cached_tokens > 100  # hardware is now newest
        await run(engine, "b1", books + " Q1?")  # must evict garden, the least recently used
        assert (await run(engine, "h3", hardware + " Q3?")).usage.cached_tokens > 100
        assert (await run(engine, "g2", garden + " Q2?")).usage.cached_tokens < 32
    finally:
        await engine.close()


async def test_a_cache_hit_gets_its_first_token_before_a_cold_prompt() -> None:
    # A small prefill chunk makes the cold prompt need many steps.
    engine = await new_engine(slots=2, prefill_chunk=16)
    try:
        await run(engine, "other", "Hello there.")  # slot 0
        await run(engine, "warm", SHOP + " Q1?")  # slot 1 (least recently used) now caches SHOP
        first_tokens: list[str] = []

        async def consume(rid: str, prompt: str) -> None:
            async for _ in engine.generate(GenerationRequest(rid, TextPrompt(prompt), ONE_TOKEN)):
                first_tokens.append(rid)
                return

        # The cold prompt lands in slot 0, whose chunks a slot-order scheduler would serve first.
        cold = asyncio.create_task(consume("cold", preamble("garden")))
        hit = asyncio.create_task(consume("hit", SHOP + " Q2?"))
        await asyncio.gather(cold, hit)
        assert first_tokens == ["hit", "cold"]
    finally:
        await engine.close()


async def test_a_burst_sharing_a_new_prefix_prefills_it_once() -> None:
    # Small chunks: the first request needs many steps to prefill the shared prompt.
    engine = await new_engine(slots=4, prefill_chunk=16)
    try:
        shop_ids = (await engine.tokenize(TextPrompt(SHOP), return_pieces=False)).token_ids
        first = asyncio.create_task(run(engine, "first", SHOP + " Q1?"))
        second = asyncio.create_task(run(engine, "second", SHOP + " Q2?"))
        done = await asyncio.gather(first, second)
        # One of them prefilled the shop rules; the other waited until at most one copy's
        # worth of them was left (MIN_COPY_GAIN), then copied the rest.
        assert sorted(f.usage.cached_tokens for f in done)[1] > len(shop_ids) - MIN_COPY_GAIN
    finally:
        await engine.close()
