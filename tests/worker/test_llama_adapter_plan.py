"""LoRA adapters in the llama scheduler's plan, without a model: no prefix crosses an
adapter, and a step's rows split into one batch per adapter."""

from __future__ import annotations

from helixflow.worker.backends.llama_adapters import group_rows
from helixflow.worker.backends.llama_plan import MIN_COPY_GAIN, Phase, Planner, Row, Sequence

PROMPT = list(range(1000, 1300))  # 300 tokens, far above every reuse threshold


def planner(slots: int = 3) -> Planner[Sequence]:
    return Planner(slots, prefill_chunk=512, n_ctx_seq=1024)


def step(plan: Planner[Sequence]) -> list[Row[Sequence]]:
    rows = plan.next_batch()
    plan.decoded(rows)
    for row in rows:
        if row.logits:
            row.seq.output.append(7)
    return rows


def run(plan: Planner[Sequence], s: Sequence) -> None:
    plan.enqueue(s)
    assert plan.admit_next() is not None
    while s.phase is Phase.PREFILLING:
        step(plan)


def release(plan: Planner[Sequence], s: Sequence) -> None:
    plan.release(next(sl for sl in plan.slots if sl.seq is s), drop_kv=False)


def test_an_idle_cache_is_reused_only_by_its_own_adapter() -> None:
    plan = planner(slots=1)
    base = Sequence("base", PROMPT, 4)
    run(plan, base)
    release(plan, base)
    lora = Sequence("lora", PROMPT, 4, adapter="pirate")
    run(plan, lora)
    assert lora.cached == 0  # the same tokens, but their KV was computed without the adapter
    assert plan.slots[0].adapter == "pirate"
    release(plan, lora)
    again = Sequence("again", PROMPT, 4, adapter="pirate")
    run(plan, again)
    assert again.cached == len(PROMPT) - 1  # same adapter: the whole prefix is reused


def test_the_free_slot_holding_the_same_adapters_prefix_wins() -> None:
    plan = planner(slots=2)
    base, lora = Sequence("base", PROMPT, 4), Sequence("lora", PROMPT, 4, adapter="pirate")
    run(plan, base)
    run(plan, lora)
    release(plan, base)
    release(plan, lora)
    nxt = Sequence("next", [*PROMPT, 5], 4, adapter="pirate")
    plan.enqueue(nxt)
    admission = plan.admit_next()
    assert admission is not None
    assert admission.slot.adapter == "pirate"
    assert nxt.cached == len(PROMPT)


def test_no_kv_copy_from_a_busy_slot_of_another_adapter() -> None:
    plan = planner(slots=2)
    busy = Sequence("busy", PROMPT, 64)
    run(plan, busy)  # decoding, so its slot is busy
    other = Sequence("other", [*PROMPT, 9], 4, adapter="pirate")
    plan.enqueue(other)
    admission = plan.admit_next()
    assert admission is not None
    assert admission.source is None
    assert other.cached == 0
    # The same prompt under the busy slot's own adapter copies it.
    mine = Sequence("mine", [*PROMPT, 9], 4)
    plan.release(admission.slot, drop_kv=True)
    plan.enqueue(mine)
    copied = plan.admit_next()
    assert copied is not None
    assert copied.source is not None
    assert mine.cached >= MIN_COPY_GAIN


def test_a_prefill_of_another_adapter_is_not_waited_for() -> None:
    plan = Planner[Sequence](3, prefill_chunk=64, n_ctx_seq=1024)
    first = Sequence("first", PROMPT, 4)
    plan.enqueue(first)
    assert plan.admit_next() is not None
    step(plan)  # still prefilling
    assert first.phase is Phase.PREFILLING
    same = Sequence("same", [*PROMPT, 1], 4)
    lora = Sequence("lora", [*PROMPT, 2], 4, adapter="pirate")
    plan.enqueue(same)
    plan.enqueue(lora)
    admitted = plan.admit_next()
    assert admitted is not None
    assert admitted.seq is lora  # "same" waits to copy first's prefix; lora has nothing to wait for
    assert plan.admit_next() is None


def _rows(*adapters: str) -> list[Row[Sequence]]:
    plan = planner(slots=len(adapters))
    rows = []
    for i, adapter in enumerate(adapters):
        s = Sequence(f"s{i}", [i + 1], 4, adapter=adapter)
        rows.append(Row(plan.slots[i], s, [i + 1], 0, prompt=True, logits=True))
    return rows


def test_rows_group_by_adapter_with_the_current_adapter_first() -> None:
    rows = _rows("", "a", "", "b", "a")
    groups = group_rows(rows, current="a")
    assert [(adapter, [r.seq.request_id for r in group]) for adapter, group in groups] == [
        ("a", ["s1", "s4"]),
        ("", ["s0", "s2"]),
        ("b", ["s3"]),
    ]
    assert [a for a, _ in group_rows(rows, current="")] == ["", "a", "b"]
    assert [a for a, _ in group_rows(rows, current="zzz")] == ["", "a", "b"]


def test_one_adapter_is_one_group() -> None:
    rows = _rows("a", "a", "a")
    assert group_rows(rows, current="") == [("a", rows)]
