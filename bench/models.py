"""Model catalog timings: a cold model's time to first token split into load and prefill,
a warm request for comparison, and the time to switch models under max_loaded_models=1.

The worker's catalog host runs in this process with the packaged GGUF under two ids
(``model-a``, ``model-b``), so a switch unloads one and loads the other. Each round:

  cold    the first request for model-a: waits for its load, then prefills and decodes;
  warm    the next request for model-a: the model is resident;
  switch  a request for model-b: unload model-a, load model-b, then prefill.

"load" is the wait for the engine lease (for a switch: unloading the other model too),
"prefill" is the time from the lease to the first token. Medians over ``--rounds``.

    .venv/bin/python bench/models.py --threads 2 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for src in ("services/worker", "services/common", "gen/python"):
    sys.path.insert(0, str(ROOT / src))

from helixflow.worker.catalog.host import CatalogHost  # noqa: E402
from helixflow.worker.catalog.settings import CatalogEntrySettings, CatalogSettings  # noqa: E402
from helixflow.worker.config import WorkerSettings  # noqa: E402
from helixflow.worker.engine import Delta, GenerationRequest, SamplingOptions, TextPrompt  # noqa: E402

SEA = "Write one sentence about the sea. " * 8


async def timed(host: CatalogHost, model: str, max_tokens: int) -> tuple[float, float]:
    """(seconds to the engine lease, seconds from the lease to the first token)."""
    rid = str(uuid.uuid4())  # leads the prompt: no request reuses another's prefix cache
    request = GenerationRequest(
        rid, TextPrompt(f"{rid}: {SEA}"), SamplingOptions(temperature=0.0, max_tokens=max_tokens)
    )
    started = time.perf_counter()
    async with host.lease(model) as engine:
        leased = time.perf_counter()
        first = None
        async for event in engine.generate(request):
            if first is None and isinstance(event, Delta) and event.token_ids:
                first = time.perf_counter()
    assert first is not None, "no token came"
    return leased - started, first - leased


async def main(args: argparse.Namespace) -> None:
    models = [CatalogEntrySettings(id=m, source=args.model or "") for m in ("model-a", "model-b")]
    settings = WorkerSettings(
        warmup=args.warmup,
        max_sequences=args.slots,
        context_per_sequence=args.context,
        llama={"n_threads": args.threads},
        catalog=CatalogSettings(models=models, include_default=False, max_loaded_models=1),
    )
    rows: dict[str, list[tuple[float, float]]] = {"cold": [], "warm": [], "switch": []}
    for _ in range(args.rounds):
        host = CatalogHost.from_settings(settings)
        await host.start()
        try:
            rows["cold"].append(await timed(host, "model-a", args.max_tokens))
            rows["warm"].append(await timed(host, "model-a", args.max_tokens))
            rows["switch"].append(await timed(host, "model-b", args.max_tokens))
        finally:
            await host.close()
    print(f"# bench/models.py: {args.rounds} rounds, {args.threads} threads, warmup={args.warmup}")
    print("| request | load / switch (ms) | prefill to first token (ms) | TTFT (ms) |")
    print("|---|---|---|---|")
    for name, samples in rows.items():
        load = statistics.median(s[0] for s in samples) * 1000
        prefill = statistics.median(s[1] for s in samples) * 1000
        ttft = statistics.median(s[0] + s[1] for s in samples) * 1000
        print(f"| {name} | {load:.0f} | {prefill:.0f} | {ttft:.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="GGUF path (default: the packaged Gemma 3 270M)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--context", type=int, default=1024)
    parser.add_argument("--max-tokens", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--warmup", action=argparse.BooleanOptionalAction, default=True, help="the worker's warm-up decode per load"
    )
    asyncio.run(main(parser.parse_args()))
