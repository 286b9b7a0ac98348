"""SamplingOptions -> vLLM SamplingParams kwargs. Pure Python: runs without vLLM."""

from __future__ import annotations

import pytest

from helixflow.common.errors import InvalidArgument, PromptTooLong
from helixflow.worker.backends.vllm_config import VllmEngineConfig
from helixflow.worker.backends.vllm_params import sampling_kwargs, structured_kwargs
from helixflow.worker.engine import ConstraintKind, SamplingOptions

GEN_CONFIG = {"temperature": 0.6, "top_p": 0.9, "top_k": 20, "max_tokens": 50, "do_sample": True}


def test_unset_fields_take_the_models_generation_config() -> None:
    kwargs = sampling_kwargs(SamplingOptions(), prompt_tokens=10, max_model_len=100, defaults=GEN_CONFIG)
    assert kwargs == {"temperature": 0.6, "top_p": 0.9, "top_k": 20, "max_tokens": 50}


def test_a_set_zero_is_a_value_not_unset() -> None:
    options = SamplingOptions(temperature=0.0, top_k=0, presence_penalty=0.0, seed=0)
    kwargs = sampling_kwargs(options, prompt_tokens=10, max_model_len=100, defaults=GEN_CONFIG)
    assert kwargs["temperature"] == 0.0
    assert kwargs["top_k"] == 0
    assert kwargs["presence_penalty"] == 0.0
    assert kwargs["seed"] == 0


def test_only_set_fields_are_passed_without_a_generation_config() -> None:
    kwargs = sampling_kwargs(SamplingOptions(min_p=0.1), prompt_tokens=10, max_model_len=100)
    assert kwargs == {"min_p": 0.1, "max_tokens": 90}


def test_max_tokens_is_capped_by_the_room_left_in_the_context() -> None:
    assert sampling_kwargs(SamplingOptions(max_tokens=500), prompt_tokens=60, max_model_len=100)["max_tokens"] == 40
    with pytest.raises(PromptTooLong):
        sampling_kwargs(SamplingOptions(), prompt_tokens=100, max_model_len=100)
    with pytest.raises(InvalidArgument):
        sampling_kwargs(SamplingOptions(max_tokens=0), prompt_tokens=1, max_model_len=100)


def test_stops_logprobs_and_flags() -> None:
    options = SamplingOptions(stop=("\n\n", "END"), stop_token_ids=(7,), ignore_eos=True, logprobs=True, top_logprobs=5)
    kwargs = sampling_kwargs(options, prompt_tokens=1, max_model_len=100)
    assert kwargs["stop"] == ["\n\n", "END"]
    assert kwargs["stop_token_ids"] == [7]
    assert kwargs["ignore_eos"] is True
    assert kwargs["logprobs"] == 5
    assert "logprobs" not in sampling_kwargs(SamplingOptions(), prompt_tokens=1, max_model_len=100)


@pytest.mark.parametrize(
    "options",
    [
        SamplingOptions(temperature=-0.1),
        SamplingOptions(top_p=0.0),
        SamplingOptions(min_p=1.5),
        SamplingOptions(repetition_penalty=0.0),
        SamplingOptions(presence_penalty=3.0),
        SamplingOptions(stop=("",)),
        SamplingOptions(logprobs=True, top_logprobs=99),
    ],
)
def test_bad_values_are_invalid_argument(options: SamplingOptions) -> None:
    with pytest.raises(InvalidArgument):
        sampling_kwargs(options, prompt_tokens=1, max_model_len=100)


def test_structured_output_kinds() -> None:
    assert structured_kwargs(ConstraintKind.JSON_SCHEMA, '{"type": "object"}') == {"json": '{"type": "object"}'}
    assert structured_kwargs(ConstraintKind.REGEX, "[0-9]+") == {"regex": "[0-9]+"}
    assert structured_kwargs(ConstraintKind.GRAMMAR, 'root ::= "a"') == {"grammar": 'root ::= "a"'}
    with pytest.raises(InvalidArgument):
        structured_kwargs(ConstraintKind.JSON_SCHEMA, "{not json")
    with pytest.raises(InvalidArgument):
        structured_kwargs(ConstraintKind.REGEX, "")


def test_engine_args_pass_through() -> None:
    config = VllmEngineConfig(
        model="/models/m",
        tensor_parallel_size=2,
        gpu_memory_utilization=0.8,
        max_model_len=4096,
        dtype="bfloat16",
        quantization="awq",
        extra={"enforce_eager": True},
    )
    kwargs = config.engine_kwargs()
    assert config.model_id == "m"
    assert kwargs["tensor_parallel_size"] == 2
    assert kwargs["gpu_memory_utilization"] == 0.8
    assert kwargs["max_model_len"] == 4096
    assert kwargs["dtype"] == "bfloat16"
    assert kwargs["quantization"] == "awq"
    assert kwargs["enable_prefix_caching"] is True
    assert kwargs["enforce_eager"] is True
    assert "quantization" not in VllmEngineConfig(model="/m").engine_kwargs()


def test_worker_settings_map_to_the_engine_config() -> None:
    from helixflow.worker.config import WorkerSettings

    settings = WorkerSettings.model_validate(
        {
            "backend": "vllm",
            "model_id": "llama-3-8b",
            "aliases": ["llama"],
            "model_path": "/models/llama",
            "max_sequences": 64,
            "max_waiting": 128,
            "context_per_sequence": 8192,
            "vllm": {
                "tensor_parallel_size": 4,
                "gpu_memory_utilization": 0.85,
                "dtype": "bfloat16",
                "quantization": "fp8",
                "engine_args": {"max_num_batched_tokens": 16384},
            },
        }
    )
    config = VllmEngineConfig.from_worker_settings(settings)
    kwargs = config.engine_kwargs()
    assert config.aliases == ("llama",)
    assert config.max_waiting == 128
    assert kwargs["model"] == "/models/llama"
    assert kwargs["served_model_name"] == "llama-3-8b"
    assert kwargs["max_num_seqs"] == 64
    assert kwargs["max_model_len"] == 8192
    assert kwargs["tensor_parallel_size"] == 4
    assert kwargs["quantization"] == "fp8"
    assert kwargs["max_num_batched_tokens"] == 16384
    with pytest.raises(ValueError, match="MODEL_PATH"):
        VllmEngineConfig.from_worker_settings(WorkerSettings.model_validate({"backend": "vllm"}))
