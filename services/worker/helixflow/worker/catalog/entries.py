"""Catalog entries: what the settings, a models directory and the packaged default model
declare, where each one's weights are (``hf://`` references through huggingface_hub),
and how much memory it will take once loaded."""

from __future__ import annotations

import logging
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from helixflow.common.errors import InvalidArgument, ModelUnavailable
from helixflow.worker.adapters import AdapterSpec

if TYPE_CHECKING:
    from helixflow.worker.config import WorkerSettings

log = logging.getLogger(__name__)
HF_SCHEME = "hf://"
# KV cells are f16 keys and values unless the engine says otherwise.
_KV_BYTES_PER_VALUE = 2


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One model the worker may serve, with the engine options it loads with."""

    id: str
    aliases: tuple[str, ...]
    source: str  # a path, an hf:// reference, or "" for the packaged default model
    origin: str  # settings | models_dir | default
    pinned: bool
    context_per_sequence: int
    max_sequences: int
    chat_template: str | None = None
    adapters: tuple[AdapterSpec, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every name a request may use for it: id, aliases, and its adapters' ids (which run on it)."""
        return (self.id, *self.aliases, *(a.id for a in self.adapters))

    def engine_settings(self, base: WorkerSettings, path: Path | None) -> WorkerSettings:
        """The worker's settings as this model's engine should see them."""
        update: dict[str, object] = {
            "model_id": self.id,
            "aliases": list(self.aliases),
            "context_per_sequence": self.context_per_sequence,
            "max_sequences": self.max_sequences,
            "chat_template": self.chat_template,
            "adapters": list(self.adapters),
        }
        if path is not None:
            update["model_path"] = path
        return base.model_copy(update=update)


def build_entries(settings: WorkerSettings) -> list[CatalogEntry]:
    """The catalog: the listed models, then the scanned directory, then the top-level one.
    Names (ids and aliases) must be unique across all of them."""
    cat = settings.catalog
    out: list[CatalogEntry] = []
    for m in cat.models:
        out.append(
            CatalogEntry(
                id=m.id,
                aliases=tuple(m.aliases),
                source=m.source,
                origin="settings",
                pinned=m.pinned,
                context_per_sequence=m.context_per_sequence or settings.context_per_sequence,
                max_sequences=m.max_sequences or settings.max_sequences,
                chat_template=m.chat_template,
                adapters=tuple(m.adapters),
            )
        )
    if cat.models_dir is not None:
        out.extend(_scan(settings, cat.models_dir))
    if cat.include_default or not out:
        out.append(
            CatalogEntry(
                id=settings.model_id,
                aliases=tuple(settings.aliases),
                source=str(settings.model_path) if settings.model_path is not None else "",
                origin="default",
                pinned=not cat.enabled,  # alone, it is the worker's one model: loaded at start
                context_per_sequence=settings.context_per_sequence,
                max_sequences=settings.max_sequences,
                chat_template=settings.chat_template,
                adapters=tuple(settings.adapters),
            )
        )
    _check_unique(out)
    return out


def _scan(settings: WorkerSettings, folder: Path) -> list[CatalogEntry]:
    if not folder.is_dir():
        raise InvalidArgument(f"models_dir {folder} is not a directory", field="catalog.models_dir")
    listed = {m.source for m in settings.catalog.models}
    found = sorted(folder.glob("*.gguf"))
    if settings.backend == "vllm":  # Hugging Face-style folders: a config.json each
        found = sorted(p for p in folder.iterdir() if (p / "config.json").is_file())
    return [
        CatalogEntry(
            id=p.stem if p.suffix == ".gguf" else p.name,
            aliases=(),
            source=str(p),
            origin="models_dir",
            pinned=False,
            context_per_sequence=settings.context_per_sequence,
            max_sequences=settings.max_sequences,
        )
        for p in found
        if str(p) not in listed
    ]


def _check_unique(entries: list[CatalogEntry]) -> None:
    seen: dict[str, str] = {}
    for e in entries:
        for name in e.names:
            if name in seen:
                raise InvalidArgument(
                    f"model name {name!r} is used by both {seen[name]!r} and {e.id!r}; names must be unique",
                    field="catalog.models",
                )
            seen[name] = e.id


