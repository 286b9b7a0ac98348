"""What the ``openai`` and ``anthropic`` backends share: the upstream settings, the API
key (read at load, never logged, re-read after a 401), the pooled HTTP client and
the in-flight table."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any, ClassVar, Self, TypeVar

import httpx

from helixflow.common.errors import UpstreamUnavailable
from helixflow.worker.backends import upstream_http as up
from helixflow.worker.backends.upstream_key import UpstreamKey
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import LoadReport
from helixflow.worker.upstream_settings import UpstreamSettings

T = TypeVar("T")


class UpstreamEngine:
    """Base of the remote-provider engines; a subclass sets ``provider`` and speaks its API."""

    provider: ClassVar[str]

    def __init__(self, model_id: str, settings: UpstreamSettings, aliases: Sequence[str] = ()) -> None:
        if not settings.base_url:
            raise ValueError(
                f"the {self.provider} backend needs upstream.base_url (HELIXFLOW_WORKER_UPSTREAM__BASE_URL)"
            )
        self.model_id = model_id
        self.aliases = tuple(aliases)
        self.settings = settings
        self.upstream_model = settings.model or model_id
        self._key = UpstreamKey(settings)
        self._client: httpx.AsyncClient | None = None
        self._in_flight = up.InFlight(settings.max_concurrent)

    @classmethod
    def from_worker_settings(cls, settings: WorkerSettings) -> Self:
        return cls(settings.model_id, settings.upstream, settings.aliases)

    def auth_headers(self, key: str) -> dict[str, str]:
        """The headers that carry ``key`` (none for an empty key); each provider has its own."""
        raise NotImplementedError

    @property
    def _secret(self) -> up.Secret:
        return self._key.current

    async def _connect(self, headers: dict[str, str]) -> httpx.AsyncClient:
        """Read the key and open the pool (``headers`` besides the key's)."""
        key = (await self._key.load()).reveal()
        self._client = up.new_client(self.settings, headers | self.auth_headers(key))
        return self._client

    async def _key_refreshed(self, err: UpstreamUnavailable, refused: up.Secret) -> bool:
        """After ``err``: was it a 401 and is there a new key now (the request may retry once)?"""
        if err.metadata.get("upstream_status") != "401" or not await self._key.refresh(refused):
            return False
        self._http.headers.update(self.auth_headers(self._secret.reveal()))
        return True

    @contextlib.asynccontextmanager
    async def _stream(self, path: str, body: dict[str, Any]) -> AsyncIterator[httpx.Response]:
        """``up.open_stream`` that retries once with a re-read key after a 401."""
        async with contextlib.AsyncExitStack() as stack:
            refused = self._secret
            try:
                response = await stack.enter_async_context(
                    up.open_stream(self._http, self.provider, path, body, refused)
                )
            except UpstreamUnavailable as err:
                if not await self._key_refreshed(err, refused):
                    raise
                response = await stack.enter_async_context(
                    up.open_stream(self._http, self.provider, path, body, self._secret)
                )
            yield response

    async def _call(self, call: Callable[[httpx.AsyncClient, up.Secret], Awaitable[T]]) -> T:
        """A plain request that retries once with a re-read key after a 401."""
        refused = self._secret
        try:
            return await call(self._http, refused)
        except UpstreamUnavailable as err:
            if not await self._key_refreshed(err, refused):
                raise
            return await call(self._http, self._secret)

    @property
    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            raise UpstreamUnavailable(f"the {self.provider} upstream engine is not loaded")
        return self._client

    def alive(self) -> bool:
        return True  # nothing local can die; an unreachable upstream is UNAVAILABLE per request

    def load_report(self) -> LoadReport:
        return self._in_flight.report()

    def abort(self, request_ids: Sequence[str]) -> list[str]:
        return self._in_flight.abort(list(request_ids))

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await self._key.close()
