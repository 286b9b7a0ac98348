"""Catalog fixtures: the packaged GGUF, a second GGUF made from it (its own chat template
and name, written with the ``gguf`` package), and a corrupt (truncated) one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gguf
import pytest
from gguf.scripts.gguf_new_metadata import MetadataDetails, copy_with_new_metadata

from helixflow.worker.backends.llama_config import default_model_path
from helixflow.worker.catalog.settings import CatalogEntrySettings, CatalogSettings
from helixflow.worker.config import WorkerSettings

# The second model's own template: the catalog must load it with that, not the fallback.
BRACKET_TEMPLATE = (
    "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}[assistant] {% endif %}"
)


@pytest.fixture(scope="session")
def packaged_gguf() -> Path:
    return Path(default_model_path())


@pytest.fixture(scope="session")
def variant_gguf(tmp_path_factory: pytest.TempPathFactory, packaged_gguf: Path) -> Path:
    target = tmp_path_factory.mktemp("variant") / "gemma-bracket.gguf"
    reader = gguf.GGUFReader(packaged_gguf, "r")
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(target, arch=arch, endianess=reader.endianess)
    new = {
        gguf.Keys.Tokenizer.CHAT_TEMPLATE: MetadataDetails(gguf.GGUFValueType.STRING, BRACKET_TEMPLATE),
        gguf.Keys.General.NAME: MetadataDetails(gguf.GGUFValueType.STRING, "gemma-bracket"),
    }
    copy_with_new_metadata(reader, writer, new, [])
    return target


@pytest.fixture(scope="session")
def corrupt_gguf(tmp_path_factory: pytest.TempPathFactory, packaged_gguf: Path) -> Path:
    """The packaged file cut after its first MiB: a valid header, tensors missing."""
    target = tmp_path_factory.mktemp("corrupt") / "truncated.gguf"
    with packaged_gguf.open("rb") as f:
        target.write_bytes(f.read(1 << 20))
    return target


def entry(model_id: str, source: Path | str = "", **extra: Any) -> CatalogEntrySettings:
    return CatalogEntrySettings(id=model_id, source=str(source), **extra)


def worker_settings(*models: CatalogEntrySettings, **policy: Any) -> WorkerSettings:
    """A llama.cpp worker with these models, small contexts, and no other listeners."""
    return WorkerSettings(
        listen="127.0.0.1:0",
        metrics_port=0,
        warmup=False,
        context_per_sequence=256,
        max_sequences=2,
        llama={"n_threads": 2},
        catalog=CatalogSettings(models=list(models), include_default=False, **policy),
        tls={"insecure": True},
    )
