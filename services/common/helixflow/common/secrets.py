"""Upstream provider secrets stored by HelixFlow, encrypted at rest (AES-256-GCM).

The router's Admin service writes them (``helixflow secrets set``); a worker whose
``upstream.api_key_secret`` names one reads and decrypts it at load, and again
when the upstream answers 401. The store is the Redis both already share, and it
only ever holds ciphertext.

Envelope: ``{"v": 1, "kid": "<key id>", "nonce": b64(12 random bytes), "ct": b64}``,
AES-256-GCM with the secret's name as associated data, so a record copied to
another name does not decrypt. The keyring comes from the environment
(``HELIXFLOW_SECRETS_KEYS="kid2:<base64 32 bytes>,kid1:<...>"``): the first key
encrypts, every key decrypts. Rotation: put a new key first, restart (or roll)
the router and workers, run ``helixflow secrets rotate`` (every record is
re-encrypted under the first key), then drop the old key.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass

import grpc
import redis.asyncio as aioredis
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from helixflow.common.errors import HelixError, InvalidArgument, ModelNotFound

KEYRING_ENV = "HELIXFLOW_SECRETS_KEYS"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_KID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_PREFIX = "hf:upsecret:"
_INDEX = "hf:upsecrets"
MAX_VALUE_BYTES = 16 * 1024


class SecretNotFound(ModelNotFound):
    """No stored secret has that name."""


class SecretsUnavailable(HelixError):
    """Stored secrets are not set up here (no keyring, no Redis) or one cannot be decrypted."""

    code = grpc.StatusCode.FAILED_PRECONDITION


def generate_key() -> str:
    """A fresh 256-bit key in the keyring's base64 form."""
    return base64.b64encode(AESGCM.generate_key(bit_length=256)).decode()


def check_name(name: str) -> str:
    if not NAME.match(name):
        raise InvalidArgument(
            "a secret name is 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", field="name"
        )
    return name


class Keyring:
    """AES-256 keys by id; the first one encrypts. Its repr never shows a key."""

    __slots__ = ("_keys", "primary")

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise SecretsUnavailable(f"the secrets keyring is empty; set {KEYRING_ENV}")
        self._keys = dict(keys)
        if len(self._keys) != len(keys):
            raise SecretsUnavailable("the secrets keyring names a key id twice")
        self.primary = keys[0][0]

    @classmethod
    def parse(cls, text: str) -> Keyring:
        """``kid:base64key[,kid:base64key...]``; each key 32 bytes."""
        keys: list[tuple[str, bytes]] = []
        for i, item in enumerate(part.strip() for part in text.split(",") if part.strip()):
            kid, sep, encoded = item.partition(":")
            if not sep or not _KID.match(kid):
                raise SecretsUnavailable(f"keyring entry {i} is not kid:base64key (kid: 1-32 of A-Za-z0-9_.-)")
            try:
                key = base64.b64decode(encoded, validate=True)
            except binascii.Error:
                raise SecretsUnavailable(f"keyring key {kid!r} is not valid base64") from None
            if len(key) != 32:
                raise SecretsUnavailable(f"keyring key {kid!r} is {len(key)} bytes; AES-256 needs 32")
            keys.append((kid, key))
        return cls(keys)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, name: str = KEYRING_ENV) -> Keyring | None:
        """The keyring in ``name``, or None when it is unset (stored secrets are off)."""
        text = (os.environ if environ is None else environ).get(name, "").strip()
        return cls.parse(text) if text else None

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    def encrypt(self, name: str, value: str) -> str:
        nonce = os.urandom(12)
        ct = AESGCM(self._keys[self.primary]).encrypt(nonce, value.encode(), name.encode())
        envelope = {"v": 1, "kid": self.primary, "nonce": _b64(nonce), "ct": _b64(ct)}
        return json.dumps(envelope, separators=(",", ":"))

    def decrypt(self, name: str, envelope: str) -> str:
        try:
            parsed = json.loads(envelope)
            kid, nonce, ct = str(parsed["kid"]), base64.b64decode(parsed["nonce"]), base64.b64decode(parsed["ct"])
        except (ValueError, KeyError, TypeError):
            raise SecretsUnavailable(f"the stored secret {name!r} is not a valid envelope") from None
        key = self._keys.get(kid)
        if key is None:
            raise SecretsUnavailable(
                f"the stored secret {name!r} is encrypted under key {kid!r}, which {KEYRING_ENV} lacks"
            )
        try:
            return AESGCM(key).decrypt(nonce, ct, name.encode()).decode()
        except InvalidTag:
            raise SecretsUnavailable(f"the stored secret {name!r} does not decrypt under key {kid!r}") from None

    def __repr__(self) -> str:
        return f"Keyring(primary={self.primary!r}, key_ids={self.key_ids!r})"


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@dataclass(frozen=True, slots=True)
class SecretRecord:
    """What Redis holds for one secret: the envelope and its bookkeeping, never the value."""

    name: str
    key_id: str
    envelope: str
    created_at: float
    updated_at: float

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> SecretRecord:
        return cls(**json.loads(raw))


