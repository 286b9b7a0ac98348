"""Which worker serves a request: model resolution (ids and aliases), the prefix
key for affinity, and the pick among routable workers through the policy."""

from __future__ import annotations

import hashlib
from collections.abc import Collection

from helixflow.common.errors import ModelNotFound, NoWorker
from helixflow.common.roles import ROLE_NAMES
from helixflow.router.policies import Policy
from helixflow.router.pool import Worker, WorkerPool
from helixflow.v1 import inference_pb2


def prefix_key(request: inference_pb2.GenerateRequest, block_chars: int, blocks: int) -> int | None:
    """Hash of the prompt's leading blocks: normalized messages or prompt text.

    blake2b rather than ``hash()`` so every router replica maps a prefix to the
    same worker. Only the first ``blocks * block_chars`` characters count: requests
    that share a long system prompt get the same key whatever follows it.
    """
    limit = block_chars * blocks
    kind = request.WhichOneof("input")
    if kind == "prompt":
        text = request.prompt[:limit]
    elif kind == "messages":
        parts: list[str] = []
        size = 0
        for m in request.messages.messages:
            part = f"{ROLE_NAMES.get(m.role, '')}\x1f{m.content.strip()}\x1e"
            parts.append(part)
            size += len(part)
            if size >= limit:
                break
        text = "".join(parts)[:limit]
    elif kind == "token_ids":
        # Roughly 4 characters per token.
        text = ",".join(map(str, request.token_ids.ids[: max(1, limit // 4)]))
    else:
        return None
    if not text:
        return None
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class Router:
    """Resolves model names and picks workers. Holds no per-request state."""

    def __init__(
        self, pool: WorkerPool, policy: Policy, aliases: dict[str, str], chains: dict[str, list[str]] | None = None
    ) -> None:
        self.pool = pool
        self.policy = policy
        self.aliases = dict(aliases)
        # Fallback aliases resolve to themselves: the forwarder walks their targets.
        self.chains = {alias: list(targets) for alias, targets in (chains or {}).items() if targets}

    def known_models(self) -> dict[str, list[Worker]]:
        """Model id -> routable workers serving it."""
        out: dict[str, list[Worker]] = {}
        for w in self.pool.routable():
            out.setdefault(w.model_id, []).append(w)
        return out

    def aliases_of(self, model_id: str) -> list[str]:
        names = {a for a, target in self.aliases.items() if target == model_id}
        for w in self.pool.workers.values():
            if w.info is not None and w.info.model_id == model_id:
                names.update(w.info.aliases)
        names.discard(model_id)
        return sorted(names)

    def resolve(self, name: str) -> str:
        """The model id a requested name means. Empty means "the only model served"."""
        served = {w.model_id for w in self.pool.workers.values() if w.info is not None}
        if not served:
            raise NoWorker("no worker is ready yet; retry shortly", retry_after_s=1.0)
        if not name:
            if len(served) == 1:
                return next(iter(served))
            raise ModelNotFound(f"set model: this router serves {', '.join(sorted(served))}", field="model")
        if name in self.chains:
            return name
        target = self.aliases.get(name, name)
        if target in served:
            return target
        for w in self.pool.workers.values():
            if w.info is not None and name in w.info.aliases:
                return w.info.model_id
        names = sorted(served | {a for a, t in self.aliases.items() if t in served} | set(self.chains))
        raise ModelNotFound(f"unknown model {name!r}; known models: {', '.join(names)}", field="model")

    def pick(self, model_id: str, key: int | None, tried: Collection[str] = ()) -> Worker:
        """A routable worker for the model, preferring ones not tried yet for this request."""
        candidates = [w for w in self.pool.routable() if w.model_id == model_id]
        if not candidates:
            raise NoWorker(f"no ready worker serves {model_id!r}; retry shortly", retry_after_s=1.0)
        fresh = [w for w in candidates if w.address not in tried]
        return self.policy.choose(fresh or candidates, key)
