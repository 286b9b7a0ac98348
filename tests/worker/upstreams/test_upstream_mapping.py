"""Pure translation rules of the upstream backends: explicit presence, error mapping, secrets."""

from __future__ import annotations

from pathlib import Path

import grpc
import httpx
import pytest
from google.rpc import error_details_pb2, status_pb2

from helixflow.common.errors import InvalidArgument, PromptTooLong, UpstreamRateLimited, UpstreamUnavailable
from helixflow.common.grpc_errors import to_rpc_status
from helixflow.worker.backends import upstream_http as up
from helixflow.worker.backends.anthropic_messages import request_body
from helixflow.worker.backends.openai_compat import sampling_body
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import ChatPrompt, Message, SamplingOptions, TextPrompt
from helixflow.worker.upstream_settings import UpstreamSettings

KEY = "sk-secret-abcdef0123456789"


def test_unset_sampling_fields_are_not_sent() -> None:
    assert sampling_body(SamplingOptions()) == {}
    # Zero is a value, never "unset" (the temperature=0 bug of TGI, SGLang and vLLM).
    body = sampling_body(SamplingOptions(temperature=0.0, seed=0, top_k=0, stop=("\n",), max_tokens=5))
    assert body == {"temperature": 0.0, "seed": 0, "top_k": 0, "stop": ["\n"], "max_tokens": 5}


def test_anthropic_body_moves_system_out_and_maps_stops() -> None:
    prompt = ChatPrompt((Message("system", "Be brief."), Message("user", "Hi")))
    body = request_body(prompt, SamplingOptions(temperature=0.0, stop=("END",)), default_max=77)
    assert body == {
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 77,
        "temperature": 0.0,
        "stop_sequences": ["END"],
    }
    with pytest.raises(InvalidArgument, match="seed"):
        request_body(TextPrompt("x"), SamplingOptions(seed=1), default_max=8)


def _status(code: int, body: str, headers: dict[str, str] | None = None) -> Exception:
    return up.status_error("openai", code, body.encode(), httpx.Headers(headers or {}), up.Secret(KEY))


def test_429_is_resource_exhausted_with_retry_info_from_retry_after() -> None:
    err = _status(429, '{"error": {"message": "slow down"}}', {"retry-after": "7"})
    assert isinstance(err, UpstreamRateLimited)
    assert err.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    details = dict(to_rpc_status(err).trailing_metadata)["grpc-status-details-bin"]
    parsed = status_pb2.Status.FromString(details)
    retry = error_details_pb2.RetryInfo()
    assert any(d.Unpack(retry) for d in parsed.details)
    assert retry.retry_delay.seconds == 7


def test_upstream_errors_map_to_our_statuses() -> None:
    assert isinstance(_status(500, "boom"), UpstreamUnavailable)
    assert isinstance(_status(503, '{"error": {"message": "loading"}}'), UpstreamUnavailable)
    bad = _status(400, '{"error": {"message": "temperature must be >= 0", "type": "invalid_request_error"}}')
    assert type(bad) is InvalidArgument
    assert "temperature must be >= 0" in str(bad)
    too_long = _status(400, '{"error": {"message": "too long", "code": "context_length_exceeded"}}')
    assert isinstance(too_long, PromptTooLong)
    # OpenAI's 401 message echoes part of the key: it must reach neither the caller nor the log.
    denied = _status(401, f'{{"error": {{"message": "Incorrect API key provided: {KEY}"}}}}')
    assert isinstance(denied, UpstreamUnavailable)
    assert denied.code is grpc.StatusCode.UNAVAILABLE
    assert KEY not in str(denied)
    assert KEY not in str(_status(400, f'{{"error": {{"message": "bad key {KEY}"}}}}'))


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert up.retry_after_s("2.5") == 2.5
    assert up.retry_after_s(None) == up.DEFAULT_RETRY_AFTER_S
    assert up.retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past


def test_the_key_comes_from_a_file_or_a_named_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "k").write_text(KEY + "\n")
    assert UpstreamSettings(api_key_file=tmp_path / "k").read_api_key() == KEY
    monkeypatch.setenv("MY_UPSTREAM_KEY", KEY)
    assert UpstreamSettings(api_key_env="MY_UPSTREAM_KEY").read_api_key() == KEY
    with pytest.raises(ValueError, match="NOT_SET_ANYWHERE"):
        UpstreamSettings(api_key_env="NOT_SET_ANYWHERE").read_api_key()
    assert KEY not in repr(up.Secret(KEY))
    assert KEY not in str(up.Secret(KEY))


def test_worker_settings_read_the_upstream_block_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIXFLOW_WORKER_BACKEND", "openai")
    monkeypatch.setenv("HELIXFLOW_WORKER_UPSTREAM__BASE_URL", "http://h:1/v1")
    monkeypatch.setenv("HELIXFLOW_WORKER_UPSTREAM__API_KEY_ENV", "OPENAI_API_KEY")
    settings = WorkerSettings()
    assert settings.backend == "openai"
    assert settings.upstream.base_url == "http://h:1/v1"
    assert settings.upstream.api_key_env == "OPENAI_API_KEY"
