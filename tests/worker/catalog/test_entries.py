"""Catalog entries without loading anything: settings, a scanned directory, unique names,
hf:// references through huggingface_hub's cache and offline mode, the memory estimate,
and the LRU choice of victims."""

from __future__ import annotations

from pathlib import Path

import pytest
from huggingface_hub import constants as hf_constants

from helixflow.common.errors import InvalidArgument, ModelUnavailable
from helixflow.worker.catalog.entries import (
    CatalogEntry,
    build_entries,
    gguf_metadata,
    kv_bytes,
    resolve_source,
    split_hf,
)
from helixflow.worker.catalog.settings import CatalogSettings
from helixflow.worker.catalog.slot import Budget, ModelSlot, ModelState, victims
from helixflow.worker.config import WorkerSettings
from tests.worker.catalog.conftest import entry, worker_settings


def test_listed_scanned_and_default_models_form_the_catalog(tmp_path: Path) -> None:
    (tmp_path / "small.gguf").write_bytes(b"GGUF")
    (tmp_path / "notes.txt").write_text("not a model")
    settings = WorkerSettings(
        catalog=CatalogSettings(models=[entry("a", aliases=["alpha"], max_sequences=3)], models_dir=tmp_path),
        context_per_sequence=512,
    )
    entries = build_entries(settings)
    assert [(e.id, e.origin) for e in entries] == [
        ("a", "settings"),
        ("small", "models_dir"),
        ("gemma-3-270m", "default"),
    ]
    assert entries[0].max_sequences == 3
    assert entries[0].context_per_sequence == 512  # the worker's, unless the entry sets its own
    assert not any(e.pinned for e in entries)  # with a catalog, nothing is pinned unless asked


def test_without_a_catalog_the_one_model_is_pinned() -> None:
    (only,) = build_entries(WorkerSettings(model_id="m", aliases=["x"]))
    assert (only.id, only.aliases, only.pinned, only.origin) == ("m", ("x",), True, "default")


def test_names_must_be_unique() -> None:
    with pytest.raises(InvalidArgument, match="'dup' is used by both 'a' and 'b'"):
        build_entries(worker_settings(entry("a", aliases=["dup"]), entry("b", aliases=["dup"])))


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HELIXFLOW_WORKER_CATALOG__MODELS", '[{"id": "a", "pinned": true}, {"id": "b"}]')
    monkeypatch.setenv("HELIXFLOW_WORKER_CATALOG__MAX_LOADED_MODELS", "1")
    monkeypatch.setenv("HELIXFLOW_WORKER_CATALOG__IDLE_UNLOAD_S", "30")
    cat = WorkerSettings().catalog
    assert ([m.id for m in cat.models], cat.models[0].pinned, cat.max_loaded_models, cat.idle_unload_s) == (
        ["a", "b"],
        True,
        1,
        30.0,
    )


def test_hf_references() -> None:
    assert split_hf("hf://org/repo/sub/file.gguf") == ("org/repo", "sub/file.gguf")
    assert split_hf("hf://org/repo") == ("org/repo", "")
    with pytest.raises(InvalidArgument):
        split_hf("hf://just-a-name")


def _hf_entry(source: str) -> CatalogEntry:
    return CatalogEntry("hub", (), source, "settings", False, 256, 1)


def test_hf_offline_and_not_cached_names_the_repo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ModelUnavailable, match="helixflow-test/absent-repo") as err:
        resolve_source(_hf_entry("hf://helixflow-test/absent-repo/model.gguf"))
    assert "HF_HUB_OFFLINE" in err.value.message


def test_hf_offline_uses_the_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, packaged_gguf: Path) -> None:
    """A file in the Hub cache layout (refs/main -> snapshot) resolves with no network."""
    repo = tmp_path / "models--helixflow-test--cached"
    revision = "0" * 40
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision)
    snapshot = repo / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (snapshot / "model.gguf").symlink_to(packaged_gguf)
    monkeypatch.setattr(hf_constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path))
    path = resolve_source(_hf_entry("hf://helixflow-test/cached/model.gguf"))
    assert path is not None
    assert path.resolve() == packaged_gguf.resolve()


def test_memory_estimate_reads_the_gguf_header(packaged_gguf: Path, tmp_path: Path) -> None:
    meta = gguf_metadata(packaged_gguf)
    assert meta["general.architecture"] == "gemma3"
    per_cell = kv_bytes(packaged_gguf, 1)
    assert per_cell > 0
    assert kv_bytes(packaged_gguf, 1024) == 1024 * per_cell
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"nope")
    assert kv_bytes(garbage, 1024) == 0  # unreadable: its file size is all the estimate has


def _slot(name: str, size: int, last_used: float, *, pinned: bool = False, refs: int = 0) -> ModelSlot:
    slot = ModelSlot(CatalogEntry(name, (), "", "settings", pinned, 256, 1), size)
    slot.state, slot.last_used, slot.refs = ModelState.LOADED, last_used, refs
    return slot


def test_victims_are_lru_idle_first_and_never_pinned() -> None:
    old, busy, pinned = _slot("old", 10, 1.0), _slot("busy", 10, 0.5, refs=1), _slot("pin", 10, 0.1, pinned=True)
    new = ModelSlot(CatalogEntry("new", (), "", "settings", False, 256, 1), 10)
    new_slots = [old, busy, pinned, new]
    assert victims(new_slots, new, Budget(max_models=0, max_bytes=0)) == []
    assert victims(new_slots, new, Budget(max_models=3, max_bytes=0)) == [old]  # idle before busy
    assert victims(new_slots, new, Budget(max_models=2, max_bytes=0)) == [old, busy]
    assert victims(new_slots, new, Budget(max_models=1, max_bytes=0)) is None  # the pinned one stays
    assert victims(new_slots, new, Budget(max_models=0, max_bytes=25)) == [old, busy]
    assert victims(new_slots, new, Budget(max_models=0, max_bytes=5)) is None  # too big on its own


def test_up_flags_become_the_workers_catalog(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from helixflow.stack.up import catalog_env

    assert catalog_env([], None, 0, 0.0) == {}  # one model, as `make run`
    env = catalog_env(["small=/m/a.gguf", "hf://org/repo/big-q4.gguf"], tmp_path, 1, 60.0)
    for key, value in env.items():
        monkeypatch.setenv(f"HELIXFLOW_WORKER_{key}", value)
    cat = WorkerSettings().catalog
    assert [(m.id, m.source) for m in cat.models] == [("small", "/m/a.gguf"), ("big-q4", "hf://org/repo/big-q4.gguf")]
    assert (cat.models_dir, cat.max_loaded_models, cat.idle_unload_s) == (tmp_path, 1, 60.0)
