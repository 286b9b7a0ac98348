"""What the upstream-provider backends share: the pooled HTTP client, the secret, SSE
parsing, upstream errors mapped onto the domain hierarchy, and in-flight bookkeeping.

Error mapping (the same for every provider):
  401/403 -> UpstreamUnavailable (UNAVAILABLE), logged: it is our credential the
             upstream refused, never the caller's, so it must not read as theirs;
  429     -> UpstreamRateLimited (RESOURCE_EXHAUSTED) with RetryInfo from retry-after;
  400/413/422 -> InvalidArgument (PromptTooLong for a context overflow) with the
             upstream's message;
  404, 408, 5xx, connection errors and timeouts -> UpstreamUnavailable.
The router retries UNAVAILABLE and RESOURCE_EXHAUSTED on another worker before
the first token, so an upstream outage fails over like a lost worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx

from helixflow.common.errors import (
    HelixError,
    InvalidArgument,
    PromptTooLong,
    QueueFull,
    UpstreamRateLimited,
    UpstreamUnavailable,
)
from helixflow.worker.engine import LoadReport
from helixflow.worker.upstream_settings import UpstreamSettings

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER_S = 1.0
_MAX_MESSAGE = 500
T = TypeVar("T")
# Error types/codes providers use for "the prompt does not fit the context".
_CONTEXT_OVERFLOW = ("exceed_context_size_error", "context_length_exceeded")


class Secret:
    """The upstream API key: its repr and str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def scrub(self, text: str) -> str:
        """``text`` with any copy of the key replaced (an upstream may echo it in a message)."""
        return text.replace(self._value, "[redacted]") if self._value else text

    def __repr__(self) -> str:
        return "Secret('[redacted]')"

    __str__ = __repr__


def new_client(settings: UpstreamSettings, headers: dict[str, str]) -> httpx.AsyncClient:
    """One pooled client per engine: keep-alive connections shared by all requests."""
    timeout = httpx.Timeout(settings.read_timeout_s, connect=settings.connect_timeout_s)
    limits = httpx.Limits(max_connections=settings.max_concurrent, max_keepalive_connections=settings.max_concurrent)
    return httpx.AsyncClient(base_url=settings.base_url.rstrip("/"), timeout=timeout, limits=limits, headers=headers)


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str
    data: str


async def sse_events(response: httpx.Response) -> AsyncIterator[SseEvent]:
    """Server-sent events of a streamed response (``event:`` and ``data:`` fields)."""
    event, data = "", list[str]()
    async for line in response.aiter_lines():
        if not line:
            if data:
                yield SseEvent(event or "message", "\n".join(data))
            event, data = "", list[str]()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
        elif line.startswith("event:"):
            event = line[6:].strip()
    if data:
        yield SseEvent(event or "message", "\n".join(data))


def retry_after_s(value: str | None) -> float:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return DEFAULT_RETRY_AFTER_S
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return DEFAULT_RETRY_AFTER_S


def error_fields(body: bytes) -> tuple[str, str]:
    """(message, type-or-code) from an OpenAI- or Anthropic-style error body."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace").strip(), ""
    error = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
    if not isinstance(error, dict):
        return str(error), ""
    kind = str(error.get("type") or error.get("code") or "")
    code = str(error.get("code") or "")
    if code in _CONTEXT_OVERFLOW:
        kind = code
    return str(error.get("message") or parsed), kind


def status_error(provider: str, status: int, body: bytes, headers: httpx.Headers, secret: Secret) -> HelixError:
    """The domain error for an upstream's non-2xx answer."""
    message, kind = error_fields(body)
    message = secret.scrub(message)[:_MAX_MESSAGE]
    if status in (401, 403):
        # Our credential, not the caller's: log it for the operator, tell the caller only "unavailable".
        log.error(
            "the %s upstream refused this worker's credentials (HTTP %d); check upstream.api_key_*", provider, status
        )
        return UpstreamUnavailable(f"the {provider} upstream is unavailable", metadata={"upstream_status": str(status)})
    if status == 429:
        return UpstreamRateLimited(
            f"the {provider} upstream is rate limiting: {message}",
            retry_after_s=retry_after_s(headers.get("retry-after")),
            metadata={"upstream_status": "429"},
        )
    if status in (400, 413, 422):
        error_class = PromptTooLong if kind in _CONTEXT_OVERFLOW else InvalidArgument
        return error_class(f"the {provider} upstream rejected the request: {message}")
    log.warning("the %s upstream answered HTTP %d: %s", provider, status, message)
    return UpstreamUnavailable(
        f"the {provider} upstream is unavailable (HTTP {status})", metadata={"upstream_status": str(status)}
    )