def resolve_source(entry: CatalogEntry) -> Path | None:
    """The local path of the entry's weights (None: the backend's packaged default).
    ``hf://org/repo/file.gguf`` goes through huggingface_hub: its cache, its offline mode
    (HF_HUB_OFFLINE) and its progress bar. Blocking: call off the event loop."""
    if not entry.source:
        return None
    if not entry.source.startswith(HF_SCHEME):
        return Path(entry.source)
    repo_id, filename = split_hf(entry.source)
    import huggingface_hub
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        if filename:
            return Path(huggingface_hub.hf_hub_download(repo_id=repo_id, filename=filename))
        return Path(huggingface_hub.snapshot_download(repo_id=repo_id))
    except LocalEntryNotFoundError as err:
        raise ModelUnavailable(
            f"model {entry.id!r}: {entry.source} is not in the Hugging Face cache and the Hub cannot be "
            f"reached (offline: HF_HUB_OFFLINE or no network); download {repo_id} once with network ({err})"
        ) from err


def split_hf(source: str) -> tuple[str, str]:
    """``hf://org/repo/file.gguf`` -> ("org/repo", "file.gguf"); ``hf://org/repo`` -> ("org/repo", "")."""
    parts = source.removeprefix(HF_SCHEME).strip("/").split("/")
    if len(parts) < 2 or not all(parts):
        raise InvalidArgument(f"{source!r}: expected hf://org/repo or hf://org/repo/file.gguf", field="source")
    return "/".join(parts[:2]), "/".join(parts[2:])


def cached_path(entry: CatalogEntry) -> Path | None:
    """The weights' local path when known without a download (for the memory estimate)."""
    if not entry.source:
        from helixflow.worker.backends.llama_config import default_model_path

        try:
            return Path(default_model_path())
        except ImportError:
            return None
    if not entry.source.startswith(HF_SCHEME):
        return Path(entry.source)
    repo_id, filename = split_hf(entry.source)
    try:
        import huggingface_hub

        found = huggingface_hub.try_to_load_from_cache(repo_id, filename) if filename else None
    except (ImportError, ValueError):
        return None
    return Path(found) if isinstance(found, str) else None


def estimate_bytes(entry: CatalogEntry, path: Path | None) -> int:
    """Weights file size plus the KV cache of all slots, from the GGUF's metadata.
    An unreadable file counts its size only (its load will say what is wrong)."""
    if path is None or not path.exists():
        return 0
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size + kv_bytes(path, entry.context_per_sequence * entry.max_sequences)


def kv_bytes(path: Path, n_ctx: int) -> int:
    try:
        meta = gguf_metadata(path)
        arch = str(meta["general.architecture"])
        layers = int(meta[f"{arch}.block_count"])
        heads = int(meta[f"{arch}.attention.head_count"])
        kv_heads = int(meta.get(f"{arch}.attention.head_count_kv", heads))
        embd = int(meta[f"{arch}.embedding_length"])
        k_len = int(meta.get(f"{arch}.attention.key_length", embd // heads))
        v_len = int(meta.get(f"{arch}.attention.value_length", embd // heads))
    except (OSError, ValueError, KeyError, struct.error) as err:  # corrupt or foreign: its size only
        log.debug("no KV estimate for %s: %s", path, err)
        return 0
    return n_ctx * layers * kv_heads * (k_len + v_len) * _KV_BYTES_PER_VALUE


# GGUF metadata value types: struct format of the scalar ones; 8 = string, 9 = array.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}


def gguf_metadata(path: Path) -> dict[str, Any]:
    """The scalar and string key-values of a GGUF header (arrays are skipped), read
    without touching the tensors: fast on multi-GiB files."""
    with path.open("rb") as f:
        if f.read(4) != b"GGUF":
            raise ValueError("not a GGUF file")
        (version,) = struct.unpack("<I", f.read(4))
        if version < 2:
            raise ValueError(f"GGUF version {version} is not supported")
        _tensors, count = struct.unpack("<QQ", f.read(16))
        out: dict[str, Any] = {}
        for _ in range(count):
            key = _string(f)
            (kind,) = struct.unpack("<I", f.read(4))
            if kind == 9:
                item, n = struct.unpack("<IQ", f.read(12))
                for _ in range(n):
                    _value(f, item)
            else:
                out[key] = _value(f, kind)
        return out


def _string(f: BinaryIO) -> str:
    (n,) = struct.unpack("<Q", f.read(8))
    return f.read(n).decode(errors="replace")


def _value(f: BinaryIO, kind: int) -> object:
    if kind == 8:
        return _string(f)
    fmt = _SCALARS.get(kind)
    if fmt is None:
        raise ValueError(f"unknown GGUF value type {kind}")
    return struct.unpack("<" + fmt, f.read(struct.calcsize(fmt)))[0]
