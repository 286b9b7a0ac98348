"""Upstream backends inside a real worker process's server, and a whole second HelixFlow
(workers, router, bridge) as the upstream of an ``openai`` worker."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest
import pytest_asyncio
from prometheus_client import generate_latest
from upstream_testing import run

from helixflow.common.config import TlsSettings
from helixflow.common.errors import InvalidArgument
from helixflow.stack.local import LocalStack, StackOptions
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2, worker_pb2_grpc
from helixflow.worker.backends.anthropic_messages import AnthropicEngine
from helixflow.worker.backends.openai_compat import OpenAIEngine
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import (
    ChatPrompt,
    FinishReason,
    GenerationRequest,
    Message,
    SamplingOptions,
    TextPrompt,
    Tool,
    ToolChoiceMode,
    ToolSpec,
)
from helixflow.worker.server import create_server
from helixflow.worker.upstream_settings import UpstreamSettings

KEY_ENV = "HELIXFLOW_TEST_UPSTREAM_KEY"


async def test_an_openai_worker_serves_grpc_and_never_logs_or_exports_the_key(
    llama_url: str, upstream_key: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv(KEY_ENV, upstream_key)
    settings = WorkerSettings(
        listen="127.0.0.1:0",
        tls=TlsSettings(insecure=True),
        backend="openai",
        model_id="gemma-remote",
        metrics_port=0,
        upstream=UpstreamSettings(base_url=f"{llama_url}/v1", api_key_env=KEY_ENV),
    )
    with caplog.at_level("DEBUG"):
        server, port = create_server(settings)
        await server.start()  # loads (lists the upstream's models) and warms up through it
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = worker_pb2_grpc.WorkerStub(channel)
                info = await stub.Info(worker_pb2.InfoRequest())
                req = inference_pb2.GenerateRequest(request_id="w1", prompt="The sky is")
                req.sampling.max_tokens = 5
                req.sampling.temperature = 0.0
                req.sampling.ignore_eos = True
                complete = None
                async for msg in stub.Generate(worker_pb2.WorkerGenerateRequest(request=req)):
                    if msg.response.WhichOneof("event") == "complete":
                        complete = msg.response.complete
            metrics = generate_latest(server.metrics.registry).decode()
        finally:
            await server.stop(grace=0)
    assert info.backend == "openai"
    assert info.model_id == "gemma-remote"
    assert complete is not None
    assert complete.finish_reason == common_pb2.FINISH_REASON_LENGTH
    assert complete.usage.completion_tokens == 5
    assert "generate length" in caplog.text  # the logs were captured
    assert upstream_key not in caplog.text
    assert upstream_key not in metrics


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def helixflow_upstream(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[LocalStack]:
    options = StackOptions(
        workers=1,
        router_port=0,
        bridge_port=0,
        certs_dir=Path(tmp_path_factory.mktemp("upstream-certs")),
        drain_grace_s=1.0,
        threads_per_worker=1,
        report=lambda _: None,
    )
    stack = LocalStack(options)
    await stack.start()
    yield stack
    await stack.stop()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def via_helixflow(helixflow_upstream: LocalStack) -> AsyncIterator[OpenAIEngine]:
    settings = UpstreamSettings(
        base_url=f"{helixflow_upstream.bridge_url}/v1",
        model=helixflow_upstream.options.model_id,
        capabilities=["generate", "embed"],
        context_length=2048,
    )
    engine = OpenAIEngine("gemma-via-helixflow", settings)
    await engine.load()
    yield engine
    await engine.close()


async def test_a_second_helixflow_serves_text_and_chat_with_exact_usage(via_helixflow: OpenAIEngine) -> None:
    sampling = SamplingOptions(max_tokens=6, temperature=0.0, ignore_eos=True)
    texts, done = await run(via_helixflow, GenerationRequest("h1", TextPrompt("The capital of France is"), sampling))
    assert "".join(texts).strip()
    assert len(texts) > 1
    assert done.reason is FinishReason.LENGTH
    assert done.usage.completion_tokens == 6
    assert done.usage.prompt_tokens > 0
    chat = ChatPrompt((Message("user", "Say hello."),))
    texts, done = await run(via_helixflow, GenerationRequest("h2", chat, SamplingOptions(max_tokens=4)))
    assert "".join(texts).strip()
    assert 0 < done.usage.completion_tokens <= 4


async def test_a_second_helixflow_applies_stops(via_helixflow: OpenAIEngine) -> None:
    prompt = TextPrompt("1, 2, 3, 4, 5,")
    free, _ = await run(via_helixflow, GenerationRequest("h3", prompt, SamplingOptions(max_tokens=16, temperature=0.0)))
    assert " 8" in "".join(free)
    sampling = SamplingOptions(max_tokens=16, temperature=0.0, stop=(" 8",))
    texts, done = await run(via_helixflow, GenerationRequest("h4", prompt, sampling))
    assert done.reason is FinishReason.STOP
    assert "".join(texts) == "".join(free)[: "".join(free).index(" 8")]


async def test_a_second_helixflow_embeds(via_helixflow: OpenAIEngine) -> None:
    result = await via_helixflow.embed(["a cat", "a dog"], normalize=True, truncate=False)
    assert len(result.vectors) == 2
    assert len(result.vectors[0]) > 0
    assert result.vectors[0] != result.vectors[1]
    assert abs(sum(v * v for v in result.vectors[0]) - 1.0) < 1e-3
    assert result.prompt_tokens > 0


async def test_a_second_helixflows_400_is_invalid_argument(via_helixflow: OpenAIEngine) -> None:
    with pytest.raises(InvalidArgument, match="rejected"):
        await run(via_helixflow, GenerationRequest("h5", TextPrompt("hi"), SamplingOptions(temperature=-1.0)))


async def test_a_helixflow_stack_fronts_another_through_an_openai_worker(
    helixflow_upstream: LocalStack, tmp_path: Path
) -> None:
    """bridge -> router -> (mTLS) openai worker process -> the other stack's bridge -> ... -> llama.cpp."""
    front = LocalStack(
        StackOptions(
            backend="openai",
            model_id="gemma-remote",
            router_port=0,
            bridge_port=0,
            certs_dir=tmp_path / "certs",
            drain_grace_s=1.0,
            report=lambda _: None,
            worker_env={
                "UPSTREAM__BASE_URL": f"{helixflow_upstream.bridge_url}/v1",
                "UPSTREAM__MODEL": helixflow_upstream.options.model_id,
            },
        )
    )
    await front.start()
    try:
        body = {"model": "gemma-remote", "prompt": "The capital of France is", "max_tokens": 5, "temperature": 0}
        async with httpx.AsyncClient(timeout=60) as http:
            got = (await http.post(f"{front.bridge_url}/v1/completions", json=body)).json()
            direct = (
                await http.post(
                    f"{helixflow_upstream.bridge_url}/v1/completions",
                    json=body | {"model": helixflow_upstream.options.model_id},
                )
            ).json()
            models = (await http.get(f"{front.bridge_url}/v1/models")).json()
    finally:
        await front.stop()
    assert [m["id"] for m in models["data"]] == ["gemma-remote"]
    assert got["choices"][0]["text"] == direct["choices"][0]["text"]
    assert got["usage"] == direct["usage"]