def transport_error(provider: str, err: httpx.HTTPError) -> UpstreamUnavailable:
    log.warning("the %s upstream is unreachable: %s", provider, type(err).__name__)
    return UpstreamUnavailable(f"the {provider} upstream is unreachable ({type(err).__name__})")


@contextlib.asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, provider: str, path: str, body: dict[str, Any], secret: Secret
) -> AsyncIterator[httpx.Response]:
    """POST ``body`` and yield the streaming 2xx response; errors become domain errors.

    Leaving the block closes the response, and with it the upstream connection
    mid-body, which is how a cancelled request stops the upstream's generation.
    """
    async with contextlib.AsyncExitStack() as stack:
        for attempt in (1, 2):
            try:
                response = await stack.enter_async_context(client.stream("POST", path, json=body))
                break
            except httpx.RemoteProtocolError as err:
                # A pooled keep-alive connection the server closed just as it was reused
                # (llama-server does): nothing was answered, so one retry on a new connection.
                if attempt == 2:
                    raise transport_error(provider, err) from None
            except httpx.HTTPError as err:
                raise transport_error(provider, err) from None
        try:
            if response.status_code >= 400:
                raise status_error(provider, response.status_code, await response.aread(), response.headers, secret)
            yield response
        except httpx.HTTPError as err:
            raise transport_error(provider, err) from None


async def post_json(client: httpx.AsyncClient, provider: str, path: str, body: dict[str, Any], secret: Secret) -> Any:
    try:
        response = await client.post(path, json=body)
    except httpx.HTTPError as err:
        raise transport_error(provider, err) from None
    if response.status_code >= 400:
        raise status_error(provider, response.status_code, response.content, response.headers, secret)
    return response.json()


async def get_json(client: httpx.AsyncClient, provider: str, path: str, secret: Secret) -> Any:
    try:
        response = await client.get(path)
    except httpx.HTTPError as err:
        raise transport_error(provider, err) from None
    if response.status_code >= 400:
        raise status_error(provider, response.status_code, response.content, response.headers, secret)
    return response.json()


class InFlight:
    """Requests open to the upstream: the load report, the concurrency cap and Abort."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._aborted: dict[str, asyncio.Event] = {}

    @contextlib.contextmanager
    def track(self, request_id: str) -> Iterator[asyncio.Event]:
        if len(self._aborted) >= self.limit:
            raise QueueFull(
                f"{self.limit} requests are already in flight to the upstream; retry shortly",
                retry_after_s=DEFAULT_RETRY_AFTER_S,
            )
        flag = asyncio.Event()
        self._aborted[request_id] = flag
        try:
            yield flag
        finally:
            self._aborted.pop(request_id, None)

    def abort(self, request_ids: list[str]) -> list[str]:
        hit = [rid for rid in request_ids if rid in self._aborted]
        for rid in hit:
            self._aborted[rid].set()
        return hit

    def report(self) -> LoadReport:
        running = len(self._aborted)
        return LoadReport(
            waiting=0,
            running=running,
            max_running=self.limit,
            kv_cache_usage=running / self.limit,
            prefix_cache_hit_rate=0.0,
        )


async def until_aborted(events: AsyncIterator[T], aborted: asyncio.Event) -> AsyncGenerator[T, None]:
    """``events`` until they end or ``aborted`` is set, whichever comes first (an Abort
    must work even while the upstream is silent, e.g. prefilling a long prompt)."""
    iterator = aiter(events)
    stop = asyncio.ensure_future(aborted.wait())
    try:
        while True:
            step = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({step, stop}, return_when=asyncio.FIRST_COMPLETED)
            if step not in done:
                step.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await step
                return
            try:
                yield step.result()
            except StopAsyncIteration:
                return
    finally:
        stop.cancel()
        close = getattr(iterator, "aclose", None)
        if close is not None:
            await close()


class Clock:
    """Timings of one request: time to first delta and total."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.first = 0.0

    def delta(self) -> None:
        if not self.first:
            self.first = time.perf_counter() - self.started

    def total(self) -> float:
        return time.perf_counter() - self.started
