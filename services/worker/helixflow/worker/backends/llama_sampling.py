"""Per-sequence sampler chains built from ``SamplingOptions``.

Each running sequence owns one llama.cpp sampler chain, so penalties, grammar
state and the RNG (seed) never leak between requests.
"""

from __future__ import annotations

import ctypes
import json
from collections.abc import Iterable
from typing import Any

import llama_cpp
from llama_cpp.llama_grammar import json_schema_to_gbnf

from helixflow.common.errors import InvalidArgument, UnsupportedConstraint
from helixflow.worker.engine import Constraint, ConstraintKind, SamplingOptions

# llama.cpp's own defaults, used when a request leaves a field unset.
DEFAULT_TEMPERATURE = 0.8
DEFAULT_TOP_K = 40
DEFAULT_TOP_P = 0.95
DEFAULT_MIN_P = 0.05
# How many recent tokens the penalties look at.
PENALTY_WINDOW = 256

SUPPORTED_CONSTRAINTS = frozenset({ConstraintKind.JSON_SCHEMA, ConstraintKind.GRAMMAR})


def constraint_to_gbnf(constraint: Constraint) -> str:
    """GBNF text for a constraint, or a domain error saying why not."""
    if constraint.kind is ConstraintKind.GRAMMAR:
        return constraint.value
    if constraint.kind is ConstraintKind.JSON_SCHEMA:
        try:
            json.loads(constraint.value)
            return str(json_schema_to_gbnf(constraint.value))
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise InvalidArgument(f"invalid JSON schema: {exc}", field="json_schema") from exc
    raise UnsupportedConstraint(
        f"constraint kind {constraint.kind.value!r} is not supported by the llama.cpp backend; "
        "use json_schema or grammar",
        field=constraint.kind.value,
    )


class SamplerChain:
    """Owns one ``llama_sampler`` chain; ``free()`` exactly once."""

    def __init__(self, vocab: Any, opts: SamplingOptions, eog_ids: Iterable[int]) -> None:
        params = llama_cpp.llama_sampler_chain_default_params()
        params.no_perf = True
        self.ptr: Any = llama_cpp.llama_sampler_chain_init(params)
        # Set when this chain is plain greedy (stateless): the runner may then take the argmax
        # of the logits itself, for all such rows of a step at once, instead of calling the
        # chain. The tokens it must never pick (EOG under ignore_eos) fall back to the chain.
        self.greedy_ban: frozenset[int] | None = None
        try:
            self._build(vocab, opts, tuple(eog_ids))
        except BaseException:
            self.free()
            raise

    def _add(self, sampler: Any) -> None:
        llama_cpp.llama_sampler_chain_add(self.ptr, sampler)

    def _build(self, vocab: Any, opts: SamplingOptions, eog_ids: tuple[int, ...]) -> None:
        if opts.ignore_eos and eog_ids:
            # A -inf bias is how llama-server ignores EOS: those tokens can never be drawn.
            biases = (llama_cpp.llama_logit_bias * len(eog_ids))()
            for i, tok in enumerate(eog_ids):
                biases[i].token = tok  # type: ignore[assignment]
                biases[i].bias = float("-inf")
            n_vocab = llama_cpp.llama_vocab_n_tokens(vocab)
            self._add(llama_cpp.llama_sampler_init_logit_bias(n_vocab, len(eog_ids), biases))
        if opts.constraint is not None:
            gbnf = constraint_to_gbnf(opts.constraint)
            grammar = llama_cpp.llama_sampler_init_grammar(vocab, gbnf.encode(), b"root")
            if not grammar:
                raise InvalidArgument("grammar failed to parse (GBNF with a 'root' rule expected)")
            self._add(grammar)
        repeat = opts.repetition_penalty or 1.0
        freq = opts.frequency_penalty or 0.0
        present = opts.presence_penalty or 0.0
        if repeat != 1.0 or freq != 0.0 or present != 0.0:
            self._add(llama_cpp.llama_sampler_init_penalties(PENALTY_WINDOW, repeat, freq, present))
        temperature = DEFAULT_TEMPERATURE if opts.temperature is None else opts.temperature
        if temperature == 0.0:
            self._add(llama_cpp.llama_sampler_init_greedy())
            plain = opts.constraint is None and repeat == 1.0 and freq == 0.0 and present == 0.0
            if plain:
                self.greedy_ban = frozenset(eog_ids) if opts.ignore_eos else frozenset()
            return
        top_k = DEFAULT_TOP_K if opts.top_k is None else opts.top_k
        if top_k > 0:
            self._add(llama_cpp.llama_sampler_init_top_k(top_k))
        self._add(llama_cpp.llama_sampler_init_top_p(DEFAULT_TOP_P if opts.top_p is None else opts.top_p, 1))
        self._add(llama_cpp.llama_sampler_init_min_p(DEFAULT_MIN_P if opts.min_p is None else opts.min_p, 1))
        self._add(llama_cpp.llama_sampler_init_temp(temperature))
        seed = llama_cpp.LLAMA_DEFAULT_SEED if opts.seed is None else opts.seed & 0xFFFFFFFF
        self._add(llama_cpp.llama_sampler_init_dist(seed))

    def sample(self, ctx: Any, row: int) -> int:
        """Draw from the logits of batch row ``row`` (llama.cpp also accepts the token)."""
        return int(llama_cpp.llama_sampler_sample(self.ptr, ctx, row))

    def free(self) -> None:
        if self.ptr:
            llama_cpp.llama_sampler_free(self.ptr)
            self.ptr = ctypes.c_void_p()
