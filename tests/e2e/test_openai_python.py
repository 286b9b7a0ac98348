"""The official openai Python SDK (sync and async) against the whole stack through the bridge."""

from __future__ import annotations

import json
import time

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam

from helixflow.stack.local import LocalStack

HI: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Say hello in three words."}]

PERSON: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Invent a person. Answer in JSON."}]


@pytest.fixture(scope="module")
def client(stack: LocalStack) -> openai.OpenAI:
    return openai.OpenAI(base_url=stack.bridge_url + "/v1", api_key="unused", max_retries=0)


@pytest.fixture
def aclient(stack: LocalStack) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=stack.bridge_url + "/v1", api_key="unused", max_retries=0)


def test_chat_sync(client: openai.OpenAI, model: str) -> None:
    out = client.chat.completions.create(model=model, messages=HI, max_tokens=8, temperature=0)
    assert out.object == "chat.completion"
    assert out.choices[0].message.role == "assistant"
    assert out.choices[0].message.content
    assert out.choices[0].finish_reason in ("stop", "length")
    assert out.usage is not None
    assert out.usage.completion_tokens >= 1
    assert out.system_fingerprint


def test_chat_stream_sync_with_usage(client: openai.OpenAI, model: str) -> None:
    stream = client.chat.completions.create(
        model=model,
        messages=HI,
        max_tokens=8,
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    finals = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finals) == 1
    assert chunks[-1].choices == []
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens >= 1


async def test_chat_async_stream_and_not(aclient: openai.AsyncOpenAI, model: str) -> None:
    out = await aclient.chat.completions.create(model=model, messages=HI, max_tokens=6)
    assert out.choices[0].message.content
    stream = await aclient.chat.completions.create(model=model, messages=HI, max_tokens=6, stream=True)
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    assert text
    await aclient.close()


def test_completions_sync_and_stream(client: openai.OpenAI, model: str) -> None:
    out = client.completions.create(model=model, prompt="The capital of France is", max_tokens=5, temperature=0)
    assert out.object == "text_completion"
    assert out.choices[0].text
    stream = client.completions.create(model=model, prompt="One, two,", max_tokens=5, stream=True)
    assert "".join(c.choices[0].text for c in stream if c.choices)


async def test_completions_async(aclient: openai.AsyncOpenAI, model: str) -> None:
    out = await aclient.completions.create(model=model, prompt="Hello", max_tokens=4)
    assert out.choices[0].text
    await aclient.close()


def test_embeddings_sync(client: openai.OpenAI, model: str) -> None:
    out = client.embeddings.create(model=model, input=["hello", "world"])  # SDK asks for base64
    assert [d.index for d in out.data] == [0, 1]
    assert len(out.data[0].embedding) > 1
    floats = client.embeddings.create(model=model, input="hello", encoding_format="float")
    assert floats.data[0].embedding == pytest.approx(out.data[0].embedding, rel=1e-5)


async def test_embeddings_async(aclient: openai.AsyncOpenAI, model: str) -> None:
    out = await aclient.embeddings.create(model=model, input="hello")
    assert len(out.data) == 1
    await aclient.close()


def test_models(client: openai.OpenAI, model: str) -> None:
    assert model in [m.id for m in client.models.list()]
    assert client.models.retrieve(model).id == model


def test_seed_determinism(client: openai.OpenAI, model: str) -> None:
    def ask() -> str | None:
        out = client.chat.completions.create(
            model=model,
            messages=HI,
            max_tokens=12,
            temperature=1.0,
            seed=1234,
        )
        return out.choices[0].message.content

    assert ask() == ask()


def test_n_two_choices(client: openai.OpenAI, model: str) -> None:
    out = client.chat.completions.create(model=model, messages=HI, max_tokens=6, n=2, seed=5)
    assert [c.index for c in out.choices] == [0, 1]
    assert out.usage is not None
    stream = client.chat.completions.create(model=model, messages=HI, max_tokens=6, n=2, stream=True)
    finished = {c.choices[0].index for c in stream if c.choices and c.choices[0].finish_reason}
    assert finished == {0, 1}


def test_json_schema_response_format(client: openai.OpenAI, model: str, real_model: bool) -> None:
    if not real_model:
        pytest.skip("the fake engine has no structured output")
    schema: dict[str, object] = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    out = client.chat.completions.create(
        model=model,
        messages=PERSON,
        max_tokens=60,
        temperature=0,
        response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}},
    )
    data = json.loads(out.choices[0].message.content or "")
    assert isinstance(data["name"], str)
    assert isinstance(data["age"], int)


def test_errors(client: openai.OpenAI, model: str) -> None:
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=HI)
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("no-such-model")
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model=model, messages=HI, temperature=5)
    assert isinstance(bad.value.body, dict)
    assert bad.value.body["param"] == "temperature"
    with pytest.raises(openai.BadRequestError) as bad:  # tools are served, but this schema is no object
        client.chat.completions.create(
            model=model,
            messages=HI,
            tools=[{"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}],
        )
    assert isinstance(bad.value.body, dict)
    assert bad.value.body["param"] == "tools[0].function.parameters"


def _running(stack: LocalStack) -> int:
    """Sequences decoding on the workers, from the load reports the router follows."""
    assert stack.router is not None
    return sum(worker.load.running for worker in stack.router.pool.workers.values())


def _wait_running(stack: LocalStack, wanted: int) -> int:
    # Load reports arrive every 250 ms: wait for the one that shows the change (no timing asserted).
    deadline = time.monotonic() + 60
    while _running(stack) != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return _running(stack)


def test_disconnect_frees_worker_slot(stack: LocalStack, model: str) -> None:
    body = {"model": model, "messages": HI, "max_tokens": 4000, "ignore_eos": True, "stream": True}
    with httpx.Client(base_url=stack.bridge_url) as http, http.stream("POST", "/v1/chat/completions", json=body) as r:
        lines = r.iter_lines()
        for _ in range(4):
            next(lines)
        assert _wait_running(stack, 1) == 1
    # Closing the response drops the connection; the bridge cancels the gRPC call and
    # the router and worker abort the sequence.
    assert _wait_running(stack, 0) == 0
