"""Prometheus metrics of the catalog: loads and unloads (counts, durations, failures) and
the memory and state of each model, read from the host at scrape time."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from helixflow.worker.catalog.slot import ModelSlot

_LOAD_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


class _ModelCollector(Collector):
    def __init__(self, slots: Callable[[], list[ModelSlot]]) -> None:
        self._slots = slots

    def collect(self) -> Iterator[GaugeMetricFamily]:
        resident = GaugeMetricFamily(
            "helixflow_worker_model_resident_bytes",
            "Memory a loaded model takes (weights file plus KV estimate); 0 when not loaded",
            labels=["model"],
        )
        state = GaugeMetricFamily(
            "helixflow_worker_model_state", "1 for the state each catalogued model is in", labels=["model", "state"]
        )
        streams = GaugeMetricFamily(
            "helixflow_worker_model_active_streams", "Streams in flight per model", labels=["model"]
        )
        for slot in self._slots():
            resident.add_metric([slot.id], float(slot.estimated_bytes if slot.resident else 0))
            state.add_metric([slot.id, slot.state.value], 1.0)
            streams.add_metric([slot.id], float(slot.refs))
        yield resident
        yield state
        yield streams


class CatalogMetrics:
    def __init__(self, registry: CollectorRegistry, slots: Callable[[], list[ModelSlot]]) -> None:
        registry.register(_ModelCollector(slots))
        self.loads = Counter(
            "helixflow_worker_model_loads",
            "Model loads by outcome (loaded, failed)",
            ["model", "outcome"],
            registry=registry,
        )
        self.load_seconds = Histogram(
            "helixflow_worker_model_load_seconds",
            "From the load's start (making room included) to loaded or failed",
            ["model"],
            buckets=_LOAD_BUCKETS,
            registry=registry,
        )
        self.unloads = Counter(
            "helixflow_worker_model_unloads",
            "Model unloads by reason (evicted, idle, admin)",
            ["model", "reason"],
            registry=registry,
        )
        self.unload_seconds = Histogram(
            "helixflow_worker_model_unload_seconds",
            "Time to free a model's engine",
            ["model"],
            buckets=_LOAD_BUCKETS,
            registry=registry,
        )
