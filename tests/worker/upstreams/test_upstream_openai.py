"""The ``openai`` backend against a real llama-server (its OpenAI-compatible /v1 API)."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from pathlib import Path

import grpc
import pytest
from llama_server import busy_slots
from upstream_testing import run

from helixflow.common.errors import InvalidArgument, PromptTooLong, UpstreamUnavailable
from helixflow.worker.backends.openai_compat import OpenAIEngine
from helixflow.worker.engine import (
    ChatPrompt,
    Delta,
    Finished,
    FinishReason,
    GenerationRequest,
    Message,
    SamplingOptions,
    TextPrompt,
)
from helixflow.worker.upstream_settings import UpstreamSettings

PROMPT = "The capital of France is"
COUNTING = "1, 2, 3, 4, 5,"


def _request(rid: str, prompt: str = PROMPT, **sampling: object) -> GenerationRequest:
    return GenerationRequest(rid, TextPrompt(prompt), SamplingOptions(**sampling))  # type: ignore[arg-type]


async def test_streams_a_text_prompt_with_the_upstreams_exact_usage(openai_engine: OpenAIEngine) -> None:
    texts, done = await run(openai_engine, _request("o1", max_tokens=8, temperature=0.0, ignore_eos=True))
    assert len(texts) > 1, "the completion came in one piece: not streamed"
    assert "".join(texts).strip()
    assert done.reason is FinishReason.LENGTH
    assert done.usage.completion_tokens == 8
    assert done.usage.prompt_tokens > 0
    assert done.timings.total_s >= done.timings.time_to_first_token_s > 0


async def test_greedy_text_is_reproducible(openai_engine: OpenAIEngine) -> None:
    first, _ = await run(openai_engine, _request("g1", max_tokens=12, temperature=0.0))
    second, _ = await run(openai_engine, _request("g2", max_tokens=12, temperature=0.0))
    assert "".join(first) == "".join(second)


async def test_chat_messages_go_to_chat_completions(openai_engine: OpenAIEngine) -> None:
    prompt = ChatPrompt((Message("system", "You answer briefly."), Message("user", "Name a colour.")))
    texts, done = await run(openai_engine, GenerationRequest("c1", prompt, SamplingOptions(max_tokens=6)))
    assert "".join(texts).strip()
    assert done.reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert done.usage.prompt_tokens > 6  # the rendered conversation, counted upstream
    assert 0 < done.usage.completion_tokens <= 6


async def test_stop_strings_end_the_stream(openai_engine: OpenAIEngine) -> None:
    free, _ = await run(openai_engine, _request("s0", COUNTING, max_tokens=16, temperature=0.0))
    assert " 8" in "".join(free), "the model no longer counts; pick another prompt"
    texts, done = await run(openai_engine, _request("s1", COUNTING, max_tokens=16, temperature=0.0, stop=(" 8",)))
    text = "".join(texts)
    assert done.reason is FinishReason.STOP
    assert "7" in text
    assert "8" not in text


async def test_the_same_seed_gives_the_same_sample(openai_engine: OpenAIEngine) -> None:
    sampling = {"max_tokens": 16, "temperature": 1.0, "seed": 1234, "ignore_eos": True}
    a, _ = await run(openai_engine, _request("seed-a", "Once upon a time", **sampling))
    b, _ = await run(openai_engine, _request("seed-b", "Once upon a time", **sampling))
    assert "".join(a) == "".join(b)


async def test_a_prompt_too_long_for_the_context_is_invalid_argument(openai_engine: OpenAIEngine) -> None:
    with pytest.raises(PromptTooLong) as caught:
        await run(openai_engine, _request("long", "hello " * 6000, max_tokens=4))
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert "context" in caught.value.message  # the upstream's own words


async def test_closing_the_stream_stops_the_upstream_generation(
    openai_engine: OpenAIEngine, llama_url: str, upstream_key: str
) -> None:
    request = _request("cancel", max_tokens=2000, temperature=0.0, ignore_eos=True)
    seen = 0
    async with aclosing(openai_engine.generate(request)) as events:
        async for event in events:
            assert isinstance(event, Delta)
            seen += 1
            if seen == 3:
                assert await busy_slots(llama_url, upstream_key) == 1
                break
    assert await wait_for_idle(llama_url, upstream_key)
    assert openai_engine.load_report().running == 0


async def test_abort_ends_the_stream_cancelled_and_frees_the_upstream(
    openai_engine: OpenAIEngine, llama_url: str, upstream_key: str
) -> None:
    request = _request("abort-me", max_tokens=2000, temperature=0.0, ignore_eos=True)
    events = []
    async with aclosing(openai_engine.generate(request)) as stream:
        async for event in stream:
            events.append(event)
            if len(events) == 2:
                assert openai_engine.abort(["abort-me", "unknown"]) == ["abort-me"]
    done = events[-1]
    assert isinstance(done, Finished)
    assert done.reason is FinishReason.CANCELLED
    assert len(events) < 100
    assert await wait_for_idle(llama_url, upstream_key)


async def wait_for_idle(url: str, key: str) -> bool:
    """Poll llama-server's slots (it offers no event for a freed slot), up to 30 s."""
    for _ in range(300):
        if await busy_slots(url, key) == 0:
            return True
        await asyncio.sleep(0.1)
    return False


async def test_info_comes_from_the_upstreams_model_list(openai_engine: OpenAIEngine) -> None:
    info = openai_engine.info()
    assert info.model_id == "gemma-upstream"
    assert info.backend == "openai"
    assert info.context_length > 0  # llama-server lists the model's training context
    assert info.supports_generate
    assert not info.supports_embed
    assert openai_engine.upstream_model != "gemma-upstream"  # the single listed model, served under our name


async def test_a_wrong_key_is_unavailable_not_the_callers_auth_failure(
    llama_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "sk-wrong-0123456789abcdef"
    (tmp_path / "key").write_text(wrong)
    engine = OpenAIEngine("m", UpstreamSettings(base_url=f"{llama_url}/v1", api_key_file=tmp_path / "key"))
    with caplog.at_level("DEBUG"), pytest.raises(UpstreamUnavailable) as caught:
        await engine.load()
    await engine.close()
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    assert caught.value.metadata == {"upstream_status": "401"}
    assert "refused this worker's credentials" in caplog.text
    assert wrong not in caplog.text
    assert wrong not in caught.value.message


async def test_an_unreachable_upstream_is_unavailable(tmp_path: Path) -> None:
    engine = OpenAIEngine("m", UpstreamSettings(base_url="http://127.0.0.1:9/v1", connect_timeout_s=2))
    with pytest.raises(UpstreamUnavailable, match="unreachable"):
        await engine.load()
    await engine.close()


async def test_embed_is_refused_unless_configured(openai_engine: OpenAIEngine) -> None:
    with pytest.raises(InvalidArgument, match="embeddings"):
        await openai_engine.embed(["hi"], normalize=True, truncate=False)
