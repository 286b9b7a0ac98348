"""Whether llama.cpp may repack weights into its CPU "extra buffer types".

ggml repacks weights at load into layouts for the CPU's matrix units (AMX tiles,
CPU_REPACK for AVX2/AVX-512/NEON). On Intel CPUs with AMX, Q4_K models segfault
inside ``llama_decode`` with AMX's extra buffers (ggml-org/llama.cpp issue 20824):
not an exception but the death of the process. ``auto`` therefore turns extra
buffers off wherever the CPU reports AMX, and leaves them on elsewhere, where
they are safe and faster (measured on AVX2: see README, "CPU weight repacking").
"""

from __future__ import annotations

import platform
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

ExtraBuffers = Literal["auto", "on", "off"]

# /proc/cpuinfo flags of the AMX units whose extra buffers crash with Q4_K weights.
AMX_FLAGS = frozenset({"amx_tile", "amx_int8", "amx_bf16", "amx_fp16"})


@dataclass(frozen=True, slots=True)
class ExtraBuffersChoice:
    enabled: bool
    reason: str

    def describe(self) -> str:
        return f"{'on' if self.enabled else 'off'} ({self.reason})"


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The feature flags of the first CPU in /proc/cpuinfo (Linux); empty where there is none."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("flags", "Features"):  # x86 says flags, ARM says Features
            return frozenset(value.split())
    return frozenset()


def resolve_extra_buffers(
    setting: ExtraBuffers, flags: frozenset[str], machine: str | None = None
) -> ExtraBuffersChoice:
    """Decide from the setting and the CPU's flags; ``auto`` never picks a known crash."""
    if setting == "on":
        return ExtraBuffersChoice(True, "set to on")
    if setting == "off":
        return ExtraBuffersChoice(False, "set to off")
    amx = sorted(flags & AMX_FLAGS)
    if amx:
        return ExtraBuffersChoice(
            False,
            f"auto: the CPU reports {', '.join(amx)}; AMX extra buffers crash with Q4_K weights "
            "(llama.cpp issue 20824)",
        )
    arch = machine or platform.machine()
    return ExtraBuffersChoice(True, f"auto: no AMX on this {arch} CPU; repacked weights are safe and faster")
