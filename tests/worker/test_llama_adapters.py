"""LoRA adapters on the llama.cpp backend, with the real default model (Gemma 3 270M)
and LoRA GGUFs the test writes (``lora_testing.write_gguf_lora``), through the Worker
gRPC API over mutual TLS: a request picks an adapter by model name."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from lora_testing import write_gguf_lora

from helixflow.common.errors import ModelNotFound
from helixflow.common.grpc_server import CHANNEL_OPTIONS
from helixflow.common.tls import TlsFiles, channel_credentials
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2, worker_pb2_grpc
from helixflow.worker.adapters import AdapterSpec
from helixflow.worker.backends.llama_config import LlamaEngineConfig, default_model_path
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.config import DEFAULT_MODEL_ID, WorkerSettings
from helixflow.worker.engine import Finished, GenerationRequest, SamplingOptions, TextPrompt
from helixflow.worker.server import create_server
from tests.conftest import tls_settings

PROMPT = "The capital of France is"
GREEDY = SamplingOptions(temperature=0.0, max_tokens=16, ignore_eos=True)


@pytest.fixture(scope="module")
def adapter_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("lora")
    base = default_model_path()
    return {
        "pirate": write_gguf_lora(base, folder / "pirate.gguf", seed=1),
        "poet": write_gguf_lora(base, folder / "poet.gguf", seed=2),
    }


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def engine(adapter_files: dict[str, Path]) -> AsyncIterator[LlamaCppEngine]:
    specs = tuple(AdapterSpec(id=name, path=path) for name, path in adapter_files.items())
    eng = LlamaCppEngine(LlamaEngineConfig(n_ctx_per_seq=256, max_sequences=6, n_threads=2, adapters=specs))
    await eng.load()
    yield eng
    await eng.close()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def stub(engine: LlamaCppEngine, pki: dict[str, TlsFiles]) -> AsyncIterator[worker_pb2_grpc.WorkerAsyncStub]:
    settings = WorkerSettings(listen="127.0.0.1:0", tls=tls_settings(pki["worker"]), metrics_port=0, warmup=False)
    server, port = create_server(settings, engine=engine)
    await server.start()
    channel = grpc.aio.secure_channel(f"localhost:{port}", channel_credentials(pki["router"]), options=CHANNEL_OPTIONS)
    yield worker_pb2_grpc.WorkerStub(channel)
    await channel.close()
    await server.stop(grace=0)


async def generate(
    stub: worker_pb2_grpc.WorkerAsyncStub, rid: str, model: str, prompt: str = PROMPT
) -> tuple[str, common_pb2.Complete]:
    req = inference_pb2.GenerateRequest(request_id=rid, model=model, prompt=prompt)
    req.sampling.temperature = 0.0
    req.sampling.max_tokens = 16
    req.sampling.ignore_eos = True
    text: list[str] = []
    complete = None
    async for msg in stub.Generate(worker_pb2.WorkerGenerateRequest(request=req)):
        if msg.response.WhichOneof("event") == "delta":
            text.append(msg.response.delta.text)
        else:
            complete = msg.response.complete
    assert complete is not None
    assert complete.usage.completion_tokens == 16
    return "".join(text), complete


async def test_info_lists_the_adapters_of_the_base_model(stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    info = await stub.Info(worker_pb2.InfoRequest())
    assert info.model_id == DEFAULT_MODEL_ID
    assert [(a.id, a.base_model) for a in info.adapters] == [
        ("pirate", DEFAULT_MODEL_ID),
        ("poet", DEFAULT_MODEL_ID),
    ]


async def test_an_adapter_changes_the_output_and_the_base_model_restores_it(
    stub: worker_pb2_grpc.WorkerAsyncStub,
) -> None:
    base, _ = await generate(stub, "b1", DEFAULT_MODEL_ID)
    pirate, _ = await generate(stub, "p1", "pirate")
    poet, _ = await generate(stub, "q1", "poet")
    base_again, _ = await generate(stub, "b2", DEFAULT_MODEL_ID)
    unnamed, _ = await generate(stub, "b3", "")  # no model name: the base model
    assert pirate != base
    assert poet not in (base, pirate)
    assert base_again == base == unnamed


def shared_start(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` have in common."""
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


async def test_concurrent_requests_with_different_adapters_keep_their_own_output(
    stub: worker_pb2_grpc.WorkerAsyncStub,
) -> None:
    # llama.cpp's kernels are not batch-invariant: a row batched with others (here also with
    # the scheduler's gap fillers) may break a near-tie differently than alone, so a stream
    # may drift from its solo text after a while. What must hold is that each stream follows
    # its own adapter: it shares a longer start with its own solo text than with any other's,
    # and requests for the same adapter in the same batch agree.
    names = (DEFAULT_MODEL_ID, "pirate", "poet")
    solo = {m: (await generate(stub, f"solo-{m}", m))[0] for m in names}
    assert len(set(solo.values())) == 3
    models = [DEFAULT_MODEL_ID, "pirate", "poet", DEFAULT_MODEL_ID, "pirate", "poet"]
    results = await asyncio.gather(*(generate(stub, f"mix-{i}", m) for i, m in enumerate(models)))
    texts = [text for text, _ in results]
    for text, model in zip(texts, models, strict=True):
        own = shared_start(text, solo[model])
        assert own >= 10, (model, text, solo[model])
        assert all(own > shared_start(text, solo[m]) for m in names if m != model), (model, text)
    assert texts[:3] == texts[3:]


async def test_no_kv_prefix_crosses_an_adapter(engine: LlamaCppEngine) -> None:
    prompt = "A long and unusual prompt that no other test sends, about lighthouses and the sea, " * 3

    async def run(rid: str, adapter: str) -> tuple[str, Finished]:
        text: list[str] = []
        async for event in engine.generate(GenerationRequest(rid, TextPrompt(prompt), GREEDY, adapter=adapter)):
            if isinstance(event, Finished):
                return "".join(text), event
            text.append(event.text)
        raise AssertionError("no Finished")

    await run("kv-base", "")
    first, fin = await run("kv-pirate-1", "pirate")
    # The base model's cache of this prompt is no prefix for the adapter (at most the BOS
    # token of an earlier pirate request is).
    assert fin.usage.cached_tokens <= 1
    again, fin = await run("kv-pirate-2", "pirate")
    assert fin.usage.cached_tokens > 0  # the adapter's own cache is reused
    assert again == first


async def test_an_unknown_adapter_is_not_found(engine: LlamaCppEngine) -> None:
    with pytest.raises(ModelNotFound):
        engine.generate(GenerationRequest("nope", TextPrompt(PROMPT), GREEDY, adapter="nope"))


async def test_a_file_that_is_no_lora_gguf_fails_the_load(tmp_path: Path) -> None:
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(b"GGUF not really")
    eng = LlamaCppEngine(
        LlamaEngineConfig(
            n_ctx_per_seq=64, max_sequences=1, n_threads=2, embedding_ctx=0, adapters=(AdapterSpec(id="bad", path=bad),)
        )
    )
    with pytest.raises(RuntimeError, match="could not load LoRA adapter 'bad'"):
        await eng.load()
    await eng.close()
