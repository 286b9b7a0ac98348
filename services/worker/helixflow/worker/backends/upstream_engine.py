"""What the ``openai`` and ``anthropic`` backends share: the upstream settings, the API
key (read at load, never logged), the pooled HTTP client and the in-flight table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, Self

import httpx

from helixflow.common.errors import UpstreamUnavailable
from helixflow.worker.backends import upstream_http as up
from helixflow.worker.config import WorkerSettings
from helixflow.worker.engine import LoadReport
from helixflow.worker.upstream_settings import UpstreamSettings


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
        self._secret = up.Secret("")
        self._client: httpx.AsyncClient | None = None
        self._in_flight = up.InFlight(settings.max_concurrent)

    @classmethod
    def from_worker_settings(cls, settings: WorkerSettings) -> Self:
        return cls(settings.model_id, settings.upstream, settings.aliases)

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
