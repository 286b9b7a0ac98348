"""``llama_plan.ubatches`` against llama.cpp itself: the worker's generation context
(``context_params``) decodes batches with ``LLAMA_BATCH_DEBUG`` on, in a child
process (llama.cpp prints from C), and each batch's printed micro-batches are
counted. A llama.cpp upgrade that splits batches differently fails here."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap

import llama_cpp

from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.backends.llama_plan import ubatches
from helixflow.worker.engine import Delta, GenerationRequest, SamplingOptions, TextPrompt

# (seq id, tokens) rows in batch order; each batch continues the sequences' positions.
BATCHES = [
    [(0, 12), (1, 12), (2, 12), (3, 12)],
    [(0, 1), (1, 1), (2, 1), (3, 1)],
    [(0, 1), (2, 1), (3, 1)],
    [(0, 1), (1, 30), (2, 1), (3, 1)],
    [(3, 1), (0, 1), (1, 1)],
    [(0, 10), (1, 14), (2, 20), (3, 14), (5, 3)],
]

CHILD = textwrap.dedent(
    """
    import json, sys
    import llama_cpp
    from helixflow.worker.backends.llama_config import LlamaEngineConfig, default_model_path
    from helixflow.worker.backends.llama_scheduler import context_params

    batches = json.loads(sys.argv[1])
    llama_cpp.llama_backend_init()
    mparams = llama_cpp.llama_model_default_params()
    mparams.use_extra_bufts = False
    model = llama_cpp.llama_model_load_from_file(default_model_path().encode(), mparams)
    config = LlamaEngineConfig(n_ctx_per_seq=256, max_sequences=6, n_threads=2)
    ctx = llama_cpp.llama_init_from_model(model, context_params(config, 128))
    batch = llama_cpp.llama_batch_init(128, 0, 1)
    lens = [0] * 6
    for rows in batches:
        n = 0
        for seq, count in rows:
            for _ in range(count):
                batch.token[n], batch.pos[n], batch.n_seq_id[n], batch.logits[n] = 100 + n, lens[seq], 1, 0
                batch.seq_id[n][0] = seq
                lens[seq] += 1
                n += 1
            batch.logits[n - 1] = 1
        batch.n_tokens = n
        print("BATCH", flush=True, file=sys.stderr)
        assert llama_cpp.llama_decode(ctx, batch) == 0
    print("BATCH", flush=True, file=sys.stderr)
    """
)


def test_ubatches_matches_the_micro_batches_llama_cpp_makes() -> None:
    # The child imports the same helixflow as this test does (a checkout may not be the installed one).
    env = {**os.environ, "LLAMA_BATCH_DEBUG": "1", "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(BATCHES)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    sections = done.stderr.split("BATCH\n")[1:-1]
    assert len(sections) == len(BATCHES)
    made = [section.count("equal_seqs   = 1") for section in sections]
    assert made == [ubatches(spec) for spec in BATCHES]
    assert made[0] == 1  # the check itself can tell them apart
    assert made[-1] > 1


async def test_gap_fillers_leave_every_kv_stream_as_the_plan_says() -> None:
    """Short requests finish between long ones, so the long ones decode in slots with gaps
    between them: the gaps get filler tokens, and afterwards every slot's stream holds
    exactly the positions the planner thinks it holds (the fillers are gone)."""
    engine = LlamaCppEngine(LlamaEngineConfig(n_ctx_per_seq=256, max_sequences=6, n_threads=2))
    await engine.load()
    try:

        async def run(rid: str, max_tokens: int) -> int:
            sampling = SamplingOptions(temperature=0.0, max_tokens=max_tokens, ignore_eos=True)
            count = 0
            async for event in engine.generate(GenerationRequest(rid, TextPrompt(f"Story {rid}:"), sampling)):
                if isinstance(event, Delta):
                    count += len(event.token_ids)
            return count

        # Admitted in this order into empty slots 0..4: the short ones leave gaps at 1 and 3.
        lengths = {"long-0": 32, "short-1": 2, "long-2": 32, "short-3": 2, "long-4": 32}
        tasks = []
        for rid, n in lengths.items():
            tasks.append(asyncio.create_task(run(rid, n)))
            await asyncio.sleep(0)
        assert await asyncio.gather(*tasks) == list(lengths.values())
        scheduler = engine._scheduler
        assert scheduler is not None
        assert scheduler.filler_tokens > 0
        for slot in scheduler._plan.slots:
            assert llama_cpp.llama_memory_seq_pos_max(scheduler._mem, slot.seq_id) == len(slot.kv) - 1
    finally:
        await engine.close()
