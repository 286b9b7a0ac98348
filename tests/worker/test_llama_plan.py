"""The llama scheduler's planner, without a model: admissions, prefix reuse, batches.

Prompts are lists of ints; the planner never looks at what they mean. ``step``
stands in for the runner: it plans a batch, marks it decoded, and "samples" a
token for every row that wants logits.
"""

from __future__ import annotations

from helixflow.worker.backends.llama_plan import (
    MIN_COPY_GAIN,
    MIN_USEFUL_PREFIX,
    Admission,
    Phase,
    Planner,
    Row,
    Sequence,
    StepBudget,
    runs_of,
    ubatches,
)

SYSTEM = list(range(1000, 1200))  # a 200-token shared prefix


def planner(slots: int = 2, chunk: int = 64, n_ctx: int = 512) -> Planner[Sequence]:
    return Planner(slots, prefill_chunk=chunk, n_ctx_seq=n_ctx)


def seq(rid: str, prompt: list[int], max_new: int = 8) -> Sequence:
    return Sequence(rid, prompt, max_new)


def admit_all(plan: Planner[Sequence]) -> list[Admission[Sequence]]:
    return plan.admit_all()


def step(plan: Planner[Sequence]) -> list[Row[Sequence]]:
    rows = plan.next_batch()
    plan.decoded(rows)
    for row in rows:
        if row.logits:
            row.seq.output.append(7)
    return rows


def run_to_decoding(plan: Planner[Sequence], s: Sequence) -> None:
    while s.phase is Phase.PREFILLING:
        step(plan)


def finish(plan: Planner[Sequence], s: Sequence) -> None:
    slot = next(sl for sl in plan.slots if sl.seq is s)
    plan.release(slot, drop_kv=False)


def start(plan: Planner[Sequence], *seqs: Sequence) -> list[Admission[Sequence]]:
    for s in seqs:
        plan.enqueue(s)
    return admit_all(plan)


def decoding(plan: Planner[Sequence], *seqs: Sequence) -> None:
    """Admit ``seqs`` and prefill their prompts."""
    start(plan, *seqs)
    for s in seqs:
        run_to_decoding(plan, s)


def idle_caches(plan: Planner[Sequence], *seqs: Sequence) -> None:
    """Leave the prompts of ``seqs`` in their slots as idle caches, in this order."""
    decoding(plan, *seqs)
    for s in seqs:
        finish(plan, s)


def test_sequences_are_admitted_in_order_while_slots_are_free() -> None:
    plan = planner(slots=2)
    a, b, c = seq("a", [1, 2, 3]), seq("b", [4, 5, 6]), seq("c", [7, 8, 9])
    assert [x.seq for x in start(plan, a, b, c)] == [a, b]
    assert (a.phase, b.phase, c.phase) == (Phase.PREFILLING, Phase.PREFILLING, Phase.WAITING)
    assert list(plan.waiting) == [c]
    finish(plan, a)
    assert a.phase is Phase.FINISHED
    assert [x.seq for x in admit_all(plan)] == [c]


def test_phases_follow_the_prompt_into_the_cache() -> None:
    plan = planner(slots=1, chunk=64)
    s = seq("s", list(range(100)))
    start(plan, s)
    rows = step(plan)
    assert [(r.start, len(r.tokens), r.prompt, r.logits) for r in rows] == [(0, 64, True, False)]
    assert (s.phase, s.n_fed) == (Phase.PREFILLING, 64)
    rows = step(plan)
    assert [(r.start, len(r.tokens), r.logits) for r in rows] == [(64, 36, True)]
    assert (s.phase, s.n_fed) == (Phase.DECODING, 100)
    rows = step(plan)  # one decode row: the sampled token at the next position
    assert [(r.start, r.tokens, r.prompt, r.logits) for r in rows] == [(100, [7], False, True)]
    assert len(plan.slots[0].kv) == 101


def test_chunk_budget_is_shared_and_decode_rows_do_not_use_it() -> None:
    plan = planner(slots=3, chunk=64)
    running = seq("run", [1, 2])
    decoding(plan, running)
    a, b = seq("a", list(range(100, 150))), seq("b", list(range(200, 300)))
    start(plan, a, b)
    rows = plan.next_batch()
    prefill = [r for r in rows if r.prompt]
    assert [r.seq for r in rows if not r.prompt] == [running]
    assert sum(len(r.tokens) for r in prefill) == 64
    assert [(r.seq, len(r.tokens)) for r in prefill] == [(a, 50), (b, 14)]
    assert [r.logits for r in prefill] == [True, False]


