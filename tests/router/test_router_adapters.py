"""LoRA adapter ids through the router: a real llama.cpp worker (Gemma 3 270M with a
test-made LoRA GGUF) beside a fake worker of another model. An adapter id routes to
the worker of its base model, and ListModels lists it with its base model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import pytest
from lora_testing import write_gguf_lora

from helixflow.common.tls import TlsFiles
from helixflow.v1 import inference_pb2, inference_pb2_grpc
from helixflow.worker.adapters import AdapterSpec
from helixflow.worker.backends.llama_config import LlamaEngineConfig, default_model_path
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.config import DEFAULT_MODEL_ID, WorkerSettings
from helixflow.worker.server import create_server as create_worker
from tests.conftest import tls_settings
from tests.router.conftest import CountingEngine, router, worker

Pki = dict[str, TlsFiles]


@asynccontextmanager
async def lora_worker(pki: Pki, adapter: Path) -> AsyncIterator[str]:
    engine = LlamaCppEngine(
        LlamaEngineConfig(
            n_ctx_per_seq=128,
            max_sequences=2,
            n_threads=2,
            embedding_ctx=0,
            adapters=(AdapterSpec(id="pirate", path=adapter),),
        )
    )
    settings = WorkerSettings(listen="127.0.0.1:0", tls=tls_settings(pki["worker"]), metrics_port=0, warmup=False)
    server, port = create_worker(settings, engine)
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)
        await engine.close()


async def text_of(stub: inference_pb2_grpc.InferenceAsyncStub, model: str) -> str:
    req = inference_pb2.GenerateRequest(model=model, prompt="The capital of France is")
    req.sampling.temperature = 0.0
    req.sampling.max_tokens = 12
    req.sampling.ignore_eos = True
    replies = [r async for r in stub.Generate(req)]
    assert replies[-1].complete.usage.completion_tokens == 12
    return "".join(r.delta.text for r in replies[:-1])


async def test_an_adapter_id_routes_to_its_base_models_worker(pki: Pki, tmp_path: Path) -> None:
    adapter = write_gguf_lora(default_model_path(), tmp_path / "pirate.gguf", seed=1)
    other = CountingEngine("other")
    async with (
        lora_worker(pki, adapter) as llama_addr,
        worker(pki, other, model_id="other") as (_, other_addr),
        router(pki, [llama_addr, other_addr]) as (_, stub),
    ):
        listed = {m.id: m for m in (await stub.ListModels(inference_pb2.ListModelsRequest())).models}
        assert sorted(listed) == sorted([DEFAULT_MODEL_ID, "pirate", "other"])
        assert list(listed[DEFAULT_MODEL_ID].adapters) == ["pirate"]
        assert listed[DEFAULT_MODEL_ID].base_model == ""
        assert listed["pirate"].base_model == DEFAULT_MODEL_ID
        assert listed["pirate"].ready_workers == 1
        assert listed["pirate"].backend == "llama.cpp"
        assert not listed["other"].adapters
        assert listed["other"].base_model == ""

        base = await text_of(stub, DEFAULT_MODEL_ID)
        pirate = await text_of(stub, "pirate")
        assert pirate != base
        assert await text_of(stub, DEFAULT_MODEL_ID) == base
        assert other.started == 0  # neither went to the other model's worker

        with pytest.raises(grpc.aio.AioRpcError) as err:
            await text_of(stub, "parrot")
        assert err.value.code() == grpc.StatusCode.NOT_FOUND
        assert "pirate" in (err.value.details() or "")  # the known names include the adapter
