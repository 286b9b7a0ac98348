"""Usage series from GetUsage buckets, and inline SVG charts of them (no chart library)."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from helixflow.v1 import admin_pb2

W, H, PAD = 640, 160, 28


@dataclass(slots=True)
class Totals:
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    ttft_ms_sum: float = 0.0
    ttft_count: int = 0

    def add(self, b: admin_pb2.UsageBucket) -> None:
        self.requests += b.requests
        self.prompt_tokens += b.prompt_tokens
        self.completion_tokens += b.completion_tokens
        self.ttft_ms_sum += b.ttft_ms_sum
        self.ttft_count += b.ttft_count
        for code, n in b.errors.items():
            self.errors[code] = self.errors.get(code, 0) + n

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def ttft_ms(self) -> float | None:
        return self.ttft_ms_sum / self.ttft_count if self.ttft_count else None


def by_time(buckets: Iterable[admin_pb2.UsageBucket]) -> dict[int, Totals]:
    out: dict[int, Totals] = defaultdict(Totals)
    for b in buckets:
        out[b.start_time.seconds].add(b)
    return dict(sorted(out.items()))


def by(buckets: Iterable[admin_pb2.UsageBucket], attr: str) -> dict[str, Totals]:
    out: dict[str, Totals] = defaultdict(Totals)
    for b in buckets:
        out[getattr(b, attr)].add(b)
    return dict(sorted(out.items()))


def chart(
    series: dict[int, Totals],
    value: Callable[[Totals], float | None],
    label: str,
    start: float,
    end: float,
    css: str = "chart",
) -> Markup:
    """A line chart with one circle per bucket that had traffic (``circle.pt``, data-t/data-v)."""
    points = [(t, v) for t, tot in series.items() if (v := value(tot)) is not None]
    top = max((v for _, v in points), default=0.0) or 1.0
    span = max(1.0, end - start)

    def xy(t: float, v: float) -> tuple[float, float]:
        return PAD + (t - start) / span * (W - 2 * PAD), H - PAD - v / top * (H - 2 * PAD)

    coords = [xy(t, v) for t, v in points]
    parts = [
        f'<svg class="{escape(css)}" viewBox="0 0 {W} {H}" role="img" aria-label="{escape(label)}">',
        f'<text x="{PAD}" y="16" class="label">{escape(label)} (max {top:g})</text>',
        f'<line x1="{PAD}" y1="{H - PAD}" x2="{W - PAD}" y2="{H - PAD}" class="axis"/>',
        f'<text x="{PAD}" y="{H - 8}" class="tick">{time.strftime("%H:%M", time.localtime(start))}</text>',
        f'<text x="{W - PAD}" y="{H - 8}" class="tick" text-anchor="end">'
        f"{time.strftime('%H:%M', time.localtime(end))}</text>",
    ]
    if len(coords) > 1:
        parts.append('<polyline points="' + " ".join(f"{x:.1f},{y:.1f}" for x, y in coords) + '"/>')
    for (t, v), (x, y) in zip(points, coords, strict=True):
        parts.append(
            f'<circle class="pt" cx="{x:.1f}" cy="{y:.1f}" r="3" data-t="{t}" data-v="{v:g}"><title>'
            f"{time.strftime('%H:%M:%S', time.localtime(t))}: {v:g}</title></circle>"
        )
    if not points:
        parts.append(f'<text x="{W / 2}" y="{H / 2}" class="empty" text-anchor="middle">no traffic</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
