"""Upstream API keys stored by HelixFlow (``upstream.api_key_secret``): decrypted from the
shared Redis at start, re-read after a 401 (a provider key rotated without a restart),
and never in logs or metrics."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator

import grpc
import pytest
import pytest_asyncio
import redis.asyncio as aioredis
from prometheus_client import generate_latest
from upstream_testing import run

from helixflow.common.config import TlsSettings
from helixflow.common.errors import UpstreamUnavailable
from helixflow.common.secrets import Keyring, SecretStore, SecretsUnavailable, generate_key
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2, worker_pb2_grpc
from helixflow.worker.backends.anthropic_messages import AnthropicEngine
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import FinishReason, GenerationRequest, SamplingOptions, TextPrompt
from helixflow.worker.server import create_server
from helixflow.worker.upstream_settings import UpstreamSettings
from tests.router.auth.redis_proc import RedisProcess

KEYS_ENV = "HELIXFLOW_TEST_WORKER_KEYRING"


@pytest.fixture(scope="module")
def redis_proc() -> Iterator[RedisProcess]:
    proc = RedisProcess()
    yield proc
    proc.kill()


@pytest.fixture
def keyring(monkeypatch: pytest.MonkeyPatch) -> Keyring:
    text = f"k1:{generate_key()}"
    monkeypatch.setenv(KEYS_ENV, text)
    return Keyring.parse(text)


@pytest_asyncio.fixture
async def store(redis_proc: RedisProcess, keyring: Keyring) -> AsyncIterator[SecretStore]:
    client = aioredis.Redis.from_url(redis_proc.url)
    await client.flushall()
    yield SecretStore(client, keyring)
    await client.aclose()


def _settings(base_url: str, redis_url: str) -> UpstreamSettings:
    return UpstreamSettings(
        base_url=base_url, api_key_secret="llama", secrets_redis_url=redis_url, secrets_keys_env=KEYS_ENV
    )


def _request(rid: str) -> GenerationRequest:
    return GenerationRequest(rid, TextPrompt("The sky is"), SamplingOptions(max_tokens=3, temperature=0.0))


async def test_a_rotated_provider_key_is_picked_up_after_a_401(
    llama_url: str,
    upstream_key: str,
    redis_proc: RedisProcess,
    store: SecretStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    old = f"sk-revoked-{secrets.token_hex(12)}"
    await store.set("llama", old)
    engine = AnthropicEngine("gemma-stored-key", _settings(llama_url, redis_proc.url))
    with caplog.at_level("DEBUG"):
        await engine.load()
        try:
            with pytest.raises(UpstreamUnavailable) as refused:
                await run(engine, _request("s1"))  # the stored key is wrong and nobody changed it
            assert refused.value.metadata["upstream_status"] == "401"
            await store.set("llama", upstream_key)  # the operator stores the new provider key
            texts, done = await run(engine, _request("s2"))  # no restart
            assert done.reason is FinishReason.LENGTH
            assert "".join(texts)
            _, again = await run(engine, _request("s3"))  # and it stays in use
            assert again.usage.completion_tokens == 3
        finally:
            await engine.close()
    assert "found a new one" in caplog.text
    assert "refused this worker's credentials" in caplog.text  # the logs were captured
    assert old not in caplog.text
    assert upstream_key not in caplog.text


async def test_a_worker_reads_its_stored_key_at_start_and_never_logs_or_exports_it(
    llama_url: str,
    upstream_key: str,
    redis_proc: RedisProcess,
    store: SecretStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await store.set("llama", upstream_key)
    settings = WorkerSettings(
        listen="127.0.0.1:0",
        tls=TlsSettings(insecure=True),
        backend="openai",
        model_id="gemma-stored",
        metrics_port=0,
        upstream=_settings(f"{llama_url}/v1", redis_proc.url),
    )
    with caplog.at_level("DEBUG"):
        server, port = create_server(settings)
        await server.start()  # decrypts the key, lists the upstream's models, warms up through it
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                stub = worker_pb2_grpc.WorkerStub(channel)
                req = inference_pb2.GenerateRequest(request_id="w1", prompt="The sky is")
                req.sampling.max_tokens = 3
                req.sampling.ignore_eos = True
                complete = None
                async for msg in stub.Generate(worker_pb2.WorkerGenerateRequest(request=req)):
                    if msg.response.WhichOneof("event") == "complete":
                        complete = msg.response.complete
                info = await stub.Info(worker_pb2.InfoRequest())
            metrics = generate_latest(server.metrics.registry).decode()
        finally:
            await server.stop(grace=0)
    assert complete is not None
    assert complete.finish_reason == common_pb2.FINISH_REASON_LENGTH
    assert "generate length" in caplog.text  # the logs were captured
    for text in (caplog.text, metrics, str(info)):
        assert upstream_key not in text


async def test_a_stored_key_needs_the_keyring(
    llama_url: str, redis_proc: RedisProcess, store: SecretStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    await store.set("llama", "sk-anything")
    monkeypatch.delenv(KEYS_ENV)
    engine = AnthropicEngine("gemma-no-keyring", _settings(llama_url, redis_proc.url))
    with pytest.raises(SecretsUnavailable, match=KEYS_ENV):
        await engine.load()
    await engine.close()
    monkeypatch.setenv(KEYS_ENV, f"k9:{generate_key()}")  # a keyring without the record's key
    engine = AnthropicEngine("gemma-wrong-keyring", _settings(llama_url, redis_proc.url))
    with pytest.raises(SecretsUnavailable, match="k1"):
        await engine.load()
    await engine.close()
