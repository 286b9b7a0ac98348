"""``helixflow bridge --processes 2``: two bridge processes serve one port (SO_REUSEPORT),
and SIGTERM to the parent stops both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("gen/python", "services/common", "services/worker", "services/router", "services/rest_bridge")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(p) for p in f.read().split()]


def _listening_inodes(pid: int, port: int) -> set[str]:
    """Inodes of the LISTEN sockets on ``port`` that process ``pid`` holds."""
    listening = set()
    with open("/proc/net/tcp") as f:
        for line in f.readlines()[1:]:
            parts = line.split()
            if parts[1].endswith(f":{port:04X}") and parts[3] == "0A":
                listening.add(parts[9])
    held = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(target[8:-1])
    return listening & held


def test_two_bridge_processes_listen_on_one_port_and_stop_together() -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in SOURCES)}
    command = [sys.executable, "-c", "from helixflow.cli.main import app; app()", "bridge"]
    command += ["--processes", "2", "--port", str(port), "--router", "127.0.0.1:1"]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60  # start-up of two interpreters: a safety net, not a timing claim
        children: list[int] = []
        while time.monotonic() < deadline:
            children = _children(proc.pid)
            if len(children) == 2 and all(_listening_inodes(c, port) for c in children):
                break
            time.sleep(0.2)
        assert len(children) == 2
        # Each child holds a listening socket of its own on the same port.
        inodes = [_listening_inodes(c, port) for c in children]
        assert all(inodes)
        assert not inodes[0] & inodes[1]
        for _ in range(8):  # fresh connections, whichever process takes them
            with httpx.Client() as http:
                assert http.get(f"http://127.0.0.1:{port}/healthz").status_code == 200
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        for child in children:
            assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text().split()[2]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