def test_shortest_remaining_prefill_goes_first() -> None:
    plan = planner(slots=2, chunk=64)
    cold = seq("cold", list(range(500, 800)))
    start(plan, cold)
    step(plan)  # the cold prompt is mid-prefill
    short = seq("short", list(range(900, 910)))
    start(plan, short)
    rows = {r.seq.request_id: r for r in plan.next_batch()}  # the batch itself goes in slot order
    assert rows["short"].logits
    assert len(rows["short"].tokens) == 10
    assert len(rows["cold"].tokens) == 54


def test_a_prefix_held_by_an_idle_slot_is_reused_and_the_tail_trimmed() -> None:
    plan = planner(slots=2)
    first = seq("first", [*SYSTEM, 1, 2, 3])
    idle_caches(plan, first)
    again = seq("again", [*SYSTEM, 9, 9])
    (adm,) = start(plan, again)
    assert adm.slot is plan.slots[0]
    assert adm.source is None
    assert adm.trim_from == len(SYSTEM)
    assert again.cached == again.n_fed == len(SYSTEM)
    assert plan.slots[0].kv == SYSTEM
    assert (plan.prompt_tokens_seen, plan.prompt_tokens_cached) == (len(first.prompt) + len(again.prompt), 200)


def test_a_short_shared_prefix_does_not_pick_the_slot() -> None:
    plan = planner(slots=2)
    idle_caches(plan, seq("older", list(range(40))), seq("newer", list(range(100, 140))))
    # Shares MIN_USEFUL_PREFIX - 1 tokens with "newer": not worth keeping, so LRU decides.
    probe = seq("probe", [*range(100, 100 + MIN_USEFUL_PREFIX - 1), 5, 5])
    (adm,) = start(plan, probe)
    assert adm.slot is plan.slots[0]  # "older" was used least recently
    assert probe.cached == 0


def test_idle_caches_are_evicted_least_recently_used_first() -> None:
    plan = planner(slots=2)
    idle_caches(plan, seq("x", list(range(100))), seq("y", list(range(200, 300))))
    hit = seq("hit-x", [*range(100), 1])  # touches x's slot, so y's becomes the oldest
    (adm,) = start(plan, hit)
    assert adm.slot is plan.slots[0]
    assert hit.cached == 100
    run_to_decoding(plan, hit)
    finish(plan, hit)
    (adm,) = start(plan, seq("cold", list(range(5000, 5100))))
    assert adm.slot is plan.slots[1]
    assert adm.trim_from == 0
    assert plan.slots[1].kv == []


def test_a_longer_prefix_in_a_busy_slot_is_copied() -> None:
    plan = planner(slots=2)
    decoding(plan, seq("busy", [*SYSTEM, 1, 2, 3], max_new=50))
    follower = seq("follower", [*SYSTEM, 4, 5])
    (adm,) = start(plan, follower)
    assert adm.source is plan.slots[0]
    assert adm.slot is plan.slots[1]
    assert adm.trim_from == len(SYSTEM)
    assert plan.slots[1].kv == SYSTEM
    assert follower.cached == len(SYSTEM)


def test_a_busy_prefix_shorter_than_the_copy_gain_is_not_copied() -> None:
    plan = planner(slots=2)
    shared = SYSTEM[: MIN_COPY_GAIN - 1]
    decoding(plan, seq("busy", [*shared, 1, 2, 3], max_new=50))
    other = seq("other", [*shared, 4, 5])
    (adm,) = start(plan, other)
    assert adm.source is None
    assert other.cached == 0


def test_a_burst_waits_for_the_prefix_being_prefilled_then_copies_it() -> None:
    plan = planner(slots=3, chunk=64)
    lead = seq("lead", [*SYSTEM, 1])
    start(plan, lead)
    step(plan)  # lead is still prefilling the shared prefix
    tail = seq("tail", [*SYSTEM, 2])
    unrelated = seq("unrelated", list(range(7000, 7010)))
    # The sequence that shares the prefix waits; the one behind it is not held up.
    assert [a.seq for a in start(plan, tail, unrelated)] == [unrelated]
    assert tail.phase is Phase.WAITING
    run_to_decoding(plan, lead)
    (adm,) = admit_all(plan)
    assert adm.seq is tail
    assert adm.source is plan.slots[0]
    assert tail.cached == len(SYSTEM)


