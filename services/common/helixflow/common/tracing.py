"""Optional OpenTelemetry tracing: one trace across bridge -> router -> worker.

Off by default. ``setup_tracing`` with an OTLP endpoint installs an SDK tracer
provider (the ``otel`` extra); until something is installed, ``span`` is a
no-op context and nothing is injected, so untraced requests pay nothing.
W3C ``traceparent`` travels in gRPC metadata and HTTP headers.
Spans are per request and per upstream attempt, never per token.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context

_TRACER_NAME = "helixflow"
SERVER = trace.SpanKind.SERVER
CLIENT = trace.SpanKind.CLIENT
_provider: trace.TracerProvider | None = None


def enabled() -> bool:
    return _provider is not None


def use_provider(provider: trace.TracerProvider | None) -> None:
    """Trace with ``provider`` (None turns tracing off again); tests pass an in-memory one."""
    global _provider
    _provider = provider


def setup_tracing(service_name: str, otlp_endpoint: str) -> None:
    """Export spans over OTLP/gRPC to ``otlp_endpoint``; empty endpoint = tracing off."""
    if not otlp_endpoint:
        return
    try:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as err:
        raise RuntimeError("tracing needs the otel extra: pip install 'helixflow[otel]'") from err
    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint)))
    use_provider(provider)


def _metadata_dict(metadata: Iterable[tuple[str, str | bytes]] | None) -> dict[str, str]:
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in metadata or () if not k.endswith("-bin")}


def extract(carrier: Mapping[str, str] | Iterable[tuple[str, str | bytes]] | None) -> Context:
    """The remote parent a caller sent (gRPC metadata pairs or HTTP headers)."""
    headers: Mapping[str, str] = carrier if isinstance(carrier, Mapping) else _metadata_dict(carrier)
    return propagate.extract(headers)


def inject() -> tuple[tuple[str, str], ...]:
    """Metadata carrying the current span to the next service (empty when off)."""
    if _provider is None:
        return ()
    out: dict[str, str] = {}
    propagate.inject(out)
    return tuple(out.items())


@contextlib.contextmanager
def span(
    name: str,
    *,
    parent: Context | None = None,
    kind: trace.SpanKind = trace.SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[trace.Span | None]:
    """A current span (None when tracing is off). Exceptions are recorded on it."""
    if _provider is None:
        yield None
        return
    tracer = _provider.get_tracer(_TRACER_NAME)
    with tracer.start_as_current_span(name, context=parent, kind=kind, attributes=attributes) as current:
        yield current


@contextlib.contextmanager
def server_span(
    name: str, metadata: Iterable[tuple[str, str | bytes]] | None, attributes: Mapping[str, Any] | None = None
) -> Iterator[trace.Span | None]:
    """The current span for a served call, child of the caller's span if it sent one."""
    if _provider is None:
        yield None
        return
    with span(name, parent=extract(metadata), kind=trace.SpanKind.SERVER, attributes=attributes) as current:
        yield current


def start_span(
    name: str,
    *,
    metadata: Iterable[tuple[str, str | bytes]] | None = None,
    kind: trace.SpanKind = trace.SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
) -> trace.Span | None:
    """A span that is not made current: for a stream whose lifetime a ``with`` block
    would not fit. Its parent is the caller's (``metadata``) or else the current span."""
    if _provider is None:
        return None
    parent = extract(metadata) if metadata is not None else None
    return _provider.get_tracer(_TRACER_NAME).start_span(name, context=parent, kind=kind, attributes=attributes)


def inject_span(current: trace.Span | None) -> tuple[tuple[str, str], ...]:
    """Metadata naming ``current`` as the parent of the next service's span."""
    if current is None:
        return ()
    out: dict[str, str] = {}
    propagate.inject(out, context=trace.set_span_in_context(current))
    return tuple(out.items())


def end_span(current: trace.Span | None, error: BaseException | None = None) -> None:
    if current is None:
        return
    if error is not None:
        current.record_exception(error)
        current.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
    current.end()
