"""Tools on a backend: what to render, how to constrain, what to parse (llama.cpp and vLLM).

``none`` offers no tools (nothing rendered, nothing parsed). ``auto`` renders
the tools and parses the output with the template's format. ``required`` and a
named function also constrain decoding with a grammar of that format built
from the offered tools' schemas (``helixflow.worker.tools.grammar``).
"""

from __future__ import annotations

import dataclasses

from helixflow.common.errors import InvalidArgument
from helixflow.worker.engine import Constraint, ConstraintKind, GenerationRequest, SamplingOptions, Tool, ToolChoiceMode
from helixflow.worker.tools.grammar import tool_call_grammar
from helixflow.worker.tools.parser import ToolCallParser

FORCED = frozenset({ToolChoiceMode.REQUIRED, ToolChoiceMode.FUNCTION})


@dataclasses.dataclass(frozen=True, slots=True)
class ToolPlan:
    sampling: SamplingOptions
    tools: tuple[Tool, ...] = ()  # rendered into the prompt
    parser: ToolCallParser | None = None
    grammar_first: bool = False  # sampling.constraint is a tool grammar: check it on the drawn token first


def plan_tools(request: GenerationRequest, fmt: str) -> ToolPlan:
    """``fmt`` is the tool-call format the model writes (its template's parser)."""
    spec = request.tools
    if spec is None or not spec.offered:
        return ToolPlan(request.sampling)
    # A named function is called once; otherwise parallel_tool_calls decides.
    parallel = spec.parallel and spec.choice is not ToolChoiceMode.FUNCTION
    opts = request.sampling
    if spec.choice in FORCED:
        grammar = tool_call_grammar(spec.offered, fmt, parallel=parallel)
        if opts.constraint is not None:
            raise InvalidArgument(
                "structured_output cannot be combined with tool_choice required or a named function",
                field="sampling.structured_output",
            )
        opts = dataclasses.replace(opts, constraint=Constraint(ConstraintKind.GRAMMAR, grammar))
    parser = ToolCallParser(fmt, request_id=request.request_id, max_calls=None if parallel else 1)
    return ToolPlan(opts, spec.offered, parser, grammar_first=spec.choice in FORCED)
