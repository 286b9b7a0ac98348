"""The router routes by model name to a vLLM worker and a llama.cpp worker side by side.

Real engines over real mTLS on loopback: the vLLM backend (vllm-cpu) serving a
tiny random Llama, and llama.cpp serving the packaged Gemma 3 270M. Skipped
without vLLM unless HELIXFLOW_REQUIRE_VLLM=1; without llama.cpp it fails under CI.
"""

from __future__ import annotations

import importlib.util
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from prerequisites import unavailable
from vllm_gate import VLLM_MARKS, require_vllm

require_vllm()

from helixflow.common.tls import TlsFiles
from helixflow.v1 import common_pb2, inference_pb2
from helixflow.worker.config import WorkerSettings
from helixflow.worker.server import create_server as create_worker
from tests.conftest import tls_settings
from tests.router.conftest import router
from tests.router.test_router import collect
from tests.worker.conftest import save_tiny_llama

pytestmark = VLLM_MARKS

VLLM_MODEL = "tiny-llama"
LLAMA_MODEL = "gemma-3-270m"


@asynccontextmanager
async def worker(pki: dict[str, TlsFiles], **settings: Any) -> AsyncIterator[str]:
    config = WorkerSettings.model_validate(
        {"listen": "127.0.0.1:0", "tls": tls_settings(pki["worker"]), "metrics_port": 0, **settings}
    )
    server, port = create_worker(config)
    await server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        await server.stop(0)


async def test_router_routes_by_model_to_vllm_and_llama_cpp(
    pki: dict[str, TlsFiles], tmp_path_factory: pytest.TempPathFactory
) -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        unavailable("llama-cpp-python is missing from the vLLM venv (tools/setup-vllm-cpu.sh installs it)")
    model_dir: Path = save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))
    vllm_settings = {
        "backend": "vllm",
        "model_id": VLLM_MODEL,
        "model_path": model_dir,
        "max_sequences": 4,
        "context_per_sequence": 256,
        "vllm": {
            "dtype": "float32",
            "engine_args": {"enforce_eager": True, "kv_cache_memory_bytes": 64 << 20, "block_size": 32},
        },
    }
    llama_settings = {
        "backend": "llama_cpp",
        "model_id": LLAMA_MODEL,
        "max_sequences": 2,
        "context_per_sequence": 256,
        "llama": {"n_threads": 1},
    }
    async with (
        worker(pki, **vllm_settings) as vllm_addr,
        worker(pki, **llama_settings) as llama_addr,
        router(pki, [vllm_addr, llama_addr]) as (rs, stub),
    ):
        listed = await stub.ListModels(inference_pb2.ListModelsRequest())
        assert {VLLM_MODEL, LLAMA_MODEL} <= {m.id for m in listed.models}
        sampling = common_pb2.SamplingParams(max_tokens=4, temperature=0.0, ignore_eos=True)
        plan = [VLLM_MODEL, LLAMA_MODEL, VLLM_MODEL, VLLM_MODEL, LLAMA_MODEL]
        for model in plan:
            replies = await collect(stub, inference_pb2.GenerateRequest(model=model, prompt="Hello", sampling=sampling))
            assert replies[-1].complete.usage.completion_tokens == 4
        served = {w.address: w.served for w in rs.pool.workers.values()}
        assert served == {vllm_addr: plan.count(VLLM_MODEL), llama_addr: plan.count(LLAMA_MODEL)}
