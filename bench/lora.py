"""What mixed LoRA adapter traffic costs on the llama.cpp backend, against one adapter.

One engine (Gemma 3 270M, two test-made LoRA GGUFs, rank 4 on attn_v and ffn_down)
takes ``--clients`` concurrent greedy requests of ``--tokens`` tokens each, in rounds
interleaved so machine noise hits every mix alike:

  base      all requests on the base model (one decode per step)
  one       all on adapter a (one decode per step, the adapter applied)
  base+a    half base, half a (two decodes per step, one adapter switch)
  base+a+b  a third each (three decodes per step, two switches)

Reported: aggregate decode tok/s (median over rounds) and adapter switches per round.

    .venv/bin/python bench/lora.py --threads 2 --clients 8 --tokens 32 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for src in ("services/worker", "services/common", "gen/python", "tests/support"):
    sys.path.insert(0, str(ROOT / src))

from lora_testing import write_gguf_lora  # noqa: E402

from helixflow.worker.adapters import AdapterSpec  # noqa: E402
from helixflow.worker.backends.llama_config import LlamaEngineConfig, default_model_path  # noqa: E402
from helixflow.worker.backends.llama_cpp import LlamaCppEngine  # noqa: E402
from helixflow.worker.engine import Finished, GenerationRequest, SamplingOptions, TextPrompt  # noqa: E402

MIXES = {"base": [""], "one": ["a"], "base+a": ["", "a"], "base+a+b": ["", "a", "b"]}


async def one_round(engine: LlamaCppEngine, adapters: list[str], clients: int, tokens: int, tag: str) -> float:
    sampling = SamplingOptions(temperature=0.0, max_tokens=tokens, ignore_eos=True)

    async def one(i: int) -> int:
        prompt = TextPrompt(f"Request {tag}-{i}: write a short story about a lighthouse keeper.")
        request = GenerationRequest(f"{tag}-{i}", prompt, sampling, adapter=adapters[i % len(adapters)])
        async for event in engine.generate(request):
            if isinstance(event, Finished):
                return event.usage.completion_tokens
        return 0

    start = time.perf_counter()
    done = await asyncio.gather(*(one(i) for i in range(clients)))
    return sum(done) / (time.perf_counter() - start)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--tokens", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = default_model_path()
        specs = tuple(
            AdapterSpec(id=name, path=write_gguf_lora(base, Path(tmp) / f"{name}.gguf", seed=seed))
            for name, seed in (("a", 1), ("b", 2))
        )
        config = LlamaEngineConfig(
            n_ctx_per_seq=256, max_sequences=args.clients, n_threads=args.threads, embedding_ctx=0, adapters=specs
        )
        engine = LlamaCppEngine(config)
        await engine.load()
        adapters = engine._adapters  # the switch counter
        assert adapters is not None
        await one_round(engine, ["", "a", "b"], args.clients, 4, "warm")
        rates: dict[str, list[float]] = {name: [] for name in MIXES}
        switches: dict[str, int] = {}
        for r in range(args.rounds):
            for name, mix in MIXES.items():
                before = adapters.switches
                rates[name].append(await one_round(engine, mix, args.clients, args.tokens, f"{name}-{r}"))
                switches[name] = adapters.switches - before
                print(f"round {r} {name}: {rates[name][-1]:.1f} tok/s, {switches[name]} switches", flush=True)
        await engine.close()
    ref = statistics.median(rates["one"])
    print(f"clients={args.clients} tokens={args.tokens} threads={args.threads} rounds={args.rounds}")
    print(f"{'mix':10} {'tok/s':>8} {'vs one':>7} {'switches/round':>15}")
    for name in MIXES:
        med = statistics.median(rates[name])
        print(f"{name:10} {med:8.1f} {med / ref:6.2f}x {switches[name]:15d}")


if __name__ == "__main__":
    asyncio.run(main())
