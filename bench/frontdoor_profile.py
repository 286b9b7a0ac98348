"""Where the front door's CPU goes: py-spy on the router and the bridge while
bridge + router streams run (the stack of ``bench/frontdoor.py``: BENCHMARK-ONLY fake
engine, every process separate, router auth off).

py-spy is not a HelixFlow dependency: ``.venv/bin/pip install py-spy`` to run this.
It samples with native frames (gRPC's core and Cython have no Python frames) and
drops the samples that wait in epoll/futex, then splits the rest by what the
innermost recognised frame is: gRPC (server-side stream send, client-side read, the
rest), the asyncio loop, our Python, protobuf, SSE formatting, JSON, logging, the
HTTP server.

    .venv/bin/python bench/frontdoor_profile.py [--seconds 15] [--conc 16]
        [--worker-stream-interval-ms 0] [--stream-interval-ms 0] [--keep DIR]

Native sampling pauses the processes, so the throughput it prints is lower than the
bench's; the split is what it is for.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import frontdoor  # bench/frontdoor.py, next to this script
from sse_client import SseClient

_IDLE = re.compile(r"(epoll_wait|epoll_pwait|poll|select|syscall|pthread_cond_\w*wait|__futex\w*|\w*nanosleep)\b")
_OURS = re.compile(r"\(((router|rest_bridge|common|worker|stack)/[^:]+)")
_BY_PATH = (
    ("protobuf", ("google/protobuf", "_upb")),
    ("JSON", ("orjson", "json/")),
    ("SSE formatting", ("rest_bridge/sse.py",)),
    ("logging", ("logging/", "common/logs.py")),
    ("HTTP server (uvicorn, starlette, fastapi)", ("uvicorn", "h11", "httptools", "starlette", "fastapi", "anyio")),
    ("pydantic", ("pydantic",)),
)


def _grpc(frames: list[str]) -> str:
    python = [f for f in frames if ".py:" in f]
    innermost = python[-1] if python else ""
    if "grpc/aio/_call.py" in innermost:
        return "gRPC client read (worker -> router, router -> bridge)"
    caller = next((f for f in reversed(python) if "grpc/" not in f), "")
    if "asyncio/" in caller or "grpc_errors.py" in caller:
        return "gRPC server stream send and call handling (Cython, from the loop)"
    return "gRPC, other"


def classify(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, keys in _BY_PATH:
            if any(k in frame for k in keys):
                return name
        if "cygrpc" in frame or "libgrpc" in frame or "grpc/" in frame:
            return _grpc(frames)
        if _OURS.search(frame):
            return "our Python"
        if ".py:" in frame and ("asyncio/" in frame or "selectors.py" in frame):
            return "asyncio loop"
    return "other (interpreter, libc)"


def split(path: Path) -> tuple[int, collections.Counter[str]]:
    """Busy samples and their split, from py-spy's raw (collapsed) output."""
    counts: collections.Counter[str] = collections.Counter()
    busy = 0
    for line in path.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if _IDLE.match(frames[-1]):
            continue
        busy += int(n)
        counts[classify(frames)] += int(n)
    return busy, counts


async def run(args: argparse.Namespace, out: Path) -> None:
    spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
    if spy is None:
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    args.litellm = False
    with frontdoor.stack(args) as s:
        http = SseClient(s.bridge, {})

        async def one(res: frontdoor.Result) -> None:
            await frontdoor.sse_stream(http, "/v1/chat/completions", args.max_tokens, res)

        await frontdoor.wait_ready(lambda: one(frontdoor.Result()), "bridge + router", s)
        for _ in range(20):
            await one(frontdoor.Result())
        spies = []
        for name in ("router", "bridge"):
            argv = ["record", "--pid", str(s.pids[name]), "--duration", str(args.seconds), "--rate", "200"]
            argv += ["--native", "--format", "raw", "-o", str(out / f"{name}.txt")]
            spies.append(
                await asyncio.create_subprocess_exec(
                    spy, *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
                )
            )
        res = frontdoor.Result()
        before = {name: frontdoor.cpu_seconds(pid) for name, pid in s.pids.items()}
        t0 = time.perf_counter()

        async def client() -> None:
            while time.perf_counter() - t0 < args.seconds:
                await one(res)

        await asyncio.gather(*(client() for _ in range(args.conc)))
        wall = time.perf_counter() - t0
        cpu = {name: frontdoor.cpu_seconds(pid) - before[name] for name, pid in s.pids.items()}
        for proc in spies:
            await proc.wait()
        await http.close()
    per_1k = ", ".join(f"{n} {v / max(1, res.tokens) * 1000:.3f}" for n, v in sorted(cpu.items()) if v > 0)
    print(f"c={args.conc}, {res.tokens / wall:.0f} tok/s under py-spy; CPU-s per 1k tokens: {per_1k}")
    print(f"worker_stream_interval_ms={args.worker_stream_interval_ms} stream_interval_ms={args.stream_interval_ms}")
    for name in ("router", "bridge"):
        busy, counts = split(out / f"{name}.txt")
        print(f"\n{name}: {busy} busy samples")
        for what, n in counts.most_common():
            print(f"  {100 * n / max(1, busy):5.1f}%  {what}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--conc", type=int, default=16)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--token-ms", type=float, default=1.0)
    parser.add_argument("--stream-interval-ms", type=float, default=0.0)
    parser.add_argument("--worker-stream-interval-ms", type=float, default=0.0)
    parser.add_argument("--keep", type=Path, default=None, help="keep py-spy's raw output here")
    args = parser.parse_args()
    if args.keep is not None:
        args.keep.mkdir(parents=True, exist_ok=True)
        asyncio.run(run(args, args.keep))
        return
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(run(args, Path(tmp)))


if __name__ == "__main__":
    main()