def test_a_failed_trim_leaves_nothing_cached() -> None:
    plan = planner(slots=1)
    idle_caches(plan, seq("first", [*SYSTEM, 1]))
    again = seq("again", [*SYSTEM, 2])
    (adm,) = start(plan, again)
    plan.trim_failed(adm)
    assert plan.slots[0].kv == []
    assert again.n_fed == again.cached == 0
    assert plan.prompt_tokens_cached == 0
    rows = plan.next_batch()
    assert [(r.start, len(r.tokens)) for r in rows] == [(0, 64)]


def test_cancel_takes_a_waiting_sequence_off_the_queue_and_returns_a_running_ones_slot() -> None:
    plan = planner(slots=1)
    running, queued = seq("running", [1, 2]), seq("queued", [3, 4])
    start(plan, running, queued)
    assert plan.cancel(queued) is None
    assert queued.phase is Phase.FINISHED
    assert not plan.waiting
    slot = plan.cancel(running)
    assert slot is plan.slots[0]
    plan.release(slot, drop_kv=True)
    assert running.phase is Phase.FINISHED
    assert slot.kv == []
    assert plan.idle()
    assert plan.cancel(running) is None  # already finished: nothing to do


def test_at_limit_counts_output_and_context() -> None:
    plan = planner(slots=1, n_ctx=8)
    s = seq("s", [1, 2, 3], max_new=100)
    start(plan, s)
    while not plan.at_limit(plan.slots[0]):
        step(plan)
    assert len(plan.slots[0].kv) == 8
    assert len(s.output) == 6


def test_waiting_sequences_are_admitted_by_priority_then_age() -> None:
    plan = planner(slots=1)
    busy = seq("busy", [1, 2, 3])
    decoding(plan, busy)
    low_old = Sequence("low-old", [4, 5, 6], 8, priority=1)
    normal = Sequence("normal", [7, 8, 9], 8, priority=2)
    high_a = Sequence("high-a", [10, 11, 12], 8, priority=3)
    high_b = Sequence("high-b", [13, 14, 15], 8, priority=3)
    for s in (low_old, normal, high_a, high_b):
        plan.enqueue(s)
    order = []
    for _ in range(4):
        assert plan.admit_next() is None  # the one slot is decoding: never preempted
        finish(plan, next(sl.seq for sl in plan.slots if sl.seq is not None))
        admission = plan.admit_next()
        assert admission is not None
        assert admission.preempted is None
        order.append(admission.seq.request_id)
        run_to_decoding(plan, admission.seq)
    assert order == ["high-a", "high-b", "normal", "low-old"]


def test_a_higher_priority_arrival_preempts_a_prefilling_sequence_never_a_decoding_one() -> None:
    plan = planner(slots=2, chunk=16)
    streaming = Sequence("streaming", [1, 2, 3], 8, priority=1)
    decoding(plan, streaming)
    step(plan)
    assert streaming.output  # it has produced a token
    long_low = Sequence("long-low", list(range(100, 300)), 8, priority=1)
    start(plan, long_low)
    step(plan)
    assert long_low.phase is Phase.PREFILLING
    assert long_low.n_fed == 16
    high = Sequence("high", [5, 6, 7], 8, priority=3)
    plan.enqueue(high)
    admission = plan.admit_next()
    assert admission is not None
    assert admission.seq is high
    assert admission.preempted is long_low
    assert admission.trim_from == 0  # the victim's prefilled tokens share nothing with the new prompt
    assert long_low.phase.value == Phase.WAITING.value  # (mypy narrowed phase above)
    assert long_low.n_fed == 0
    assert plan.preemptions == 1
    assert next(sl for sl in plan.slots if sl.seq is streaming)  # the stream kept its slot
    # Equal priority never preempts: a second HIGH waits for a slot like anyone else.
    plan.enqueue(Sequence("high-2", [8, 9], 8, priority=3))
    assert plan.admit_next() is None
    # The victim keeps its age: once a slot frees up it goes before younger LOW requests.
    plan.enqueue(Sequence("young-low", [1], 8, priority=1))
    run_to_decoding(plan, high)
    finish(plan, high)
    nxt = plan.admit_next()
    assert nxt is not None
    assert nxt.seq.request_id == "high-2"
    finish(plan, streaming)
    nxt = plan.admit_next()
    assert nxt is not None
    assert nxt.seq is long_low


