"""How many router and bridge processes ``helixflow up`` runs, and running them when
there are several.

The rule (``front_door_processes``): one router and one bridge below 8 cores;
from 8 cores, a quarter of the cores go to the front door, split evenly between
router and bridge (cores // 8 each, at most 8 each). The engine keeps the rest:
llama.cpp decodes on the CPU, and even a GPU engine needs a core or two to feed it.
With ``--auth`` the rule keeps one router process: without Redis each process
counts quotas on its own, so one process is what keeps a limit exact (pass
``--router-processes`` to choose otherwise).

One of each runs inside ``helixflow up``'s own event loop (``LocalStack``).
Several run as ``helixflow router --processes N`` and ``helixflow bridge
--processes N`` (one port each, SO_REUSEPORT), child processes of ``helixflow
up``, stopped with SIGTERM (each process drains as it would alone).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

# Below this many cores, one router and one bridge.
FEW_CORES = 8
MAX_EACH = 8


def front_door_processes(cores: int, auth: bool = False) -> tuple[int, int]:
    """(router processes, bridge processes) for a machine with ``cores`` cores."""
    each = 1 if cores < FEW_CORES else min(MAX_EACH, cores // 8)
    return (1 if auth else each), each


def available_cores() -> int:
    return max(1, len(os.sched_getaffinity(0)))


@dataclass
class ProcessGroup:
    """``helixflow <argv>`` as a child process (the parent of N on one port)."""

    name: str
    argv: list[str]
    env: Mapping[str, str]
    # Where its warnings and errors go (its info lines, one per request, are dropped).
    report: Callable[[str], None] = print
    _proc: asyncio.subprocess.Process | None = None
    _lines: asyncio.Task[None] | None = field(default=None, repr=False)

    async def start(self) -> None:
        env = {**os.environ, **self.env, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "helixflow.cli.main", *self.argv, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        self._lines = asyncio.create_task(self._forward(self._proc))

    async def _forward(self, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        async for raw in proc.stdout:
            line = raw.decode(errors="replace").rstrip()
            if any(level in line for level in (" WARNING ", " ERROR ", " CRITICAL ", "Traceback")):
                self.report(f"{self.name}: {line}")

    def check(self) -> None:
        if self._proc is not None and self._proc.returncode is not None:
            raise RuntimeError(f"the {self.name} processes exited with status {self._proc.returncode}")

    async def stop(self, grace_s: float) -> None:
        """SIGTERM (the parent passes it to each child, which drains), then kill after ``grace_s``."""
        proc, self._proc = self._proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace_s + 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        if self._lines is not None:
            await self._lines


async def wait_http_ready(url: str, group: ProcessGroup, limit_s: float = 120) -> None:
    """Until ``url`` answers 200 (the bridge's /healthz), or the group dies, or ``limit_s``."""
    deadline = time.monotonic() + limit_s
    async with httpx.AsyncClient(timeout=5) as client:
        while True:
            group.check()
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{group.name} at {url} never became ready")
            # A start-up poll: uvicorn in another process offers no event to await.
            await asyncio.sleep(0.1)
