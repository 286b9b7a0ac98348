"""Bridge behaviour against a scripted router: schemas, SSE framing, errors, limits, cancellation."""

from __future__ import annotations

import time

import httpx
import orjson
import pytest
from bridge_testing.stack import FakeStack

CHAT = "/v1/chat/completions"
MSG = [{"role": "user", "content": "hi"}]


def _events(resp: httpx.Response) -> list[bytes]:
    return [line.removeprefix(b"data: ") for line in resp.content.split(b"\n\n") if line]


def test_chat_non_stream_shape(http: httpx.Client) -> None:
    r = http.post(CHAT, json={"model": "fake-model", "messages": MSG, "temperature": 0})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["id", "object", "created", "model", "choices", "usage", "system_fingerprint", "service_tier"]
    assert body["service_tier"] == "default"
    assert body["object"] == "chat.completion"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Hello world! seed 0", "refusal": None}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 3, "completion_tokens": 5, "total_tokens": 8}
    assert float(r.headers["x-helixflow-overhead-ms"]) >= 0.5  # includes the router's 0.5 ms


def test_temperature_zero_is_sent_explicitly(http: httpx.Client, fake_stack: FakeStack) -> None:
    http.post(CHAT, json={"model": "fake-model", "messages": MSG, "temperature": 0, "top_k": 0})
    req = fake_stack.servicer.last_request
    assert req is not None
    assert req.sampling.HasField("temperature")
    assert not req.sampling.HasField("top_k")
    assert not req.sampling.HasField("top_p")


def test_chat_stream_framing(http: httpx.Client) -> None:
    body = {"model": "fake-model", "messages": MSG, "stream": True, "stream_options": {"include_usage": True}}
    r = http.post(CHAT, json=body)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    events = _events(r)
    assert events[-1] == b"[DONE]"
    chunks = [orjson.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"]["completion_tokens"] == 5
    assert "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1]) == "Hello world! seed 0"


def test_stream_n2_and_seed_offsets(http: httpx.Client) -> None:
    body = {"model": "fake-model", "messages": MSG, "stream": True, "n": 2, "seed": 7}
    events = _events(http.post(CHAT, json=body))
    chunks = [orjson.loads(e) for e in events[:-1]]
    texts = {0: "", 1: ""}
    for c in chunks:
        for ch in c["choices"]:
            texts[ch["index"]] += ch["delta"].get("content") or ""
    assert texts == {0: "Hello world! seed 7", 1: "Hello world! seed 8"}


def test_completions_with_logprobs(http: httpx.Client) -> None:
    r = http.post("/v1/completions", json={"model": "fake-model", "prompt": "x", "logprobs": 1, "max_tokens": 2})
    body = r.json()
    assert body["object"] == "text_completion"
    assert body["choices"][0]["finish_reason"] == "length"
    assert body["choices"][0]["logprobs"]["tokens"] == ["Hello", " world"]
    assert body["choices"][0]["logprobs"]["text_offset"] == [0, 5]


def test_mid_stream_error_is_event_then_done(http: httpx.Client) -> None:
    r = http.post(
        CHAT, json={"model": "fake-model", "messages": [{"role": "user", "content": "fail-mid"}], "stream": True}
    )
    events = _events(r)
    assert events[-1] == b"[DONE]"
    err = orjson.loads(events[-2])
    assert err["error"]["type"] == "server_error"
    assert err["error"]["code"] == "worker_lost"


def test_error_mapping(http: httpx.Client) -> None:
    r = http.post(CHAT, json={"model": "nope", "messages": MSG, "stream": True})
    assert r.status_code == 404
    assert r.json()["error"] == {
        "message": "model 'nope' not found",
        "type": "invalid_request_error",
        "param": "model",
        "code": "model_not_found",
    }
    r = http.post(CHAT, json={"model": "fake-model", "messages": [{"role": "user", "content": "busy"}]})
    assert r.status_code == 429
    assert r.headers["retry-after"] == "3"
    r = http.post(CHAT, json={"model": "fake-model", "messages": MSG}, headers={"authorization": "Bearer bad"})
    assert r.status_code == 401


def test_authorization_is_forwarded(http: httpx.Client, fake_stack: FakeStack) -> None:
    http.post(CHAT, json={"model": "fake-model", "messages": MSG}, headers={"authorization": "Bearer tok"})
    assert fake_stack.servicer.last_metadata["authorization"] == "Bearer tok"


def test_unsupported_fields_name_themselves(http: httpx.Client) -> None:
    for field, value in [("functions", [{"name": "f"}]), ("logit_bias", {"1": 2}), ("bogus", 1)]:
        r = http.post(CHAT, json={"model": "fake-model", "messages": MSG, field: value})
        assert r.status_code == 400, (field, r.text)
        assert r.json()["error"]["param"] == field
    r = http.post(CHAT, json={"model": "fake-model", "messages": MSG, "tools": [], "store": False})
    assert r.status_code == 200


def test_out_of_range_max_tokens_is_a_400_naming_the_field(http: httpx.Client) -> None:
    # The contract's max_tokens is a uint32; schemathesis once found a 500 here.
    cases = [(CHAT, "max_completion_tokens"), (CHAT, "max_tokens"), ("/v1/completions", "max_tokens")]
    for path, field in cases:
        body: dict[str, object] = {"model": "fake-model", field: 2**32}
        body.update({"messages": MSG} if path == CHAT else {"prompt": "hi"})
        r = http.post(path, json=body)
        assert r.status_code == 400, (path, field, r.text)
        assert r.json()["error"]["param"] == field


def test_body_and_content_type_limits(http: httpx.Client) -> None:
    r = http.post(CHAT, content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "invalid_json"
    r = http.post(CHAT, content=b"model=x", headers={"content-type": "application/x-www-form-urlencoded"})
    assert r.status_code == 415
    r = http.post(CHAT, json={"model": "fake-model", "messages": [{"role": "user", "content": "x" * 70_000}]})
    assert r.status_code == 413


def test_models_and_embeddings(http: httpx.Client) -> None:
    assert http.get("/v1/models").json()["data"][0]["id"] == "fake-model"
    assert http.get("/v1/models/fake").json()["id"] == "fake-model"
    assert http.get("/v1/models/other").status_code == 404
    r = http.post("/v1/embeddings", json={"model": "fake-model", "input": ["a", "bb"]})
    assert [d["embedding"][2] for d in r.json()["data"]] == [1.0, 2.0]
    r = http.post("/v1/embeddings", json={"model": "fake-model", "input": [[1, 2]]})
    assert r.status_code == 400
    assert http.get("/readyz").status_code == 200
    assert b"helixflow_bridge_requests_total" in http.get("/metrics").content


def test_client_disconnect_cancels_grpc_call(fake_stack: FakeStack) -> None:
    body = {"model": "fake-model", "messages": [{"role": "user", "content": "slow"}], "stream": True}
    before = fake_stack.servicer.cancelled
    with httpx.Client(base_url=fake_stack.base_url) as client, client.stream("POST", CHAT, json=body) as r:
        for _ in r.iter_lines():
            if fake_stack.servicer.active:
                break
    deadline = time.monotonic() + 10
    while fake_stack.servicer.cancelled == before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert fake_stack.servicer.cancelled == before + 1
    assert fake_stack.servicer.active == 0


def test_request_translation(http: httpx.Client, fake_stack: FakeStack) -> None:
    body = {
        "model": "fake-model",
        "messages": [
            {"role": "system", "content": "be brief"},
            {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        ],
        "max_tokens": 9,
        "max_completion_tokens": 3,
        "stop": "END",
        "response_format": {"type": "json_object"},
        "min_p": 0.1,
        "ignore_eos": True,
    }
    assert http.post(CHAT, json=body).status_code == 200
    req = fake_stack.servicer.last_request
    assert req is not None
    assert [m.content for m in req.messages.messages] == ["be brief", "hi"]
    assert req.sampling.max_tokens == 3  # max_completion_tokens wins over the deprecated max_tokens
    assert list(req.sampling.stop) == ["END"]
    assert req.sampling.structured_output.json_schema == '{"type": "object"}'
    assert req.sampling.ignore_eos
    assert req.sampling.min_p == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("field", "value"),
    [("stream", "yes"), ("max_tokens", "3"), ("temperature", "0.5"), ("n", 1.5), ("logprobs", 1), ("seed", "7")],
)
def test_wrong_json_types_are_refused_not_coerced(http: httpx.Client, field: str, value: object) -> None:
    # OpenAI answers 400 for each of these; coercing "3" to 3 would hide the client's bug.
    r = http.post(CHAT, json={"model": "fake-model", "messages": MSG, field: value})
    assert r.status_code == 400, (field, r.text)
    error = r.json()["error"]
    assert error["param"] == field
    assert error["type"] == "invalid_request_error"


def test_integers_stay_valid_numbers(http: httpx.Client, fake_stack: FakeStack) -> None:
    # JSON has one number type: 1 is a valid temperature, as in OpenAI's API.
    r = http.post(CHAT, json={"model": "fake-model", "messages": MSG, "temperature": 1, "top_p": 1})
    assert r.status_code == 200, r.text
    req = fake_stack.servicer.last_request
    assert req is not None
    assert req.sampling.temperature == 1.0


def test_lone_surrogate_is_a_400_that_logs_no_error(http: httpx.Client, caplog: pytest.LogCaptureFixture) -> None:
    # JSON may carry "\ud800"; protobuf strings must be UTF-8. The client, the log and
    # the status must agree: a 400, and no "Exception in ASGI application" trace.
    body = b'{"model": "fake-model", "messages": [{"role": "user", "content": "a\\ud800b"}]}'
    with caplog.at_level("WARNING"):
        r = http.post(CHAT, content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    error = r.json()["error"]
    assert "Unicode" in error["message"]
    assert error["param"] is not None
    assert error["param"].startswith("messages")
    assert [rec.getMessage() for rec in caplog.records if rec.levelno >= 40] == []
