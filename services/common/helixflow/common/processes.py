"""Several copies of one service on one port (``--processes N``): a parent that starts
N children with SO_REUSEPORT and stops them together.

Each child is the same command with ``--processes 1`` and the environment the
caller gives it (the reuse-port setting, a metrics port of its own). The kernel
spreads new connections over the children. When one child exits, or the parent
gets SIGTERM or SIGINT, every child is sent SIGTERM (so each drains as it would
alone) and the parent exits with the first child's status (0 when it was
asked to stop and every child stopped cleanly).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from types import FrameType


def default_processes() -> int:
    """One process per core the scheduler gives us."""
    return max(1, len(os.sched_getaffinity(0)))


def supervise(argv: Sequence[str], count: int, env_for: Callable[[int], dict[str, str]]) -> int:
    """Run ``count`` children ``python -m helixflow.cli.main *argv`` until one ends; their status."""
    children = [
        subprocess.Popen([sys.executable, "-m", "helixflow.cli.main", *argv], env={**os.environ, **env_for(i)})
        for i in range(count)
    ]
    stopping = False

    def stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        status = None
        while status is None and not stopping:
            for child in children:
                if (code := child.poll()) is not None:
                    status = code
                    break
            else:
                time.sleep(0.2)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        codes = [child.wait() for child in children]
        if status is not None:
            return status
        # Asked to stop: a child that ended on the SIGTERM sent to it (uvicorn re-raises it) stopped cleanly.
        return max((abs(code) for code in codes if code != -signal.SIGTERM), default=0)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket with SO_REUSEPORT, for servers that take a bound socket (uvicorn)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock
