"""Router benchmark: each part side by side in one run.

(a) overhead: TTFT p50/p99 through the router vs calling the worker directly,
    at concurrency 1 and 16;
(b) forwarding capacity against the BENCHMARK-ONLY fake engine (it streams
    placeholder tokens as fast as it can; no inference): tokens/s and the
    router's CPU-seconds per 1k forwarded tokens;
(c) routing quality: 2 real llama.cpp workers, groups of requests sharing long
    system prompts; TTFT p50 and throughput for each policy. Needs the llama
    engine; skipped (and said so) when it is not installed.

Worker and router each run in their own process, over mTLS, on loopback.
Usage: python bench/router.py [--quick] [--repeat N]
       python bench/router.py _c_only [--quick] [--repeat N]    (part (c) alone)
--repeat runs part (c) N times with fresh workers and sums the ratios up: a
request is a cache hit or a cold prefill, so one run's p50 can land either side.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterable, Callable, Iterator
from pathlib import Path

import grpc

from helixflow.common.certs import init_dev_pki
from helixflow.common.grpc_server import CHANNEL_OPTIONS
from helixflow.common.tls import TlsFiles, channel_credentials
from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc, worker_pb2, worker_pb2_grpc

ROOT = Path(__file__).resolve().parents[1]
PATHS = ("gen/python", "services/common", "services/worker", "services/router")
LLAMA_SLOTS = 8
GROUPS = 12  # distinct long system prompts in (c): more than one worker's slots hold


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- child processes ---------------------------------------------------------------


async def _run_worker(pki: Path, port: int, backend: str) -> None:
    from helixflow.worker.backends.fake import FakeEngine
    from helixflow.worker.config import WorkerSettings
    from helixflow.worker.server import create_server

    tls = {"ca_file": pki / "ca.pem", "cert_file": pki / "worker.pem", "key_file": pki / "worker-key.pem"}
    values: dict[str, object] = {
        "listen": f"127.0.0.1:{port}",
        "tls": tls,
        "backend": backend,
        "model_id": "m",
        "metrics_port": 0,
    }
    if backend == "llama_cpp":
        # Two workers share the machine: one thread each; 8 slots, so the KV cache
        # holds fewer distinct system prompts than the workload has (as in production).
        values.update(llama={"n_threads": 1}, max_sequences=LLAMA_SLOTS, context_per_sequence=1024)
    settings = WorkerSettings.model_validate(values)
    engine = FakeEngine("m", max_sequences=256) if backend == "fake" else None
    server, _ = create_server(settings, engine)
    await server.start()
    await asyncio.Event().wait()


async def _run_router(pki: Path, port: int, policy: str, workers: list[str]) -> None:
    """``policy`` is a policy name, optionally with an affinity margin: ``prefix_affinity:2``."""
    from helixflow.router.config import RouterSettings
    from helixflow.router.server import create_server

    tls = {"ca_file": pki / "ca.pem", "cert_file": pki / "router.pem", "key_file": pki / "router-key.pem"}
    name, _, margin = policy.partition(":")
    values: dict[str, object] = {
        "listen": f"127.0.0.1:{port}",
        "worker_tls": tls,
        "workers": workers,
        "policy": name,
        "metrics_port": 0,
        "access": {"auth_enabled": False},
    }
    if margin:
        values["affinity_margin"] = float(margin)
    settings = RouterSettings.model_validate(values)
    server, _ = create_server(settings)
    await server.start()
    await asyncio.Event().wait()


@contextlib.contextmanager
def child(*args: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in PATHS)}
    proc = subprocess.Popen([sys.executable, __file__, *args], env=env)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- clients -------------------------------------------------------------------


def request(max_tokens: int, prompt: str = "hello world", system: str = "") -> inference_pb2.GenerateRequest:
    msgs = [common_pb2.ChatMessage(role=common_pb2.ROLE_USER, content=prompt)]
    if system:
        msgs.insert(0, common_pb2.ChatMessage(role=common_pb2.ROLE_SYSTEM, content=system))
    return inference_pb2.GenerateRequest(
        model="m",
        request_id="",
        messages=common_pb2.ChatMessages(messages=msgs),
        sampling=common_pb2.SamplingParams(max_tokens=max_tokens, temperature=0.0),
    )


class Target:
    """Generate through the router (plaintext loopback) or straight to a worker (mTLS)."""

    def __init__(self, address: str, direct: bool, pki: Path) -> None:
        self.direct = direct
        if direct:
            files = init_files(pki, "router")
            self.channel = grpc.aio.secure_channel(address, channel_credentials(files), options=CHANNEL_OPTIONS)
            self.worker = worker_pb2_grpc.WorkerStub(self.channel)
        else:
            self.channel = grpc.aio.insecure_channel(address, options=CHANNEL_OPTIONS)
            self.router = inference_pb2_grpc.InferenceStub(self.channel)
        self.n = 0
        self.prompt_tokens = 0
        self.cached_tokens = 0

    async def ready(self) -> None:
        await self.channel.channel_ready()

    async def generate(self, req: inference_pb2.GenerateRequest) -> tuple[float, int, float]:
        """(ttft_s, tokens, total_s) of one streamed call."""
        start = time.perf_counter()
        ttft = 0.0
        tokens = 0
        if self.direct:
            self.n += 1
            wreq = inference_pb2.GenerateRequest()
            wreq.CopyFrom(req)
            wreq.request_id = f"b{self.n}"
            call: AsyncIterable[object] = self.worker.Generate(worker_pb2.WorkerGenerateRequest(request=wreq))
        else:
            call = self.router.Generate(req)
        last: object = None
        async for reply in call:
            if not ttft:
                ttft = time.perf_counter() - start
            tokens += 1
            last = reply
        # Completion tokens from the terminal message (a delta may carry several tokens).
        done = last.response if isinstance(last, worker_pb2.WorkerGenerateResponse) else last
        if isinstance(done, inference_pb2.GenerateResponse) and done.HasField("complete"):
            tokens = done.complete.usage.completion_tokens + 1
            self.prompt_tokens += done.complete.usage.prompt_tokens
            self.cached_tokens += done.complete.usage.cached_tokens
        return ttft, tokens - 1, time.perf_counter() - start

    async def wait_workers(self, count: int) -> None:
        """Until the router reports ``count`` ready workers."""
        for _ in range(1200):
            with contextlib.suppress(grpc.aio.AioRpcError):
                reply = await self.router.ListModels(inference_pb2.ListModelsRequest())
                if reply.models and reply.models[0].ready_workers >= count:
                    return
            await asyncio.sleep(0.1)
        raise RuntimeError("workers never became ready")


def init_files(pki: Path, role: str) -> TlsFiles:
    return TlsFiles(ca_file=pki / "ca.pem", cert_file=pki / f"{role}.pem", key_file=pki / f"{role}-key.pem")


async def wait_serving(target: Target, req: inference_pb2.GenerateRequest) -> None:
    for _ in range(600):
        with contextlib.suppress(grpc.aio.AioRpcError):
            await target.generate(req)
            return
        await asyncio.sleep(0.1)
    raise RuntimeError("target never became ready")


async def load(
    target: Target, concurrency: int, per_client: int, make: Callable[[int, int], inference_pb2.GenerateRequest]
) -> list[tuple[float, int, float]]:
    results: list[tuple[float, int, float]] = []

    async def client(c: int) -> None:
        for i in range(per_client):
            results.append(await target.generate(make(c, i)))

    await asyncio.gather(*(client(c) for c in range(concurrency)))
    return results


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


# -- parts ---------------------------------------------------------------------


async def part_a(pki: Path, worker: str, router: str, router_pid: int, quick: bool) -> None:
    print("\n(a) TTFT overhead, fake engine, 4-token replies (ms)")
    print(f"{'path':<8} {'conc':>4} {'n':>5} {'p50':>8} {'p99':>8} {'router cpu ms/req':>18}")
    n1, n16 = (100, 10) if quick else (400, 40)
    for conc, per in ((1, n1), (16, n16)):
        for name, target in (("direct", Target(worker, True, pki)), ("router", Target(router, False, pki))):
            await target.ready()
            await load(target, conc, 20, lambda c, i: request(4))  # warm up
            cpu0 = cpu_seconds(router_pid)
            res = await load(target, conc, per, lambda c, i: request(4))
            cpu = (cpu_seconds(router_pid) - cpu0) / len(res) * 1000
            ttfts = [r[0] * 1000 for r in res]
            cpu_col = f"{cpu:.3f}" if name == "router" else "-"
            print(f"{name:<8} {conc:>4} {len(ttfts):>5} {pct(ttfts, 50):>8.3f} {pct(ttfts, 99):>8.3f} {cpu_col:>18}")
            await target.channel.close()


async def part_b(pki: Path, worker: str, router: str, router_pid: int, quick: bool) -> None:
    print("\n(b) forwarding capacity, BENCHMARK-ONLY fake engine, 16 streams")
    print(f"{'path':<8} {'tokens':>8} {'tok/s':>9} {'router cpu-s/1k tok':>20} {'router tok/cpu-s':>17}")
    tokens_each = 1000 if quick else 4000
    for name, target in (("direct", Target(worker, True, pki)), ("router", Target(router, False, pki))):
        await target.ready()
        cpu0 = cpu_seconds(router_pid)
        t0 = time.perf_counter()
        res = await load(target, 16, 1, lambda c, i: request(tokens_each))
        wall = time.perf_counter() - t0
        cpu = cpu_seconds(router_pid) - cpu0
        tokens = sum(r[1] for r in res)
        if name == "router":
            per_k = cpu / tokens * 1000
            print(f"{name:<8} {tokens:>8} {tokens / wall:>9.0f} {per_k:>20.4f} {tokens / max(cpu, 1e-9):>17.0f}")
        else:
            print(f"{name:<8} {tokens:>8} {tokens / wall:>9.0f} {'-':>20} {'-':>17}")
        await target.channel.close()


def llama_available() -> bool:
    try:
        importlib.import_module("helixflow.worker.backends.llama_cpp")
    except ImportError:
        return False
    return True


def system_prompt(salt: str, group: int) -> str:
    """About 590 tokens with the chat template; the salt keeps one run from reusing another's KV cache."""
    rules = " ".join(f"Rule {r}: in topic {group}, answer briefly, cite nothing, stay polite." for r in range(30))
    return f"[{salt}] You are support assistant number {group} for product line {group}. {rules}"


async def shared_prefix_workload(
    target: Target, salt: str, per_group: int
) -> tuple[list[tuple[float, int, float]], float]:
    """Each group's requests in a shuffled order, drained by 4 concurrent clients."""
    order = [g for g in range(GROUPS) for _ in range(per_group)]
    random.Random(7).shuffle(order)
    queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    for i, g in enumerate(order):
        queue.put_nowait((i, g))
    results: list[tuple[float, int, float]] = []

    async def client() -> None:
        while not queue.empty():
            i, g = queue.get_nowait()
            results.append(await target.generate(request(8, f"Question {i}?", system_prompt(salt, g))))

    t0 = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(4)))
    return results, time.perf_counter() - t0


# The last policy shows a tighter load margin than the default (4): more spill-overs,
# fewer cache hits, better balance.
POLICIES_C = ("round_robin", "least_load", "prefix_affinity", "prefix_affinity:2")


async def part_c(pki: Path, quick: bool, repeat: int = 1) -> None:
    """``repeat`` rounds, each with fresh workers (new ports, so a new hash-ring layout)."""
    print(f"\n(c) routing quality: 2 llama.cpp workers ({LLAMA_SLOTS} slots, 1 thread each), {GROUPS} groups")
    print("    of requests sharing a long system prompt, 4 concurrent clients, 8-token replies")
    if not llama_available():
        print("SKIPPED: the llama.cpp engine (helixflow.worker.backends.llama_cpp) is not installed")
        return
    ratios: dict[str, list[tuple[float, float]]] = {policy: [] for policy in POLICIES_C}
    for round_no in range(repeat):
        for policy, ratio in (await _part_c_round(pki, 2 if quick else 4, round_no)).items():
            ratios[policy].append(ratio)
    if repeat > 1:
        print(f"\nover {repeat} rounds: median (min-max) of each round's ratio to round-robin")
        print(f"{'policy':<18} {'p50 vs rr':>22} {'tok/s vs rr':>22}")
        for policy, values in ratios.items():
            p50s, rates = sorted(v[0] for v in values), sorted(v[1] for v in values)
            print(
                f"{policy:<18} {statistics.median(p50s):>8.2f}x ({p50s[0]:.2f}-{p50s[-1]:.2f})"
                f" {statistics.median(rates):>8.2f}x ({rates[0]:.2f}-{rates[-1]:.2f})"
            )


async def _part_c_round(pki: Path, per_group: int, round_no: int) -> dict[str, tuple[float, float]]:
    """One round of every policy on the same two workers: policy -> (p50, tok/s) ratios to round-robin."""
    ports = [free_port(), free_port()]
    workers = [f"127.0.0.1:{p}" for p in ports]
    print(
        f"{'policy':<18} {'n':>4} {'ttft p50 ms':>12} {'ttft p90 ms':>12} {'tok/s':>8} {'wall s':>7} {'cached':>7}"
        f" {'p50 vs rr':>10} {'tok/s vs rr':>12}"
    )
    baseline: tuple[float, float] | None = None
    ratios: dict[str, tuple[float, float]] = {}
    with child("_worker", str(pki), str(ports[0]), "llama_cpp"), child("_worker", str(pki), str(ports[1]), "llama_cpp"):
        for policy in POLICIES_C:
            rport = free_port()
            with child("_router", str(pki), str(rport), policy, *workers):
                target = Target(f"127.0.0.1:{rport}", False, pki)
                await target.wait_workers(2)
                # The salt keeps one run from reusing another's KV cache.
                results, wall = await shared_prefix_workload(target, f"{policy}#{round_no}", per_group)
                ttfts = [r[0] * 1000 for r in results]
                p50, rate = pct(ttfts, 50), sum(r[1] for r in results) / wall
                baseline = baseline or (p50, rate)
                ratios[policy] = (p50 / baseline[0], rate / baseline[1])
                print(
                    f"{policy:<18} {len(results):>4} {p50:>12.1f} {pct(ttfts, 90):>12.1f}"
                    f" {rate:>8.1f} {wall:>7.1f} {target.cached_tokens / max(1, target.prompt_tokens):>7.0%}"
                    f" {ratios[policy][0]:>9.2f}x {ratios[policy][1]:>11.2f}x"
                )
                await target.channel.close()
    return ratios


