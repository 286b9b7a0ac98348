"""A sampler chain that checks its grammar on the drawn token first.

Applying a grammar to every candidate costs a walk of the grammar stacks per
vocabulary entry: with Gemma 3's 262k tokens that is most of a decode step, and
the step is shared by every running sequence. Like llama.cpp's own
``common_sampler``, this chain draws from the unconstrained distribution,
checks only that token against the grammar, and applies the grammar to all
candidates only when the token is not allowed. Greedy decoding gives the same
token either way (the best allowed token is the best token when it is allowed).
"""

from __future__ import annotations

import ctypes
import dataclasses
import math
from collections.abc import Iterable
from typing import Any

import llama_cpp
import numpy as np

from helixflow.common.errors import InvalidArgument
from helixflow.worker.backends.llama_sampling import SamplerChain, constraint_to_gbnf
from helixflow.worker.engine import SamplingOptions

_TOKEN_DATA = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])


class GrammarFirstChain(SamplerChain):
    """``SamplerChain`` for a constrained request; the grammar lives beside the chain."""

    def __init__(self, vocab: Any, opts: SamplingOptions, eog_ids: Iterable[int]) -> None:
        assert opts.constraint is not None
        self.grammar: Any = llama_cpp.llama_sampler_init_grammar(
            vocab, constraint_to_gbnf(opts.constraint).encode(), b"root"
        )
        if not self.grammar:
            raise InvalidArgument("grammar failed to parse (GBNF with a 'root' rule expected)")
        try:
            super().__init__(vocab, dataclasses.replace(opts, constraint=None), eog_ids)
            self.greedy_ban = None  # its own sample() must run
        except BaseException:
            if self.grammar:  # SamplerChain's own cleanup calls free(), which may have run
                llama_cpp.llama_sampler_free(self.grammar)
                self.grammar = None
            raise
        self.n_vocab = int(llama_cpp.llama_vocab_n_tokens(vocab))
        self._all = (llama_cpp.llama_token_data * self.n_vocab)()
        self._view = np.frombuffer(memoryview(self._all).cast("B"), dtype=_TOKEN_DATA)
        self._ids = np.arange(self.n_vocab, dtype=np.int32)
        self._one = (llama_cpp.llama_token_data * 1)()

    def _draw(self, logits: Any, *, constrained: bool) -> int:
        self._view["id"] = self._ids
        self._view["logit"] = np.ctypeslib.as_array(logits, shape=(self.n_vocab,))
        self._view["p"] = 0.0
        cur = llama_cpp.llama_token_data_array(
            data=ctypes.cast(self._all, ctypes.POINTER(llama_cpp.llama_token_data)),
            size=self.n_vocab,
            selected=-1,
            sorted=False,
        )
        if constrained:
            llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(cur))
        llama_cpp.llama_sampler_apply(self.ptr, ctypes.byref(cur))
        return int(cur.data[cur.selected].id)

    def _allowed(self, token: int) -> bool:
        self._one[0] = llama_cpp.llama_token_data(token, 1.0, 0.0)
        cur = llama_cpp.llama_token_data_array(
            data=ctypes.cast(self._one, ctypes.POINTER(llama_cpp.llama_token_data)), size=1, selected=-1, sorted=False
        )
        llama_cpp.llama_sampler_apply(self.grammar, ctypes.byref(cur))
        return not math.isinf(self._one[0].logit)

    def accept(self, token: int) -> None:
        """Advance the grammar and the chain (penalties) past ``token``."""
        llama_cpp.llama_sampler_accept(self.grammar, token)
        llama_cpp.llama_sampler_accept(self.ptr, token)

    def sample(self, ctx: Any, row: int) -> int:
        logits = llama_cpp.llama_get_logits_ith(ctx, row)
        token = self._draw(logits, constrained=False)
        if not self._allowed(token):
            token = self._draw(logits, constrained=True)
        self.accept(token)
        return token

    def free(self) -> None:
        if self.grammar:
            llama_cpp.llama_sampler_free(self.grammar)
            self.grammar = None
        super().free()
