"""Auth failures reach OpenAI SDK users as 401 / 403 / 429 (with Retry-After) through the bridge,
and a key's priority cap reaches OpenAI and Anthropic SDK users as the service tier a call ran at.

A real stack with auth on: worker + router (SQLite key store) + bridge; keys are
created in the router's store the way `helixflow keys create --direct` does.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest
from prometheus_client import REGISTRY

from helixflow.router.access.admin.convert import template_from_proto
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.keys.store import SqliteKeyStore
from helixflow.stack.local import LocalStack
from helixflow.v1 import admin_pb2, common_pb2
from tests.e2e.conftest import running_stack


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory, auth=True) as local:
        yield local


def _key(stack: LocalStack, name: str, scopes: admin_pb2.KeyScopes) -> str:
    store = SqliteKeyStore(stack.options.certs_dir / "keys.sqlite3")
    _, secret = asyncio.run(KeyService(store).create(template_from_proto(name, scopes)))
    return secret


def _client(stack: LocalStack, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{stack.bridge_url}/v1", api_key=key, max_retries=0, timeout=120)


def _chat(client: openai.OpenAI, model: str) -> str | None:
    reply = client.chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Hi"}], max_tokens=2, temperature=0
    )
    return reply.choices[0].message.content


def test_unknown_key_is_401(secured: LocalStack) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        _chat(_client(secured, "hf_not-a-real-key"), secured.options.model_id)
    assert caught.value.status_code == 401


def test_model_outside_the_keys_scope_is_403(secured: LocalStack) -> None:
    scopes = admin_pb2.KeyScopes(permissions=[admin_pb2.PERMISSION_INFERENCE], models=["some-other-model-*"])
    with pytest.raises(openai.PermissionDeniedError) as caught:
        _chat(_client(secured, _key(secured, "scoped", scopes)), secured.options.model_id)
    assert caught.value.status_code == 403


def test_rpm_limit_is_429_with_retry_after(secured: LocalStack) -> None:
    scopes = admin_pb2.KeyScopes(permissions=[admin_pb2.PERMISSION_INFERENCE], rpm=1)
    client = _client(secured, _key(secured, "one-per-minute", scopes))
    assert _chat(client, secured.options.model_id) is not None
    with pytest.raises(openai.RateLimitError) as caught:
        _chat(client, secured.options.model_id)
    assert caught.value.status_code == 429
    assert float(caught.value.response.headers["retry-after"]) > 0
    assert caught.value.code is not None


def test_bridge_is_ready_without_a_credential(secured: LocalStack) -> None:
    # The kubelet's readiness probe carries no API key; auth must not keep the bridge unready.
    reply = httpx.get(f"{secured.bridge_url}/readyz", timeout=10)
    assert reply.status_code == 200, reply.text


def _generate_count(priority: str) -> float:
    return REGISTRY.get_sample_value("helixflow_router_generate_requests_total", {"priority": priority}) or 0.0


def test_service_tier_priority_on_a_key_without_high_is_capped_not_refused(secured: LocalStack) -> None:
    scopes = admin_pb2.KeyScopes(permissions=[admin_pb2.PERMISSION_INFERENCE])  # no max_priority: at most NORMAL
    key = _key(secured, "no-high", scopes)
    before = _generate_count("high"), _generate_count("normal")
    body = {
        "model": secured.options.model_id,
        "messages": [{"role": "user", "content": "Hi"}],
        "max_tokens": 1,
        "service_tier": "priority",
    }
    reply = httpx.post(
        f"{secured.bridge_url}/v1/chat/completions", json=body, headers={"authorization": f"Bearer {key}"}, timeout=120
    )
    assert reply.status_code == 200, reply.text
    # The router (in this process) ran it at the key's cap: counted as NORMAL, not HIGH,
    # and the response names the tier it ran at, as OpenAI's does.
    assert (_generate_count("high") - before[0], _generate_count("normal") - before[1]) == (0, 1)
    assert reply.json()["service_tier"] == "default"
    stream = httpx.post(
        f"{secured.bridge_url}/v1/responses",
        json={
            "model": body["model"],
            "input": "Hi",
            "max_output_tokens": 1,
            "service_tier": "priority",
            "stream": True,
        },
        headers={"authorization": f"Bearer {key}"},
        timeout=120,
    )
    assert stream.status_code == 200, stream.text
    created = json.loads(stream.text.split("data: ", 1)[1].split("\n", 1)[0])
    assert created["type"] == "response.created"
    assert created["response"]["service_tier"] == "default"


@pytest.mark.parametrize(
    ("max_priority", "served", "counted"),
    [(None, "standard", "normal"), (common_pb2.PRIORITY_HIGH, "priority", "high")],
)
def test_anthropic_service_tier_auto_runs_at_the_keys_cap(
    secured: LocalStack, max_priority: common_pb2.Priority.ValueType | None, served: str, counted: str
) -> None:
    scopes = admin_pb2.KeyScopes(permissions=[admin_pb2.PERMISSION_INFERENCE], max_priority=max_priority)
    key = _key(secured, f"anthropic-{counted}", scopes)
    before = _generate_count(counted)
    with anthropic.Anthropic(base_url=secured.bridge_url, api_key=key, max_retries=0, timeout=120) as client:
        ask = {"model": secured.options.model_id, "max_tokens": 2, "messages": [{"role": "user", "content": "Hi"}]}
        created = client.messages.create(**ask, service_tier="auto")  # type: ignore[call-overload]
        with client.messages.stream(**ask, service_tier="auto") as stream:  # type: ignore[arg-type]
            streamed = stream.get_final_message()
    assert (created.usage.service_tier, streamed.usage.service_tier) == (served, served)
    assert _generate_count(counted) - before == 2
