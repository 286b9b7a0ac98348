"""The llama scheduler's plan: which sequence runs where, and what the next batch holds.

Pure bookkeeping over slots and sequences, with no llama.cpp call, so every
decision is unit-testable without a model (``tests/worker/test_llama_plan.py``).
The runner (``llama_scheduler``) carries each decision out and reports back.

One context holds one KV stream per slot (seq_id = slot index). A sequence
moves through ``Phase``: WAITING in the queue, PREFILLING once it has a slot,
DECODING once its whole prompt is in the cache, FINISHED when released.

- Admission takes waiting sequences by priority, then age (``order``), into free
  slots. The priority is the effective class: with ``priority_aging_s`` set, a
  sequence's class rises by one (up to HIGH) for every that many seconds since it
  was first queued, so a steady stream of HIGH requests cannot starve a LOW one.
  When no slot is free, the waiting sequence of the highest own class may preempt
  one whose effective class is below that (so an aged LOW never preempts, and a
  long-waiting sequence is not sent back again) and that is still PREFILLING (it
  has produced no token, so nobody has seen output): the victim goes back to the
  queue with its age, and what it prefilled stays in the slot as an idle cache. A
  DECODING sequence is never preempted. Time comes from the injected ``clock``.
  The free slot sharing the longest useful prefix with the prompt wins (prefix
  reuse), else the least recently used idle cache is evicted.
- A prompt sharing a much longer prefix with a BUSY slot's tokens copies that
  slot's KV stream and trims it, instead of prefilling the prefix again. One
  whose prefix a busy slot is still prefilling waits for it (a burst sharing a
  new system prompt prefills it once), then copies.
- A batch holds one token per decoding sequence plus a prompt-token budget,
  highest priority then shortest remaining prefill first, so a cache hit is not
  stuck behind a long cold prompt. ``StepBudget`` sets that budget from time: as
  many prompt tokens as keep the step within ``target_s`` by the measured cost of
  a token, never fewer than ``prefill_chunk`` (new prompts are never starved by
  many decoding streams) nor more than the batch holds (the stall running streams
  see is bounded by ``target_s``, or by one minimum chunk when decoding alone
  fills the step). Prompts that finish in the step may also use a second, larger
  budget when more sequences wait for their first token than decode (the target
  grows by that ratio; with none decoding, as much as the batch holds): a burst
  gets its first tokens in one step, while a long prompt's chunks keep to the
  target, so short prompts finishing beside it are not held up by it.
- With one KV stream per slot, llama.cpp splits a batch into micro-batches, each a
  run of consecutive seq ids taking the same number of tokens (``ubatches``), and
  every micro-batch pays a fixed cost (a pass over the layers). So rows go in slot
  order, and each prompt row is charged ``ubatch_tokens`` against the prompt
  budget (``StepBudget`` keeps one micro-batch for the decoding rows): prompts of
  different lengths in one step cost one micro-batch each.
- KV computed under one LoRA adapter is no prefix for another: reuse, copies and
  waits only look at slots whose KV has the sequence's adapter (``llama_adapters``
  splits a batch by adapter).
"""

from __future__ import annotations

import collections
import enum
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from helixflow.worker.engine import PRIORITY_HIGH, PRIORITY_NORMAL

# A prefix shorter than this (chat-template boilerplate) does not make a slot worth keeping,
# unless it is all of the prompt (``useful_prefix``).
MIN_USEFUL_PREFIX = 32
# Copying a KV stream moves the whole stream's buffer (a few ms for small models), so
# only copy from a busy slot when that saves at least this many prompt tokens.
MIN_COPY_GAIN = 64


class Phase(enum.Enum):
    WAITING = "waiting"
    PREFILLING = "prefilling"
    DECODING = "decoding"
    FINISHED = "finished"


@dataclass(eq=False, slots=True)
class Sequence:
    """What the plan knows of one request."""

    request_id: str
    prompt: list[int]
    max_new: int
    priority: int = PRIORITY_NORMAL  # higher runs first
    order: int = 0  # enqueue counter, set once: a preempted sequence keeps its age
    enqueued_at: float = 0.0  # the planner's clock when first queued (aging counts from here)
    phase: Phase = Phase.WAITING
    n_fed: int = 0  # prompt tokens whose KV is in the cache
    cached: int = 0  # of those, how many came from prefix reuse
    output: list[int] = field(default_factory=list)
    adapter: str = ""  # LoRA adapter id; "" = the base model


