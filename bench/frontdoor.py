"""The front door's cost, side by side in one run: HelixFlow's router and bridge in
front of a worker, and LiteLLM's proxy in front of an OpenAI-compatible upstream.

Paths, each at concurrency 1, 16, 64 and 256 (streaming, ``--max-tokens`` tokens each):
(a) the worker directly (gRPC Worker.Generate);
(b) through the router (gRPC Inference.Generate);
(c) through the bridge and the router (POST /v1/chat/completions, SSE);
(d) LiteLLM proxy (PyPI ``litellm[proxy]``, not a HelixFlow dependency: install it
    in your venv to run this part) in front of (e);
(e) a fake OpenAI-compatible upstream directly (raw asyncio HTTP, SSE).

The worker runs the BENCHMARK-ONLY fake engine, and (e) streams the same tokens at
the same fixed rate (``--token-ms`` per token): no inference anywhere, so what is
measured is the front doors' own cost. Every process is separate; CPU-seconds come
from /proc (a process and its children). Auth is off on the router.

    .venv/bin/python bench/frontdoor.py [--max-tokens 32] [--token-ms 1] [--requests 256]
        [--conc 1,16,64,256] [--stream-interval-ms 0] [--worker-stream-interval-ms 0]
        [--no-litellm] [--litellm-bin PATH]

``--stream-interval-ms`` coalesces in the router and the bridge (for slow readers);
``--worker-stream-interval-ms`` merges deltas at the source, in the worker, so every
hop after it handles fewer messages (the worker's ``stream_interval_ms``).

Quote figures with the machine's load: on a shared 2-core box they move by tens of percent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import grpc
from sse_client import SseClient  # bench/sse_client.py, next to this script

from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc, worker_pb2, worker_pb2_grpc

CLK_TCK = os.sysconf("SC_CLK_TCK")
TOKEN = "tok "
PROMPT = "Tell me a story about a fox."
# LiteLLM's proxy refuses to start without a master key; every SSE client sends it.
MASTER_KEY = "sk-" + os.urandom(16).hex()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process and its live descendants, from /proc."""
    total, todo = 0.0, [pid]
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):
                with open(f"/proc/{entry}/stat") as f:
                    parent = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(parent, []).append(int(entry))
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError):
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        todo.extend(children.get(p, []))
    return total


# -- child processes -----------------------------------------------------------------


async def _run_worker(port: int, token_s: float, interval_ms: float) -> None:
    from helixflow.worker.backends.fake import FakeEngine
    from helixflow.worker.config import WorkerSettings
    from helixflow.worker.server import create_server

    settings = WorkerSettings.model_validate(
        {"listen": f"127.0.0.1:{port}", "tls": {"insecure": True}, "backend": "fake", "model_id": "fake",
         "metrics_port": 0, "max_sequences": 256, "stream_interval_ms": interval_ms}
    )  # fmt: skip
    server, _ = create_server(settings, FakeEngine("fake", max_sequences=256, token_delay_s=token_s))
    await server.start()
    await asyncio.Event().wait()


