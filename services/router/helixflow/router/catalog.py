"""What the router knows of its workers' model catalogs: each worker's models and their
states (from Info, then every WatchLoad report), the loads this router set off and is
waiting for, and the ModelCards ListModels shows.

A worker that predates catalogs reports none: it serves its one Info model, always loaded.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from helixflow.router.pool import Worker
from helixflow.v1 import inference_pb2, worker_pb2

LOADED = worker_pb2.MODEL_STATE_LOADED
LOADING = worker_pb2.MODEL_STATE_LOADING
FAILED = worker_pb2.MODEL_STATE_FAILED
# A load this router set off counts as under way this long without a report that says so.
PENDING_S = 10.0


def worker_models(worker: Worker) -> dict[str, worker_pb2.CatalogModel]:
    """Model id -> its entry on the worker, from the freshest source."""
    info = worker.info
    if info is None:
        return {}
    models: Iterable[worker_pb2.CatalogModel] = worker.load.models or info.catalog
    out = {m.id: m for m in models}
    if not out and info.model_id:
        out[info.model_id] = worker_pb2.CatalogModel(
            id=info.model_id,
            aliases=info.aliases,
            state=LOADED,
            context_length=info.context_length,
            supports_generate=info.supports_generate,
            supports_embed=info.supports_embed,
            supports_tools=info.supports_tools,
            max_sequences=info.max_concurrent_sequences,
            adapters=[a.id for a in info.adapters],
        )
    # A LoRA adapter is routed as a model of its own that shares its base model's state:
    # loading the base loads its adapters, and the worker picks the adapter by name.
    for base in list(out.values()):
        for adapter_id in base.adapters:
            twin = worker_pb2.CatalogModel()
            twin.CopyFrom(base)
            twin.id = adapter_id
            del twin.aliases[:], twin.adapters[:]
            out.setdefault(adapter_id, twin)
    return out


def base_models(worker: Worker) -> dict[str, str]:
    """Adapter id -> the base model it runs on, for the worker's catalog."""
    return {a: m.id for m in worker_models(worker).values() for a in m.adapters if m.id != a}


def names(worker: Worker) -> dict[str, str]:
    """Every name the worker answers to (ids and aliases) -> model id."""
    out: dict[str, str] = {}
    for m in worker_models(worker).values():
        out[m.id] = m.id
        for alias in m.aliases:
            out.setdefault(alias, m.id)
    return out


class PendingLoads:
    """Cold-model loads this router sent a request for, so a burst for the same model
    joins that load rather than starting one on every worker."""

    def __init__(self) -> None:
        self._until: dict[tuple[str, str], float] = {}

    def add(self, model_id: str, address: str) -> None:
        self._until[(model_id, address)] = time.monotonic() + PENDING_S

    def loading(self, model_id: str, worker: Worker) -> bool:
        """The worker reports the model loading, or this router set off its load lately."""
        entry = worker_models(worker).get(model_id)
        if entry is not None and entry.state == LOADING:
            return True
        until = self._until.get((model_id, worker.address))
        if until is None:
            return False
        if (entry is not None and entry.state in (LOADED, FAILED)) or time.monotonic() >= until:
            del self._until[(model_id, worker.address)]
            return False
        return True


# A worker is saturated for a model when its requests reach this many times the model's slots:
# all slots busy and as many queued. Only then does load call for another copy of the model
# (a load takes seconds, in which a queue as deep as the slots drains).
SATURATION = 2


def saturated(worker: Worker, entry: worker_pb2.CatalogModel) -> bool:
    return worker.score() >= SATURATION * max(1, entry.max_sequences or worker.load.max_running)


def model_cards(workers: Iterable[Worker], aliases: dict[str, list[str]]) -> list[inference_pb2.ModelCard]:
    """One card per catalogued model on the routable workers, with state counts."""
    by_model: dict[str, list[tuple[Worker, worker_pb2.CatalogModel]]] = {}
    bases: dict[str, str] = {}
    for w in workers:
        bases.update(base_models(w))
        for model_id, entry in worker_models(w).items():
            by_model.setdefault(model_id, []).append((w, entry))
    cards = []
    for model_id, found in sorted(by_model.items()):
        loaded = [(w, e) for w, e in found if e.state == LOADED]
        failed = [(w, e) for w, e in found if e.state == FAILED]
        serving = [(w, e) for w, e in found if e.state != FAILED]
        w, e = (loaded or serving or found)[0]  # a loaded copy knows the capabilities for sure
        info = w.info
        assert info is not None
        cards.append(
            inference_pb2.ModelCard(
                id=model_id,
                aliases=aliases.get(model_id, []),
                context_length=e.context_length,
                supports_generate=e.supports_generate,
                supports_embed=e.supports_embed,
                embedding_dimension=info.embedding_dimension if info.model_id == model_id else 0,
                constraints=info.supported_constraints,
                ready_workers=len(serving),
                backend=info.backend,
                supports_tools=bool(serving) and all(e.supports_tools for _, e in serving),
                tool_parser=info.tool_parser if info.model_id == model_id else "",
                loaded_workers=len(loaded),
                loadable_workers=len(serving) - len(loaded),
                failed_workers=len(failed),
                base_model=bases.get(model_id, ""),
                adapters=sorted({a for _, e in found for a in e.adapters} - {model_id}),
            )
        )
    return cards
