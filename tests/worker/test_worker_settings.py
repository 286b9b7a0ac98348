"""Worker settings: each backend's section nests under its own env prefix, and the
backends' configs take their defaults from the worker's."""

from __future__ import annotations

import pytest

from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_cpp import LlamaCppEngine
from helixflow.worker.backends.vllm_config import VllmEngineConfig
from helixflow.worker.config import WorkerSettings


def test_backend_sections_read_their_nested_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIXFLOW_WORKER_LLAMA__N_THREADS", "3")
    monkeypatch.setenv("HELIXFLOW_WORKER_VLLM__TENSOR_PARALLEL_SIZE", "2")
    monkeypatch.setenv("HELIXFLOW_WORKER_VLLM__ENGINE_ARGS", '{"max_num_batched_tokens": 8192}')
    monkeypatch.setenv("HELIXFLOW_WORKER_MODEL_PATH", "/models/m")
    settings = WorkerSettings()
    assert settings.llama.n_threads == 3
    assert settings.vllm.tensor_parallel_size == 2
    kwargs = VllmEngineConfig.from_worker_settings(settings).engine_kwargs()
    assert kwargs["tensor_parallel_size"] == 2
    assert kwargs["max_num_batched_tokens"] == 8192


def test_backend_defaults_are_the_worker_defaults() -> None:
    settings = WorkerSettings()
    llama = LlamaEngineConfig(model_path="/unused.gguf")
    vllm = VllmEngineConfig(model="/models/m")
    assert llama.model_id == settings.model_id
    assert llama.max_sequences == vllm.max_num_seqs == settings.max_sequences
    assert llama.max_waiting == vllm.max_waiting == settings.max_waiting
    assert llama.n_ctx_per_seq == settings.context_per_sequence
    assert (vllm.tensor_parallel_size, vllm.gpu_memory_utilization, vllm.dtype) == (
        settings.vllm.tensor_parallel_size,
        settings.vllm.gpu_memory_utilization,
        settings.vllm.dtype,
    )


def test_the_flat_names_from_before_the_sections_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIXFLOW_WORKER_N_THREADS", "5")
    monkeypatch.setenv("HELIXFLOW_WORKER_GPU_MEMORY_UTILIZATION", "0.5")
    monkeypatch.setenv("HELIXFLOW_WORKER_VLLM_ENGINE_ARGS", '{"block_size": 32}')
    monkeypatch.setenv("HELIXFLOW_WORKER_VLLM__DTYPE", "float16")
    monkeypatch.setenv("HELIXFLOW_WORKER_DTYPE", "bfloat16")  # the nested name wins
    settings = WorkerSettings()
    assert settings.llama.n_threads == 5
    assert settings.vllm.gpu_memory_utilization == 0.5
    assert settings.vllm.engine_args == {"block_size": 32}
    assert settings.vllm.dtype == "float16"


def test_queue_shares_and_priority_aging_reach_the_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIXFLOW_WORKER_QUEUE_SHARES__LOW", "0.25")
    monkeypatch.setenv("HELIXFLOW_WORKER_PRIORITY_AGING_S", "5")
    monkeypatch.setenv("HELIXFLOW_WORKER_MODEL_PATH", "/unused.gguf")
    settings = WorkerSettings()
    llama = LlamaCppEngine.from_worker_settings(settings).config
    vllm = VllmEngineConfig.from_worker_settings(settings)
    assert (llama.queue_shares.low, llama.queue_shares.normal, llama.priority_aging_s) == (0.25, 0.75, 5.0)
    assert (vllm.queue_shares, vllm.priority_aging_s) == (llama.queue_shares, 5.0)
    assert LlamaEngineConfig(model_path="/unused.gguf").priority_aging_s == 30.0  # the default


def test_the_old_llama_name_of_priority_aging_is_still_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIXFLOW_WORKER_LLAMA__PRIORITY_AGING_S", "7")
    assert WorkerSettings().priority_aging_s == 7.0
    monkeypatch.setenv("HELIXFLOW_WORKER_PRIORITY_AGING_S", "5")  # the current name wins
    assert WorkerSettings().priority_aging_s == 5.0
