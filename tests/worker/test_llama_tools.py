"""Tool calling on the llama.cpp engine with the real default model (Gemma 3 270M).

The model has no chat template, so the first tests use the fallback tool
format. A copy of the same GGUF with a Hermes-style, tool-capable chat
template in its metadata (written with the ``gguf`` package) proves the
template path: the template receives ``tools``, and ``auto`` parses what the
tool grammar made the model write.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import gguf
import jsonschema
import pytest
import pytest_asyncio
from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata

from helixflow.common.errors import InvalidArgument
from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.engine import (
    ChatPrompt,
    Constraint,
    ConstraintKind,
    Delta,
    Finished,
    FinishReason,
    GenerationRequest,
    Message,
    SamplingOptions,
    Tool,
    ToolCall,
    ToolChoiceMode,
    ToolSpec,
)
from helixflow.worker.tools.grammar import tool_call_grammar

WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city", "unit"],
}
WEATHER = Tool("get_weather", "Current weather in a city", json.dumps(WEATHER_SCHEMA))
TIME = Tool("get_time", "Current time in a time zone", json.dumps({"type": "object", "properties": {}}))
ASK = ChatPrompt((Message("user", "What is the weather in Paris?"),))
GREEDY = SamplingOptions(temperature=0.0, max_tokens=96)

HERMES_TEMPLATE = """\
{%- if tools %}<start_of_turn>system
# Tools
You may call one or more functions to assist with the user query.
<tools>
{%- for tool in tools %}
{{ tool | tojson }}
{%- endfor %}
</tools>
For each function call, return a json object with function name and arguments within <tool_call></tool_call> tags:
<tool_call>
{"name": <function-name>, "arguments": <args-json-object>}
</tool_call><end_of_turn>
{% endif %}
{%- for message in messages %}
{%- if message.role == 'tool' %}<start_of_turn>user
<tool_response>
{{ message.content }}
</tool_response><end_of_turn>
{% elif message.role == 'assistant' %}<start_of_turn>model
{{ message.content }}
{%- for tc in message.tool_calls or [] %}<tool_call>
{"name": "{{ tc.function.name }}", "arguments": {{ tc.function.arguments | tojson }}}
</tool_call>{% endfor %}<end_of_turn>
{% else %}<start_of_turn>{{ message.role }}
{{ message.content }}<end_of_turn>
{% endif %}
{%- endfor %}
{%- if add_generation_prompt %}<start_of_turn>model
{% endif %}"""


async def run(engine: LlamaCppEngine, request: GenerationRequest) -> tuple[str, list[Delta], Finished]:
    deltas: list[Delta] = []
    async for event in engine.generate(request):
        if isinstance(event, Finished):
            return "".join(d.text for d in deltas), deltas, event
        deltas.append(event)
    raise AssertionError("stream ended without Finished")


def reassemble(deltas: list[Delta]) -> list[ToolCall]:
    heads: dict[int, tuple[str, str]] = {}
    args: dict[int, str] = {}
    for delta in deltas:
        for d in delta.tool_calls:
            if d.name:
                heads[d.index] = (d.id, d.name)
                args[d.index] = ""
            args[d.index] += d.arguments
    return [ToolCall(heads[i][0], heads[i][1], args[i]) for i in sorted(heads)]


@pytest_asyncio.fixture(scope="module")
async def engine() -> AsyncIterator[LlamaCppEngine]:
    eng = LlamaCppEngine(LlamaEngineConfig(n_ctx_per_seq=1024, max_sequences=2, max_waiting=4, n_threads=2))
    await eng.load()
    yield eng
    await eng.close()


async def test_required_gives_a_call_that_validates_on_the_fallback_format(engine: LlamaCppEngine) -> None:
    assert engine.info().tool_parser == "hermes"
    spec = ToolSpec((WEATHER, TIME), ToolChoiceMode.REQUIRED, parallel=False)
    text, deltas, fin = await run(engine, GenerationRequest("req-tools", ASK, GREEDY, spec))
    assert fin.reason is FinishReason.TOOL_CALLS
    assert text == ""
    assert len(fin.tool_calls) == 1
    call = fin.tool_calls[0]
    schema = WEATHER_SCHEMA if call.name == "get_weather" else json.loads(TIME.parameters)
    jsonschema.validate(json.loads(call.arguments), schema)
    # Streamed as it was generated: several argument fragments, reassembling to Complete's call.
    assert reassemble(deltas) == fin.tool_calls
    assert sum(1 for d in deltas for t in d.tool_calls if t.arguments) > 3


async def test_named_function_is_called(engine: LlamaCppEngine) -> None:
    spec = ToolSpec((WEATHER, TIME), ToolChoiceMode.FUNCTION, function="get_weather")
    _, _, fin = await run(engine, GenerationRequest("req-named", ASK, GREEDY, spec))
    assert [c.name for c in fin.tool_calls] == ["get_weather"]
    jsonschema.validate(json.loads(fin.tool_calls[0].arguments), WEATHER_SCHEMA)


async def test_none_offers_no_tools(engine: LlamaCppEngine) -> None:
    model = engine._model
    assert model is not None
    with_tools = model.chat_template.render(ASK.messages, (WEATHER,))
    assert "get_weather" in with_tools
    assert "<tool_call>" in with_tools
    spec = ToolSpec((WEATHER,), ToolChoiceMode.NONE)
    sampling = SamplingOptions(temperature=0.0, max_tokens=4)
    _, _, fin = await run(engine, GenerationRequest("req-none", ASK, sampling, spec))
    _, _, plain = await run(engine, GenerationRequest("req-plain", ASK, sampling))
    assert fin.usage.prompt_tokens == plain.usage.prompt_tokens  # nothing about tools was rendered
    assert fin.tool_calls == []


async def test_bad_requests_are_refused_before_streaming(engine: LlamaCppEngine) -> None:
    recursive = Tool("f", "", json.dumps({"type": "object", "properties": {"a": {"$ref": "#/nowhere"}}}))
    with pytest.raises(InvalidArgument) as err:
        engine.generate(GenerationRequest("bad-1", ASK, GREEDY, ToolSpec((recursive,), ToolChoiceMode.REQUIRED)))
    assert err.value.field == "tools[0].parameters"
    constrained = SamplingOptions(constraint=Constraint(ConstraintKind.JSON_SCHEMA, "{}"))
    with pytest.raises(InvalidArgument) as err:
        engine.generate(GenerationRequest("bad-2", ASK, constrained, ToolSpec((WEATHER,), ToolChoiceMode.REQUIRED)))
    assert err.value.field == "sampling.structured_output"


@pytest.fixture(scope="module")
def hermes_gguf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = Path(LlamaEngineConfig().model_path)
    target = tmp_path_factory.mktemp("hermes") / "gemma-hermes.gguf"
    reader = gguf.GGUFReader(source, "r")
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(target, arch=arch, endianess=reader.endianess)
    template = MetadataDetails(gguf.GGUFValueType.STRING, HERMES_TEMPLATE)
    copy_with_new_metadata(reader, writer, {gguf.Keys.Tokenizer.CHAT_TEMPLATE: template}, [])
    return target


async def test_template_path_renders_tools_and_auto_parses_the_grammar_output(hermes_gguf: Path) -> None:
    eng = LlamaCppEngine(
        LlamaEngineConfig(model_path=str(hermes_gguf), n_ctx_per_seq=1024, max_sequences=1, n_threads=2)
    )
    await eng.load()
    try:
        info = eng.info()
        assert info.has_chat_template
        assert info.tool_parser == "hermes"
        assert eng._model is not None
        rendered = eng._model.chat_template.render(ASK.messages, (WEATHER,))
        assert rendered.startswith("<start_of_turn>system\n# Tools\n")
        assert json.dumps({"type": "function", "function": {"name": "get_weather"}})[:40] in rendered
        # auto, with the tool grammar as the request's own constraint: the model must write a call
        # in the template's format, and the auto path must parse it into the same call that
        # tool_choice=required produces.
        grammar = tool_call_grammar((WEATHER,), "hermes", parallel=False)
        forced = SamplingOptions(temperature=0.0, max_tokens=96, constraint=Constraint(ConstraintKind.GRAMMAR, grammar))
        auto = ToolSpec((WEATHER,), ToolChoiceMode.AUTO, parallel=False)
        text, deltas, fin = await run(eng, GenerationRequest("auto", ASK, forced, auto))
        assert text == ""
        assert fin.reason is FinishReason.TOOL_CALLS
        assert [c.name for c in fin.tool_calls] == ["get_weather"]
        jsonschema.validate(json.loads(fin.tool_calls[0].arguments), WEATHER_SCHEMA)
        assert reassemble(deltas) == fin.tool_calls
        required = ToolSpec((WEATHER,), ToolChoiceMode.REQUIRED, parallel=False)
        _, _, fin2 = await run(eng, GenerationRequest("auto", ASK, GREEDY, required))
        assert fin2.tool_calls == fin.tool_calls
        # A finished call round-trips through the template as an assistant turn plus a tool result.
        history = (
            *ASK.messages,
            Message("assistant", "", tool_calls=tuple(fin.tool_calls)),
            Message("tool", '{"temp": 18}', tool_call_id=fin.tool_calls[0].id),
        )
        again = eng._model.chat_template.render(history, (WEATHER,))
        assert '<tool_response>\n{"temp": 18}\n</tool_response>' in again
        assert f'"arguments": {json.dumps(json.loads(fin.tool_calls[0].arguments))}' in again
    finally:
        await eng.close()
