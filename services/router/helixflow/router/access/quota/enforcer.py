"""Quota decisions as domain errors, with the fail-open/fail-closed policy for a dead Redis."""

from __future__ import annotations

import logging

from prometheus_client import Counter

from helixflow.common.errors import ConcurrencyLimited, RateLimitedRpm, RateLimitedTpm
from helixflow.router.access.auth.principal import Principal
from helixflow.router.access.quota.limiter import RateLimiter
from helixflow.router.access.quota.streams import StreamSlots
from helixflow.router.access.state import REDIS_DOWN, STATE_ERRORS, StateUnavailable

log = logging.getLogger(__name__)

QUOTA_REJECTIONS = Counter("helixflow_quota_rejections_total", "Requests refused by a per-key limit.", ["limit"])


class QuotaEnforcer:
    def __init__(self, limiter: RateLimiter, streams: StreamSlots, *, fail_open: bool) -> None:
        self._limiter = limiter
        self._streams = streams
        self._fail_open = fail_open

    def _store_down(self, exc: BaseException) -> None:
        """Apply the configured policy: log and count, then admit (open) or refuse (closed)."""
        outcome = "admitted" if self._fail_open else "refused"
        STATE_ERRORS.labels(component="quota", outcome=outcome).inc()
        log.warning("quota store unreachable (%s); request %s", type(exc).__name__, outcome)
        if not self._fail_open:
            raise StateUnavailable("quota store unreachable; retry shortly", retry_after_s=1.0) from None

    async def admit(self, principal: Principal, prompt_tokens: int) -> None:
        """Count one request and its prompt tokens, or raise RESOURCE_EXHAUSTED naming the limit."""
        try:
            decision = await self._limiter.admit(principal.subject, principal.rpm, principal.tpm, prompt_tokens)
        except REDIS_DOWN as exc:
            self._store_down(exc)
            return
        if decision.admitted:
            return
        QUOTA_REJECTIONS.labels(limit=decision.limit or "").inc()
        # A project's limits (helixflow.router.access.spend) are shared by its keys: say whose.
        whose = f" (shared by the keys of {principal.subject})" if principal.subject.startswith("project:") else ""
        if decision.limit == "rpm":
            raise RateLimitedRpm(
                f"request rate limit of {principal.rpm}/min reached{whose}",
                retry_after_s=decision.retry_after_s,
                metadata={"limit": "rpm"},
            )
        raise RateLimitedTpm(
            f"token rate limit of {principal.tpm}/min reached{whose}",
            retry_after_s=decision.retry_after_s,
            metadata={"limit": "tpm"},
        )

    async def reconcile(self, principal: Principal, token_delta: int) -> None:
        """Charge completion tokens (and prompt-estimate corrections) once they are known."""
        try:
            await self._limiter.adjust_tokens(principal.subject, principal.tpm, token_delta)
        except REDIS_DOWN as exc:
            STATE_ERRORS.labels(component="quota", outcome="reconcile_lost").inc()
            log.warning("quota store unreachable (%s); %d tokens not charged", type(exc).__name__, token_delta)

    async def open_stream(self, principal: Principal) -> bool:
        """Take a stream slot; True when one was taken and must be released."""
        limit = principal.max_concurrent_streams
        if limit is None:
            return False
        try:
            taken = await self._streams.acquire(principal.subject, limit)
        except REDIS_DOWN as exc:
            self._store_down(exc)
            return False
        if not taken:
            QUOTA_REJECTIONS.labels(limit="streams").inc()
            raise ConcurrencyLimited(
                f"at most {limit} concurrent streams for this credential",
                retry_after_s=1.0,
                metadata={"limit": "concurrent_streams"},
            )
        return True

    async def close_stream(self, principal: Principal) -> None:
        try:
            await self._streams.release(principal.subject)
        except REDIS_DOWN as exc:
            STATE_ERRORS.labels(component="quota", outcome="release_lost").inc()
            log.warning("quota store unreachable (%s); stream slot not released", type(exc).__name__)
