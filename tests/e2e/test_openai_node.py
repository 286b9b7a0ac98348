"""The official openai Node SDK (pinned in tests/rest_bridge/node) against the bridge."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from prerequisites import unavailable

from helixflow.stack.local import LocalStack

NODE_DIR = Path(__file__).parents[1] / "rest_bridge" / "node"


def test_node_sdk_stream_tool_call_and_embeddings(stack: LocalStack, model: str, real_model: bool) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "openai").is_dir():
        unavailable("node or its openai package in tests/rest_bridge/node is missing (run `make setup`)")
    done = subprocess.run(
        [node, "bridge_check.mjs", stack.bridge_url + "/v1", model, "tools" if real_model else "no-tools"],
        cwd=NODE_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["role"] == "assistant"
    assert seen["text"]
    assert seen["finish"] in ("stop", "length")
    assert seen["usage"]["completion_tokens"] >= 1
    tool = seen["tool"]
    if real_model:  # the benchmark-only fake engine makes no tool calls
        assert tool["id"]
        assert tool["name"] == "get_weather"
        assert tool["finish"] == "tool_calls"
        assert tool["fragments"] > 1  # the arguments streamed in pieces
        assert isinstance(json.loads(tool["arguments"])["city"], str)
    assert len(seen["embeddings"]) == 2
    assert seen["embeddings"][0] > 1
