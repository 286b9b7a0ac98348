"""Builds the access-control pieces from settings and hands them to the router.

Wiring in the router's ``create_server``::

    access = build_access(settings.access, resolve_model=...)
    server = new_server(access.interceptors)          # auth, then quotas/caches
    admin_pb2_grpc.add_AdminServicer_to_server(access.admin, server)
    # on shutdown: await access.close()
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import grpc
import redis.asyncio as aioredis

from helixflow.router.access_interceptor import AccessInterceptor
from helixflow.router.access_settings import AccessSettings
from helixflow.router.admin.servicer import AdminServicer
from helixflow.router.auth.authenticator import Authenticator
from helixflow.router.auth.interceptor import AuthInterceptor
from helixflow.router.auth.jwt_verifier import JwtVerifier
from helixflow.router.backend import redis_client
from helixflow.router.cache.embedding import EmbeddingCache
from helixflow.router.cache.response import ResponseCache
from helixflow.router.cache.store import BlobStore, MemoryBlobStore, RedisBlobStore
from helixflow.router.gate import AccessGate
from helixflow.router.keys.service import KeyService
from helixflow.router.keys.store import KeyStore, RedisKeyStore, SqliteKeyStore
from helixflow.router.quota.enforcer import QuotaEnforcer
from helixflow.router.quota.limiter import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from helixflow.router.quota.streams import MemoryStreamSlots, RedisStreamSlots, StreamSlots
from helixflow.router.usage.store import MemoryUsage, RedisUsage, UsageBackend, UsageRecorder

log = logging.getLogger(__name__)


@dataclass
class Access:
    interceptor: AuthInterceptor
    access_interceptor: AccessInterceptor
    admin: AdminServicer
    keys: KeyService
    redis: aioredis.Redis | None

    @property
    def interceptors(self) -> list[grpc.aio.ServerInterceptor]:
        """Outermost first: authenticate, then scope/quota/cache/usage."""
        return [self.interceptor, self.access_interceptor]

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def build_access(settings: AccessSettings, resolve_model: Callable[[str], str] = lambda name: name) -> Access:
    client = redis_client(settings.redis_url) if settings.redis_url else None
    store: KeyStore
    limiter: RateLimiter
    streams: StreamSlots
    usage: UsageBackend
    response_blobs: BlobStore
    embed_blobs: BlobStore
    if client is not None:
        store, limiter, streams = RedisKeyStore(client), RedisRateLimiter(client), RedisStreamSlots(client)
        usage = RedisUsage(client)
        response_blobs = RedisBlobStore(client, "hf:rc:index", settings.response_cache_max_entries)
        embed_blobs = RedisBlobStore(client, "hf:ec:index", settings.embed_cache_max_entries)
    else:
        store, limiter, streams = (
            SqliteKeyStore(settings.key_db_path),
            MemoryRateLimiter(),
            MemoryStreamSlots(),
        )
        usage = MemoryUsage()
        response_blobs = MemoryBlobStore(settings.response_cache_max_entries)
        embed_blobs = MemoryBlobStore(settings.embed_cache_max_entries)
    keys = KeyService(store, settings.api_key_prefix)
    verifier = None
    if settings.jwt_public_key_file or settings.jwks_file:
        verifier = JwtVerifier(
            public_key_file=settings.jwt_public_key_file,
            jwks_file=settings.jwks_file,
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            algorithms=settings.jwt_algorithms,
            leeway_s=settings.jwt_leeway_s,
        )
    if settings.auth_enabled:
        interceptor = AuthInterceptor(Authenticator(keys, verifier, settings.api_key_prefix))
    else:
        log.warning("authentication is OFF (auth_enabled=false): every caller is an unlimited admin")
        interceptor = AuthInterceptor(None)
    response_cache = None
    if settings.response_cache_enabled:
        response_cache = ResponseCache(
            response_blobs,
            ttl_s=settings.response_cache_ttl_s,
            max_entry_bytes=settings.response_cache_max_entry_bytes,
        )
    embed_cache = (
        EmbeddingCache(embed_blobs, ttl_s=settings.embed_cache_ttl_s) if settings.embed_cache_enabled else None
    )
    quota = QuotaEnforcer(limiter, streams, fail_open=settings.quota_fail_open)
    gate = AccessGate(quota, UsageRecorder(usage), response_cache, embed_cache)
    return Access(
        interceptor=interceptor,
        access_interceptor=AccessInterceptor(gate, resolve_model),
        admin=AdminServicer(keys, usage),
        keys=keys,
        redis=client,
    )
