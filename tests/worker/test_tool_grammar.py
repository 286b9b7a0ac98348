"""The tool grammars accept exactly the syntax their parsers read, for every format.

Each format's canonical call text is fed token by token (the default model's
vocabulary) through the grammar: every token must be allowed, the end must be
allowed only once the calls are complete, and the parser must read the same
text back into the expected calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_grammar_first import GrammarFirstChain
from helixflow.worker.backends.llama_model import LlamaModel
from helixflow.worker.engine import Constraint, ConstraintKind, SamplingOptions, Tool
from helixflow.worker.tools.grammar import tool_call_grammar
from helixflow.worker.tools.parser import ToolCallParser

WEATHER = Tool("get_weather", "", json.dumps({"type": "object", "properties": {"city": {"type": "string"}}}))
TIME = Tool("get_time", "", "")
CALL = {"city": "Paris"}

TEXTS = {
    "hermes": (
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>\n'
        '<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>'
    ),
    "llama3_json": '{"name": "get_weather", "parameters": {"city": "Paris"}}; {"name": "get_time", "parameters": {}}',
    "mistral": (
        '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "get_time", "arguments": {}}]'
    ),
}


@pytest.fixture(scope="module")
def model() -> Iterator[LlamaModel]:
    m = LlamaModel(LlamaEngineConfig())
    yield m
    m.close()


def chain(model: LlamaModel, fmt: str, *, parallel: bool) -> GrammarFirstChain:
    grammar = tool_call_grammar((WEATHER, TIME), fmt, parallel=parallel)
    opts = SamplingOptions(temperature=0.0, constraint=Constraint(ConstraintKind.GRAMMAR, grammar))
    return GrammarFirstChain(model.vocab, opts, model.eog_ids)


def tokens(model: LlamaModel, text: str) -> list[int]:
    ids = model.tokenize(text, special=False)
    return ids[1:] if model.add_bos and ids and ids[0] == model.bos else ids


@pytest.mark.parametrize("fmt", sorted(TEXTS))
def test_grammar_accepts_what_the_parser_reads(model: LlamaModel, fmt: str) -> None:
    text = TEXTS[fmt]
    parser = ToolCallParser(fmt, request_id="r")
    parser.feed(text)
    parser.finish()
    assert [(c.name, json.loads(c.arguments)) for c in parser.calls] == [("get_weather", CALL), ("get_time", {})]
    eos = min(model.eog_ids)
    c = chain(model, fmt, parallel=True)
    try:
        ids = tokens(model, text)
        first_call_end = len(tokens(model, text.split("}}", 1)[0] + "}}"))
        for i, tok in enumerate(ids):
            if 0 < i < first_call_end:
                assert not c._allowed(eos), "the end must not be allowed inside a call"
            assert c._allowed(tok), (fmt, i, model.piece(tok))
            c.accept(tok)
        assert c._allowed(eos)
    finally:
        c.free()


@pytest.mark.parametrize("fmt", sorted(TEXTS))
def test_without_parallel_calls_one_call_is_all(model: LlamaModel, fmt: str) -> None:
    c = chain(model, fmt, parallel=False)
    try:
        text = TEXTS[fmt]
        allowed = True
        for tok in tokens(model, text):
            allowed = c._allowed(tok)
            if not allowed:
                break
            c.accept(tok)
        assert not allowed, "a second call must be refused"
    finally:
        c.free()
