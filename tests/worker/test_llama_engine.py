"""The llama.cpp engine against the real default model (Gemma 3 270M)."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import AsyncIterator

import jsonschema
import pytest
import pytest_asyncio

from helixflow.common.errors import InvalidArgument, PromptTooLong, QueueFull, UnsupportedConstraint
from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.engine import (
    ChatPrompt,
    Constraint,
    ConstraintKind,
    Delta,
    Event,
    Finished,
    FinishReason,
    GenerationRequest,
    Message,
    SamplingOptions,
    TextPrompt,
)

PROMPT = "The three most popular programming languages are"
GREEDY = SamplingOptions(temperature=0.0, max_tokens=24, ignore_eos=True)


@pytest_asyncio.fixture(scope="module")
async def engine() -> AsyncIterator[LlamaCppEngine]:
    eng = LlamaCppEngine(LlamaEngineConfig(n_ctx_per_seq=512, max_sequences=16, max_waiting=8, n_threads=2))
    await eng.load()
    yield eng
    await eng.close()


async def collect(events: AsyncIterator[Event]) -> tuple[str, list[Delta], Finished]:
    deltas: list[Delta] = []
    async for event in events:
        if isinstance(event, Finished):
            return "".join(d.text for d in deltas), deltas, event
        deltas.append(event)
    raise AssertionError("stream ended without Finished")


async def run(
    engine: LlamaCppEngine, rid: str, sampling: SamplingOptions, prompt: str = PROMPT
) -> tuple[str, list[Delta], Finished]:
    return await collect(engine.generate(GenerationRequest(rid, TextPrompt(prompt), sampling)))


async def test_streams_from_a_prompt(engine: LlamaCppEngine) -> None:
    text, deltas, fin = await run(engine, "prompt", GREEDY)
    prompt_ids = (await engine.tokenize(TextPrompt(PROMPT), return_pieces=False)).token_ids
    assert text.strip()
    assert fin.reason is FinishReason.LENGTH
    assert fin.usage.prompt_tokens == len(prompt_ids)
    assert fin.usage.completion_tokens == 24 == sum(len(d.token_ids) for d in deltas)
    assert 0 <= fin.timings.time_to_first_token_s <= fin.timings.total_s


async def test_streams_from_chat_messages(engine: LlamaCppEngine) -> None:
    chat = ChatPrompt((Message("system", "Answer briefly."), Message("user", "What is the capital of France?")))
    rendered = await engine.tokenize(chat, return_pieces=True)
    assert not engine.info().has_chat_template
    assert rendered.rendered_prompt.endswith("<start_of_turn>model\n")
    assert "<start_of_turn>" in rendered.pieces  # parsed as the special token, not as text
    sampling = SamplingOptions(temperature=0.0, max_tokens=32)
    text, _, fin = await collect(engine.generate(GenerationRequest("chat", chat, sampling)))
    assert text.strip()
    assert fin.usage.prompt_tokens == len(rendered.token_ids)
    assert fin.reason in (FinishReason.STOP, FinishReason.LENGTH)


async def test_stop_string_is_not_emitted_and_is_reported(engine: LlamaCppEngine) -> None:
    full, _, _ = await run(engine, "stop-ref", GREEDY)
    stop = full.strip()[4:9]  # a few characters from inside the text, likely spanning tokens
    text, _, fin = await run(engine, "stop", SamplingOptions(temperature=0.0, max_tokens=24, stop=(stop,)))
    assert fin.reason is FinishReason.STOP
    assert fin.stop_string == stop
    assert text == full[: full.index(stop)]
    assert stop not in text


async def test_same_seed_gives_same_text(engine: LlamaCppEngine) -> None:
    sampling = SamplingOptions(temperature=1.0, seed=1234, max_tokens=24, ignore_eos=True)
    first, _, _ = await run(engine, "seed-a", sampling)
    second, _, _ = await run(engine, "seed-b", sampling)
    assert first == second


async def test_greedy_gives_same_text_twice(engine: LlamaCppEngine) -> None:
    first, _, _ = await run(engine, "greedy-a", GREEDY)
    second, _, _ = await run(engine, "greedy-b", GREEDY)
    assert first == second


async def test_json_schema_output_parses_and_validates(engine: LlamaCppEngine) -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 12},
            "age": {"type": "integer"},
            "color": {"enum": ["red", "green", "blue"]},
        },
        "required": ["name", "age", "color"],
        "additionalProperties": False,
    }
    sampling = SamplingOptions(
        temperature=0.0,
        max_tokens=64,
        constraint=Constraint(ConstraintKind.JSON_SCHEMA, json.dumps(schema)),
    )
    text, _, fin = await run(engine, "json", sampling, prompt="A person described as JSON:")
    assert fin.reason is FinishReason.STOP
    jsonschema.validate(json.loads(text), schema)


async def test_regex_constraint_is_refused(engine: LlamaCppEngine) -> None:
    sampling = SamplingOptions(constraint=Constraint(ConstraintKind.REGEX, "[a-z]+"))
    with pytest.raises(UnsupportedConstraint):
        engine.generate(GenerationRequest("regex", TextPrompt(PROMPT), sampling))


async def test_logprobs_with_top_n(engine: LlamaCppEngine) -> None:
    sampling = SamplingOptions(temperature=0.0, max_tokens=4, ignore_eos=True, logprobs=True, top_logprobs=3)
    _, deltas, _ = await run(engine, "logprobs", sampling)
    for delta in deltas:
        assert delta.logprobs is not None
        (lp,) = delta.logprobs
        assert lp.token_id == delta.token_ids[0]
        assert lp.logprob <= 0.0
        assert len(lp.top) == 3
        assert lp.top[0].token_id == lp.token_id  # greedy picks the most likely token
        assert [t.logprob for t in lp.top] == sorted((t.logprob for t in lp.top), reverse=True)


async def test_sixteen_concurrent_streams_all_finish(engine: LlamaCppEngine) -> None:
    prompts = [f"Story number {i}: once upon a time" for i in range(16)]
    sampling = SamplingOptions(temperature=0.7, seed=7, max_tokens=20, ignore_eos=True)
    results = await asyncio.gather(*(run(engine, f"many-{i}", sampling, p) for i, p in enumerate(prompts)))
    for prompt, (_, deltas, fin) in zip(prompts, results, strict=True):
        prompt_ids = (await engine.tokenize(TextPrompt(prompt), return_pieces=False)).token_ids
        assert fin.reason is FinishReason.LENGTH
        assert fin.usage.completion_tokens == 20 == sum(len(d.token_ids) for d in deltas)
        assert fin.usage.prompt_tokens == len(prompt_ids)
    assert engine.load_report().running == 0


async def test_abort_frees_the_slot_at_once(engine: LlamaCppEngine) -> None:
    stream = engine.generate(GenerationRequest("abort-me", TextPrompt(PROMPT), SamplingOptions(ignore_eos=True)))
    first = await anext(stream)
    assert isinstance(first, Delta)
    assert engine.load_report().running == 1
    assert engine.abort(["abort-me", "unknown"]) == ["abort-me"]
    assert engine.load_report().running == 0
    _, _, fin = await collect(stream)
    assert fin.reason is FinishReason.CANCELLED
    assert engine.abort(["abort-me"]) == []  # idempotent


async def test_a_retry_reusing_an_aborted_id_stays_live(engine: LlamaCppEngine) -> None:
    # The router retries with the same request id. The abort and the retry land before the
    # decode thread releases the aborted sequence (the scheduler's lock, held here, keeps it
    # from reaching a step boundary in between); that release must not drop the retry.
    long = SamplingOptions(temperature=0.0, max_tokens=400, ignore_eos=True)
    first = engine.generate(GenerationRequest("reused", TextPrompt(PROMPT), long))
    assert isinstance(await anext(first), Delta)
    scheduler = engine._scheduler
    assert scheduler is not None
    with scheduler._cond:
        assert engine.abort(["reused"]) == ["reused"]
        retry = engine.generate(GenerationRequest("reused", TextPrompt(PROMPT), long))
    _, _, fin = await collect(first)
    assert fin.reason is FinishReason.CANCELLED
    with pytest.raises(InvalidArgument):  # the retry still holds its id
        engine.generate(GenerationRequest("reused", TextPrompt(PROMPT), long))
    assert engine.abort(["reused"]) == ["reused"]  # and it can still be aborted
    _, _, fin = await collect(retry)
    assert fin.reason is FinishReason.CANCELLED
    assert engine.load_report().running == 0


async def test_closing_the_stream_frees_the_slot(engine: LlamaCppEngine) -> None:
    stream = engine.generate(GenerationRequest("close-me", TextPrompt(PROMPT), SamplingOptions(ignore_eos=True)))
    assert isinstance(await anext(stream), Delta)
    assert engine.load_report().running == 1
    await stream.aclose()
    assert engine.load_report().running == 0


async def test_full_queue_raises_queue_full() -> None:
    small = LlamaCppEngine(
        LlamaEngineConfig(n_ctx_per_seq=128, max_sequences=1, max_waiting=1, n_threads=2, embedding_ctx=0)
    )
    await small.load()
    try:
        sampling = SamplingOptions(max_tokens=100, ignore_eos=True)
        # HIGH: it may fill the whole waiting room (lower classes only their share of it).
        held = [small.generate(GenerationRequest(f"q{i}", TextPrompt(PROMPT), sampling, priority=3)) for i in range(2)]
        with pytest.raises(QueueFull) as caught:
            small.generate(GenerationRequest("q-over", TextPrompt(PROMPT), sampling, priority=3))
        assert caught.value.retry_after_s is not None
        assert caught.value.retry_after_s > 0
        assert small.abort(["q0", "q1"]) == ["q0", "q1"]
        for stream in held:
            _, _, fin = await collect(stream)
            assert fin.reason is FinishReason.CANCELLED
    finally:
        await small.close()


async def test_too_long_prompt_raises_prompt_too_long(engine: LlamaCppEngine) -> None:
    prompt = TextPrompt("word " * 1000)
    n_tokens = len((await engine.tokenize(prompt, return_pieces=False)).token_ids)
    with pytest.raises(PromptTooLong) as caught:
        engine.generate(GenerationRequest("long", prompt, SamplingOptions()))
    assert str(n_tokens) in str(caught.value)
    assert "512" in str(caught.value)


async def test_prefix_reuse_reports_cached_tokens(engine: LlamaCppEngine) -> None:
    shared = "You are a careful assistant. Here is a long shared preamble about many things. " * 4
    sampling = SamplingOptions(temperature=0.0, max_tokens=2)
    _, _, first = await run(engine, "prefix-a", sampling, shared + "First question?")
    _, _, second = await run(engine, "prefix-b", sampling, shared + "Second question?")
    # The first request may reuse little more than BOS; the second reuses the preamble.
    assert second.usage.cached_tokens > first.usage.cached_tokens + 40
    assert engine.load_report().prefix_cache_hit_rate > 0


async def test_embed_gives_one_unit_vector_per_input(engine: LlamaCppEngine) -> None:
    inputs = ["a cat sat on the mat", "quantum chromodynamics", "hello"]
    result = await engine.embed(inputs, normalize=True, truncate=False)
    assert len(result.vectors) == len(inputs)
    for vector in result.vectors:
        assert len(vector) == engine.info().embedding_dimension
        assert math.isclose(math.fsum(x * x for x in vector), 1.0, rel_tol=1e-6)
    assert result.vectors[0] != result.vectors[1]
    assert result.prompt_tokens > len(inputs)
