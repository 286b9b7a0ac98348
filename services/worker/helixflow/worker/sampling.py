"""The one set of sampling rules every backend applies (``validate_sampling``).

Each backend calls it first in ``generate``, so a request is refused the same
way (INVALID_ARGUMENT naming ``sampling.<field>``) whatever engine serves it and
whether it came over gRPC or from in-process code. The REST bridge enforces
OpenAI's own, narrower request schema (temperature at most 2) at its API.
"""

from __future__ import annotations

from helixflow.common.errors import InvalidArgument
from helixflow.worker.engine import SamplingOptions

MAX_TEMPERATURE = 100.0
MAX_TOP_LOGPROBS = 20
MAX_REPETITION_PENALTY = 10.0
MAX_STOP_STRINGS = 16
# Partial stop matches are checked on every token in the shared decode thread.
MAX_STOP_CHARS = 256

# name -> (low, high, whether low itself is excluded); high None = no upper bound.
_RANGES: dict[str, tuple[float, float | None, bool]] = {
    "temperature": (0.0, MAX_TEMPERATURE, False),
    "top_p": (0.0, 1.0, True),
    "top_k": (0, None, False),
    "min_p": (0.0, 1.0, False),
    "max_tokens": (1, None, False),
    "presence_penalty": (-2.0, 2.0, False),
    "frequency_penalty": (-2.0, 2.0, False),
    "repetition_penalty": (0.0, MAX_REPETITION_PENALTY, True),
    "top_logprobs": (0, MAX_TOP_LOGPROBS, False),
}


def _bad(name: str, why: str) -> InvalidArgument:
    return InvalidArgument(f"sampling.{name} {why}", field=f"sampling.{name}")


def _check_range(name: str, value: float, low: float, high: float | None, low_open: bool) -> None:
    too_low = value <= low if low_open else value < low
    if high is None and too_low:
        raise _bad(name, f"={value} must be {'>' if low_open else '>='} {low}")
    if high is not None and (too_low or value > high):
        raise _bad(name, f"={value} is outside {'(' if low_open else '['}{low}, {high}]")


def validate_sampling(opts: SamplingOptions) -> None:
    """Raise InvalidArgument for the first setting no backend should run with."""
    for name, (low, high, low_open) in _RANGES.items():
        value = getattr(opts, name)
        if value is not None:
            _check_range(name, value, low, high, low_open)
    if opts.top_logprobs and not opts.logprobs:
        raise _bad("top_logprobs", "needs sampling.logprobs=true")
    if len(opts.stop) > MAX_STOP_STRINGS:
        raise _bad("stop", f"takes at most {MAX_STOP_STRINGS} stop strings")
    if any(not s for s in opts.stop):
        raise _bad("stop", "strings must not be empty")
    if any(len(s) > MAX_STOP_CHARS for s in opts.stop):
        raise _bad("stop", f"strings must be at most {MAX_STOP_CHARS} characters")
