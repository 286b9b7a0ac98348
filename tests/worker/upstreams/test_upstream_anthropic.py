"""The ``anthropic`` backend against a real llama-server (its Messages API, /v1/messages)."""

from __future__ import annotations

import asyncio
from contextlib import aclosing
from pathlib import Path

import grpc
import pytest
from llama_server import busy_slots
from upstream_testing import run

from helixflow.common.config import TlsSettings
from helixflow.common.errors import InvalidArgument, UpstreamUnavailable
from helixflow.v1 import inference_pb2, worker_pb2, worker_pb2_grpc
from helixflow.worker.backends.anthropic_messages import AnthropicEngine
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import (
    ChatPrompt,
    Delta,
    FinishReason,
    GenerationRequest,
    Message,
    SamplingOptions,
    TextPrompt,
)
from helixflow.worker.server import create_server
from helixflow.worker.upstream_settings import UpstreamSettings

COUNTING = "Count: 1, 2, 3, 4, 5,"


def _chat(rid: str, text: str, **sampling: object) -> GenerationRequest:
    prompt = ChatPrompt((Message("system", "Continue the text."), Message("user", text)))
    return GenerationRequest(rid, prompt, SamplingOptions(**sampling))  # type: ignore[arg-type]


async def test_streams_messages_with_usage(anthropic_engine: AnthropicEngine) -> None:
    texts, done = await run(anthropic_engine, _chat("a1", "Tell me a story.", max_tokens=10, temperature=0.0))
    assert len(texts) > 1, "not streamed"
    assert "".join(texts).strip()
    assert done.reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert 0 < done.usage.completion_tokens <= 10
    assert done.usage.prompt_tokens > 0


async def test_max_tokens_ends_with_length(anthropic_engine: AnthropicEngine) -> None:
    request = GenerationRequest("a2", TextPrompt("Write a long essay about rivers."), SamplingOptions(max_tokens=5))
    _, done = await run(anthropic_engine, request)
    assert done.reason is FinishReason.LENGTH
    assert done.usage.completion_tokens == 5


async def test_stops_go_as_stop_sequences(anthropic_engine: AnthropicEngine) -> None:
    free, _ = await run(anthropic_engine, _chat("a3", COUNTING, max_tokens=24, temperature=0.0))
    free_text = "".join(free)
    assert "," in free_text, "the model's greedy reply has no comma; pick another prompt"
    texts, done = await run(anthropic_engine, _chat("a4", COUNTING, max_tokens=24, temperature=0.0, stop=(",",)))
    assert done.reason is FinishReason.STOP
    assert done.stop_string == ","  # message_delta's stop_sequence
    assert "," not in "".join(texts)
    assert "".join(texts) == free_text[: free_text.index(",")]


async def test_sampling_fields_the_api_lacks_are_refused(anthropic_engine: AnthropicEngine) -> None:
    with pytest.raises(InvalidArgument, match="seed"):
        await run(anthropic_engine, _chat("a5", "hi", seed=3))


async def test_an_upstream_400_is_invalid_argument_with_its_message(anthropic_engine: AnthropicEngine) -> None:
    with pytest.raises(InvalidArgument) as caught:
        await run(anthropic_engine, _chat("a6", "hello " * 6000, max_tokens=4))
    assert caught.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert "anthropic upstream rejected" in caught.value.message


async def test_closing_the_stream_stops_the_upstream(
    anthropic_engine: AnthropicEngine, llama_url: str, upstream_key: str
) -> None:
    request = GenerationRequest("a7", TextPrompt("Tell a long story."), SamplingOptions(max_tokens=2000))
    seen = 0
    async with aclosing(anthropic_engine.generate(request)) as events:
        async for event in events:
            assert isinstance(event, Delta)
            seen += 1
            if seen == 3:
                assert await busy_slots(llama_url, upstream_key) == 1
                break
    for _ in range(300):  # llama-server offers no event for a freed slot
        if await busy_slots(llama_url, upstream_key) == 0:
            break
        await asyncio.sleep(0.1)
    assert await busy_slots(llama_url, upstream_key) == 0


async def test_a_wrong_key_is_unavailable(llama_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    wrong = "sk-ant-wrong-0123456789"
    (tmp_path / "key").write_text(wrong)
    engine = AnthropicEngine("m", UpstreamSettings(base_url=llama_url, api_key_file=tmp_path / "key"))
    await engine.load()
    with caplog.at_level("DEBUG"), pytest.raises(UpstreamUnavailable) as caught:
        await run(engine, _chat("a8", "hi", max_tokens=2))
    await engine.close()
    assert caught.value.code is grpc.StatusCode.UNAVAILABLE
    assert wrong not in caplog.text


async def test_an_anthropic_worker_starts_and_serves_grpc(llama_url: str, upstream_key_file: Path) -> None:
    settings = WorkerSettings(
        listen="127.0.0.1:0",
        tls=TlsSettings(insecure=True),
        backend="anthropic",
        model_id="claude-local",
        metrics_port=0,
        upstream=UpstreamSettings(base_url=llama_url, api_key_file=upstream_key_file),
    )
    server, port = create_server(settings)
    await server.start()  # warms up through the upstream
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            req = inference_pb2.GenerateRequest(request_id="aw1", prompt="Hello there")
            req.sampling.max_tokens = 3
            texts, complete = [], None
            async for msg in worker_pb2_grpc.WorkerStub(channel).Generate(
                worker_pb2.WorkerGenerateRequest(request=req)
            ):
                if msg.response.WhichOneof("event") == "delta":
                    texts.append(msg.response.delta.text)
                else:
                    complete = msg.response.complete
    finally:
        await server.stop(grace=0)
    assert "".join(texts)
    assert complete is not None
    assert 0 < complete.usage.completion_tokens <= 3
