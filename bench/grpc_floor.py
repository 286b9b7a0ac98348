"""The floor under the router's CPU cost: a minimal Python grpc.aio pass-through hop.

Three processes on loopback, as in ``bench/frontdoor.py``: an upstream that streams
``--messages`` byte messages per call, ``--gap-ms`` apart; a proxy that does nothing but
forward each call (generic handlers, identity serializers: no protobuf, no auth, no
routing, no metrics); and a client at ``--conc`` concurrency. It prints the proxy's
CPU per request and per 1k tokens (``--tokens`` per request), which no Python grpc.aio
front door can go below. Compare it with the router's figure from ``bench/frontdoor.py``
at the same message count (with the worker's stream interval at 10 ms, 32 tokens at
1 ms each arrive in about 5 messages).

    .venv/bin/python bench/grpc_floor.py [--messages 5] [--gap-ms 8] [--tokens 32] [--conc 1,16] [--requests 320]
        [--loop asyncio|uvloop] [--router-like]

``--loop`` picks the proxy's event loop (uvloop is not a HelixFlow dependency: `pip install
uvloop` to try it; 0.23 gave 0-20% less proxy CPU here, within run-to-run noise). The added
first-message latency is the proxy's p50 time to the first message minus the
upstream's own, measured directly in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import grpc
from frontdoor import cpu_seconds, free_port  # bench/frontdoor.py, next to this script

SERVICE, METHOD = "floor.Hop", "Stream"
PATH = f"/{SERVICE}/{METHOD}"


def identity(data: bytes) -> bytes:
    return data


class PassInterceptor(grpc.aio.ServerInterceptor):
    """A no-op interceptor, as the router's request-id, auth (off) and error ones are per call."""

    async def intercept_service(self, continuation, handler_call_details):  # type: ignore[no-untyped-def]
        return await continuation(handler_call_details)


async def serve(port: int, handler: object, interceptors: int = 0) -> None:
    server = grpc.aio.server(interceptors=[PassInterceptor() for _ in range(interceptors)])
    method = grpc.unary_stream_rpc_method_handler(handler, identity, identity)  # type: ignore[arg-type]
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {METHOD: method}),))
    server.add_insecure_port(f"127.0.0.1:{port}")
    await server.start()
    await server.wait_for_termination()


async def upstream(port: int, messages: int, gap_s: float) -> None:
    async def stream(request: bytes, context: object) -> AsyncIterator[bytes]:
        for i in range(messages):
            if i:
                await asyncio.sleep(gap_s)
            yield b"x" * 40

    await serve(port, stream)


async def proxy(port: int, upstream_port: int, router_like: bool) -> None:
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{upstream_port}")
    call: grpc.aio.UnaryStreamMultiCallable[bytes, bytes] = channel.unary_stream(
        PATH, request_serializer=identity, response_deserializer=None
    )

    async def stream(request: bytes, context: object) -> AsyncIterator[bytes]:
        async for message in call(request):
            yield message

    async def like_router(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> AsyncIterator[bytes]:
        # The gRPC features the router uses per call, without its own logic: metadata and a
        # deadline on the worker call, explicit initial metadata before the first message,
        # trailing metadata at the end, and an error-mapping generator around the handler.
        sent = False
        rpc = call(request, timeout=60.0, metadata=(("x-request-id", "r" * 16), ("traceparent", "t" * 55)))
        async for message in rpc:
            if not sent:
                await context.send_initial_metadata((("x-helixflow-router-ms", "0.123"),))
                sent = True
            yield message
        context.set_trailing_metadata((("x-helixflow-router-ms", "0.456"),))

    async def wrapped(request: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> AsyncIterator[bytes]:
        async for message in like_router(request, context):
            yield message

    await serve(port, wrapped if router_like else stream, interceptors=3 if router_like else 0)


async def measure(port: int, proxy_pid: int, conc: int, requests: int) -> tuple[float, float, float]:
    """(proxy CPU-s per request, wall seconds per request, p50 seconds to the first message)."""
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
        call: grpc.aio.UnaryStreamMultiCallable[bytes, bytes]
        call = channel.unary_stream(PATH, request_serializer=identity, response_deserializer=None)
        firsts: list[float] = []

        async def client(n: int) -> None:
            for _ in range(n):
                start, first = time.perf_counter(), 0.0
                async for _message in call(b"r"):
                    first = first or time.perf_counter() - start
                firsts.append(first)

        await client(20)  # warm up
        firsts.clear()
        per_client = max(1, requests // conc)
        cpu0, t0 = cpu_seconds(proxy_pid), time.perf_counter()
        await asyncio.gather(*(client(per_client) for _ in range(conc)))
        n = per_client * conc
        return (cpu_seconds(proxy_pid) - cpu0) / n, (time.perf_counter() - t0) / n, statistics.median(firsts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--gap-ms", type=float, default=8.0)
    parser.add_argument("--tokens", type=int, default=32, help="tokens a request stands for, for CPU per 1k tokens")
    parser.add_argument("--conc", default="1,16")
    parser.add_argument("--requests", type=int, default=320)
    parser.add_argument("--loop", choices=("asyncio", "uvloop"), default="asyncio", help="the proxy's event loop")
    parser.add_argument(
        "--router-like", action="store_true", help="add the per-call gRPC features the router uses (see proxy)"
    )
    args = parser.parse_args()
    up_port, proxy_port = free_port(), free_port()
    me = [sys.executable, __file__]
    procs = [
        subprocess.Popen([*me, "_upstream", str(up_port), str(args.messages), str(args.gap_ms / 1000)]),
        subprocess.Popen([*me, "_proxy", str(proxy_port), str(up_port), args.loop, str(int(args.router_like))]),
    ]
    try:
        time.sleep(2)
        print(f"grpc.aio pass-through floor: {args.messages} messages/request, {args.gap_ms} ms apart, "
              f"proxy loop {args.loop}, router-like {args.router_like}, "
              f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        print(f"{'c':>4} {'proxy CPU ms/request':>21} {'CPU-s per 1k tokens':>20} {'wall ms/request':>16} "
              f"{'+first message p50 ms':>22}")  # fmt: skip
        for conc in (int(c) for c in args.conc.split(",")):
            _, _, direct_first = asyncio.run(measure(up_port, procs[0].pid, conc, args.requests))
            cpu, wall, first = asyncio.run(measure(proxy_port, procs[1].pid, conc, args.requests))
            print(f"{conc:>4} {cpu * 1000:>21.2f} {cpu / args.tokens * 1000:>20.3f} {wall * 1000:>16.2f} "
                  f"{(first - direct_first) * 1000:>22.2f}")  # fmt: skip
    finally:
        for p in procs:
            p.kill()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_upstream":
        asyncio.run(upstream(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
    elif len(sys.argv) > 1 and sys.argv[1] == "_proxy":
        if sys.argv[4] == "uvloop":
            uvloop = importlib.import_module("uvloop")  # optional: not a HelixFlow dependency
            uvloop.run(proxy(int(sys.argv[2]), int(sys.argv[3]), sys.argv[5] == "1"))
        else:
            asyncio.run(proxy(int(sys.argv[2]), int(sys.argv[3]), sys.argv[5] == "1"))
    else:
        main()
