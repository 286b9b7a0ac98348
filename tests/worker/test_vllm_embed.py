"""Embeddings from the vLLM backend with a pooling model (the tiny Llama run as an embedder).

Skipped without vLLM unless HELIXFLOW_REQUIRE_VLLM=1.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from vllm_gate import VLLM_MARKS, require_vllm

require_vllm()

from helixflow.common.errors import InvalidArgument, PromptTooLong
from helixflow.worker.backends.vllm import VllmEngine
from helixflow.worker.backends.vllm_config import VllmEngineConfig
from helixflow.worker.engine import GenerationRequest, TextPrompt

pytestmark = VLLM_MARKS

CONTEXT = 128


@pytest.fixture(scope="module")
async def embedder(tiny_llama: Path) -> AsyncIterator[VllmEngine]:
    config = VllmEngineConfig(
        model=str(tiny_llama),
        model_id="tiny-embed",
        max_model_len=CONTEXT,
        max_num_seqs=4,
        dtype="float32",
        enforce_eager=True,
        runner="pooling",
        convert="embed",  # pool the causal LM's hidden states into embeddings
        extra={"kv_cache_memory_bytes": 64 << 20, "block_size": 32},
    )
    eng = VllmEngine(config)
    await eng.load()
    yield eng
    await eng.close()


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


async def test_info_says_embeddings_only(embedder: VllmEngine) -> None:
    info = embedder.info()
    assert info.supports_embed
    assert not info.supports_generate
    assert info.embedding_dimension == 128
    assert info.constraints == frozenset()
    with pytest.raises(InvalidArgument):
        embedder.generate(GenerationRequest("g", TextPrompt("hi")))


async def test_one_vector_per_input_in_order(embedder: VllmEngine) -> None:
    texts = ["Hello world", "The quick brown fox jumps over the lazy dog.", "Hello world"]
    result = await embedder.embed(texts, normalize=True, truncate=False)
    assert len(result.vectors) == 3
    assert all(len(v) == 128 for v in result.vectors)
    assert all(abs(_norm(v) - 1.0) < 1e-4 for v in result.vectors)
    assert result.vectors[0] == pytest.approx(result.vectors[2], abs=1e-5)
    assert result.vectors[0] != pytest.approx(result.vectors[1], abs=1e-3)
    single = await embedder.embed(["Hello world"], normalize=True, truncate=False)
    assert result.prompt_tokens == 2 * single.prompt_tokens + len(
        (await embedder.tokenize(TextPrompt(texts[1]), return_pieces=False)).token_ids
    )


async def test_normalize_flag(embedder: VllmEngine) -> None:
    raw = await embedder.embed(["Hello world"], normalize=False, truncate=False)
    assert abs(_norm(raw.vectors[0]) - 1.0) > 1e-3


async def test_truncate_flag(embedder: VllmEngine) -> None:
    long_text = "Hello world " * 200
    with pytest.raises(PromptTooLong):
        await embedder.embed([long_text], normalize=True, truncate=False)
    cut = await embedder.embed([long_text], normalize=True, truncate=True)
    assert cut.prompt_tokens == CONTEXT
