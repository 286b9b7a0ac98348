"""Two bridge processes sharing one redis-server: a conversation started on one continues
on the other with previous_response_id, and stays private to the key that started it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bridge_testing.fake_router import FakeInference, start_fake_router
from bridge_testing.serve import LoopThread, free_port

from helixflow.v1 import common_pb2
from tests.router.auth.redis_proc import RedisProcess

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("gen/python", "services/common", "services/worker", "services/router", "services/rest_bridge")


def _bridge(port: int, router_port: int, redis_url: str, tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in SOURCES),
        "HELIXFLOW_BRIDGE_REDIS_URL": redis_url,
        # Each process would have a SQLite file of its own: proof that Redis, not it, is used.
        "HELIXFLOW_BRIDGE_RESPONSES_DB_PATH": str(tmp / f"unused-{port}.sqlite3"),
    }
    command = [sys.executable, "-c", "from helixflow.cli.main import app; app()", "bridge"]
    command += ["--port", str(port), "--router", f"127.0.0.1:{router_port}", "--log-format", "text"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_healthy(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90  # interpreter start-up on a busy machine: a safety net, not a timing claim
    while time.monotonic() < deadline:
        assert proc.poll() is None, "bridge exited during start-up"
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"bridge at {url} never became healthy")


@pytest.fixture(scope="module")
def replicas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[str], FakeInference]]:
    redis = RedisProcess()
    loop = LoopThread()
    router, router_port, servicer = loop.run(start_fake_router)
    tmp = tmp_path_factory.mktemp("replicas")
    ports = [free_port(), free_port()]
    procs = [_bridge(port, router_port, redis.url, tmp) for port in ports]
    try:
        urls = [f"http://127.0.0.1:{port}" for port in ports]
        for url, proc in zip(urls, procs, strict=True):
            _wait_healthy(url, proc)
        yield urls, servicer
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
        loop.run(lambda: router.stop(None))
        loop.stop()
        redis.kill()


def test_conversation_continues_on_the_other_replica(replicas: tuple[list[str], FakeInference]) -> None:
    (one, two), servicer = replicas
    alice, bob = {"authorization": "Bearer alice"}, {"authorization": "Bearer bob"}
    first = httpx.post(f"{one}/v1/responses", json={"model": "fake-model", "input": "hello"}, headers=alice, timeout=30)
    assert first.status_code == 200, first.text
    rid = first.json()["id"]
    assert httpx.get(f"{two}/v1/responses/{rid}", headers=alice, timeout=30).json() == first.json()
    follow = {"model": "fake-model", "input": "again", "previous_response_id": rid, "stream": True}
    second = httpx.post(f"{two}/v1/responses", json=follow, headers=alice, timeout=30)
    assert second.status_code == 200
    assert "response.completed" in second.text
    req = servicer.last_request
    assert req is not None
    assert [(m.role, m.content) for m in req.messages.messages] == [
        (common_pb2.ROLE_USER, "hello"),
        (common_pb2.ROLE_ASSISTANT, "Hello world! seed 0"),
        (common_pb2.ROLE_USER, "again"),
    ]
    # Private per key on every replica.
    for url in (one, two):
        assert httpx.get(f"{url}/v1/responses/{rid}", headers=bob, timeout=30).status_code == 404
        stolen = httpx.post(f"{url}/v1/responses", json=follow, headers=bob, timeout=30)
        assert stolen.status_code == 404
    # Deleted on one replica: gone on the other.
    assert httpx.delete(f"{two}/v1/responses/{rid}", headers=alice, timeout=30).status_code == 200
    assert httpx.get(f"{one}/v1/responses/{rid}", headers=alice, timeout=30).status_code == 404
