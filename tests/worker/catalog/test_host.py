"""The catalog host with the real packaged model: two ids with different settings, a second
GGUF with its own chat template, and a corrupt one. Loads happen on first use, are shared,
evict LRU under max_loaded_models, go when idle, spare pinned models and open streams."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from prometheus_client import CollectorRegistry

from helixflow.common.errors import ModelNotFound, ModelUnavailable
from helixflow.worker.catalog.host import CatalogHost
from helixflow.worker.catalog.metrics import CatalogMetrics
from helixflow.worker.catalog.slot import ModelState
from helixflow.worker.engine import (
    ChatPrompt,
    Delta,
    Finished,
    FinishReason,
    GenerationRequest,
    Message,
    SamplingOptions,
    TextPrompt,
)
from tests.conftest import wait_for
from tests.worker.catalog.conftest import BRACKET_TEMPLATE, entry, worker_settings

PROMPT = TextPrompt("The capital of France is")


async def run(host: CatalogHost, model: str, max_tokens: int = 4) -> tuple[Finished, int]:
    """One greedy generation through a lease: the Finished event and the tokens streamed."""
    request = GenerationRequest(
        str(uuid.uuid4()), PROMPT, SamplingOptions(temperature=0.0, max_tokens=max_tokens, ignore_eos=True)
    )
    tokens = 0
    async with host.lease(model) as engine:
        async for event in engine.generate(request):
            if isinstance(event, Delta):
                tokens += len(event.token_ids)
            else:
                return event, tokens
    raise AssertionError("the stream ended without Finished")


def registry_value(registry: CollectorRegistry, name: str, labels: dict[str, str]) -> float:
    value = registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


@pytest_asyncio.fixture
async def make_host() -> AsyncIterator[object]:
    hosts: list[CatalogHost] = []

    async def make(*models: object, **policy: object) -> tuple[CatalogHost, CollectorRegistry]:
        host = CatalogHost.from_settings(worker_settings(*models, **policy))  # type: ignore[arg-type]
        registry = CollectorRegistry()
        host.metrics = CatalogMetrics(registry, lambda: list(host.slots.values()))
        await host.start()
        hosts.append(host)
        return host, registry

    yield make
    for host in hosts:
        await host.close()


async def test_first_use_loads_once_for_concurrent_requests_with_each_models_settings(make_host, variant_gguf: Path):  # type: ignore[no-untyped-def]
    host, registry = await make_host(
        entry("gemma-a", context_per_sequence=256, max_sequences=2, aliases=["a"]),
        entry("gemma-b", context_per_sequence=512, max_sequences=1),
        entry("bracket", variant_gguf),
    )
    assert all(s.state is ModelState.AVAILABLE for s in host.slots.values())
    results = await asyncio.gather(*(run(host, name) for name in ("gemma-a", "a", "gemma-a", "a")))
    assert [f.reason for f, _ in results] == [FinishReason.LENGTH] * 4
    assert [n for _, n in results] == [4] * 4
    assert (
        registry_value(registry, "helixflow_worker_model_loads_total", {"model": "gemma-a", "outcome": "loaded"}) == 1
    )
    assert host.slots["gemma-a"].state is ModelState.LOADED
    assert host.slots["gemma-b"].state is ModelState.AVAILABLE  # nothing asked for it
    await run(host, "gemma-b")
    await run(host, "bracket")
    a, b, bracket = (host.slots[m].info for m in ("gemma-a", "gemma-b", "bracket"))
    assert a is not None
    assert b is not None
    assert bracket is not None
    assert (a.context_length, a.max_concurrent_sequences) == (256, 2)
    assert (b.context_length, b.max_concurrent_sequences) == (512, 1)
    assert not a.has_chat_template
    assert bracket.has_chat_template
    async with host.lease("bracket") as engine:
        rendered = await engine.tokenize(ChatPrompt((Message("user", "hi"),)), return_pieces=False)
    assert rendered.rendered_prompt == "[user] hi\n[assistant] "
    with pytest.raises(ModelNotFound, match="gemma-a"):
        host.find("nope")


async def test_chat_template_override_from_the_settings(make_host):  # type: ignore[no-untyped-def]
    host, _ = await make_host(entry("templated", chat_template=BRACKET_TEMPLATE))
    async with host.lease("templated") as engine:
        rendered = await engine.tokenize(ChatPrompt((Message("user", "yo"),)), return_pieces=False)
    assert rendered.rendered_prompt == "[user] yo\n[assistant] "


async def test_lru_at_one_loaded_model_under_alternating_traffic_cuts_no_stream(make_host):  # type: ignore[no-untyped-def]
    host, registry = await make_host(entry("gemma-a"), entry("gemma-b", max_sequences=1), max_loaded_models=1)
    most_resident = 0

    async def watch() -> None:
        nonlocal most_resident
        while True:
            most_resident = max(most_resident, sum(s.resident for s in host.slots.values()))
            await asyncio.sleep(0.002)

    watcher = asyncio.create_task(watch())
    # Overlapping streams: each model's request arrives while the other one's stream runs.
    order = ["gemma-a", "gemma-b", "gemma-a", "gemma-b", "gemma-a"]
    tasks = []
    for model in order:
        tasks.append(asyncio.create_task(run(host, model, max_tokens=12)))
        await asyncio.sleep(0.05)
    results = await asyncio.gather(*tasks)
    watcher.cancel()
    assert [(f.reason, n) for f, n in results] == [(FinishReason.LENGTH, 12)] * len(order)
    assert most_resident == 1
    evicted = sum(
        registry_value(registry, "helixflow_worker_model_unloads_total", {"model": m, "reason": "evicted"})
        for m in ("gemma-a", "gemma-b")
    )
    assert evicted >= 1
    assert sum(s.state is ModelState.LOADED for s in host.slots.values()) == 1


async def test_a_model_with_a_stream_in_flight_is_not_evicted_under_it(make_host):  # type: ignore[no-untyped-def]
    host, _ = await make_host(entry("gemma-a"), entry("gemma-b"), max_loaded_models=1)
    await run(host, "gemma-a")
    request = GenerationRequest("long", PROMPT, SamplingOptions(temperature=0.0, max_tokens=24, ignore_eos=True))
    tokens = 0
    async with host.lease("gemma-a") as engine:
        other = asyncio.create_task(run(host, "gemma-b"))
        async for event in engine.generate(request):
            if isinstance(event, Delta):
                tokens += len(event.token_ids)
                # B waits for room: A is marked for eviction but keeps its engine meanwhile.
                assert host.slots["gemma-a"].state is ModelState.LOADED
            else:
                assert event.reason is FinishReason.LENGTH
    assert tokens == 24
    finished, _ = await other
    assert finished.reason is FinishReason.LENGTH
    assert host.slots["gemma-a"].state is ModelState.AVAILABLE


async def test_idle_models_unload_and_pinned_ones_stay(make_host):  # type: ignore[no-untyped-def]
    host, registry = await make_host(
        entry("gemma-a"), entry("gemma-pinned", pinned=True), idle_unload_s=0.3, reap_interval_s=0.05
    )
    assert host.slots["gemma-pinned"].state is ModelState.LOADED  # loaded at start
    assert host.ready()
    await run(host, "gemma-a")
    assert await wait_for(lambda: host.slots["gemma-a"].state is ModelState.AVAILABLE, within_s=60)
    assert registry_value(registry, "helixflow_worker_model_unloads_total", {"model": "gemma-a", "reason": "idle"}) == 1
    assert host.slots["gemma-pinned"].state is ModelState.LOADED
    with pytest.raises(ModelUnavailable, match="pinned"):
        await host.unload("gemma-pinned")
    await host.pin("gemma-pinned", False)
    assert await wait_for(lambda: host.slots["gemma-pinned"].state is ModelState.AVAILABLE, within_s=60)


async def test_a_corrupt_gguf_fails_alone_with_its_reason(make_host, corrupt_gguf: Path):  # type: ignore[no-untyped-def]
    host, registry = await make_host(entry("broken", corrupt_gguf), entry("gemma-a"))
    with pytest.raises(ModelUnavailable, match=r"broken.*failed to load") as failed:
        await run(host, "broken")
    slot = host.slots["broken"]
    assert slot.state is ModelState.FAILED
    assert slot.failure
    assert str(corrupt_gguf) in slot.failure
    assert slot.failure in failed.value.message
    assert registry_value(registry, "helixflow_worker_model_loads_total", {"model": "broken", "outcome": "failed"}) == 1
    finished, tokens = await run(host, "gemma-a")
    assert (finished.reason, tokens) == (FinishReason.LENGTH, 4)
    with pytest.raises(ModelUnavailable):  # still failed: no load per request
        await run(host, "broken")
    assert registry_value(registry, "helixflow_worker_model_loads_total", {"model": "broken", "outcome": "failed"}) == 1
    await host.load("broken")  # an explicit load retries
    assert registry_value(registry, "helixflow_worker_model_loads_total", {"model": "broken", "outcome": "failed"}) == 2


async def test_a_model_over_the_memory_budget_fails_with_the_budget_in_the_reason(make_host):  # type: ignore[no-untyped-def]
    host, _ = await make_host(entry("gemma-a"), memory_budget_mb=64)
    assert host.slots["gemma-a"].estimated_bytes > 64 << 20
    with pytest.raises(ModelUnavailable, match=r"does not fit.*memory_budget_mb=64"):
        await run(host, "gemma-a")
