"""GBNF grammars that force a tool call in a format's exact syntax.

Under tool_choice "required" or a named function, generation is constrained
to one call (or, with parallel calls, up to ``MAX_PARALLEL_CALLS``) of the
offered tools, each with arguments valid against that tool's JSON schema, so
every call parses and validates even on a small model. The schemas become
GBNF rules with llama-cpp-python's JSON-schema converter (one converter, so
the rules of all tools share their primitives and never clash).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from helixflow.common.errors import InvalidArgument, UnsupportedConstraint
from helixflow.worker.engine import Tool
from helixflow.worker.tools.render import parameters_schema

# Small models tend to repeat a call until max_tokens when more are allowed; this bounds it.
MAX_PARALLEL_CALLS = 4


def literal(text: str) -> str:
    """``text`` as a GBNF string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"'


def argument_rules(tools: Sequence[Tool]) -> tuple[Any, list[str]]:
    """One converter holding an arguments rule per tool, and those rules' names."""
    try:  # llama-cpp-python's converter; a vLLM-only install may lack it
        from llama_cpp.llama_grammar import SchemaConverter
    except ImportError as exc:
        raise UnsupportedConstraint(
            "tool_choice required or a named function needs llama-cpp-python (the 'llama' extra) on this worker",
            field="tool_choice",
        ) from exc
    converter = SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)  # type: ignore[no-untyped-call]
    names: list[str] = []
    for i, tool in enumerate(tools):
        field = f"tools[{i}].parameters"
        try:
            schema: Any = converter.resolve_refs(parameters_schema(tool), f"tool-{i}")
            names.append(converter.visit(schema, f"tool-{i}-args"))  # type: ignore[no-untyped-call]
        except Exception as exc:  # the converter raises many kinds on schemas it cannot take: all are bad input
            raise InvalidArgument(f"{field} cannot be used for constrained decoding: {exc}", field=field) from exc
    return converter, names


def tool_call_grammar(tools: Sequence[Tool], fmt: str, *, parallel: bool) -> str:
    """A grammar whose every sentence is one or more calls in format ``fmt``."""
    converter, rules = argument_rules(tools)
    key = "parameters" if fmt == "llama3_json" else "arguments"
    alternatives = " | ".join(
        f"{literal(json.dumps(t.name) + f', {json.dumps(key)}: ')} {rule}" for t, rule in zip(tools, rules, strict=True)
    )
    # (text before the calls, text between two calls, text after them, a call's opening, its closing)
    open_, close = '{"name": ', "}"
    if fmt == "mistral":
        before, between, after = "[TOOL_CALLS][", ", ", "]"
    elif fmt == "llama3_json":
        before, between, after = "", "; ", ""
    else:  # hermes and the fallback format
        before, between, after = "", "\n", ""
        open_, close = "<tool_call>\n" + open_, close + "\n</tool_call>"
    calls = f"call ({literal(between)} call){{0,{MAX_PARALLEL_CALLS - 1}}}" if parallel else "call"
    parts = [literal(before)] if before else []
    parts.append(calls)
    if after:
        parts.append(literal(after))
    head = "root ::= " + " ".join(parts)
    call = f"call ::= {literal(open_)} fn {literal(close)}"
    lines = [head, call, f"fn ::= {alternatives}", str(converter.format_grammar())]
    return "\n".join(lines)
