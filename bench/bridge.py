"""Bridge overhead: TTFT and aggregate throughput via the REST bridge vs gRPC directly.

Starts a worker, the router and the bridge as separate processes (so the bridge's
CPU time can be read from /proc), then drives both paths in the same run at
concurrency 1 (requests alternate between the paths) and 16.

    .venv/bin/python bench/bridge.py [--backend fake|llama_cpp] [--requests 200] [--max-tokens 32]

TTFT is send -> first content token as the client sees it (httpx for REST,
grpc.aio for gRPC). The default fake engine emits tokens instantly, which
isolates transport overhead from model time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import grpc
import httpx

from helixflow.v1 import inference_pb2, inference_pb2_grpc

CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


@contextlib.contextmanager
def processes(backend: str, model: str) -> Iterator[tuple[str, str, int]]:
    worker_port, router_port, bridge_port = free_port(), free_port(), free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    cli = [sys.executable, "-m", "helixflow.cli.main"]
    worker_env = {**env, "HELIXFLOW_WORKER_METRICS_PORT": "0", "HELIXFLOW_WORKER_MODEL_ID": model}
    router_env = {
        **env,
        "HELIXFLOW_ROUTER_LISTEN": f"127.0.0.1:{router_port}",
        "HELIXFLOW_ROUTER_WORKERS": f"127.0.0.1:{worker_port}",
        "HELIXFLOW_ROUTER_WORKER_TLS__INSECURE": "true",
        "HELIXFLOW_ROUTER_METRICS_PORT": "0",
        # Auth is on by default; this bench measures forwarding, as bench/router.py does.
        "HELIXFLOW_ROUTER_ACCESS__AUTH_ENABLED": "false",
    }
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    procs = [
        subprocess.Popen(
            [*cli, "worker", "--backend", backend, "--listen", f"127.0.0.1:{worker_port}", "--insecure"],
            env=worker_env,
            **quiet,  # type: ignore[call-overload]
        ),
        subprocess.Popen([*cli, "router"], env=router_env, **quiet),  # type: ignore[call-overload]
        subprocess.Popen(
            [*cli, "bridge", "--port", str(bridge_port), "--router", f"127.0.0.1:{router_port}"],
            env=env,
            **quiet,  # type: ignore[call-overload]
        ),
    ]
    try:
        yield f"127.0.0.1:{router_port}", f"http://127.0.0.1:{bridge_port}", procs[2].pid
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(30)


@dataclass
class Result:
    ttft_ms: list[float] = field(default_factory=list)
    tokens: int = 0
    wall_s: float = 0.0


async def grpc_one(stub: inference_pb2_grpc.InferenceAsyncStub, model: str, max_tokens: int, out: Result) -> None:
    req = inference_pb2.GenerateRequest(model=model, prompt="Tell me a story about a fox.")
    req.sampling.max_tokens = max_tokens
    req.sampling.ignore_eos = True
    t0 = time.perf_counter()
    first = True
    async for msg in stub.Generate(req):
        if msg.HasField("delta") and msg.delta.text:
            if first:
                out.ttft_ms.append((time.perf_counter() - t0) * 1000)
                first = False
            out.tokens += 1


async def rest_one(http: httpx.AsyncClient, model: str, max_tokens: int, out: Result) -> None:
    body = {"model": model, "prompt": "Tell me a story about a fox.", "max_tokens": max_tokens}
    body |= {"ignore_eos": True, "stream": True}
    t0 = time.perf_counter()
    first = True
    async with http.stream("POST", "/v1/completions", json=body) as resp:
        async for line in resp.aiter_lines():
            if not line.startswith("data: {"):
                continue
            if '"text":""' in line or '"choices":[]' in line:
                continue
            if first:
                out.ttft_ms.append((time.perf_counter() - t0) * 1000)
                first = False
            out.tokens += 1


async def wait_ready(base_url: str) -> None:
    async with httpx.AsyncClient(base_url=base_url) as http:
        for _ in range(600):  # start-up of three processes: poll readiness for up to 60 s
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError("stack did not become ready")


def summary(name: str, r: Result) -> str:
    p50 = statistics.median(r.ttft_ms)
    p90 = statistics.quantiles(r.ttft_ms, n=10)[-1]
    return f"{name:<6} TTFT p50 {p50:7.2f} ms  p90 {p90:7.2f} ms  throughput {r.tokens / r.wall_s:9.0f} tok/s"


async def run(args: argparse.Namespace) -> None:
    model = "fake" if args.backend == "fake" else "gemma-3-270m"
    with processes(args.backend, model) as (router, bridge_url, bridge_pid):
        await wait_ready(bridge_url)
        limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
        async with (
            grpc.aio.insecure_channel(router) as channel,
            httpx.AsyncClient(base_url=bridge_url, limits=limits, timeout=120) as http,
        ):
            stub = inference_pb2_grpc.InferenceStub(channel)
            for _ in range(min(10, args.requests)):  # warm both paths
                await grpc_one(stub, model, args.max_tokens, Result())
                await rest_one(http, model, args.max_tokens, Result())

            print("warmed up; concurrency 1 ...", file=sys.stderr, flush=True)
            # Concurrency 1, alternating paths so drift hits both equally.
            g1, r1 = Result(), Result()
            cpu_before = cpu_seconds(bridge_pid)
            for _ in range(args.requests):
                t = time.perf_counter()
                await grpc_one(stub, model, args.max_tokens, g1)
                g1.wall_s += time.perf_counter() - t
                t = time.perf_counter()
                await rest_one(http, model, args.max_tokens, r1)
                r1.wall_s += time.perf_counter() - t
            rest_cpu = cpu_seconds(bridge_pid) - cpu_before
            rest_tokens = r1.tokens

            # Concurrency 16: each path on its own, same request count per client.
            results = {}
            for name in ("grpc", "rest"):
                print(f"concurrency 16 via {name} ...", file=sys.stderr, flush=True)
                res = Result()
                per_client = max(1, args.requests // 4)
                cpu_before = cpu_seconds(bridge_pid)

                async def client(name: str = name, res: Result = res, n: int = per_client) -> None:
                    for _ in range(n):
                        if name == "grpc":
                            await grpc_one(stub, model, args.max_tokens, res)
                        else:
                            await rest_one(http, model, args.max_tokens, res)

                t = time.perf_counter()
                await asyncio.gather(*(client() for _ in range(16)))
                res.wall_s = time.perf_counter() - t
                if name == "rest":
                    rest_cpu += cpu_seconds(bridge_pid) - cpu_before
                    rest_tokens += res.tokens
                results[name] = res

    print(f"backend={args.backend} max_tokens={args.max_tokens} requests(c=1)={args.requests} cores={os.cpu_count()}")
    print("concurrency 1:")
    print("  " + summary("grpc", g1))
    print("  " + summary("rest", r1))
    overhead = statistics.median(r1.ttft_ms) - statistics.median(g1.ttft_ms)
    print(f"  bridge TTFT overhead p50: {overhead:.2f} ms")
    print("concurrency 16:")
    print("  " + summary("grpc", results["grpc"]))
    print("  " + summary("rest", results["rest"]))
    print(f"bridge CPU: {rest_cpu / rest_tokens * 1000:.3f} CPU-seconds per 1k streamed tokens ({rest_tokens} tokens)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="fake", choices=["fake", "llama_cpp"])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--max-tokens", type=int, default=32)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
