"""Clients in five languages, built from gen/<lang>/, call a live Inference server.

Each client calls ListModels, streams one Generate to its end and calls Embed,
printing one ``KEY value`` line per fact; this test checks what they print
against the contract and against the same server called from Python.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

import grpc
import pytest

from helixflow.v1 import common_pb2, inference_pb2, inference_pb2_grpc

from .endpoints import Endpoint, InferenceServer
from .toolchains import BUILDERS, Client

# Go, C++ and Java connect over TLS with the dev CA; TypeScript and Ruby over plaintext.
USES_TLS = {"go", "cpp", "java"}
PROMPT = "The capital of France is"  # what every client sends, greedy, at most MAX_TOKENS tokens
MAX_TOKENS = 8
FINISHED = {"FINISH_REASON_STOP", "FINISH_REASON_LENGTH"}


@pytest.fixture(scope="session", params=sorted(BUILDERS))
async def client(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Client]:
    """Build one language's client once per session, outside the repository.

    The build runs in a thread so the in-process router and worker keep serving meanwhile.
    """
    language: str = request.param
    out = tmp_path_factory.mktemp(f"polyglot-{language}")
    return language, await asyncio.to_thread(BUILDERS[language], out)


async def _run_client(client: Client, endpoint: Endpoint) -> str:
    args = [*client.argv, *endpoint.client_args()]
    proc = await asyncio.create_subprocess_exec(
        *args,
        env={**os.environ, **client.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    out = stdout.decode()
    assert proc.returncode == 0, f"client exited {proc.returncode}\n{out}\n{stderr.decode()[-3000:]}"
    return out


async def _from_python(endpoint: Endpoint) -> tuple[list[str], str]:
    """The model ids, and the escaped greedy text, that the same calls give from Python."""
    async with grpc.aio.insecure_channel(endpoint.target) as channel:
        stub = inference_pb2_grpc.InferenceStub(channel)
        listed = await stub.ListModels(inference_pb2.ListModelsRequest(), timeout=30)
        ids = [model.id for model in listed.models]
        request = inference_pb2.GenerateRequest(
            model=ids[0],
            prompt=PROMPT,
            sampling=common_pb2.SamplingParams(max_tokens=MAX_TOKENS, temperature=0.0),
        )
        text = "".join([r.delta.text async for r in stub.Generate(request, timeout=60) if r.HasField("delta")])
    return ids, text.replace("\\", "\\\\").replace("\n", "\\n").replace("\r", "\\r")


async def test_client_calls_live_server(inference_server: InferenceServer, client: tuple[str, Client]) -> None:
    language, built = client
    endpoint = inference_server.tls if language in USES_TLS else inference_server.plaintext
    out = await _run_client(built, endpoint)
    print(f"{language} client via {'TLS' if endpoint.ca_file else 'plaintext'}:\n{out}")  # shown with -rP
    lines = out.splitlines()
    assert lines[-1] == "DONE", out

    models = [line.removeprefix("MODEL ") for line in lines if line.startswith("MODEL ")]
    assert models, out
    python_models, python_text = await _from_python(inference_server.plaintext)
    assert models == python_models

    facts = {key: value for key, _, value in (line.partition(" ") for line in lines) if key != "MODEL"}
    assert {"DELTAS", "TEXT", "FINISH", "USAGE", "EMBED"} <= facts.keys(), out
    assert int(facts["DELTAS"]) >= 1, out
    # Greedy decoding of the same prompt on the same model: the same text as from Python.
    assert facts["TEXT"] == python_text, out
    assert facts["FINISH"] in FINISHED, out
    usage = re.fullmatch(r"prompt=(\d+) completion=(\d+) cached=(\d+)", facts["USAGE"])
    assert usage is not None, out
    prompt_tokens, completion_tokens, cached_tokens = map(int, usage.groups())
    assert prompt_tokens > 0, out
    assert 1 <= completion_tokens <= MAX_TOKENS, out
    assert cached_tokens <= prompt_tokens, out
    if facts["FINISH"] == "FINISH_REASON_LENGTH":
        assert completion_tokens == MAX_TOKENS, out

    embed = re.fullmatch(r"count=(\d+) dim=(\d+)", facts["EMBED"])
    assert embed is not None, out
    assert int(embed.group(1)) == 2, out
    assert int(embed.group(2)) > 0, out


@pytest.mark.parametrize(("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)])
def test_missing_toolchain_fails_only_under_ci(
    monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(outcome, match="not found"):
        BUILDERS["go"](Path("/nonexistent"))
