"""Worker Prometheus metrics, one registry per server (tests run several per process).

Load gauges (and the preemption counter, which the engine keeps) are read from
the engine at scrape time. The Gateway API
Inference Extension scrapes vLLM's metric names, so the queue depth and KV
usage are also offered under those names for llama.cpp workers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from helixflow.worker.engine import LoadReport

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _LoadCollector(Collector):
    def __init__(self, model_id: str, report: Callable[[], LoadReport]) -> None:
        self._model_id = model_id
        self._report = report

    def collect(self) -> Iterator[Metric]:
        r = self._report()
        labels = ["model_name"]
        values = {
            ("helixflow_worker_requests_waiting", "Requests waiting for a slot"): r.waiting,
            ("helixflow_worker_requests_running", "Sequences being decoded"): r.running,
            ("helixflow_worker_kv_cache_usage_ratio", "KV cache cells in use, 0..1"): r.kv_cache_usage,
            (
                "helixflow_worker_prefix_cache_hit_ratio",
                "Prompt tokens served from cache, 0..1",
            ): r.prefix_cache_hit_rate,
            ("vllm:num_requests_waiting", "vLLM-compatible name: requests waiting"): r.waiting,
            ("vllm:num_requests_running", "vLLM-compatible name: requests running"): r.running,
            ("vllm:kv_cache_usage_perc", "vLLM-compatible name: KV cache usage, 0..1"): r.kv_cache_usage,
            ("vllm:gpu_cache_usage_perc", "Older vLLM name for KV cache usage, 0..1"): r.kv_cache_usage,
        }
        for (name, doc), value in values.items():
            family = GaugeMetricFamily(name, doc, labels=labels)
            family.add_metric([self._model_id], float(value))
            yield family
        preemptions = CounterMetricFamily(
            "helixflow_worker_preemptions", "Prefills preempted by a higher priority class", labels=labels
        )
        preemptions.add_metric([self._model_id], float(r.preemptions))
        yield preemptions


class WorkerMetrics:
    """Request-level metrics plus engine load gauges."""

    def __init__(self, model_id: str, report: Callable[[], LoadReport]) -> None:
        self.registry = CollectorRegistry()
        self.registry.register(_LoadCollector(model_id, report))
        self.ttft = Histogram(
            "helixflow_worker_time_to_first_token_seconds",
            "Arrival to first generated token",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.inter_token = Histogram(
            "helixflow_worker_inter_token_latency_seconds",
            "Gap between consecutive streamed deltas",
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.generated_tokens = Counter("helixflow_worker_generated_tokens", "Tokens generated", registry=self.registry)
        self.requests = Counter(
            "helixflow_worker_requests", "Generate requests by outcome", ["outcome"], registry=self.registry
        )

    def serve(self, port: int, host: str = "0.0.0.0") -> None:
        """Expose /metrics on a background thread."""
        start_http_server(port, addr=host, registry=self.registry)