def test_prefill_budget_goes_to_the_higher_priority_first() -> None:
    plan = planner(slots=2, chunk=16)
    low = Sequence("low", list(range(100, 120)), 8, priority=1)
    high = Sequence("high", list(range(200, 240)), 8, priority=3)
    start(plan, low, high)
    rows = step(plan)
    assert [(r.seq.request_id, len(r.tokens)) for r in rows] == [("high", 16)]


def test_step_budget_grows_the_prompt_budget_within_the_time_target() -> None:
    budget = StepBudget(target_s=0.25, min_tokens=64, max_tokens=512, decode_weight=2.5)
    assert budget.prompt_tokens(decoding=16) == 64  # nothing measured yet: the minimum chunk
    assert budget.prompt_tokens(decoding=0) == 512  # no stream to stall: as much as the batch holds
    for _ in range(30):  # steps cost 1 ms per weighted token
        budget.observe(prompt_tokens=100, decoding=16, seconds=0.001 * (100 + 2.5 * 16))
    # 250 ms buys 250 weighted tokens; 16 decoding rows take 40 of them.
    assert 205 <= budget.prompt_tokens(decoding=16) <= 215
    assert budget.prompt_tokens(decoding=1) == 247
    # On a faster CPU the same target buys more, up to the batch's capacity, never beyond it.
    fast = StepBudget(target_s=0.25, min_tokens=64, max_tokens=512, decode_weight=2.5)
    fast.observe(prompt_tokens=100, decoding=0, seconds=0.01)
    assert fast.prompt_tokens(decoding=4) == 512


def test_step_budget_never_starves_a_new_prompt_and_can_be_switched_off() -> None:
    budget = StepBudget(target_s=0.25, min_tokens=64, max_tokens=512, decode_weight=2.5)
    budget.observe(prompt_tokens=0, decoding=64, seconds=0.4)  # decoding alone overruns the target
    assert budget.prompt_tokens(decoding=64) == 64
    fixed = StepBudget(target_s=0.0, min_tokens=128, max_tokens=512, decode_weight=2.5)
    fixed.observe(prompt_tokens=128, decoding=0, seconds=0.001)
    assert fixed.prompt_tokens(decoding=0) == 128


def test_next_batch_takes_the_given_prompt_budget() -> None:
    plan = planner(slots=2, chunk=16)
    a, b = seq("a", list(range(100, 140))), seq("b", list(range(200, 260)))
    start(plan, a, b)
    rows = plan.next_batch(prompt_budget=100)
    assert [(r.seq.request_id, len(r.tokens)) for r in rows] == [("a", 40), ("b", 60)]


def test_ubatches_follows_how_llama_cpp_splits_a_batch_over_per_slot_streams() -> None:
    assert ubatches([(0, 1), (1, 1), (2, 1), (3, 1)]) == 1  # decoding rows in consecutive slots
    assert ubatches([(0, 1), (5, 1), (9, 1)]) == 3  # a gap in the seq ids ends a micro-batch
    assert ubatches([(1, 1), (0, 1)]) == 2  # seq ids must rise in batch order
    assert ubatches([(0, 12), (1, 12), (2, 12)]) == 1  # equal prompts: one micro-batch
    # 3 decoding rows and a 40-token prompt: one token from each, then the prompt's other 39.
    assert ubatches([(0, 1), (1, 40), (2, 1), (3, 1)]) == 2
    # Prompts of different lengths: one micro-batch per distinct length left.
    assert ubatches([(0, 10), (1, 14), (2, 20)]) == 3
    assert ubatches([]) == 0


