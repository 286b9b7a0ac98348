"""Catalog state to protobuf: CatalogModel entries and the catalog parts of Info and WatchLoad."""

from __future__ import annotations

from helixflow.v1 import worker_pb2
from helixflow.worker import convert
from helixflow.worker.catalog.host import CatalogHost
from helixflow.worker.catalog.slot import ModelSlot, ModelState
from helixflow.worker.engine import EngineInfo

_STATE_TO_PB = {
    ModelState.AVAILABLE: worker_pb2.MODEL_STATE_AVAILABLE,
    ModelState.LOADING: worker_pb2.MODEL_STATE_LOADING,
    ModelState.LOADED: worker_pb2.MODEL_STATE_LOADED,
    ModelState.UNLOADING: worker_pb2.MODEL_STATE_UNLOADING,
    ModelState.FAILED: worker_pb2.MODEL_STATE_FAILED,
}


def model_pb(host: CatalogHost, slot: ModelSlot) -> worker_pb2.CatalogModel:
    entry, info = slot.entry, slot.info
    return worker_pb2.CatalogModel(
        # A worker without a catalog answers to its engine's own name (as before catalogs).
        id=info.model_id if info is not None and host.single else entry.id,
        aliases=list(info.aliases if info is not None and host.single else entry.aliases),
        state=_STATE_TO_PB[slot.state],
        failure=slot.failure,
        pinned=slot.pinned,
        origin="hf" if entry.source.startswith("hf://") else entry.origin,
        estimated_bytes=slot.estimated_bytes,
        context_length=info.context_length if info is not None else entry.context_per_sequence,
        supports_generate=info.supports_generate if info is not None else True,
        supports_embed=info.supports_embed if info is not None else False,
        supports_tools=bool(info.tool_parser) if info is not None else False,
        active_streams=slot.refs,
        evictions_needed=host.evictions_needed(slot),
        max_sequences=entry.max_sequences,
        # The loaded engine's adapters are the truth (a prebuilt engine may carry its own).
        adapters=list(info.adapters) if info is not None and info.adapters else [a.id for a in entry.adapters],
    )


def models_pb(host: CatalogHost) -> list[worker_pb2.CatalogModel]:
    return [model_pb(host, s) for s in host.slots.values()]


def info_pb(host: CatalogHost, backend: str) -> worker_pb2.InfoResponse:
    """The top-level fields describe the primary model (see ``CatalogHost.primary``)."""
    slot = host.primary()
    out = convert.info_to_pb(slot.info if slot.info is not None else _placeholder(slot, backend))
    out.catalog.extend(models_pb(host))
    out.max_loaded_models = host.budget.max_models
    out.memory_budget_bytes = host.budget.max_bytes
    return out


def load_pb(host: CatalogHost, *, draining: bool) -> worker_pb2.WatchLoadResponse:
    out = convert.load_to_pb(host.load_report(), draining=draining)
    out.models.extend(models_pb(host))
    out.resident_bytes = host.resident_bytes()
    return out


def _placeholder(slot: ModelSlot, backend: str) -> EngineInfo:
    """What is known of a model that never loaded: its settings."""
    e = slot.entry
    return EngineInfo(
        model_id=e.id,
        backend=backend,
        backend_version="",
        context_length=e.context_per_sequence,
        vocab_size=0,
        eos_token_ids=(),
        embedding_dimension=0,
        constraints=frozenset(),
        max_concurrent_sequences=e.max_sequences,
        max_waiting=0,
        has_chat_template=False,
        supports_embed=False,
        aliases=e.aliases,
    )
