"""One OpenTelemetry trace for a request through bridge -> router -> worker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from helixflow.common import tracing
from helixflow.common.tls import TlsFiles
from tests.observability.stack import COMPLETION, http_stack


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracing.use_provider(provider)
    yield memory
    tracing.use_provider(None)
    provider.shutdown()


def _one(spans: list[ReadableSpan], name: str) -> ReadableSpan:
    found = [s for s in spans if s.name == name]
    assert len(found) == 1, [s.name for s in spans]
    return found[0]


@pytest.mark.parametrize("stream", [False, True])
async def test_one_trace_across_bridge_router_and_worker(
    pki: dict[str, TlsFiles], exporter: InMemorySpanExporter, stream: bool
) -> None:
    async with http_stack(pki) as client:
        response = await client.post("/v1/completions", json={**COMPLETION, "stream": stream})
        assert response.status_code == 200
    spans = list(exporter.get_finished_spans())
    http = _one(spans, "POST /v1/completions")
    router = _one(spans, "router.Generate")
    attempt = _one(spans, "router.attempt")
    worker = _one(spans, "worker.Generate")

    assert len({s.context.trace_id for s in (http, router, attempt, worker)}) == 1
    assert http.parent is None
    assert router.parent is not None
    assert router.parent.span_id == http.context.span_id
    assert attempt.parent is not None
    assert attempt.parent.span_id == router.context.span_id
    assert worker.parent is not None
    assert worker.parent.span_id == attempt.context.span_id
    assert router.parent.is_remote
    assert worker.parent.is_remote
    assert not attempt.parent.is_remote
    assert (http.kind, router.kind, attempt.kind, worker.kind) == (
        SpanKind.SERVER,
        SpanKind.SERVER,
        SpanKind.CLIENT,
        SpanKind.SERVER,
    )
    assert attempt.attributes is not None
    assert str(attempt.attributes["helixflow.worker"]).startswith("127.0.0.1:")


async def test_tracing_is_off_by_default(pki: dict[str, TlsFiles]) -> None:
    assert not tracing.enabled()
    assert tracing.inject() == ()
    async with http_stack(pki) as client:
        response = await client.post("/v1/completions", json=COMPLETION)
    assert response.status_code == 200
    assert "traceparent" not in response.request.headers
