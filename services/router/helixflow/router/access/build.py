"""Builds the access-control pieces from ``AccessSettings``.

The router's ``RouterServer`` puts ``auth`` on its server as an interceptor, hands
``gate`` to the Inference servicer, serves ``admin`` next to it, and calls
``close()`` on shutdown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import redis.asyncio as aioredis

from helixflow.common.secrets import Keyring, SecretStore
from helixflow.router.access.admin.secrets import SecretsAdmin
from helixflow.router.access.admin.servicer import AdminServicer
from helixflow.router.access.auth.authenticator import Authenticator
from helixflow.router.access.auth.interceptor import AuthInterceptor
from helixflow.router.access.auth.jwt_verifier import JwtVerifier
from helixflow.router.access.cache.embedding import EmbeddingCache
from helixflow.router.access.cache.response import ResponseCache
from helixflow.router.access.cache.store import BlobStore, MemoryBlobStore, RedisBlobStore
from helixflow.router.access.gate import AccessGate
from helixflow.router.access.keys.service import KeyService
from helixflow.router.access.keys.store import KeyStore, RedisKeyStore, SqliteKeyStore
from helixflow.router.access.pricing import Pricing
from helixflow.router.access.projects.service import ProjectService
from helixflow.router.access.projects.store import ProjectStore, RedisProjectStore, SqliteProjectStore
from helixflow.router.access.quota.budget import BudgetStore, MemoryBudgets, RedisBudgets
from helixflow.router.access.quota.enforcer import QuotaEnforcer
from helixflow.router.access.quota.limiter import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from helixflow.router.access.quota.streams import MemoryStreamSlots, RedisStreamSlots, StreamSlots
from helixflow.router.access.settings import AccessSettings
from helixflow.router.access.spend import Spend
from helixflow.router.access.state import redis_client
from helixflow.router.access.usage.store import MemoryUsage, RedisUsage, UsageRecorder, UsageStore

log = logging.getLogger(__name__)


@dataclass
class Access:
    auth: AuthInterceptor
    gate: AccessGate
    admin: AdminServicer
    keys: KeyService
    redis: aioredis.Redis | None

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()


def build_access(settings: AccessSettings, pricing: Pricing | None = None) -> Access:
    client = redis_client(settings.redis_url) if settings.redis_url else None
    store: KeyStore
    limiter: RateLimiter
    streams: StreamSlots
    usage: UsageStore
    response_blobs: BlobStore
    embed_blobs: BlobStore
    budgets: BudgetStore
    project_store: ProjectStore
    if client is not None:
        budgets, project_store = RedisBudgets(client), RedisProjectStore(client)
        store, limiter, streams = RedisKeyStore(client), RedisRateLimiter(client), RedisStreamSlots(client)
        usage = RedisUsage(client)
        response_blobs = RedisBlobStore(client, "hf:rc:index", settings.response_cache_max_entries)
        embed_blobs = RedisBlobStore(client, "hf:ec:index", settings.embed_cache_max_entries)
    else:
        budgets, project_store = MemoryBudgets(), SqliteProjectStore(settings.key_db_path)
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
    recorder = UsageRecorder(usage)
    projects = ProjectService(project_store)
    spend = Spend(quota, recorder, pricing or Pricing(), budgets, projects, fail_open=settings.quota_fail_open)
    return Access(
        auth=interceptor,
        gate=AccessGate(
            quota, recorder, response_cache, embed_cache, spend, reserve_max_tokens=settings.budget_reserve_max_tokens
        ),
        admin=AdminServicer(keys, usage, projects, budgets, _secrets(settings, client)),
        keys=keys,
        redis=client,
    )


def _secrets(settings: AccessSettings, client: aioredis.Redis | None) -> SecretsAdmin:
    """Stored upstream secrets: Redis (the workers read it too) and a keyring, read once here."""
    keyring = Keyring.from_env(name=settings.secrets_keys_env)
    store = SecretStore(client, keyring) if client is not None and keyring is not None else None
    return SecretsAdmin(store, settings.secrets_keys_env)
