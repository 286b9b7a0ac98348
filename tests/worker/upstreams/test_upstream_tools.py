"""Tools through both upstream backends against a real llama-server (--jinja, with a
tool-calling template on the packaged Gemma): forced calls stream as ToolCallDelta and
end in Complete.tool_calls / TOOL_CALLS; tool history is accepted and rendered."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import httpx
import pytest
import pytest_asyncio
from llama_server import llama_server

from helixflow.common.config import TlsSettings
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2, worker_pb2_grpc
from helixflow.worker.backends import upstream_tools
from helixflow.worker.backends.anthropic_messages import AnthropicEngine
from helixflow.worker.backends.openai_compat import OpenAIEngine, prompt_body
from helixflow.worker.config import WorkerSettings
from helixflow.worker.convert import info_to_pb
from helixflow.worker.engine import (
    ChatPrompt,
    Delta,
    Finished,
    FinishReason,
    GenerationRequest,
    Message,
    SamplingOptions,
    Timings,
    Tool,
    ToolCall,
    ToolCallDelta,
    ToolChoiceMode,
    ToolSpec,
    Usage,
)
from helixflow.worker.server import create_server
from helixflow.worker.upstream_settings import UpstreamSettings

TEMPLATE = Path(__file__).parents[2] / "support" / "llama_tools_template.jinja"
WEATHER = Tool(
    "get_weather",
    "Current weather of a city",
    json.dumps({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}),
)
QUESTION = ChatPrompt((Message("user", "Weather in Paris?"),))
HISTORY = ChatPrompt(
    (
        Message("user", "Weather in Paris?"),
        Message("assistant", "", tool_calls=(ToolCall("call_7", "get_weather", '{"city": "Paris"}'),)),
        Message("tool", "18 degrees and sunny", tool_call_id="call_7"),
    )
)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def tools_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    log_file = tmp_path_factory.mktemp("llama-tools") / "server.log"
    async with llama_server(parallel=2, context=4096, chat_template=TEMPLATE, log_file=log_file) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def openai_tools_engine(tools_url: str) -> AsyncIterator[OpenAIEngine]:
    engine = OpenAIEngine("gemma-tools", UpstreamSettings(base_url=f"{tools_url}/v1"))
    await engine.load()
    yield engine
    await engine.close()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def anthropic_tools_engine(tools_url: str) -> AsyncIterator[AnthropicEngine]:
    engine = AnthropicEngine("gemma-tools-messages", UpstreamSettings(base_url=tools_url))
    await engine.load()
    yield engine
    await engine.close()


def _forced(
    rid: str, prompt: ChatPrompt = QUESTION, choice: ToolChoiceMode = ToolChoiceMode.REQUIRED
) -> GenerationRequest:
    spec = ToolSpec((WEATHER,), choice, parallel=False)
    return GenerationRequest(rid, prompt, SamplingOptions(max_tokens=96, temperature=0.0), tools=spec)


async def _run(
    engine: OpenAIEngine | AnthropicEngine, request: GenerationRequest
) -> tuple[list[ToolCallDelta], str, Finished]:
    pieces: list[ToolCallDelta] = []
    text = ""
    finished: Finished | None = None
    async for event in engine.generate(request):
        assert finished is None, "an event after the terminal one"
        if isinstance(event, Delta):
            pieces += event.tool_calls
            text += event.text
        else:
            finished = event
    assert finished is not None
    return pieces, text, finished


def _check_streamed_call(pieces: list[ToolCallDelta], done: Finished) -> None:
    assert done.reason is FinishReason.TOOL_CALLS
    assert len(done.tool_calls) == 1
    call = done.tool_calls[0]
    assert call.name == "get_weather"
    assert call.id
    assert isinstance(json.loads(call.arguments)["city"], str)  # grammar-constrained to the schema
    assert len(pieces) > 1, "the call came in one piece: not streamed"
    assert (pieces[0].index, pieces[0].id, pieces[0].name) == (0, call.id, "get_weather")
    assert all(not p.id and not p.name for p in pieces[1:])
    assert "".join(p.arguments for p in pieces) == call.arguments


@pytest.mark.parametrize("engine_name", ["openai_tools_engine", "anthropic_tools_engine"])
def test_upstream_workers_say_they_serve_tools(engine_name: str, request: pytest.FixtureRequest) -> None:
    engine = request.getfixturevalue(engine_name)
    info = info_to_pb(engine.info())
    assert info.supports_tools
    assert info.tool_parser == "upstream"


async def test_openai_forced_tool_call_streams_through_the_worker(tools_url: str) -> None:
    """Through a worker's gRPC server: the tools are admitted (supports_tools), the call
    streams as ToolCallDelta and ends in Complete.tool_calls with FINISH_REASON_TOOL_CALLS."""
    settings = WorkerSettings(
        listen="127.0.0.1:0",
        tls=TlsSettings(insecure=True),
        backend="openai",
        model_id="gemma-tools",
        metrics_port=0,
        upstream=UpstreamSettings(base_url=f"{tools_url}/v1"),
    )
    req = inference_pb2.GenerateRequest(request_id="ot1", parallel_tool_calls=False)
    req.messages.messages.add(role=common_pb2.ROLE_USER, content="Weather in Paris?")
    req.tools.add(name=WEATHER.name, description=WEATHER.description, parameters=WEATHER.parameters)
    req.tool_choice.mode = common_pb2.TOOL_CHOICE_MODE_REQUIRED
    req.sampling.max_tokens = 96
    req.sampling.temperature = 0.0
    server, port = create_server(settings)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = worker_pb2_grpc.WorkerStub(channel)
            info = await stub.Info(worker_pb2.InfoRequest())
            pieces: list[ToolCallDelta] = []
            complete = None
            async for msg in stub.Generate(worker_pb2.WorkerGenerateRequest(request=req)):
                if msg.response.WhichOneof("event") == "complete":
                    complete = msg.response.complete
                else:
                    pieces += [ToolCallDelta(d.index, d.id, d.name, d.arguments) for d in msg.response.delta.tool_calls]
    finally:
        await server.stop(grace=0)
    assert info.supports_tools
    assert complete is not None
    assert complete.finish_reason == common_pb2.FINISH_REASON_TOOL_CALLS
    calls = [ToolCall(c.id, c.name, c.arguments) for c in complete.tool_calls]
    done = Finished(FinishReason.TOOL_CALLS, Usage(0, 0), Timings(0, 0, 0), tool_calls=calls)
    _check_streamed_call(pieces, done)
    assert complete.usage.completion_tokens > 0


async def test_anthropic_forced_tool_use_streams_as_deltas(anthropic_tools_engine: AnthropicEngine) -> None:
    pieces, _, done = await _run(anthropic_tools_engine, _forced("at1"))
    _check_streamed_call(pieces, done)
    assert done.usage.prompt_tokens > 0


async def _rendered_tokens(url: str, prompt: ChatPrompt, spec: ToolSpec) -> tuple[str, int]:
    """Our OpenAI body for ``prompt`` rendered by llama-server's own template, and its token count."""
    _, body = prompt_body(prompt)
    body |= upstream_tools.openai_tools(spec)
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        rendered = (await http.post("/apply-template", json=body)).json()["prompt"]
        tokens = (await http.post("/tokenize", json={"content": rendered, "add_special": True})).json()["tokens"]
    return rendered, len(tokens)