def repeat_arg() -> int:
    """``--repeat N`` (part (c) rounds), default 1."""
    for i, arg in enumerate(sys.argv):
        if arg == "--repeat" and i + 1 < len(sys.argv):
            return max(1, int(sys.argv[i + 1]))
    return 1


async def main(quick: bool, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pki = Path(tmp)
        init_dev_pki(pki)
        wport, rport = free_port(), free_port()
        worker, router = f"127.0.0.1:{wport}", f"127.0.0.1:{rport}"
        with child("_worker", tmp, str(wport), "fake"), child("_router", tmp, str(rport), "round_robin", worker) as rp:
            await wait_serving(Target(worker, True, pki), request(1))
            await wait_serving(Target(router, False, pki), request(1))
            await part_a(pki, worker, router, rp.pid, quick)
            await part_b(pki, worker, router, rp.pid, quick)
        await part_c(pki, quick, repeat)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_c_only":
        with tempfile.TemporaryDirectory() as tmp_dir:
            init_dev_pki(Path(tmp_dir))
            asyncio.run(part_c(Path(tmp_dir), "--quick" in sys.argv, repeat_arg()))
    elif len(sys.argv) > 1 and sys.argv[1] == "_worker":
        asyncio.run(_run_worker(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "_router":
        asyncio.run(_run_router(Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]))
    else:
        print(f"router bench on {os.cpu_count()} cores (router and worker in separate processes, mTLS between)")
        asyncio.run(main("--quick" in sys.argv, repeat_arg()))
