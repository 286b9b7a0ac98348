"""``helixflow up`` as a user runs it: start, one chat through the bridge, one Generate over gRPC, Ctrl-C.

Workers are child processes: Ctrl-C must stop them too (no orphan)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import httpx
import pytest
from bridge_testing.backend import backend_and_model
from bridge_testing.serve import free_port

from helixflow.v1 import inference_pb2, inference_pb2_grpc


def _wait_for_up(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    seen = []
    for line in proc.stdout:  # ends if the process dies; pytest-timeout guards a hang
        seen.append(line)
        if "Ctrl-C drains" in line:  # the last line of the snippets
            return seen
    raise AssertionError("helixflow up exited early:\n" + "".join(seen))


def test_helixflow_up_serves_rest_and_grpc_then_stops(tmp_path: Path) -> None:
    backend, model = backend_and_model()
    router_port, bridge_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "helixflow.cli.main", "up", "--backend", backend, "--model-id", model]
    cmd += ["--router-port", str(router_port), "--bridge-port", str(bridge_port), "--certs-dir", str(tmp_path)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        seen = _wait_for_up(proc)
        pids = [int(m.group(1)) for line in seen if (m := re.search(r"worker \d+ ready \(pid (\d+)", line))]
        assert len(pids) == 1, seen
        # The curl that `helixflow up` prints, as a user pastes it.
        printed = next(m.group(1) for line in seen if (m := re.search(r"-d '(\{.*\})'", line)))
        body = json.loads(printed)
        assert body["model"] == model
        for _ in range(3):
            r = httpx.post(f"http://127.0.0.1:{bridge_port}/v1/chat/completions", json=body, timeout=120)
            assert r.status_code == 200, r.text
            assert r.json()["choices"][0]["message"]["content"]
        # The console URL it prints serves the console, with the auth-off banner.
        console_url = next(m.group(1) for line in seen if (m := re.search(r"Web console\s+(\S+/ui)", line)))
        page = httpx.get(console_url, follow_redirects=True, timeout=60)
        assert page.status_code == 200, page.text
        assert 'id="auth-off-banner"' in page.text, page.text

        with grpc.insecure_channel(f"127.0.0.1:{router_port}") as channel:
            stub = inference_pb2_grpc.InferenceStub(channel)
            req = inference_pb2.GenerateRequest(model=model, prompt="Hello")
            req.sampling.max_tokens = 4
            events = list(stub.Generate(req, timeout=120))
        assert events[-1].HasField("complete")

        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, rest
        assert "stopped" in rest
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(parent, []).append(int(entry))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def test_helixflow_up_with_two_router_and_two_bridge_processes(tmp_path: Path) -> None:
    """--router-processes 2 --bridge-processes 2: both ports serve, from child processes that
    Ctrl-C stops with the rest."""
    router_port, bridge_port = free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "COLUMNS": "200"}
    cmd = [sys.executable, "-m", "helixflow.cli.main", "up", "--backend", "fake", "--model-id", "fake"]
    cmd += ["--router-port", str(router_port), "--bridge-port", str(bridge_port), "--certs-dir", str(tmp_path)]
    cmd += ["--router-processes", "2", "--bridge-processes", "2"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_for_up(proc)
        spawned = _descendants(proc.pid)
        lines = [_cmdline(pid) for pid in spawned]
        assert sum("helixflow.cli.main router --processes 1" in line for line in lines) == 2, lines
        assert sum("helixflow.cli.main bridge --processes 1" in line for line in lines) == 2, lines
        body = {"model": "fake", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 5}
        for _ in range(4):
            r = httpx.post(f"http://127.0.0.1:{bridge_port}/v1/chat/completions", json=body, timeout=60)
            assert r.status_code == 200, r.text
            assert r.json()["usage"]["completion_tokens"] == 5
        with grpc.insecure_channel(f"127.0.0.1:{router_port}") as channel:
            stub = inference_pb2_grpc.InferenceStub(channel)
            req = inference_pb2.GenerateRequest(model="fake", prompt="Hello")
            req.sampling.max_tokens = 3
            events = list(stub.Generate(req, timeout=60))
        assert events[-1].complete.usage.completion_tokens == 3

        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=90)
        assert proc.returncode == 0, rest
        for pid in spawned:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_front_door_gets_a_quarter_of_the_cores_from_eight() -> None:
    from helixflow.stack.front_door import front_door_processes

    assert [front_door_processes(c) for c in (1, 2, 7)] == [(1, 1)] * 3
    assert [front_door_processes(c) for c in (8, 16, 32, 64, 256)] == [(1, 1), (2, 2), (4, 4), (8, 8), (8, 8)]
    assert front_door_processes(32, auth=True) == (1, 4)  # in-memory quotas stay exact in one router