async def test_openai_tool_history_renders_calls_and_results(openai_tools_engine: OpenAIEngine, tools_url: str) -> None:
    """A conversation with a call and its result, as the upstream's template renders it,
    then answered (tool_choice none: text, no call)."""
    request = _forced("ot2", HISTORY, ToolChoiceMode.NONE)
    assert request.tools is not None
    rendered, count = await _rendered_tokens(tools_url, HISTORY, request.tools)
    assert 'function call<|role_sep|>\n{"name": "get_weather", "arguments": {"city": "Paris"}}' in rendered
    assert "function result<|role_sep|>\n18 degrees and sunny" in rendered
    request = GenerationRequest("ot2", HISTORY, SamplingOptions(max_tokens=8, temperature=0.0), request.tools)
    pieces, text, done = await _run(openai_tools_engine, request)
    assert not pieces
    assert not done.tool_calls
    assert done.reason in (FinishReason.STOP, FinishReason.LENGTH)
    assert text.strip()
    assert done.usage.prompt_tokens == count


async def test_anthropic_tool_history_renders_like_the_openai_one(
    anthropic_tools_engine: AnthropicEngine, tools_url: str
) -> None:
    """tool_use and tool_result blocks reach the template exactly as the OpenAI history does:
    the same prompt, token for token. (llama-server takes no tool_choice none on /v1/messages,
    so the model may call again; either way the answer is well formed.)"""
    spec = ToolSpec((WEATHER,), ToolChoiceMode.AUTO, parallel=False)
    _, count = await _rendered_tokens(tools_url, HISTORY, spec)
    request = GenerationRequest("at2", HISTORY, SamplingOptions(max_tokens=8, temperature=0.0), tools=spec)
    pieces, _, done = await _run(anthropic_tools_engine, request)
    assert done.usage.prompt_tokens == count
    assert done.reason in (FinishReason.STOP, FinishReason.LENGTH, FinishReason.TOOL_CALLS)
    if pieces:
        assert pieces[0].name == "get_weather"
