"""Priority aging in the llama planner: a waiting sequence's class rises with its wait.

The planner reads time only from the clock it is given, so these tests move time by hand.
"""

from __future__ import annotations

from helixflow.worker.backends.llama_plan import Phase, Planner, Sequence

LOW, NORMAL, HIGH = 1, 2, 3
AGING_S = 30.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def planner(clock: Clock, slots: int = 1, aging_s: float = AGING_S) -> Planner[Sequence]:
    return Planner(slots, prefill_chunk=16, n_ctx_seq=512, priority_aging_s=aging_s, clock=clock)


def occupy(plan: Planner[Sequence], *seqs: Sequence) -> None:
    """Admit ``seqs`` and prefill them whole, so their slots are DECODING (never preempted)."""
    for s in seqs:
        plan.enqueue(s)
        admission = plan.admit_next()
        assert admission is not None
        assert admission.seq is s
    while any(s.phase is Phase.PREFILLING for s in seqs):
        plan.decoded(plan.next_batch())


def free_slot_and_admit(plan: Planner[Sequence]) -> str:
    slot = next(sl for sl in plan.slots if sl.seq is not None)
    plan.release(slot, drop_kv=True)
    admission = plan.admit_next()
    assert admission is not None
    return admission.seq.request_id


def test_effective_class_rises_one_per_aging_period_up_to_high() -> None:
    clock = Clock()
    plan = planner(clock)
    occupy(plan, Sequence("busy", [1, 2, 3], 8))
    low = Sequence("low", [4, 5], 8, priority=LOW)
    plan.enqueue(low)
    seen = []
    for waited in (0.0, 29.9, 30.0, 59.9, 60.0, 600.0):
        clock.now = low.enqueued_at + waited
        seen.append(plan.effective_priority(low, clock.now))
    assert seen == [LOW, LOW, NORMAL, NORMAL, HIGH, HIGH]


def test_a_low_request_that_waited_long_enough_goes_before_a_newer_high_one() -> None:
    clock = Clock()
    plan = planner(clock)
    occupy(plan, Sequence("busy", [1, 2, 3], 8))
    plan.enqueue(Sequence("low", [4, 5], 8, priority=LOW))
    clock.now += 2 * AGING_S  # LOW has now waited two periods: effectively HIGH, and older
    plan.enqueue(Sequence("high", [6, 7], 8, priority=HIGH))
    assert free_slot_and_admit(plan) == "low"


def test_a_low_request_that_waited_less_still_goes_after_a_high_one() -> None:
    clock = Clock()
    plan = planner(clock)
    occupy(plan, Sequence("busy", [1, 2, 3], 8))
    plan.enqueue(Sequence("low", [4, 5], 8, priority=LOW))
    clock.now += 2 * AGING_S - 0.1  # effectively NORMAL: still below HIGH
    plan.enqueue(Sequence("high", [6, 7], 8, priority=HIGH))
    assert free_slot_and_admit(plan) == "high"


def test_aging_zero_is_strict_priority() -> None:
    clock = Clock()
    plan = planner(clock, aging_s=0)
    occupy(plan, Sequence("busy", [1, 2, 3], 8))
    plan.enqueue(Sequence("low", [4, 5], 8, priority=LOW))
    clock.now += 3600
    plan.enqueue(Sequence("high", [6, 7], 8, priority=HIGH))
    assert free_slot_and_admit(plan) == "high"


def test_an_aged_low_request_never_preempts() -> None:
    clock = Clock()
    plan = planner(clock)
    prefilling = Sequence("normal-prefill", list(range(100, 300)), 8, priority=NORMAL)
    plan.enqueue(prefilling)
    assert plan.admit_next() is not None
    plan.decoded(plan.next_batch())
    assert prefilling.phase is Phase.PREFILLING
    low = Sequence("low", [4, 5], 8, priority=LOW)
    plan.enqueue(low)
    # As if it had been queued long before the prefill arrived (time moving on would age the
    # prefill too): effectively HIGH, but its own class is below the prefill's.
    low.enqueued_at -= 10 * AGING_S
    assert plan.effective_priority(low, clock.now) == HIGH
    assert plan.admit_next() is None
    assert plan.preemptions == 0
    # Its own class decides: a fresh HIGH does preempt the NORMAL prefill, ahead of the aged LOW.
    plan.enqueue(Sequence("high", [6, 7], 8, priority=HIGH))
    admission = plan.admit_next()
    assert admission is not None
    assert (admission.seq.request_id, admission.preempted) == ("high", prefilling)
    assert plan.preemptions == 1


def test_a_request_that_aged_to_high_is_not_preempted_by_a_high_one() -> None:
    clock = Clock()
    plan = planner(clock)
    low = Sequence("low", list(range(100, 300)), 8, priority=LOW)
    plan.enqueue(low)
    clock.now += 2 * AGING_S  # it waited (elsewhere in the queue) long enough to count as HIGH
    assert plan.admit_next() is not None
    plan.decoded(plan.next_batch())
    assert low.phase is Phase.PREFILLING
    plan.enqueue(Sequence("high", [6, 7], 8, priority=HIGH))
    assert plan.admit_next() is None  # equal effective class: the HIGH waits
    assert plan.preemptions == 0
