"""A minimal HTTP/1.1 client for the bench's streamed POSTs (SSE), so that the
client's own cost does not cap what the bench measures.

httpx parses each line and chunk in Python with several layers in between; at 16+
concurrent streams of one event per token, the bench process itself became the
limit of every SSE path (the fake upstream directly reached only about a third of
the worker's tokens/s). This client keeps one keep-alive connection per concurrent
stream, reads the chunked body with asyncio's stream reader and counts tokens with
``bytes.count`` on whole ``data:`` lines: no JSON parsing per event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from urllib.parse import urlsplit


class SseClient:
    """POSTs to one base URL, over pooled keep-alive connections."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self._head = "".join(f"{k}: {v}\r\n" for k, v in {"host": f"{self.host}:{self.port}", **headers}.items())
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()

    async def stream(self, path: str, body: bytes, token: bytes, on_tokens: Callable[[int, float], None]) -> None:
        """POST ``body``; ``on_tokens(n, now)`` for each ``data:`` line holding ``token`` n times."""
        head = f"POST {path} HTTP/1.1\r\n{self._head}content-type: application/json\r\ncontent-length: {len(body)}\r\n"
        request = head.encode() + b"\r\n" + body
        while True:
            pooled = bool(self._idle)
            conn = self._idle.pop() if pooled else await asyncio.open_connection(self.host, self.port, limit=1 << 20)
            reader, writer = conn
            try:
                writer.write(request)
                status = (await reader.readuntil(b"\r\n")).split(b" ", 2)
                break
            except (asyncio.IncompleteReadError, ConnectionError):
                writer.close()
                if not pooled:
                    raise
                # The server closed an idle keep-alive connection (uvicorn after 5 s): a fresh one.
        try:
            headers = (await reader.readuntil(b"\r\n\r\n")).lower()
            if b"transfer-encoding: chunked" not in headers:
                length = 0
                if b"content-length:" in headers:
                    length = int(headers.split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
                raise RuntimeError(f"HTTP {status[1].decode()}: {(await reader.readexactly(length))[:200]!r}")
            carry = b""
            while True:
                size = int((await reader.readuntil(b"\r\n"))[:-2].split(b";", 1)[0], 16)
                data = (await reader.readexactly(size + 2))[:-2]
                if size == 0:
                    break
                lines = (carry + data).split(b"\n")
                carry = lines.pop()
                now = time.perf_counter()
                for line in lines:
                    if line.startswith(b"data: {") and (n := line.count(token)):
                        on_tokens(n, now)
            if status[1] != b"200":
                raise RuntimeError(f"HTTP {status[1].decode()}")
        except BaseException:
            writer.close()
            raise
        self._idle.append(conn)