def test_gap_fillers_join_decoding_rows_only_when_that_saves_micro_batches() -> None:
    plan = planner(slots=6, n_ctx=64)
    plan.ubatch_tokens = 6

    def row(seq_id: int, n: int) -> Row[Sequence]:
        return Row(plan.slots[seq_id], seq(str(seq_id), [1]), [5] * n, 0, prompt=n > 1, logits=True)

    decoding = [row(0, 1), row(2, 1), row(5, 1)]
    fillers = plan.gap_fillers(decoding)
    assert [s.seq_id for s in fillers] == [1, 3, 4]
    assert ubatches(runs_of(decoding)) == 3
    assert ubatches(runs_of(decoding, fillers)) == 1
    # Two prompts apart: a filler would add a micro-batch, not save one.
    assert plan.gap_fillers([row(0, 30), row(3, 20)]) == []
    # A full stream takes no filler; consecutive rows need none.
    plan.slots[1].kv[:] = [7] * 64
    assert [s.seq_id for s in plan.gap_fillers([row(0, 1), row(2, 1), row(3, 1)])] == []
    assert plan.gap_fillers([row(3, 1), row(4, 1)]) == []
    # Filling costs a token per slot: four of them are worth one micro-batch of 6, not of 3.
    plan.slots[1].kv.clear()
    assert len(plan.gap_fillers([row(0, 1), row(5, 1)])) == 4
    plan.ubatch_tokens = 3
    assert plan.gap_fillers([row(0, 1), row(5, 1)]) == []


def test_next_batch_puts_rows_in_slot_order_and_charges_each_prompt_its_micro_batch() -> None:
    plan: Planner[Sequence] = Planner(4, prefill_chunk=16, n_ctx_seq=512, ubatch_tokens=6)
    decoding = seq("dec", list(range(100, 110)))
    start(plan, decoding)
    run_to_decoding(plan, decoding)
    short_a, long_b, short_c = (
        seq("a", list(range(200, 230))),
        seq("b", list(range(300, 400))),
        seq("c", list(range(400, 420))),
    )
    start(plan, short_a, long_b, short_c)
    rows = plan.next_batch(prompt_budget=100)
    # Shortest first for the budget: c (20) pays 20 + 6, a (30) pays 30 + 6, b gets the 38 left.
    assert {r.seq.request_id: len(r.tokens) for r in rows} == {"dec": 1, "c": 20, "a": 30, "b": 38}
    assert [r.slot.seq_id for r in rows] == sorted(r.slot.seq_id for r in rows)


def test_step_budget_leaves_room_for_a_micro_batch_and_learns_without_its_cost() -> None:
    budget = StepBudget(target_s=0.25, min_tokens=16, max_tokens=512, decode_weight=2.5, ubatch_weight=6)
    for _ in range(30):  # 1 ms per weighted token: 100 prompt tokens, 16 decoding rows, 5 micro-batches
        budget.observe(prompt_tokens=100, decoding=16, seconds=0.001 * (100 + 2.5 * 16 + 6 * 5), ubatches=5)
    assert budget.unit_s is not None
    assert abs(budget.unit_s - 0.001) < 1e-6
    assert 202 <= budget.prompt_tokens(decoding=16) <= 205  # 250 - 40 - 6


def test_a_burst_waiting_for_first_tokens_stretches_the_step_target_by_its_ratio() -> None:
    budget = StepBudget(target_s=0.25, min_tokens=16, max_tokens=512, decode_weight=2.5)
    for _ in range(30):  # 1 ms per weighted token
        budget.observe(prompt_tokens=100, decoding=16, seconds=0.001 * (100 + 2.5 * 16))
    normal = budget.prompt_tokens(decoding=16)
    assert 205 <= normal <= 215
    # As many waiting for a first token as decoding, or fewer: the stall bound holds.
    assert budget.prompt_tokens(decoding=16, starting=16) == normal
    # Twice as many: twice the target (500 weighted tokens, 40 of them the decoding rows).
    assert 455 <= budget.prompt_tokens(decoding=16, starting=32) <= 465
    # One stream decoding beside fifteen new prompts: as much as the batch holds.
    assert budget.prompt_tokens(decoding=1, starting=15) == 512
    # Nothing decoding: a burst goes in at once, but a lone long prompt's chunks keep to the
    # target, so a request arriving meanwhile waits one target, not one whole batch.
    assert budget.prompt_tokens(decoding=0, starting=3) == 512
    assert 245 <= budget.prompt_tokens(decoding=0) <= 250


