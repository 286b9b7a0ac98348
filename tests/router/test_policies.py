"""Routing policies on plain candidates: no network."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import grpc
import pytest

from helixflow.router.config import RouterSettings
from helixflow.router.policies import LeastLoad, PrefixAffinity, RoundRobin
from helixflow.router.pool import Worker
from helixflow.router.routing import prefix_key
from helixflow.v1 import common_pb2, inference_pb2, worker_pb2


@dataclass
class Fake:
    address: str
    load: float = 0.0

    def score(self) -> float:
        return self.load


def workers(n: int) -> list[Fake]:
    return [Fake(f"10.0.0.{i}:50061") for i in range(n)]


def test_round_robin_cycles_through_every_worker() -> None:
    ws = workers(3)
    rr = RoundRobin()
    picks = [rr.choose(ws, None).address for _ in range(6)]
    assert Counter(picks) == {w.address: 2 for w in ws}
    assert picks[:3] != [picks[0]] * 3


def test_least_load_picks_the_lowest_score() -> None:
    ws = workers(3)
    ws[0].load, ws[1].load, ws[2].load = 5, 1, 3
    assert LeastLoad().choose(ws, None) is ws[1]


def test_least_load_breaks_ties_at_random() -> None:
    ws = workers(2)
    policy = LeastLoad(random.Random(7))
    assert {policy.choose(ws, None).address for _ in range(50)} == {w.address for w in ws}


def test_prefix_affinity_is_sticky_for_the_same_key() -> None:
    ws = workers(4)
    policy = PrefixAffinity(margin=4)
    assert len({policy.choose(ws, 12345).address for _ in range(20)}) == 1


def test_prefix_affinity_spreads_distinct_keys() -> None:
    ws = workers(4)
    policy = PrefixAffinity(margin=4)
    rng = random.Random(1)
    owners = Counter(policy.choose(ws, rng.getrandbits(64)).address for _ in range(400))
    assert set(owners) == {w.address for w in ws}
    assert min(owners.values()) > 40  # no worker starved


def test_prefix_affinity_yields_to_load_beyond_the_margin() -> None:
    ws = workers(2)
    policy = PrefixAffinity(margin=2)
    preferred = policy.choose(ws, 99)
    other = next(w for w in ws if w is not preferred)
    preferred.load = 2  # within the margin: stay
    assert policy.choose(ws, 99) is preferred
    preferred.load = 3  # beyond it: go to the least loaded
    assert policy.choose(ws, 99) is other


def test_ring_moves_only_the_removed_workers_keys() -> None:
    ws = workers(4)
    policy = PrefixAffinity(margin=100)
    keys = [random.Random(3).getrandbits(64) + i for i in range(200)]
    before = {k: policy.choose(ws, k).address for k in keys}
    gone = ws.pop()
    after = {k: policy.choose(ws, k).address for k in keys}
    moved = [k for k in keys if before[k] != after[k]]
    assert all(before[k] == gone.address for k in moved)


def _chat(system: str, user: str) -> inference_pb2.GenerateRequest:
    msgs = [
        common_pb2.ChatMessage(role=common_pb2.ROLE_SYSTEM, content=system),
        common_pb2.ChatMessage(role=common_pb2.ROLE_USER, content=user),
    ]
    return inference_pb2.GenerateRequest(messages=common_pb2.ChatMessages(messages=msgs))


def test_prefix_key_groups_requests_sharing_a_long_system_prompt() -> None:
    system = "You are a careful assistant. " * 60
    a = prefix_key(_chat(system, "first question"), 256, 4)
    b = prefix_key(_chat(system, "another question"), 256, 4)
    c = prefix_key(_chat("Other rules. " * 120, "first question"), 256, 4)
    assert a is not None
    assert a == b != c


def test_prefix_key_of_prompt_text_and_empty_input() -> None:
    assert prefix_key(inference_pb2.GenerateRequest(prompt="x" * 2000 + "a"), 256, 4) == prefix_key(
        inference_pb2.GenerateRequest(prompt="x" * 2000 + "b"), 256, 4
    )
    assert prefix_key(inference_pb2.GenerateRequest(), 256, 4) is None


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELIXFLOW_ROUTER_WORKERS", "10.0.0.5:50061, 10.0.0.6:50061")
    monkeypatch.setenv("HELIXFLOW_ROUTER_POLICY", "least_load")
    monkeypatch.setenv("HELIXFLOW_ROUTER_WORKER_TLS__INSECURE", "true")
    monkeypatch.setenv("HELIXFLOW_ROUTER_MODEL_ALIASES", '{"gemma": "gemma-3-270m"}')
    s = RouterSettings()
    assert s.workers == ["10.0.0.5:50061", "10.0.0.6:50061"]
    assert s.policy == "least_load"
    assert s.worker_tls is not None
    assert s.worker_tls.insecure
    assert s.model_aliases == {"gemma": "gemma-3-270m"}
    assert s.listen == "127.0.0.1:50051"
    assert s.metrics_port == 9090


async def test_worker_score_counts_our_requests_exactly_and_only_others_from_a_report() -> None:
    channel = grpc.aio.insecure_channel("10.0.0.9:50061")  # never connects: nothing is sent
    worker = Worker("10.0.0.9:50061", channel)
    worker.acquire()
    worker.acquire()
    # The worker reports our two plus one from another router.
    worker.observe(worker_pb2.WatchLoadResponse(running=3, kv_cache_usage=0.25))
    assert worker.score() == 3.25
    # Ours finish before the next report: the old report must not keep counting them.
    worker.release()
    worker.release()
    assert worker.score() == 1.25
    await channel.close()


def test_prefix_affinity_follows_a_spilled_key_to_where_its_cache_now_is() -> None:
    ws = workers(2)
    policy = PrefixAffinity(margin=2)
    owner = policy.choose(ws, 99)
    other = next(w for w in ws if w is not owner)
    owner.load = 5  # busy: the key spills over
    assert policy.choose(ws, 99) is other
    owner.load, other.load = 0, 1  # the owner is idle again, but the prefix is cached on the other
    assert policy.choose(ws, 99) is other


def test_prefix_affinity_falls_back_to_the_ring_when_a_keys_worker_leaves() -> None:
    ws = workers(3)
    policy = PrefixAffinity(margin=2)
    owner = policy.choose(ws, 99)
    owner.load = 5
    spilled_to = policy.choose(ws, 99)
    assert spilled_to is not owner
    owner.load = 0
    remaining = [w for w in ws if w is not spilled_to]
    assert policy.choose(remaining, 99) is owner  # the ring's owner again


def test_prefix_affinity_forgets_the_least_recently_used_keys() -> None:
    ws = workers(2)
    policy = PrefixAffinity(margin=2, remembered=1)
    owner = policy.choose(ws, 99)
    other = next(w for w in ws if w is not owner)
    owner.load = 5
    assert policy.choose(ws, 99) is other  # remembered: 99 -> other
    owner.load = 0
    assert policy.choose(ws, 99) is other
    policy.choose(ws, 1)  # room for one key only: 99 is forgotten
    assert policy.choose(ws, 99) is owner


def test_prefix_affinity_bounds_how_many_new_keys_one_worker_takes() -> None:
    ws = workers(2)
    ring_owner = PrefixAffinity(margin=100).preferred
    rng = random.Random(5)
    # Ten keys that all hash to the same worker: a plain ring puts all ten there.
    keys: list[int] = []
    while len(keys) < 10:
        k = rng.getrandbits(64)
        if ring_owner(ws, k) is ws[0]:
            keys.append(k)
    policy = PrefixAffinity(margin=100)
    homes = Counter(policy.choose(ws, k).address for k in keys)
    assert homes[ws[0].address] <= 7  # ceil(1.25 * 10 / 2)
    assert homes[ws[0].address] >= 5  # still its owner's where the bound allows
    assert all(policy.choose(ws, k).address == policy.preferred(ws, k).address for k in keys)  # and sticky
