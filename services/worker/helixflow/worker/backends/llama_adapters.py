"""LoRA adapters on the llama.cpp backend.

llama.cpp applies LoRA adapters per context (``llama_set_adapters_lora``), not per
sequence, so sequences with different adapters must never share one ``llama_decode``.
The schedule: each step's planned rows (``llama_plan.Planner.next_batch``) are split
by adapter into groups (``group_rows``), and the runner decodes one group after the
other, switching the context's adapter in between. The group of the adapter the
context holds already runs first, so a step costs ``groups - 1`` switches; with one
adapter in flight (or none configured) a step is one decode, as before.

What that costs: each extra group is one more pass over the weights in that step,
and a switch makes llama.cpp re-reserve its compute graph on the next decode.

The KV cache a sequence leaves behind was computed under its adapter, so the planner
reuses or copies a prefix only between sequences of the same adapter
(``Sequence.adapter``, ``Slot.adapter``).
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence
from typing import Any, TypeVar

import llama_cpp

from helixflow.worker.adapters import AdapterSpec, check_adapter_files
from helixflow.worker.backends.llama_plan import Row
from helixflow.worker.backends.llama_plan import Sequence as PlanSequence

log = logging.getLogger(__name__)
S = TypeVar("S", bound=PlanSequence)


def group_rows(rows: list[Row[S]], current: str) -> list[tuple[str, list[Row[S]]]]:
    """The rows of one step by adapter, in first-seen order, but ``current``'s group first."""
    groups: dict[str, list[Row[S]]] = {}
    for row in rows:
        groups.setdefault(row.seq.adapter, []).append(row)
    order = sorted(groups, key=lambda a: a != current)  # stable: the others keep their order
    return [(a, groups[a]) for a in order]


class LoraAdapters:
    """The adapters loaded for one model, and which one the generation context holds.

    ``apply`` runs in the decode thread only; ``close`` after the context is freed and
    before the model is.
    """

    def __init__(self, model_ptr: Any, specs: Sequence[AdapterSpec]) -> None:
        check_adapter_files(specs)
        self._loaded: dict[str, tuple[Any, float]] = {}
        self.current = ""  # the adapter set on the context; "" = none
        self.switches = 0  # how often the context's adapter changed
        try:
            for spec in specs:
                ptr = llama_cpp.llama_adapter_lora_init(model_ptr, str(spec.path).encode())
                if not ptr:
                    raise RuntimeError(
                        f"could not load LoRA adapter {spec.id!r} from {spec.path}: not a LoRA GGUF "
                        "of this base model (llama.cpp's log says why)"
                    )
                self._loaded[spec.id] = (ptr, spec.scale)
                log.info("loaded LoRA adapter %s from %s (scale %g)", spec.id, spec.path, spec.scale)
        except BaseException:
            self.close()
            raise

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._loaded)

    def __contains__(self, adapter: object) -> bool:
        return adapter == "" or adapter in self._loaded

    def apply(self, ctx: Any, adapter: str) -> None:
        """Make ``ctx`` decode with ``adapter`` ("" = the base model alone)."""
        if adapter == self.current:
            return
        if adapter:
            ptr, scale = self._loaded[adapter]
            arr = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(ptr)
            scales = (ctypes.c_float * 1)(scale)
            rc = llama_cpp.llama_set_adapters_lora(ctx, arr, 1, scales)
        else:
            rc = llama_cpp.llama_set_adapters_lora(ctx, None, 0, None)
        if rc != 0:
            raise RuntimeError(f"llama_set_adapters_lora returned {rc} for adapter {adapter!r}")
        self.current = adapter
        self.switches += 1

    def close(self) -> None:
        for ptr, _ in self._loaded.values():
            llama_cpp.llama_adapter_lora_free(ptr)
        self._loaded.clear()
