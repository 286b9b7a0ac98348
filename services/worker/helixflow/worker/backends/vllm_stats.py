"""Load figures taken from vLLM's own scheduler stats.

vLLM's ``AsyncLLM`` hands every engine step's ``SchedulerStats`` to its stat
loggers. ``make_stat_logger_factory`` builds one that keeps the latest
figures in a ``LoadSnapshot`` the backend reads for ``load_report()``.
vLLM marks this interface as unstable, so every field is read defensively.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any

PREFIX_WINDOW_REQUESTS = 1000


@dataclass(slots=True)
class LoadSnapshot:
    """Latest scheduler figures (updated by vLLM's output handler, on the event loop)."""

    waiting: int = 0
    running: int = 0
    kv_cache_usage: float = 0.0
    steps: int = 0
    # (requests, queried tokens, hit tokens) over the most recent requests.
    _window: deque[tuple[int, int, int]] | None = None
    _requests: int = 0
    _queries: int = 0
    _hits: int = 0

    def observe(self, scheduler_stats: Any) -> None:
        self.steps += 1
        self.waiting = int(getattr(scheduler_stats, "num_waiting_reqs", 0)) + int(
            getattr(scheduler_stats, "num_skipped_waiting_reqs", 0)
        )
        self.running = int(getattr(scheduler_stats, "num_running_reqs", 0))
        usage: Any = getattr(scheduler_stats, "kv_cache_usage", None)
        if usage is None:  # older vLLM name
            usage = getattr(scheduler_stats, "gpu_cache_usage", 0.0)
        self.kv_cache_usage = float(usage or 0.0)
        prefix = getattr(scheduler_stats, "prefix_cache_stats", None)
        if prefix is not None:
            self._observe_prefix(prefix)

    def _observe_prefix(self, prefix: Any) -> None:
        if self._window is None:
            self._window = deque()
        if getattr(prefix, "reset", False):
            self._window.clear()
            self._requests = self._queries = self._hits = 0
        requests = int(getattr(prefix, "requests", 0))
        if requests == 0:
            return
        entry = (requests, int(getattr(prefix, "queries", 0)), int(getattr(prefix, "hits", 0)))
        self._window.append(entry)
        self._requests += entry[0]
        self._queries += entry[1]
        self._hits += entry[2]
        while len(self._window) > 1 and self._requests > PREFIX_WINDOW_REQUESTS:
            old = self._window.popleft()
            self._requests -= old[0]
            self._queries -= old[1]
            self._hits -= old[2]

    @property
    def prefix_cache_hit_rate(self) -> float:
        """Share of prompt tokens served from the prefix cache, recent requests."""
        return self._hits / self._queries if self._queries else 0.0


def make_stat_logger_factory(snapshot: LoadSnapshot) -> Any:
    """A vLLM ``StatLoggerFactory`` (a per-engine callable) that feeds ``snapshot``."""
    from vllm.v1.metrics.loggers import StatLoggerBase

    class _SnapshotLogger(StatLoggerBase):  # type: ignore[misc]
        def __init__(self, vllm_config: Any, engine_index: int = 0) -> None:
            self.engine_index = engine_index

        def record(
            self,
            scheduler_stats: Any,
            iteration_stats: Any,
            mm_cache_stats: Any = None,
            engine_idx: int = 0,
            **_: Any,
        ) -> None:
            if scheduler_stats is not None:
                snapshot.observe(scheduler_stats)

        def log_engine_initialized(self) -> None:
            return None

    return _SnapshotLogger
