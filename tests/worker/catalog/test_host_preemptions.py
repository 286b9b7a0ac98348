"""The catalog host's preemption count: the sum over its engines, kept across unloads."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from helixflow.worker.backends.fake import FakeEngine
from helixflow.worker.catalog.entries import CatalogEntry
from helixflow.worker.catalog.host import CatalogHost
from helixflow.worker.catalog.settings import CatalogSettings
from helixflow.worker.engine import Engine, LoadReport


class PreemptingEngine(FakeEngine):
    def __init__(self, model_id: str, preemptions: int) -> None:
        super().__init__(model_id)
        self.preemptions = preemptions

    def load_report(self) -> LoadReport:
        return dataclasses.replace(super().load_report(), preemptions=self.preemptions)


async def test_preemptions_add_up_and_survive_an_unload() -> None:
    counts = {"a": 3, "b": 4}

    def factory(entry: CatalogEntry, path: Path | None) -> Engine:
        return PreemptingEngine(entry.id, counts[entry.id])

    entries = [CatalogEntry(m, (), "", "settings", False, 512, 4) for m in counts]
    host = CatalogHost(entries, factory, CatalogSettings(), estimate=False)
    await host.start()
    try:
        assert host.load_report().preemptions == 0  # nothing loaded yet
        await host.load("a")
        await host.load("b")
        assert host.load_report().preemptions == 7
        await host.unload("a")
        assert host.load_report().preemptions == 7  # a counter: the unloaded engine's count stays
        await host.unload("b")
        assert host.load_report().preemptions == 7
    finally:
        await host.close()
