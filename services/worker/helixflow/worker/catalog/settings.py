"""Catalog settings (``HELIXFLOW_WORKER_CATALOG__*``): the models a worker may serve and the
policy that decides which of them are loaded. Plain data, imported by the worker's config."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from helixflow.worker.adapters import AdapterSpec


class CatalogEntrySettings(BaseModel):
    """One model of the catalog, as listed in the settings."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, description="model name requests use")
    aliases: list[str] = Field(default_factory=list, description="other names for it")
    source: str = Field(
        "",
        description="GGUF file or HF folder, or hf://org/repo/file.gguf (resolved with huggingface_hub "
        "and its cache); empty = the packaged default model",
    )
    context_per_sequence: int | None = Field(None, ge=64, description="context per sequence; default: the worker's")
    max_sequences: int | None = Field(None, ge=1, le=256, description="batch slots; default: the worker's")
    chat_template: str | None = Field(None, description="Jinja chat template replacing the model's own")
    pinned: bool = Field(False, description="load at start and never unload")
    adapters: list[AdapterSpec] = Field(default_factory=list, description="LoRA adapters on this model (see adapters)")


class CatalogSettings(BaseModel):
    """Where the catalog comes from and the unload policy.

    With no ``models`` and no ``models_dir`` the worker serves its one top-level model
    (``model_id``/``model_path``), pinned: the behaviour of a worker without a catalog.
    """

    model_config = ConfigDict(extra="forbid")

    models: list[CatalogEntrySettings] = Field(default_factory=list, description="models listed by hand (JSON list)")
    models_dir: Path | None = Field(None, description="directory scanned for *.gguf files; each becomes a model")
    include_default: bool = Field(
        True, description="the top-level model (model_id, model_path: the packaged one by default) is in the catalog"
    )
    max_loaded_models: int = Field(0, ge=0, description="models loaded at once at most; 0 = no limit")
    memory_budget_mb: int = Field(
        0, ge=0, description="MiB the loaded models may take (weights file + KV estimate); 0 = no limit"
    )
    idle_unload_s: float = Field(0.0, ge=0, description="unload a model unused this long; 0 = never")
    load_timeout_s: float = Field(300.0, gt=0, description="how long a request waits for its model to load")
    reap_interval_s: float = Field(1.0, gt=0, description="how often idle models are looked for")

    @property
    def enabled(self) -> bool:
        """Whether more than the top-level model is configured."""
        return bool(self.models) or self.models_dir is not None
