"""Where the workers are: a static list and/or a DNS name re-resolved periodically
(a Kubernetes headless Service resolves to one A record per ready pod)."""

from __future__ import annotations

import asyncio
import logging
import socket

from helixflow.router.pool import WorkerPool

log = logging.getLogger(__name__)


def split_host_port(target: str) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"worker address must be host:port, got {target!r}")
    return host.strip("[]"), int(port)


async def resolve(target: str) -> set[str]:
    """All addresses ``host:port`` resolves to, as ip:port strings."""
    host, port = split_host_port(target)
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    out = set()
    for family, _, _, _, sockaddr in infos:
        ip = str(sockaddr[0])
        out.add(f"[{ip}]:{port}" if family == socket.AF_INET6 else f"{ip}:{port}")
    return out


class Discovery:
    """Feeds the pool: static addresses once, plus the DNS name every ``refresh_s``."""

    def __init__(self, pool: WorkerPool, static: list[str], dns: str | None, refresh_s: float) -> None:
        self._pool = pool
        self._static = list(static)
        self._dns = dns
        self._refresh_s = refresh_s
        self._task: asyncio.Task[None] | None = None
        self._last_dns: set[str] = set()

    async def start(self) -> None:
        await self._refresh()
        if self._dns is not None:
            self._task = asyncio.create_task(self._loop(), name="worker dns")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _refresh(self) -> None:
        if self._dns is not None:
            try:
                self._last_dns = await resolve(self._dns)
            except OSError as err:
                # Keep the last good answer: a DNS blip must not empty the pool.
                log.warning("cannot resolve %s: %s", self._dns, err)
        self._pool.sync([*self._static, *self._last_dns])

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._refresh_s)
            await self._refresh()
