"""What one decode step costs on this CPU: D decoding rows plus P prompt tokens.

The scheduler's prefill budget (``llama_plan``/``llama_scheduler``) is chosen from
this: how much a prompt chunk stretches a step that running streams wait for.
The second table is what one more micro-batch costs (``llama_plan.ubatches``):
the same tokens in one micro-batch and split into many, because prompts have
different lengths or decoding slots are not consecutive.

The first table's prompt-free column is also the decode bound: with c slots, no engine
streams more than c tokens per c-row decode step, so ``c / step`` tokens/s is the most
``bench/worker.py`` can show at concurrency c (prompts only take time away from it).
``--extra-buffer-types`` resolves as the worker does (``auto``: on unless the CPU has AMX).

    .venv/bin/python bench/step_cost.py --threads 2 --decoding 0,16,64 --prefill 0,32,64,128,256,512
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for src in ("services/worker", "services/common", "gen/python"):
    sys.path.insert(0, str(ROOT / src))

import llama_cpp  # noqa: E402

from helixflow.worker.backends.llama_config import LlamaEngineConfig, default_model_path  # noqa: E402
from helixflow.worker.backends.llama_model import route_llama_logs  # noqa: E402
from helixflow.worker.backends.llama_plan import ubatches  # noqa: E402
from helixflow.worker.backends.llama_scheduler import context_params  # noqa: E402
from helixflow.worker.extra_buffers import cpu_flags, resolve_extra_buffers  # noqa: E402


class Steps:
    """A context with the worker's own settings (one KV stream per slot, SWA cache,
    ``llama_scheduler.context_params``) over ``n_seq`` sequences, to time decode steps:
    the steps timed here are the steps the worker runs."""

    def __init__(self, model_path: str, threads: int, n_seq: int, batch_tokens: int, repack: bool) -> None:
        route_llama_logs()  # as the worker does: errors only, not every load line
        llama_cpp.llama_backend_init()
        mparams = llama_cpp.llama_model_default_params()
        mparams.use_extra_bufts = repack
        self.model = llama_cpp.llama_model_load_from_file(model_path.encode(), mparams)
        config = LlamaEngineConfig(n_ctx_per_seq=1024, max_sequences=n_seq, n_threads=threads)
        params = context_params(config, batch_tokens + n_seq)
        self.ctx = llama_cpp.llama_init_from_model(self.model, params)
        self.mem = llama_cpp.llama_get_memory(self.ctx)
        self.batch = llama_cpp.llama_batch_init(params.n_batch, 0, 1)
        self.lens = [0] * n_seq

    def step(self, rows: list[tuple[int, int]], fillers: frozenset[int] = frozenset()) -> float:
        """(seq, tokens) rows, the last token of each sampled unless its seq is a filler's;
        returns seconds."""
        batch, n = self.batch, 0
        for seq, count in rows:
            for _ in range(count):
                batch.token[n], batch.pos[n], batch.n_seq_id[n], batch.logits[n] = 100 + n % 50, self.lens[seq], 1, 0
                batch.seq_id[n][0] = seq
                self.lens[seq] += 1
                n += 1
            batch.logits[n - 1] = seq not in fillers
        batch.n_tokens = n
        start = time.perf_counter()
        if llama_cpp.llama_decode(self.ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")
        return time.perf_counter() - start

    def clear(self, seq: int) -> None:
        llama_cpp.llama_memory_seq_rm(self.mem, seq, -1, -1)
        self.lens[seq] = 0

    def warm(self, seqs: int, tokens: int = 32) -> None:
        """Give the first ``seqs`` sequences a ``tokens``-token context, as a short prompt would."""
        for first in range(0, seqs, 8):
            self.step([(s, tokens) for s in range(first, min(first + 8, seqs))])

    def close(self) -> None:
        llama_cpp.llama_batch_free(self.batch)
        llama_cpp.llama_free(self.ctx)
        llama_cpp.llama_model_free(self.model)


def decode_bound(model_path: str, threads: int, rows: int, repack: bool, repeats: int = 5) -> float:
    """``rows`` tokens per ``rows``-row decode step (median of ``repeats``), in tokens/s: the
    most any engine on these kernels streams at concurrency ``rows``."""
    steps = Steps(model_path, threads, rows, 256, repack)
    try:
        steps.warm(rows)
        return rows / statistics.median(steps.step([(s, 1) for s in range(rows)]) for _ in range(repeats))
    finally:
        steps.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--decoding", default="0,16,64")
    parser.add_argument("--prefill", default="0,32,64,128,256,512")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--extra-buffer-types", choices=["auto", "on", "off"], default="auto")
    args = parser.parse_args()
    buffers = resolve_extra_buffers(args.extra_buffer_types, cpu_flags())
    decodings = [int(x) for x in args.decoding.split(",")]
    prefills = [int(x) for x in args.prefill.split(",")]
    n_seq = max(*decodings, 16) + 1  # the micro-batch table uses 16 sequences
    steps = Steps(default_model_path(), args.threads, n_seq, max(*prefills, 256), buffers.enabled)
    steps.warm(n_seq - 1)  # every decoding row has a 32-token context
    print(f"threads={args.threads}; extra buffer types {buffers.describe()}")
    print(f"ms per step (median of {args.repeats}); rows: decoding, cols: prompt tokens; bound = decoding / step")
    print("decoding | " + " | ".join(f"{p:>6}" for p in prefills) + " | bound tok/s")
    for d in decodings:
        cells, bound = [], 0.0
        for p in prefills:
            if d == 0 and p == 0:
                cells.append(f"{'-':>6}")
                continue
            times = []
            for _ in range(args.repeats):
                steps.clear(n_seq - 1)
                rows = [(s, 1) for s in range(d)] + ([(n_seq - 1, p)] if p else [])
                times.append(steps.step(rows))
            cells.append(f"{statistics.median(times) * 1000:6.0f}")
            if p == 0:
                bound = d / statistics.median(times)
        print(f"{d:>8} | " + " | ".join(cells) + (f" | {bound:11.1f}" if d and 0 in prefills else ""))

    def fresh(rows: list[tuple[int, int]], fillers: frozenset[int] = frozenset()) -> float:
        """Median seconds of ``rows`` (seq, tokens) on sequences cleared first."""
        times = []
        for _ in range(args.repeats):
            for seq, _count in rows:
                steps.clear(seq)
            times.append(steps.step(rows, fillers))
        return statistics.median(times)

    prompt_unit = fresh([(0, 256)]) / 256
    print(f"\nmicro-batches (one prompt token alone costs {prompt_unit * 1000:.2f} ms)")
    print("case                                 | ubatches |     ms | ms per extra ubatch | in prompt tokens")
    cases = [
        (
            "16 prompts of 16 tokens",
            [(s, 16) for s in range(16)],
            "16 prompts of 9..24 tokens",
            [(s, 9 + s) for s in range(16)],
        ),
        (
            "8 decoding rows, seqs 0..7",
            [(s, 1) for s in range(8)],
            "8 decoding rows, seqs 0,2,..14",
            [(2 * s, 1) for s in range(8)],
        ),
    ]
    for one_name, one, split_name, split in cases:
        one_s, split_s = fresh(one), fresh(split)
        n_one, n_split = ubatches(one), ubatches(split)
        extra = (split_s - one_s) / max(1, n_split - n_one)
        print(f"{one_name:36s} | {n_one:8d} | {one_s * 1000:6.0f} |")
        cost = f"{extra * 1000:18.1f} | {extra / prompt_unit:16.1f}"
        print(f"{split_name:36s} | {n_split:8d} | {split_s * 1000:6.0f} | {cost}")
    # What the scheduler does about the second case: a throwaway token in each gap (llama_plan.Planner.gap_fillers).
    gaps = frozenset(range(1, 15, 2))
    filled = sorted([(2 * s, 1) for s in range(8)] + [(g, 1) for g in gaps])
    print(
        f"{'  the same, 7 filler tokens in the gaps':36s} | {ubatches(filled):8d} | {fresh(filled, gaps) * 1000:6.0f} |"
    )
    steps.close()


if __name__ == "__main__":
    main()