class SecretStore:
    """Records in Redis: ``hf:upsecret:<name>`` (JSON) and the ``hf:upsecrets`` name index."""

    def __init__(self, client: aioredis.Redis, keyring: Keyring | None) -> None:
        self._redis = client
        self._keyring = keyring

    @property
    def keyring(self) -> Keyring:
        if self._keyring is None:
            raise SecretsUnavailable(f"stored upstream secrets need a keyring: set {KEYRING_ENV}")
        return self._keyring

    async def set(self, name: str, value: str) -> SecretRecord:
        check_name(name)
        if not value:
            raise InvalidArgument("the secret value is empty", field="value")
        if len(value.encode()) > MAX_VALUE_BYTES:
            raise InvalidArgument(f"a secret value is at most {MAX_VALUE_BYTES} bytes", field="value")
        now = time.time()
        old = await self._get(name)
        record = SecretRecord(
            name=name,
            key_id=self.keyring.primary,
            envelope=self.keyring.encrypt(name, value),
            created_at=old.created_at if old is not None else now,
            updated_at=now,
        )
        await self._put(record)
        return record

    async def reveal(self, name: str) -> str:
        record = await self._get(check_name(name))
        if record is None:
            raise SecretNotFound(f"no stored secret named {name!r}", field="name")
        return self.keyring.decrypt(name, record.envelope)

    async def list(self) -> list[SecretRecord]:
        names = await self._redis.zrange(_INDEX, 0, -1)
        if not names:
            return []
        raws = await self._redis.mget([_PREFIX + _text(n) for n in names])
        return [SecretRecord.from_json(raw) for raw in raws if raw is not None]

    async def delete(self, name: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(_PREFIX + check_name(name))
            pipe.zrem(_INDEX, name)
            removed, _ = await pipe.execute()
        return bool(removed)

    async def rotate(self) -> tuple[int, int]:
        """Re-encrypt every record not under the primary key: (rotated, already current).

        Each record is rewritten only if nobody changed it meanwhile (WATCH), so a
        concurrent ``set`` is never overwritten with the older value."""
        rotated = current = 0
        for record in await self.list():
            if record.key_id == self.keyring.primary:
                current += 1
                continue
            if await self._reencrypt(record.name):
                rotated += 1
        return rotated, current

    async def _reencrypt(self, name: str) -> bool:
        async with self._redis.pipeline(transaction=True) as pipe:
            await pipe.watch(_PREFIX + name)
            raw = await pipe.get(_PREFIX + name)
            if raw is None:
                return False
            record = SecretRecord.from_json(raw)
            value = self.keyring.decrypt(name, record.envelope)
            envelope = self.keyring.encrypt(name, value)
            pipe.multi()  # type: ignore[no-untyped-call]
            pipe.set(
                _PREFIX + name,
                SecretRecord(name, self.keyring.primary, envelope, record.created_at, time.time()).to_json(),
            )
            try:
                await pipe.execute()
            except aioredis.WatchError:
                return False  # set again meanwhile, by then under the current primary key
        return True

    async def _get(self, name: str) -> SecretRecord | None:
        raw = await self._redis.get(_PREFIX + name)
        return None if raw is None else SecretRecord.from_json(raw)

    async def _put(self, record: SecretRecord) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(_PREFIX + record.name, record.to_json())
            pipe.zadd(_INDEX, {record.name: record.created_at})
            await pipe.execute()


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