# The `anthropic` backend against our own bridge's Messages API: HelixFlow fronting HelixFlow
# in Anthropic's dialect (the same second stack as above).
@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def via_helixflow_messages(helixflow_upstream: LocalStack) -> AsyncIterator[AnthropicEngine]:
    settings = UpstreamSettings(
        base_url=helixflow_upstream.bridge_url, model=helixflow_upstream.options.model_id, context_length=2048
    )
    engine = AnthropicEngine("gemma-via-messages", settings)
    await engine.load()
    yield engine
    await engine.close()


async def test_a_second_helixflow_speaks_messages_with_stops_and_usage(
    via_helixflow_messages: AnthropicEngine,
) -> None:
    prompt = ChatPrompt((Message("user", "Count: 1, 2, 3, 4, 5,"),))
    greedy = SamplingOptions(max_tokens=16, temperature=0.0)
    free, done = await run(via_helixflow_messages, GenerationRequest("m1", prompt, greedy))
    free_text = "".join(free)
    assert len(free) > 1, "not streamed"
    assert done.usage.prompt_tokens > 0
    assert 0 < done.usage.completion_tokens <= 16
    # Stop at the first punctuation the greedy reply has after its first character.
    stop = next((c for c in free_text[1:] if not c.isalnum() and not c.isspace()), None)
    assert stop is not None, f"the greedy reply {free_text!r} has no punctuation; pick another prompt"
    sampling = SamplingOptions(max_tokens=16, temperature=0.0, stop=(stop,))
    texts, done = await run(via_helixflow_messages, GenerationRequest("m2", prompt, sampling))
    assert done.reason is FinishReason.STOP
    assert "".join(texts) == free_text[: free_text.index(stop, 1)]


async def test_a_second_helixflow_makes_a_forced_tool_call_over_messages(
    via_helixflow_messages: AnthropicEngine,
) -> None:
    schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    weather = Tool("get_weather", "Current weather of a city.", json.dumps(schema))
    request = GenerationRequest(
        "m3",
        ChatPrompt((Message("user", "What is the weather in Paris?"),)),
        SamplingOptions(max_tokens=64, temperature=0.0),
        tools=ToolSpec((weather,), ToolChoiceMode.REQUIRED, parallel=False),
    )
    _, done = await run(via_helixflow_messages, request)
    assert done.reason is FinishReason.TOOL_CALLS
    assert [c.name for c in done.tool_calls] == ["get_weather"]
    assert isinstance(json.loads(done.tool_calls[0].arguments)["city"], str)


async def test_a_second_helixflows_messages_400_is_invalid_argument(via_helixflow_messages: AnthropicEngine) -> None:
    with pytest.raises(InvalidArgument):
        await run(via_helixflow_messages, GenerationRequest("m4", TextPrompt("hi"), SamplingOptions(temperature=-1.0)))
