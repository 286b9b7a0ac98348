"""Mean-pooled embeddings from a second, embeddings-only llama.cpp context."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import llama_cpp
import numpy as np

from helixflow.common.errors import InvalidArgument, PromptTooLong
from helixflow.worker.backends.llama_model import LlamaModel
from helixflow.worker.engine import EmbedResult


class Embedder:
    def __init__(self, model: LlamaModel, n_ctx: int, n_threads: int) -> None:
        self._model = model
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = n_ctx
        # Mean pooling needs a whole input in one micro-batch.
        params.n_batch = params.n_ubatch = n_ctx
        params.n_seq_max = 1
        params.n_threads = params.n_threads_batch = n_threads
        params.embeddings = True
        params.pooling_type = llama_cpp.LLAMA_POOLING_TYPE_MEAN
        params.no_perf = True
        self._ctx: Any = llama_cpp.llama_init_from_model(model.ptr, params)
        if not self._ctx:
            raise RuntimeError("llama_init_from_model failed for the embedding context")
        self.n_ctx = int(llama_cpp.llama_n_ctx(self._ctx))
        self._mem: Any = llama_cpp.llama_get_memory(self._ctx)
        self._batch: Any = llama_cpp.llama_batch_init(self.n_ctx, 0, 1)
        self._lock = threading.Lock()  # one context: one embedding at a time

    def embed(self, inputs: Sequence[str], *, normalize: bool, truncate: bool) -> EmbedResult:
        if not inputs:
            raise InvalidArgument("inputs must not be empty", field="inputs")
        # Tokenize everything first so a bad input fails before any work is done.
        token_lists = []
        for i, text in enumerate(inputs):
            ids = self._model.tokenize(text, special=False)
            if len(ids) > self.n_ctx:
                if not truncate:
                    raise PromptTooLong(
                        f"input {i} has {len(ids)} tokens but the embedding context holds {self.n_ctx}; "
                        "shorten it or set truncate",
                        field="inputs",
                    )
                ids = ids[: self.n_ctx]
            token_lists.append(ids)
        with self._lock:
            vectors = [self._embed_one(ids, normalize) for ids in token_lists]
        return EmbedResult(vectors=vectors, prompt_tokens=sum(len(t) for t in token_lists))

    def _embed_one(self, ids: list[int], normalize: bool) -> list[float]:
        llama_cpp.llama_memory_clear(self._mem, True)
        batch = self._batch
        for i, tok in enumerate(ids):
            batch.token[i], batch.pos[i], batch.n_seq_id[i], batch.logits[i] = tok, i, 1, 1
            batch.seq_id[i][0] = 0
        batch.n_tokens = len(ids)
        rc = llama_cpp.llama_decode(self._ctx, batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode (embeddings) returned {rc}")
        ptr = llama_cpp.llama_get_embeddings_seq(self._ctx, 0)
        vec = np.ctypeslib.as_array(ptr, shape=(self._model.n_embd,)).astype(np.float64)
        if normalize:
            norm = float(np.linalg.norm(vec))
            if norm > 0:
                vec = vec / norm
        return [float(x) for x in vec]

    def close(self) -> None:
        llama_cpp.llama_batch_free(self._batch)
        llama_cpp.llama_free(self._ctx)