S = TypeVar("S", bound=Sequence)


@dataclass(eq=False, slots=True)
class Slot(Generic[S]):
    seq_id: int
    kv: list[int] = field(default_factory=list)  # tokens held in this slot's KV, by position
    seq: S | None = None
    last_used: int = 0  # admission counter; 0 = empty. The least recently used idle cache goes first.
    adapter: str = ""  # the LoRA adapter its KV was computed with


def kv_for(slot: Slot[S], adapter: str) -> list[int]:
    """The slot's cached tokens as a prefix for a sequence under ``adapter``."""
    return slot.kv if slot.adapter == adapter else []


@dataclass(frozen=True, slots=True)
class Admission(Generic[S]):
    """Place ``seq`` in ``slot``: first copy ``source``'s KV stream when set, then drop
    the slot's positions from ``trim_from`` on when set."""

    seq: S
    slot: Slot[S]
    source: Slot[S] | None
    trim_from: int | None
    preempted: S | None = None  # the prefilling sequence sent back to the queue for this one


@dataclass(frozen=True, slots=True)
class Row(Generic[S]):
    """Consecutive tokens of one sequence in the next batch, from position ``start``."""

    slot: Slot[S]
    seq: S
    tokens: list[int]
    start: int
    prompt: bool  # prompt tokens (prefill) or the last sampled token (decode)
    logits: bool  # whether the last token's logits are sampled


def ubatches(runs: Iterable[tuple[int, int]]) -> int:
    """How many micro-batches llama.cpp makes of a batch of ``runs`` (seq id, token
    count), in batch order, when each slot has its own KV stream
    (``llama_batch_allocr::split_equal``, sequential): scanning the batch in order, a
    micro-batch takes the next sequences whose seq ids follow one another, and the
    same number of tokens (the fewest any of them has left) from each."""
    left = [[seq_id, count] for seq_id, count in runs if count]
    made = 0
    while left:
        run: list[list[int]] = []
        for entry in left:
            if not run or entry[0] == run[-1][0] + 1:
                run.append(entry)
        take = min(entry[1] for entry in run)
        for entry in run:
            entry[1] -= take
        left = [entry for entry in left if entry[1]]
        made += 1
    return made


def runs_of(rows: list[Row[S]], fillers: list[Slot[S]] | None = None) -> list[tuple[int, int]]:
    """The (seq id, token count) layout of ``rows`` plus one token per filler, by seq id."""
    return sorted([(r.slot.seq_id, len(r.tokens)) for r in rows] + [(s.seq_id, 1) for s in fillers or []])


def useful_prefix(shared: int, prompt: list[int]) -> bool:
    """Whether ``shared`` cached tokens make a slot worth picking for ``prompt``: a long
    prefix, or a short prompt cached whole (a repeated short request runs one token)."""
    return shared >= min(MIN_USEFUL_PREFIX, len(prompt) - 1)


def common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    # Whole blocks by slice comparison (C speed), then token by token: admission compares
    # the prompt with every slot's cache, in the decode thread.
    while i + 64 <= n and a[i : i + 64] == b[i : i + 64]:
        i += 64
    while i < n and a[i] == b[i]:
        i += 1
    return i


