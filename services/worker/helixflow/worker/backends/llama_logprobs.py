"""Log-probabilities from one row of logits (only computed when a request asks)."""

from __future__ import annotations

from typing import Any

import numpy as np

from helixflow.worker.backends.llama_model import LlamaModel
from helixflow.worker.engine import TokenLogprob, TopLogprob


def token_logprob(model: LlamaModel, logits_ptr: Any, token: int, top_n: int) -> TokenLogprob:
    """Log-softmax of the model's raw distribution (before sampling filters)."""
    logits = np.ctypeslib.as_array(logits_ptr, shape=(model.n_vocab,))
    peak = float(logits.max())
    log_z = peak + float(np.log(np.exp(logits - peak).sum()))
    top: list[TopLogprob] = []
    if top_n > 0:
        best = np.argpartition(logits, -top_n)[-top_n:]
        for tok in sorted(best.tolist(), key=lambda t: -float(logits[t])):
            data = model.piece(tok)
            top.append(TopLogprob(tok, data.decode(errors="replace"), float(logits[tok]) - log_z, data))
    data = model.piece(token)
    return TokenLogprob(token, data.decode(errors="replace"), float(logits[token]) - log_z, data, top)
