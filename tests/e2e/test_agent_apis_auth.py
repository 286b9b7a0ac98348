"""With auth on: the Anthropic SDK's typed errors (401, 429 with retry-after), both ways
of carrying the key (x-api-key and Bearer), and stored responses private to their key.

A real stack (worker + router with its SQLite key store + bridge); keys are
created in the router's store the way `helixflow keys create --direct` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import anthropic
import httpx
import openai
import pytest

from helixflow.router.access.admin.convert import template_from_proto
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.keys.store import SqliteKeyStore
from helixflow.stack.local import LocalStack
from helixflow.v1 import admin_pb2
from tests.e2e.conftest import running_stack

INFERENCE = admin_pb2.KeyScopes(permissions=[admin_pb2.PERMISSION_INFERENCE])
HI: list[anthropic.types.MessageParam] = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    with running_stack(tmp_path_factory, auth=True) as local:
        yield local


def _key(stack: LocalStack, name: str, scopes: admin_pb2.KeyScopes = INFERENCE) -> str:
    store = SqliteKeyStore(stack.options.certs_dir / "keys.sqlite3")
    _, secret = asyncio.run(KeyService(store).create(template_from_proto(name, scopes)))
    return secret


_OPENED: list[anthropic.Anthropic | openai.OpenAI] = []


@pytest.fixture(scope="module", autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    for client in _OPENED:
        client.close()


def _claude(stack: LocalStack, api_key: str | None = None, auth_token: str | None = None) -> anthropic.Anthropic:
    client = anthropic.Anthropic(
        base_url=stack.bridge_url, api_key=api_key, auth_token=auth_token, max_retries=0, timeout=120
    )
    _OPENED.append(client)
    return client


def _openai(stack: LocalStack, key: str) -> openai.OpenAI:
    client = openai.OpenAI(base_url=f"{stack.bridge_url}/v1", api_key=key, max_retries=0, timeout=120)
    _OPENED.append(client)
    return client


def test_unknown_key_is_authentication_error(secured: LocalStack) -> None:
    with pytest.raises(anthropic.AuthenticationError) as caught:
        _claude(secured, api_key="hf_not-a-real-key").messages.create(
            model=secured.options.model_id, max_tokens=2, messages=HI
        )
    assert caught.value.status_code == 401
    assert caught.value.body["error"]["type"] == "authentication_error"  # type: ignore[index]


def test_x_api_key_and_bearer_both_carry_the_key(secured: LocalStack) -> None:
    key = _key(secured, "either-header")
    for client in (_claude(secured, api_key=key), _claude(secured, auth_token=key)):
        out = client.messages.create(model=secured.options.model_id, max_tokens=2, messages=HI)
        assert out.usage.output_tokens > 0
        assert client.messages.count_tokens(model=secured.options.model_id, messages=HI).input_tokens > 0


def test_rpm_limit_is_rate_limit_error_with_retry_after(secured: LocalStack) -> None:
    client = _claude(
        secured,
        api_key=_key(secured, "one-a-minute", admin_pb2.KeyScopes(permissions=[admin_pb2.PERMISSION_INFERENCE], rpm=1)),
    )
    client.messages.create(model=secured.options.model_id, max_tokens=2, messages=HI)
    with pytest.raises(anthropic.RateLimitError) as caught:
        client.messages.create(model=secured.options.model_id, max_tokens=2, messages=HI)
    assert caught.value.status_code == 429
    assert float(caught.value.response.headers["retry-after"]) > 0
    assert caught.value.body["error"]["type"] == "rate_limit_error"  # type: ignore[index]


def test_stored_responses_are_private_to_their_key(secured: LocalStack) -> None:
    model = secured.options.model_id
    alice, bob = _openai(secured, _key(secured, "alice")), _openai(secured, _key(secured, "bob"))
    made = alice.responses.create(model=model, input="Hi", max_output_tokens=2)
    assert alice.responses.retrieve(made.id).id == made.id
    with pytest.raises(openai.NotFoundError):
        bob.responses.retrieve(made.id)
    with pytest.raises(openai.NotFoundError):
        bob.responses.input_items.list(made.id)
    with pytest.raises(openai.NotFoundError):
        bob.responses.delete(made.id)
    with pytest.raises(openai.NotFoundError):
        bob.responses.create(model=model, input="Go on", previous_response_id=made.id, max_output_tokens=2)
    # A caller without a valid key learns nothing either: 401, not 404.
    stranger = _openai(secured, "hf_not-a-real-key")
    with pytest.raises(openai.AuthenticationError):
        stranger.responses.retrieve(made.id)
    with pytest.raises(openai.AuthenticationError):
        stranger.responses.create(model=model, input="Go on", previous_response_id=made.id, max_output_tokens=2)
    assert alice.responses.retrieve(made.id).id == made.id  # bob's delete did nothing
    reply = httpx.get(f"{secured.bridge_url}/v1/responses/{made.id}", timeout=30)
    assert reply.status_code == 401