class StepBudget:
    """How many prompt tokens the next step may carry, from a time budget per step.

    A step's time is modelled as
    ``unit_s * (prompt_tokens + decode_weight * decoding + ubatch_weight * ubatches)``:
    a decoding row costs more than a prompt token (it runs the output layer over the
    whole vocabulary), ``decode_weight`` says how much, and each micro-batch costs
    ``ubatch_weight`` tokens more (``bench/step_cost.py``). The unit cost is a moving
    average of what steps took, so the budget follows the CPU and its load instead of
    a fixed token count. The budget returned leaves room for one micro-batch (the
    decoding rows'); the planner charges one per prompt row.
    """

    def __init__(
        self, *, target_s: float, min_tokens: int, max_tokens: int, decode_weight: float, ubatch_weight: float = 0.0
    ) -> None:
        self.target_s = target_s
        self.min_tokens = min_tokens
        self.max_tokens = max(min_tokens, max_tokens)
        self.decode_weight = decode_weight
        self.ubatch_weight = ubatch_weight
        self.unit_s: float | None = None  # seconds per weighted token, once a step was seen

    def prompt_tokens(self, decoding: int, starting: int = 0) -> int:
        """The prompt tokens of a step beside ``decoding`` streams. With ``starting``
        (sequences waiting for their first token) above ``decoding``, the step's target
        grows by their ratio: each second more stalls ``decoding`` streams once, but a
        prompt left out waits a whole step, so a burst's first tokens come sooner in total
        when it goes in at once (the planner spends this only on prompts that finish)."""
        if self.target_s <= 0:
            return self.min_tokens
        if starting and not decoding:  # no stream to stall: a burst of prompts goes in one step
            return self.max_tokens
        if self.unit_s is None:
            return self.max_tokens if not decoding else self.min_tokens
        target_s = self.target_s * max(1.0, starting / decoding) if decoding else self.target_s
        room = target_s / self.unit_s - self.decode_weight * decoding - self.ubatch_weight
        return max(self.min_tokens, min(self.max_tokens, int(room)))

    def observe(self, prompt_tokens: int, decoding: int, seconds: float, ubatches: int = 1) -> None:
        units = prompt_tokens + self.decode_weight * decoding + self.ubatch_weight * ubatches
        if units < 8:  # a tiny step is mostly fixed overhead: it says little about the unit cost
            return
        unit = seconds / units
        self.unit_s = unit if self.unit_s is None else 0.8 * self.unit_s + 0.2 * unit


