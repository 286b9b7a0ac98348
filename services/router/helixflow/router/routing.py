"""Which worker serves a request: model resolution (ids, aliases and LoRA adapter ids),
the prefix key for affinity, and the pick among routable workers through the policy.

A worker serves its model and that model's LoRA adapters (``InfoResponse.adapters``):
a request for an adapter id goes to a worker whose base model has that adapter, and
reaches it with the adapter id as its model, which picks the adapter there."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection

from helixflow.common.errors import ModelNotFound, ModelUnavailable, NoWorker
from helixflow.common.roles import ROLE_NAMES
from helixflow.router.catalog import FAILED, LOADED, PendingLoads, model_cards, names, saturated, worker_models
from helixflow.router.policies import Policy
from helixflow.router.policies.least_load import least_loaded
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
    """Resolves model names and picks workers. Its only state is the cold-model loads it set off."""

    def __init__(
        self, pool: WorkerPool, policy: Policy, aliases: dict[str, str], chains: dict[str, list[str]] | None = None
    ) -> None:
        self.pool = pool
        self.policy = policy
        self.aliases = dict(aliases)
        # Fallback aliases resolve to themselves: the forwarder walks their targets.
        self.chains = {alias: list(targets) for alias, targets in (chains or {}).items() if targets}
        self.pending = PendingLoads()
        self._rng = random.Random()

    def known_models(self) -> dict[str, list[Worker]]:
        """Model id -> routable workers that serve it (loaded, or able to load it)."""
        out: dict[str, list[Worker]] = {}
        for w in self.pool.routable():
            for model_id, entry in worker_models(w).items():
                if entry.state != FAILED:
                    out.setdefault(model_id, []).append(w)
        return out

    def aliases_of(self, model_id: str) -> list[str]:
        names = {a for a, target in self.aliases.items() if target == model_id}
        for w in self.pool.workers.values():
            entry = worker_models(w).get(model_id)
            if entry is not None:
                names.update(entry.aliases)
        names.discard(model_id)
        return sorted(names)

    def model_cards(self) -> list[inference_pb2.ModelCard]:
        """ListModels: every catalogued model with how many workers have it loaded or can load it."""
        workers = self.pool.routable()
        ids = {m for w in workers for m in worker_models(w)}
        return model_cards(workers, {m: self.aliases_of(m) for m in ids})

    def resolve(self, name: str) -> str:
        """The model id a requested name means. Empty means "the only model served"."""
        known: dict[str, str] = {}
        for w in self.pool.workers.values():
            for alias, model_id in names(w).items():
                known.setdefault(alias, model_id)
        served = set(known.values())
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
        if name in known:
            return known[name]
        listed = sorted(served | {a for a, t in self.aliases.items() if t in served} | set(self.chains))
        raise ModelNotFound(f"unknown model {name!r}; known models: {', '.join(listed)}", field="model")

    def pick(self, model_id: str, key: int | None, tried: Collection[str] = ()) -> Worker:
        """A routable worker for the model, preferring ones not tried yet for this request:
        one with the model loaded, balanced by the policy; when all of those are saturated,
        or none has it, one already loading it; else the one that loads it most cheaply."""
        entries = [(w, worker_models(w).get(model_id)) for w in self.pool.routable()]
        found = [(w, e) for w, e in entries if e is not None]
        candidates = [(w, e) for w, e in found if e.state != FAILED]
        if not candidates:
            if found:
                reasons = "; ".join(f"{w.address}: {e.failure}" for w, e in found)
                raise ModelUnavailable(f"model {model_id!r} failed to load on every worker ({reasons})")
            raise NoWorker(f"no ready worker serves {model_id!r}; retry shortly", retry_after_s=1.0)
        fresh = [(w, e) for w, e in candidates if w.address not in tried] or candidates
        warm = [(w, e) for w, e in fresh if e.state == LOADED]
        if warm:
            best = self.policy.choose([w for w, _ in warm], key)
            if not all(saturated(w, e) for w, e in warm):
                return best
        loading = [w for w, e in fresh if e.state != LOADED and self.pending.loading(model_id, w)]
        spare = [w for w, e in fresh if w in loading and not saturated(w, e)]
        if spare:
            return least_loaded(spare, self._rng)
        if warm and len(loading) + len(warm) == len(fresh):
            return best  # every worker has it or is loading it: queue where it runs
        cold = [(w, e) for w, e in fresh if e.state != LOADED and w not in loading]
        if not cold:
            return best if warm else least_loaded(loading, self._rng)
        cheapest = min(e.evictions_needed for _, e in cold)
        worker = least_loaded([w for w, e in cold if e.evictions_needed == cheapest], self._rng)
        self.pending.add(model_id, worker.address)
        return worker
