"""Adapter settings: ids, the environment, and the vLLM engine arguments they give."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helixflow.worker.adapters import AdapterSpec, check_adapter_ids
from helixflow.worker.backends.vllm_adapters import lora_engine_kwargs
from helixflow.worker.config import WorkerSettings


def test_adapter_ids_must_be_unique_and_not_the_models_names() -> None:
    spec = AdapterSpec(id="pirate", path="/x.gguf")
    check_adapter_ids("gemma", ["g"], [spec])
    with pytest.raises(ValueError, match="declared twice"):
        check_adapter_ids("gemma", [], [spec, spec])
    with pytest.raises(ValueError, match="alias"):
        check_adapter_ids("gemma", ["pirate"], [spec])
    with pytest.raises(ValueError, match="alias"):
        WorkerSettings.model_validate({"model_id": "pirate", "adapters": [{"id": "pirate", "path": "/x"}]})


def test_adapters_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIXFLOW_WORKER_ADAPTERS", '[{"id": "pirate", "path": "/a.gguf", "scale": 0.5}]')
    settings = WorkerSettings()
    assert [(a.id, str(a.path), a.scale) for a in settings.adapters] == [("pirate", "/a.gguf", 0.5)]


def _peft(folder: Path, name: str, rank: int) -> AdapterSpec:
    path = folder / name
    path.mkdir()
    (path / "adapter_config.json").write_text(json.dumps({"r": rank, "peft_type": "LORA"}))
    return AdapterSpec(id=name, path=path)


def test_vllm_engine_args_fit_the_adapters(tmp_path: Path) -> None:
    specs = [_peft(tmp_path, "a", 8), _peft(tmp_path, "b", 12)]
    assert lora_engine_kwargs([], 4, cpu=False) == {}
    gpu = lora_engine_kwargs(specs, 4, cpu=False)
    assert gpu == {"enable_lora": True, "max_loras": 2, "max_lora_rank": 16}  # 12 rounds up to vLLM's 16
    assert lora_engine_kwargs(specs, 1, cpu=False)["max_loras"] == 1
    # On CPU one slot stays empty: PyTorch's LoRA ops read index -1 (no adapter) as the last slot.
    assert lora_engine_kwargs(specs, 1, cpu=True)["max_loras"] == 3


def test_vllm_refuses_a_scale_and_a_folder_without_a_peft_config(tmp_path: Path) -> None:
    spec = _peft(tmp_path, "a", 8)
    with pytest.raises(ValueError, match=r"scale 1\.0"):
        lora_engine_kwargs([spec.model_copy(update={"scale": 0.5})], 4, cpu=False)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="not a PEFT LoRA config"):
        lora_engine_kwargs([AdapterSpec(id="e", path=tmp_path / "empty")], 4, cpu=False)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        lora_engine_kwargs([AdapterSpec(id="m", path=tmp_path / "missing")], 4, cpu=False)