class Planner(Generic[S]):
    """The slots and the waiting queue. Owned by one thread (the decode thread)."""

    def __init__(
        self,
        n_slots: int,
        *,
        prefill_chunk: int,
        n_ctx_seq: int,
        priority_aging_s: float = 0.0,
        ubatch_tokens: int = 0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.slots: list[Slot[S]] = [Slot(i) for i in range(n_slots)]
        self.waiting: collections.deque[S] = collections.deque()
        self.prefill_chunk = prefill_chunk
        self.ubatch_tokens = ubatch_tokens  # what one more micro-batch costs, in prompt tokens
        self.n_ctx_seq = n_ctx_seq
        self.priority_aging_s = priority_aging_s  # 0 = strict priority
        self._clock = clock
        self.prompt_tokens_seen = 0
        self.prompt_tokens_cached = 0
        self.preemptions = 0
        self._admissions = 0
        self._enqueued = 0

    # ---- state ------------------------------------------------------------------------

    def idle(self) -> bool:
        return not self.waiting and all(s.seq is None for s in self.slots)

    def busy(self) -> list[Slot[S]]:
        return [s for s in self.slots if s.seq is not None]

    def at_limit(self, slot: Slot[S]) -> bool:
        """Whether the slot's sequence has all the tokens it may have."""
        seq = slot.seq
        return seq is not None and (len(seq.output) >= seq.max_new or len(slot.kv) >= self.n_ctx_seq)

    # ---- admission --------------------------------------------------------------------

    def enqueue(self, seq: S) -> None:
        seq.phase = Phase.WAITING
        if not seq.order:
            self._enqueued += 1
            seq.order = self._enqueued
            seq.enqueued_at = self._clock()
        self.waiting.append(seq)

    def effective_priority(self, seq: S, now: float) -> int:
        """``seq``'s class raised by one per ``priority_aging_s`` it has waited, up to HIGH."""
        if self.priority_aging_s <= 0 or seq.priority >= PRIORITY_HIGH:
            return seq.priority
        steps = int((now - seq.enqueued_at) / self.priority_aging_s)
        return min(PRIORITY_HIGH, seq.priority + steps)

    def _next_waiting(self, *, aged: bool) -> S | None:
        """The waiting sequence that goes next: highest (effective when ``aged``) class, then oldest."""
        ready = [w for w in self.waiting if not self._prefix_in_flight(w.prompt, w.adapter)]
        now = self._clock()
        rank = (lambda w: self.effective_priority(w, now)) if aged else (lambda w: w.priority)
        return min(ready, key=lambda w: (-rank(w), w.order), default=None)

    def _victim(self, priority: int) -> Slot[S] | None:
        """The slot of the lowest-priority, youngest PREFILLING sequence whose effective
        class is below ``priority``."""
        now = self._clock()
        slots = [
            s
            for s in self.slots
            if s.seq is not None and s.seq.phase is Phase.PREFILLING and self.effective_priority(s.seq, now) < priority
        ]
        return min(
            slots, key=lambda s: (self.effective_priority(s.seq, now), -s.seq.order) if s.seq else (0, 0), default=None
        )

    def admit_next(self) -> Admission[S] | None:
        """Place the next waiting sequence that may run now, or None."""
        if not self.waiting:
            return None
        free = [s for s in self.slots if s.seq is None]
        if not free and not any(s.seq is not None and s.seq.phase is Phase.PREFILLING for s in self.slots):
            return None  # the usual full house: every slot decodes, nothing can be preempted
        # A free slot goes by effective class. Preemption goes by own class: the waiting
        # sequence of the highest one is the only one that might find a victim.
        seq = self._next_waiting(aged=bool(free))
        if seq is None:
            return None
        preempted: S | None = None
        if not free:
            victim = self._victim(seq.priority)
            if victim is None:
                return None
            preempted = self._preempt(victim)
            free = [victim]
        self.waiting.remove(seq)
        slot, shared = self._pick_slot(free, seq.prompt, seq.adapter)
        self._admissions += 1
        slot.last_used = self._admissions
        reuse = min(shared, len(seq.prompt) - 1)  # at least one token must run to get logits
        source, take = self._copy_source(slot, seq.prompt, reuse, seq.adapter)
        trim_from: int | None = None
        if source is not None:
            slot.kv[:] = source.kv[:take]
            trim_from = take
        elif reuse < len(slot.kv):
            del slot.kv[reuse:]
            trim_from = reuse
        seq.n_fed = seq.cached = len(slot.kv)
        seq.phase = Phase.PREFILLING
        slot.adapter = seq.adapter
        slot.seq = seq
        self.prompt_tokens_seen += len(seq.prompt)
        self.prompt_tokens_cached += seq.cached
        return Admission(seq, slot, source, trim_from, preempted)

    def admit_all(self) -> list[Admission[S]]:
        """Every admission that may run now (``admit_next`` until None), with the cold ones
        arranged over their slots (``_arrange``)."""
        admissions = []
        while (admission := self.admit_next()) is not None:
            admissions.append(admission)
        return self._arrange(admissions)

    def _arrange(self, admissions: list[Admission[S]]) -> list[Admission[S]]:
        """Give the cold prompts among ``admissions`` (no copy, no ``useful_prefix``) their
        slots again, in ascending seq id by what is left to prefill, when the planner's cost
        model says that is cheaper (``next_batch`` feeds by class first, so the slots only
        decide how the fed rows split into micro-batches). A micro-batch takes the same
        number of tokens from a run of consecutive seq ids (``ubatches``), so a cold burst of
        prompts of a few lengths then makes that few micro-batches instead of one per change
        of length along the slots. A prompt may share less with its new slot's KV than with
        the one admission picked (a chat template's head), so the reuse is recomputed for
        each new pair and counted in the cost."""
        movable = [a for a in admissions if a.source is None and not useful_prefix(a.seq.cached, a.seq.prompt)]
        if len(movable) < 2 or self.ubatch_tokens <= 0:
            return admissions
        seqs = sorted((a.seq for a in movable), key=lambda s: (len(s.prompt) - s.cached, s.order))
        slots = sorted((a.slot for a in movable), key=lambda s: s.seq_id)
        pairs = list(zip(slots, seqs, strict=True))
        reuse = [self._reuse(slot, seq) for slot, seq in pairs]
        if self._prefill_cost(pairs, reuse) >= self._prefill_cost(
            [(a.slot, a.seq) for a in movable], [a.seq.cached for a in movable]
        ):
            return admissions
        trims = {a.slot.seq_id: a.trim_from for a in movable}
        preempted = {id(a.seq): a.preempted for a in movable}
        arranged: list[Admission[S]] = []
        for (slot, seq), kept in zip(pairs, reuse, strict=True):
            trim_from = trims[slot.seq_id]
            if kept < len(slot.kv):  # the runner has not trimmed yet: cut the slot's KV shorter
                del slot.kv[kept:]
                trim_from = kept
            self.prompt_tokens_cached += kept - seq.cached
            seq.n_fed = seq.cached = kept
            slot.seq, slot.adapter = seq, seq.adapter
            arranged.append(Admission(seq, slot, None, trim_from, preempted[id(seq)]))
        moved = {id(a) for a in movable}
        return [a for a in admissions if id(a) not in moved] + arranged

    @staticmethod
    def _reuse(slot: Slot[S], seq: S) -> int:
        """How much of ``seq``'s prompt the slot's KV holds (one token always runs, for logits)."""
        return min(common_prefix(kv_for(slot, seq.adapter), seq.prompt), len(seq.prompt) - 1)

    def _prefill_cost(self, pairs: list[tuple[Slot[S], S]], reuse: list[int]) -> int:
        """The prompt tokens left to prefill, plus the micro-batches they make, in tokens."""
        runs = sorted((slot.seq_id, len(seq.prompt) - kept) for (slot, seq), kept in zip(pairs, reuse, strict=True))
        return sum(n for _, n in runs) + self.ubatch_tokens * ubatches(runs)

    def _preempt(self, slot: Slot[S]) -> S:
        """Send a prefilling sequence back to the queue; its fed prompt stays as a cache."""
        seq = slot.seq
        assert seq is not None
        assert seq.phase is Phase.PREFILLING
        slot.seq = None
        self.prompt_tokens_seen -= len(seq.prompt)
        self.prompt_tokens_cached -= seq.cached
        seq.n_fed = seq.cached = 0
        self.preemptions += 1
        self.enqueue(seq)
        return seq

    def trim_failed(self, admission: Admission[S]) -> None:
        """The runner could not drop part of the slot's KV, so it dropped all of it."""
        seq, slot = admission.seq, admission.slot
        slot.kv.clear()
        self.prompt_tokens_cached -= seq.cached
        seq.n_fed = seq.cached = 0

    def _prefix_in_flight(self, prompt: list[int], adapter: str) -> bool:
        """Whether a sequence still prefilling will soon hold a much longer prefix of
        ``prompt`` than any cache holds now. Such a request waits and then copies it,
        instead of prefilling the same tokens alongside (a burst of requests sharing a
        new system prompt); the source is running, so the wait is short and bounded."""
        prefilling = [
            s.seq.prompt
            for s in self.slots
            if s.seq is not None and s.seq.phase is Phase.PREFILLING and s.seq.adapter == adapter
        ]
        coming = max((min(common_prefix(p, prompt), len(prompt) - 1) for p in prefilling), default=0)
        if coming < MIN_COPY_GAIN:  # the usual case, decided without scanning the caches
            return False
        have = max(common_prefix(kv_for(s, adapter), prompt) for s in self.slots)
        return coming - have >= MIN_COPY_GAIN

    @staticmethod
    def _pick_slot(free: list[Slot[S]], prompt: list[int], adapter: str) -> tuple[Slot[S], int]:
        """The idle slot sharing the longest useful prefix (``useful_prefix``), else the least
        recently used one."""
        shares = [(s, common_prefix(kv_for(s, adapter), prompt)) for s in free]
        return max(shares, key=lambda p: (p[1] if useful_prefix(p[1], prompt) else 0, -p[0].last_used))

    def _copy_source(self, slot: Slot[S], prompt: list[int], reuse: int, adapter: str) -> tuple[Slot[S] | None, int]:
        """A busy slot whose tokens beat ``reuse`` by enough, and how many of them to take."""
        best, shared = None, reuse
        for other in self.slots:
            if other.seq is not None and other is not slot and other.adapter == adapter and len(other.kv) > shared:
                n = common_prefix(other.kv, prompt)
                if n > shared:
                    best, shared = other, n
        take = min(shared, len(prompt) - 1)
        if best is None or take - reuse < MIN_COPY_GAIN:
            return None, 0
        return best, take

    # ---- the batch ----------------------------------------------------------------------

    def gap_fillers(self, rows: list[Row[S]]) -> list[Slot[S]]:
        """The slots without a row between the batch's first and last seq id that should get
        a throwaway token (the runner removes it from the KV right after the step), when
        that joins micro-batches: decoding slots 0, 2 and 5 are three micro-batches, but one
        with a token for 1, 3 and 4. A filler costs about a prompt token, a micro-batch
        ``ubatch_tokens``. A slot whose stream is full gets none."""
        present = {row.slot.seq_id for row in rows}
        if len(present) < 2:
            return []
        fillers = [
            s for s in self.slots[min(present) : max(present)] if s.seq_id not in present and len(s.kv) < self.n_ctx_seq
        ]
        if not fillers:  # the usual case: the rows' slots are consecutive
            return []
        saved = ubatches(runs_of(rows)) - ubatches(runs_of(rows, fillers))
        return fillers if saved * self.ubatch_tokens > len(fillers) else []

    def decoding(self) -> int:
        return sum(1 for s in self.slots if s.seq is not None and s.seq.phase is Phase.DECODING)

    def prefilling(self) -> int:
        return sum(1 for s in self.slots if s.seq is not None and s.seq.phase is Phase.PREFILLING)

    def next_batch(self, prompt_budget: int | None = None, finish_budget: int | None = None) -> list[Row[S]]:
        """One token per decoding sequence, then prompt chunks within ``prompt_budget``
        tokens (default ``prefill_chunk``). A prompt whose rest fits ``finish_budget``
        (at least ``prompt_budget``; both count every prompt row) goes in whole: the extra
        time a burst gets buys first tokens, never a longer chunk of a long prompt that
        would hold up the short ones finishing beside it."""
        rows: list[Row[S]] = []
        prefilling: list[tuple[Slot[S], S]] = []
        for slot in self.slots:
            seq = slot.seq
            if seq is None:
                continue
            if seq.phase is Phase.DECODING:
                rows.append(Row(slot, seq, [seq.output[-1]], len(slot.kv), prompt=False, logits=True))
            else:
                prefilling.append((slot, seq))
        # Higher (effective) class first, then shortest remaining prefill: a cache hit's short
        # tail reaches its first token in the next step instead of waiting behind a cold prompt.
        now = self._clock()
        prefilling.sort(key=lambda p: (-self.effective_priority(p[1], now), len(p[1].prompt) - p[1].n_fed))
        budget = self.prefill_chunk if prompt_budget is None else prompt_budget
        finish = max(budget, finish_budget or 0)
        for slot, seq in prefilling:
            if finish <= 0:
                break
            start = seq.n_fed
            left = len(seq.prompt) - start
            take = left if left <= finish else min(left, budget)
            if take <= 0:
                continue
            rows.append(Row(slot, seq, seq.prompt[start : start + take], start, prompt=True, logits=take == left))
            cost = take + self.ubatch_tokens  # prompts of different lengths: one micro-batch each
            budget -= cost
            finish -= cost
        rows.sort(key=lambda row: row.slot.seq_id)  # consecutive seq ids share a micro-batch
        return rows

    def decoded(self, rows: list[Row[S]]) -> None:
        """The batch ran: its tokens are in the cache."""
        for row in rows:
            row.slot.kv.extend(row.tokens)
            if row.prompt and row.slot.seq is row.seq:
                row.seq.n_fed += len(row.tokens)
                if row.seq.n_fed == len(row.seq.prompt):
                    row.seq.phase = Phase.DECODING

    # ---- the end ------------------------------------------------------------------------

    def cancel(self, seq: S) -> Slot[S] | None:
        """Take a cancelled sequence out of the plan. Returns the slot it held, which the
        runner must release; None when it was still waiting (now FINISHED) or already done."""
        if seq.phase is Phase.WAITING:
            self.waiting.remove(seq)
            seq.phase = Phase.FINISHED
            return None
        return next((s for s in self.slots if s.seq is seq), None)

    def release(self, slot: Slot[S], *, drop_kv: bool) -> S:
        """Free the slot. Its KV stays as a cache for a later prompt unless ``drop_kv``."""
        seq = slot.seq
        assert seq is not None
        slot.seq = None
        seq.phase = Phase.FINISHED
        if drop_kv:
            slot.kv.clear()
            slot.last_used = 0
        return seq