def test_the_finish_budget_takes_whole_prompts_but_no_longer_chunks() -> None:
    plan: Planner[Sequence] = Planner(4, prefill_chunk=16, n_ctx_seq=512, ubatch_tokens=6)
    short_a, short_b, long_c = seq("a", list(range(100, 120))), seq("b", list(range(200, 230))), seq("c", [7] * 300)
    start(plan, short_a, short_b, long_c)
    # Without it, b gets the 14 tokens a left of the budget and never reaches its first token.
    assert {r.seq.request_id: len(r.tokens) for r in plan.next_batch(prompt_budget=40)} == {"a": 20, "b": 14}
    rows = plan.next_batch(prompt_budget=40, finish_budget=200)
    # a (20 + 6) and b (30 + 6) finish within 200; c's 300 do not, and the 40 are spent.
    assert {r.seq.request_id: (len(r.tokens), r.logits) for r in rows} == {"a": (20, True), "b": (30, True)}
    # With the whole 300 within the finish budget, c goes in whole too.
    rows = plan.next_batch(prompt_budget=40, finish_budget=400)
    assert {r.seq.request_id: len(r.tokens) for r in rows} == {"a": 20, "b": 30, "c": 300}


def test_a_burst_of_cold_prompts_gets_its_slots_in_order_of_length() -> None:
    lengths = [15, 17, 15, 17, 15, 17]
    prompts = [list(range(100 * i, 100 * i + n)) for i, n in enumerate(lengths)]

    def burst_ubatches(admit: str) -> tuple[int, list[int]]:
        plan: Planner[Sequence] = Planner(6, prefill_chunk=64, n_ctx_seq=512, ubatch_tokens=6)
        for i, prompt in enumerate(prompts):
            plan.enqueue(seq(f"s{i}", prompt))
        admissions = plan.admit_all() if admit == "all" else list(iter(plan.admit_next, None))
        assert len(admissions) == 6
        rows = plan.next_batch(prompt_budget=512)
        by_slot = [len(s.seq.prompt) for s in plan.slots if s.seq is not None]
        return ubatches(runs_of(rows)), by_slot

    # In arrival order, each slot of the second length is its own micro-batch after the first.
    assert burst_ubatches("next") == (4, lengths)
    # Arranged by length over the same slots: one micro-batch per length.
    assert burst_ubatches("all") == (2, sorted(lengths))


def test_arranging_recomputes_a_short_reused_head_and_leaves_warm_prompts_in_place() -> None:
    plan: Planner[Sequence] = Planner(5, prefill_chunk=64, n_ctx_seq=512, ubatch_tokens=6)
    head = [1, 2, 3, 4, 5]  # shorter than MIN_USEFUL_PREFIX: a slot holding it is still cold
    olds = [seq(f"old-{i}", [*head, 900 + i]) for i in range(4)]
    idle_caches(plan, *olds, seq("warm", SYSTEM))
    lengths = [10, 12, 10, 12]
    burst = [seq(f"s{i}", [*head, *range(100 * i, 100 * i + n - len(head))]) for i, n in enumerate(lengths)]
    again = seq("again", [*SYSTEM, 9])
    admissions = start(plan, *burst, again)
    assert {a.seq.request_id: a.slot.seq_id for a in admissions} == {"again": 4, "s0": 0, "s2": 1, "s1": 2, "s3": 3}
    cold = [a for a in admissions if a.seq is not again]
    assert all(a.trim_from == len(head) and a.seq.cached == len(head) for a in cold)
    assert all(plan.slots[i].kv == head for i in range(4))
    assert plan.prompt_tokens_cached == 4 * len(head) + len(SYSTEM)
    rows = plan.next_batch(prompt_budget=512)
    assert ubatches(runs_of(rows)) == 3  # 10-token rows, then the two 12-token tails, and "again"'s slot


def test_a_repeated_short_prompt_finds_the_slot_holding_its_earlier_copy() -> None:
    plan: Planner[Sequence] = Planner(4, prefill_chunk=64, n_ctx_seq=512, ubatch_tokens=6)
    prompts = [list(range(100 * i, 100 * i + n)) for i, n in enumerate([15, 17, 15, 17])]
    idle_caches(plan, *(seq(f"old-{i}", p) for i, p in enumerate(prompts)))
    where = {tuple(p): next(s.seq_id for s in plan.slots if s.kv[: len(p)] == p) for p in prompts}
    # Shorter than MIN_USEFUL_PREFIX, but cached whole: neither LRU nor arranging by length
    # sends it elsewhere to prefill all of it again; only its last token runs.
    again = [seq(f"again-{i}", prompts[i]) for i in (2, 0, 3, 1)]
    admissions = start(plan, *again)
    assert all(a.slot.seq_id == where[tuple(a.seq.prompt)] for a in admissions)
    assert [s.cached for s in again] == [14, 14, 16, 16]