async def _run_upstream(port: int, token_s: float) -> None:
    """A fast OpenAI-compatible fake: /v1/chat/completions streaming TOKEN chunks."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                body = json.loads(await reader.readexactly(length)) if length else {}
                n = int(body.get("max_tokens") or body.get("max_completion_tokens") or 16)
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                )
                model = body.get("model", "fake")
                for i in range(n + 1):
                    if token_s:
                        await asyncio.sleep(token_s)
                    choice: dict[str, object] = {"index": 0, "delta": {"content": TOKEN}, "finish_reason": None}
                    if i == n:
                        choice = {"index": 0, "delta": {}, "finish_reason": "length"}
                    chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0, "model": model,
                             "choices": [choice]}  # fmt: skip
                    if i == n:
                        chunk["usage"] = {"prompt_tokens": 7, "completion_tokens": n, "total_tokens": n + 7}
                    data = b"data: " + json.dumps(chunk).encode() + b"\n\n"
                    writer.write(b"%x\r\n%s\r\n" % (len(data), data))
                    await writer.drain()
                done = b"data: [DONE]\n\n"
                writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(done), done))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


@dataclass
class Stack:
    worker: str
    router: str
    bridge: str
    upstream: str
    litellm: str | None
    pids: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def check(self) -> None:
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with status {proc.returncode}")


@contextlib.contextmanager
def stack(args: argparse.Namespace) -> Iterator[Stack]:
    ports = {name: free_port() for name in ("worker", "router", "bridge", "upstream", "litellm")}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    me, cli = [sys.executable, __file__], [sys.executable, "-m", "helixflow.cli.main"]
    token_s = str(args.token_ms / 1000)
    router_env = {
        **env,
        "HELIXFLOW_ROUTER_LISTEN": f"127.0.0.1:{ports['router']}",
        "HELIXFLOW_ROUTER_WORKERS": f"127.0.0.1:{ports['worker']}",
        "HELIXFLOW_ROUTER_WORKER_TLS__INSECURE": "true",
        "HELIXFLOW_ROUTER_METRICS_PORT": "0",
        "HELIXFLOW_ROUTER_ACCESS__AUTH_ENABLED": "false",
        "HELIXFLOW_ROUTER_STREAM_INTERVAL_MS": str(args.stream_interval_ms),
    }
    bridge_env = {**env, "HELIXFLOW_BRIDGE_STREAM_INTERVAL_MS": str(args.stream_interval_ms)}
    procs = {
        "worker": subprocess.Popen(  # type: ignore[call-overload]
            [*me, "_worker", str(ports["worker"]), token_s, str(args.worker_stream_interval_ms)], env=env, **quiet
        ),
        "router": subprocess.Popen([*cli, "router"], env=router_env, **quiet),  # type: ignore[call-overload]
        "bridge": subprocess.Popen(  # type: ignore[call-overload]
            [*cli, "bridge", "--port", str(ports["bridge"]), "--router", f"127.0.0.1:{ports['router']}"],
            env=bridge_env,
            **quiet,
        ),
        "upstream": subprocess.Popen([*me, "_upstream", str(ports["upstream"]), token_s], env=env, **quiet),  # type: ignore[call-overload]
    }
    tmp = tempfile.TemporaryDirectory()
    litellm = None
    if args.litellm:
        config = Path(tmp.name) / "litellm.yaml"
        config.write_text(
            "model_list:\n  - model_name: fake\n    litellm_params:\n      model: openai/fake\n"
            f"      api_base: http://127.0.0.1:{ports['upstream']}/v1\n      api_key: sk-fake\n"
            "litellm_settings:\n  telemetry: false\n"
        )
        exe = args.litellm_bin or str(Path(sys.executable).with_name("litellm"))
        procs["litellm"] = subprocess.Popen(  # type: ignore[call-overload]
            [
                exe,
                "--config",
                str(config),
                "--host",
                "127.0.0.1",
                "--port",
                str(ports["litellm"]),
                "--num_workers",
                "1",
            ],
            env={**env, "LITELLM_LOG": "ERROR", "LITELLM_MASTER_KEY": MASTER_KEY},
            **quiet,
        )
        litellm = f"http://127.0.0.1:{ports['litellm']}"
    s = Stack(
        f"127.0.0.1:{ports['worker']}",
        f"127.0.0.1:{ports['router']}",
        f"http://127.0.0.1:{ports['bridge']}",
        f"http://127.0.0.1:{ports['upstream']}",
        litellm,
        {name: p.pid for name, p in procs.items()},
        procs,
    )
    try:
        yield s
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        tmp.cleanup()


# -- clients -------------------------------------------------------------------------


@dataclass
class Result:
    ttft_ms: list[float] = field(default_factory=list)
    tokens: int = 0
    wall_s: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)


def gen_request(max_tokens: int) -> inference_pb2.GenerateRequest:
    req = inference_pb2.GenerateRequest(model="fake")
    req.messages.messages.add(role=common_pb2.ROLE_USER, content=PROMPT)
    req.sampling.max_tokens = max_tokens
    req.sampling.ignore_eos = True
    return req


async def grpc_stream(stream: object, t0: float, out: Result) -> None:
    first = True
    async for msg in stream:  # type: ignore[attr-defined]
        response = msg.response if isinstance(msg, worker_pb2.WorkerGenerateResponse) else msg
        if response.HasField("delta") and response.delta.token_ids:
            if first:
                out.ttft_ms.append((time.perf_counter() - t0) * 1000)
                first = False
            out.tokens += len(response.delta.token_ids)


async def sse_stream(client: SseClient, path: str, max_tokens: int, out: Result) -> None:
    body = {"model": "fake", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": max_tokens}
    body |= {"stream": True, "ignore_eos": True}
    t0 = time.perf_counter()
    first = True

    def on_tokens(n: int, now: float) -> None:
        nonlocal first
        if first:
            out.ttft_ms.append((now - t0) * 1000)
            first = False
        out.tokens += n

    await client.stream(path, json.dumps(body).encode(), TOKEN.encode(), on_tokens)


One = Callable[[Result], Awaitable[None]]


async def measure(one: One, conc: int, requests: int, pids: dict[str, int]) -> Result:
    res = Result()
    per_client = max(1, requests // conc)
    before = {name: cpu_seconds(pid) for name, pid in pids.items()}

    async def client() -> None:
        for _ in range(per_client):
            await one(res)

    t = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(conc)))
    res.wall_s = time.perf_counter() - t
    res.cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    return res


async def wait_ready(check: Callable[[], Awaitable[None]], what: str, s: Stack, limit_s: float = 120) -> None:
    deadline = time.monotonic() + limit_s
    while True:
        try:
            await check()
            return
        except Exception:
            s.check()  # a process that died will not become ready
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not become ready") from None
            await asyncio.sleep(0.5)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run(args: argparse.Namespace) -> None:
    concs = [int(c) for c in args.conc.split(",")]
    with stack(args) as s:
        headers = {"authorization": f"Bearer {MASTER_KEY}"}
        sse = {"bridge": SseClient(s.bridge, headers), "upstream": SseClient(s.upstream, headers)}
        if s.litellm:
            sse["litellm"] = SseClient(s.litellm, headers)
        async with grpc.aio.insecure_channel(s.worker) as wch, grpc.aio.insecure_channel(s.router) as rch:
            wstub, rstub = worker_pb2_grpc.WorkerStub(wch), inference_pb2_grpc.InferenceStub(rch)

            async def worker_one(out: Result) -> None:
                req = worker_pb2.WorkerGenerateRequest(request=gen_request(args.max_tokens))
                req.request.request_id = os.urandom(8).hex()
                t0 = time.perf_counter()
                await grpc_stream(wstub.Generate(req), t0, out)

            async def router_one(out: Result) -> None:
                t0 = time.perf_counter()
                await grpc_stream(rstub.Generate(gen_request(args.max_tokens)), t0, out)

            paths: dict[str, tuple[One, list[str]]] = {
                "a worker": (worker_one, []),
                "b router": (router_one, ["router"]),
                "c bridge+router": (
                    lambda out: sse_stream(sse["bridge"], "/v1/chat/completions", args.max_tokens, out),
                    ["bridge", "router"],
                ),
                "e upstream": (
                    lambda out: sse_stream(sse["upstream"], "/v1/chat/completions", args.max_tokens, out),
                    [],
                ),
            }
            if s.litellm:
                paths["d litellm"] = (
                    lambda out: sse_stream(sse["litellm"], "/v1/chat/completions", args.max_tokens, out),
                    ["litellm"],
                )
            for name, (one, _) in sorted(paths.items()):
                print(f"waiting for {name} ...", file=sys.stderr, flush=True)
                await wait_ready(partial(one, Result()), name, s, 180 if "litellm" in name else 60)
                for _ in range(20):  # warm up
                    await one(Result())
            table: dict[tuple[str, int], tuple[Result, list[str]]] = {}
            for conc in concs:
                for name, (one, front) in sorted(paths.items()):
                    print(f"c={conc} {name} ...", file=sys.stderr, flush=True)
                    table[name, conc] = (await measure(one, conc, max(args.requests, conc), s.pids), front)
        for client in sse.values():
            await client.close()
    report(args, concs, table)


def report(args: argparse.Namespace, concs: list[int], table: dict[tuple[str, int], tuple[Result, list[str]]]) -> None:
    load = os.getloadavg()
    print(
        f"front door bench: {args.max_tokens} tokens/stream at {args.token_ms} ms/token (fake engines), "
        f"stream_interval_ms={args.stream_interval_ms} (worker {args.worker_stream_interval_ms}), "
        f"cores={os.cpu_count()}, "
        f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}"
    )
    print(f"{'c':>4} {'path':<16} {'n':>5} {'TTFT p50':>9} {'p99':>9} {'tok/s':>8}  CPU-s per 1k tokens")
    for conc in concs:
        for name in sorted({n for n, c in table if c == conc}):
            r, _ = table[name, conc]
            cpu = "  ".join(f"{p} {v / max(1, r.tokens) * 1000:.3f}" for p, v in sorted(r.cpu.items()) if v > 0)
            print(
                f"{conc:>4} {name:<16} {len(r.ttft_ms):>5} {statistics.median(r.ttft_ms):>9.2f} "
                f"{pct(r.ttft_ms, 0.99):>9.2f} {r.tokens / r.wall_s:>8.0f}  {cpu}"
            )
    print()
    print("ratios: tok/s vs the path's own upstream; TTFT added p50 (ms); front-door CPU-s per 1k tokens")
    print(f"{'c':>4} {'front door':<16} {'tok/s ratio':>11} {'+TTFT p50':>10} {'+TTFT p99':>10} {'CPU/1k':>8}")
    for conc in concs:
        for name, base in (("b router", "a worker"), ("c bridge+router", "a worker"), ("d litellm", "e upstream")):
            if (name, conc) not in table:
                continue
            r, front = table[name, conc]
            b, _ = table[base, conc]
            front_cpu = sum(r.cpu[p] for p in front) / max(1, r.tokens) * 1000
            print(
                f"{conc:>4} {name:<16} {(r.tokens / r.wall_s) / (b.tokens / b.wall_s):>11.2f} "
                f"{statistics.median(r.ttft_ms) - statistics.median(b.ttft_ms):>10.2f} "
                f"{pct(r.ttft_ms, 0.99) - pct(b.ttft_ms, 0.99):>10.2f} {front_cpu:>8.3f}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--token-ms", type=float, default=1.0, help="the fake engines' time per token")
    parser.add_argument("--requests", type=int, default=256, help="requests per path and concurrency (at least c)")
    parser.add_argument("--conc", default="1,16,64,256")
    parser.add_argument("--stream-interval-ms", type=float, default=0.0, help="router and bridge coalescing")
    parser.add_argument(
        "--worker-stream-interval-ms", type=float, default=0.0, help="the worker merges deltas at the source"
    )
    parser.add_argument("--no-litellm", dest="litellm", action="store_false")
    parser.add_argument(
        "--litellm-bin", default=None, help="the litellm executable (default: beside this Python), e.g. its own venv's"
    )
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        asyncio.run(_run_worker(int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])))
    elif len(sys.argv) > 1 and sys.argv[1] == "_upstream":
        asyncio.run(_run_upstream(int(sys.argv[2]), float(sys.argv[3])))
    else:
        main()
