"""A worker process dies (SIGSEGV, SIGKILL) under ``helixflow up``'s supervisor while streams run.

The stack is the one ``helixflow up`` starts (``LocalStack``): real model, worker
processes supervised, router and bridge in this process. Each test kills a worker
process from outside, as a native crash would, and checks what clients see:
failover before the first token, an explicit error after it, a 503 while no worker
is left, and the restarted worker back in rotation with no manual step.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from bridge_testing.serve import LoopThread
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from helixflow.stack.local import LocalStack, StackOptions
from helixflow.stack.supervisor import WorkerProcess
from helixflow.v1 import inference_pb2, inference_pb2_grpc

MODEL = "gemma-3-270m"
SLOTS = 2  # per worker, so a burst leaves requests queued (no token yet) on each worker

pytestmark = pytest.mark.slow


class Events:
    """The supervisor's report lines, with a way to wait for one."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()

    def __call__(self, line: str) -> None:
        with self._changed:
            self.lines.append(line)
            self._changed.notify_all()

    def wait_for(self, fragment: str, after: int = 0, timeout: float = 120) -> int:
        """Index of the first line from ``after`` on that contains ``fragment``."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(fragment in line for line in self.lines[after:]), timeout=timeout
            )
            assert found, f"no {fragment!r} in supervisor lines {self.lines}"
            return next(i for i, line in enumerate(self.lines) if i >= after and fragment in line)


@contextlib.contextmanager
def supervised(tmp_path: Path, workers: int, threads: int) -> Iterator[tuple[LocalStack, Events]]:
    events = Events()
    options = StackOptions(
        workers=workers,
        model_id=MODEL,
        router_port=0,
        bridge_port=0,
        certs_dir=tmp_path,
        drain_grace_s=2.0,
        threads_per_worker=threads,
        worker_env={"MAX_SEQUENCES": str(SLOTS), "CONTEXT_PER_SEQUENCE": "512"},
        report=events,
    )
    loop = LoopThread()
    stack = LocalStack(options)
    loop.run(stack.start, timeout=240)
    try:
        yield stack, events
    finally:
        pids = [w.pid for w in stack.workers if w.pid is not None]
        loop.run(stack.stop, timeout=60)
        loop.stop()
        for pid in pids:  # no orphan: every child is gone once stop() returns
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)


@dataclass
class Outcome:
    tokens: int = 0
    completed: bool = False
    code: grpc.StatusCode | None = None
    reason: str = ""


def _stream(address: str, prompt: str, outcome: Outcome, max_tokens: int = 48) -> None:
    request = inference_pb2.GenerateRequest(model=MODEL, prompt=prompt)
    request.sampling.max_tokens = max_tokens
    request.sampling.ignore_eos = True
    request.sampling.temperature = 0.0
    with grpc.insecure_channel(address) as channel:
        try:
            for reply in inference_pb2_grpc.InferenceStub(channel).Generate(request, timeout=180):
                if reply.HasField("delta"):
                    outcome.tokens += len(reply.delta.token_ids)
                elif reply.HasField("complete"):
                    outcome.completed = True
        except grpc.RpcError as err:
            outcome.code = err.code()
            outcome.reason = _error_reason(err)


def _error_reason(err: grpc.RpcError) -> str:
    """The ErrorInfo reason in the status details ("" when there is none)."""
    status = rpc_status.from_call(err)
    info = error_details_pb2.ErrorInfo()
    if status is not None and any(detail.Unpack(info) for detail in status.details):
        return str(info.reason)
    return ""


def _worker_at(stack: LocalStack, address: str) -> WorkerProcess:
    return next(w for w in stack.workers if w.spec.address == address)


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LocalStack, Events]]:
    with supervised(tmp_path_factory.mktemp("two"), workers=2, threads=1) as pair:
        yield pair


@pytest.mark.parametrize("sig", [signal.SIGSEGV, signal.SIGKILL], ids=["SIGSEGV", "SIGKILL"])
def test_worker_death_fails_over_before_the_first_token_and_errors_after(
    two_workers: tuple[LocalStack, Events], sig: signal.Signals
) -> None:
    stack, events = two_workers
    assert stack.router is not None
    pool = stack.router.pool.workers
    seen = len(events.lines)
    outcomes = [Outcome() for _ in range(4 * SLOTS)]
    with ThreadPoolExecutor(len(outcomes)) as streams:
        for i, outcome in enumerate(outcomes):
            streams.submit(_stream, stack.router_address, f"Story number {i}: once upon a time", outcome)
        # Kill the busier worker once it has more requests than slots (some have no token
        # yet) and streams are producing tokens.
        _wait(lambda: max(w.inflight for w in pool.values()) > SLOTS, 60, "a worker with queued requests")
        _wait(lambda: sum(o.tokens > 0 for o in outcomes) >= 2, 120, "two streams with tokens")
        victim_address = max(pool.values(), key=lambda w: w.inflight).address
        victim = _worker_at(stack, victim_address)
        queued_on_victim = pool[victim_address].inflight - SLOTS
        assert victim.pid is not None
        os.kill(victim.pid, sig)
    died = events.wait_for(f"died: {sig.name}", after=seen)
    assert f"worker {victim.spec.index}" in events.lines[died]

    failed = [o for o in outcomes if not o.completed]
    # Only a stream that had tokens may fail, and then explicitly: UNAVAILABLE, worker lost.
    for outcome in failed:
        assert outcome.tokens > 0, f"a stream without a token failed instead of failing over: {outcome}"
        assert outcome.code == grpc.StatusCode.UNAVAILABLE, outcome
        assert outcome.reason == "WORKER_LOST", outcome
    assert 1 <= len(failed) <= SLOTS  # the victim's running streams, no more
    # The victim's queued requests (no token yet) completed elsewhere, with every token.
    assert queued_on_victim >= 1
    for outcome in outcomes:
        if outcome.completed:
            assert outcome.tokens == 48

    # The supervisor restarts it; the router takes it back with no manual step.
    events.wait_for(f"worker {victim.spec.index} ready", after=died)
    restarted_at = time.monotonic()
    served_before = pool[victim_address].served
    probe = Outcome()
    while pool[victim_address].served == served_before:
        assert time.monotonic() - restarted_at < 10, "the restarted worker got no request within 10 s"
        probe = Outcome()
        _stream(stack.router_address, f"probe {time.monotonic()}", probe, max_tokens=2)
        assert probe.completed, probe
    assert victim.restarts >= 1


def _sse_events(response: httpx.Response) -> Iterator[str]:
    for line in response.iter_lines():
        if line.startswith("data: "):
            yield line.removeprefix("data: ")


def test_single_worker_death_gives_an_sse_error_then_503_then_recovers(tmp_path: Path) -> None:
    with supervised(tmp_path, workers=1, threads=2) as (stack, events):
        (worker,) = stack.workers
        body = {
            "model": MODEL,
            "messages": [{"role": "user", "content": "Tell me a long story."}],
            "max_tokens": 400,
            "ignore_eos": True,
            "stream": True,
        }
        with httpx.Client(base_url=stack.bridge_url, timeout=120) as http:
            with http.stream("POST", "/v1/chat/completions", json=body) as r:
                assert r.status_code == 200
                data = _sse_events(r)
                for _ in range(3):
                    assert "choices" in json.loads(next(data))
                assert worker.pid is not None
                os.kill(worker.pid, signal.SIGSEGV)
                rest = list(data)
            # An explicit error event, then [DONE]: never a silent cut.
            assert rest[-1] == "[DONE]"
            errors = [json.loads(e)["error"] for e in rest[:-1] if '"error"' in e]
            assert len(errors) == 1, rest
            assert errors[0]["code"] == "worker_lost" or "worker" in errors[0]["message"].lower(), errors

            # While the only worker is down: 503 in OpenAI's error schema.
            died = events.wait_for("died: SIGSEGV")
            chat = {"model": MODEL, "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 2}
            down = http.post("/v1/chat/completions", json=chat)
            assert not any("worker 1 ready" in line for line in events.lines[died:]), "restarted too fast to test"
            assert down.status_code == 503, down.text
            error = down.json()["error"]
            assert error["message"]
            assert error["type"] == "server_error"

            # Back within seconds of the restart.
            events.wait_for("worker 1 ready", after=died)
            restarted_at = time.monotonic()
            while (up := http.post("/v1/chat/completions", json=chat)).status_code != 200:
                assert up.status_code == 503, up.text
                assert time.monotonic() - restarted_at < 10, "no answer within 10 s of the restart"
                time.sleep(0.1)
            assert up.json()["choices"][0]["message"]["content"] is not None
