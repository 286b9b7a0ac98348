"""Continuous batching over llama.cpp's low-level API: the runner.

``llama_plan.Planner`` decides what runs (admissions, prefix copies, trims,
the rows of each batch); this module carries that out with llama.cpp calls in
one decode thread and streams events back to asyncio.

Each turn of the decode loop: take new and cancelled requests (under the
lock), release the cancelled, sample the rows the last decode produced, post
their events (once per event loop, via ``call_soon_threadsafe``), admit
waiting requests, then pack the planned rows into ONE ``llama_decode`` (one per
LoRA adapter in the step: see ``llama_adapters``).

The lock guards only what the asyncio side shares with the decode thread: the
live table, the inbox of new requests, the cancellations, and a snapshot of
the load. The planner's slots belong to the decode thread alone, and no
llama.cpp call runs under the lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import llama_cpp
import numpy as np

from helixflow.worker.admission import LiveRequests
from helixflow.worker.backends.llama_adapters import LoraAdapters, group_rows
from helixflow.worker.backends.llama_config import DECODE_ROW_WEIGHT, UBATCH_WEIGHT, LlamaEngineConfig
from helixflow.worker.backends.llama_logprobs import token_logprob
from helixflow.worker.backends.llama_model import LlamaModel
from helixflow.worker.backends.llama_plan import (
    Phase,
    Planner,
    Row,
    Sequence,
    Slot,
    StepBudget,
    runs_of,
    ubatches,
)
from helixflow.worker.backends.llama_sampling import SamplerChain
from helixflow.worker.backends.stops import TextAssembler
from helixflow.worker.engine import (
    Delta,
    Event,
    Finished,
    FinishReason,
    LoadReport,
    SamplingOptions,
    Timings,
    Usage,
)

log = logging.getLogger(__name__)


@dataclass(eq=False, slots=True, kw_only=True)
class Job(Sequence):
    """One request as the runner sees it: the plan's sequence plus how to sample and stream it."""

    sampling: SamplingOptions
    chain: SamplerChain  # owned by the job from submit() on; freed exactly when it ends
    assembler: TextAssembler
    ends: frozenset[int]  # token ids that end this sequence: its stop ids, plus EOS unless ignored
    submitted: float = field(default_factory=time.perf_counter)
    admitted: float = 0.0
    first_token_at: float = 0.0
    notify_cancel: bool = True
    handle: SequenceHandle | None = None


class SequenceHandle:
    """What ``Scheduler.submit`` returns: the caller's end of one job, on its event loop."""

    __slots__ = ("_job", "_scheduler", "loop", "queue")

    def __init__(self, scheduler: Scheduler, job: Job, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduler = scheduler
        self._job = job
        self.loop = loop
        self.queue: asyncio.Queue[list[Event]] = asyncio.Queue()

    async def events(self) -> AsyncGenerator[Event, None]:
        """Deltas, then one Finished. Leaving early cancels the job at the next step."""
        done = False
        try:
            while not done:
                for event in await self.queue.get():
                    done = isinstance(event, Finished)
                    yield event
        finally:
            if not done:
                self._scheduler.cancel(self._job, notify=False)


Outbox = list[tuple[Job, list[Event]]]
Sampled = list[tuple[Job, Slot[Job], int]]  # (job, its slot, batch row with logits)


@dataclass(frozen=True, slots=True)
class _Snapshot:
    busy: tuple[tuple[Job, int], ...] = ()  # (job in a slot, tokens in its KV)
    prompt_tokens_seen: int = 0
    prompt_tokens_cached: int = 0
    preemptions: int = 0


def context_params(config: LlamaEngineConfig, batch_size: int) -> Any:
    """The generation context: one KV stream per slot (``kv_unified`` off), so attention
    reads only a sequence's own cells; the price is that llama.cpp splits a batch into
    micro-batches (``llama_plan.ubatches``)."""
    params = llama_cpp.llama_context_default_params()
    params.n_ctx = config.n_ctx_per_seq * config.max_sequences
    params.n_seq_max = config.max_sequences
    params.n_batch = batch_size
    params.n_ubatch = batch_size
    params.n_threads = config.n_threads
    params.n_threads_batch = config.n_threads
    params.no_perf = True
    params.swa_full = True  # keeps partial seq_rm (prefix reuse) valid for sliding-window models
    params.kv_unified = False  # one stream for all: 3.5x slower decode steps at 64 x 300 tokens
    return params


class Scheduler:
    def __init__(self, model: LlamaModel, config: LlamaEngineConfig, adapters: LoraAdapters | None = None) -> None:
        self._model = model
        self._adapters = adapters
        n = config.max_sequences
        prefill_max = max(config.prefill_chunk, config.prefill_max) if config.step_budget_ms else config.prefill_chunk
        self.batch_size = prefill_max + n
        self._ctx: Any = llama_cpp.llama_init_from_model(model.ptr, context_params(config, self.batch_size))
        if not self._ctx:
            raise RuntimeError("llama_init_from_model failed for the generation context")
        self._mem: Any = llama_cpp.llama_get_memory(self._ctx)
        # A filler token is removed again with a partial seq_rm, which a recurrent state cannot undo.
        self._fill_gaps = not (
            llama_cpp.llama_model_is_recurrent(model.ptr) or llama_cpp.llama_model_is_hybrid(model.ptr)
        )
        self.filler_tokens = 0  # how many were decoded and removed, for tests and debugging
        self.n_ctx_seq = int(llama_cpp.llama_n_ctx_seq(self._ctx))
        self._batch: Any = llama_cpp.llama_batch_init(self.batch_size, 0, 1)
        # The decode thread's own state.
        self._plan: Planner[Job] = Planner(
            n,
            prefill_chunk=config.prefill_chunk,
            n_ctx_seq=self.n_ctx_seq,
            priority_aging_s=config.priority_aging_s,
            ubatch_tokens=UBATCH_WEIGHT,
        )
        self._budget = StepBudget(
            target_s=config.step_budget_ms / 1000,
            min_tokens=config.prefill_chunk,
            max_tokens=prefill_max,
            decode_weight=DECODE_ROW_WEIGHT,
            ubatch_weight=UBATCH_WEIGHT,
        )
        self._outbox: Outbox = []
        # Shared with the asyncio side: only under _cond.
        self._cond = threading.Condition()
        self._live: LiveRequests[Job] = LiveRequests(n, config.max_waiting, config.queue_shares)
        self._inbox: list[Job] = []
        self._cancels: list[Job] = []
        self._stopping = False
        self._snapshot = _Snapshot()
        self._recent_total_s = 1.0  # moving average of request time, for Retry-After
        self._thread = threading.Thread(target=self._run, name="llama-decode", daemon=True)
        self._thread.start()

    # ---- called from the asyncio side -------------------------------------------------

    def submit(self, job: Job) -> SequenceHandle:
        """Queue ``job``, or raise Draining / InvalidArgument (id in use) / QueueFull.
        On success the job owns its sampler chain; on an error the caller still does."""
        handle = SequenceHandle(self, job, asyncio.get_running_loop())
        job.handle = handle
        with self._cond:
            waiting, _, _ = self._counts_locked()
            retry = max(0.5, self._recent_total_s * (1 + waiting) / len(self._plan.slots))
            self._live.admit(job.request_id, job, priority=job.priority, retry_after_s=retry)
            self._inbox.append(job)
            self._cond.notify()
        return handle

    def abort(self, request_id: str, *, notify: bool) -> bool:
        """Cancel the live request with this id; False when there is none."""
        with self._cond:
            job = self._live.get(request_id)
        return job is not None and self.cancel(job, notify=notify)

    def cancel(self, job: Job, *, notify: bool) -> bool:
        """Cancel ``job`` if it is still live (not the retry that reuses its id)."""
        with self._cond:
            if self._live.get(job.request_id) is not job:
                return False
            self._live.remove(job.request_id, job)
            job.notify_cancel = notify
            queued = job in self._inbox
            if queued:
                self._inbox.remove(job)
            else:  # the decode thread releases it at the next step
                self._cancels.append(job)
                self._cond.notify()
        if queued:  # never reached the decode thread: end it here
            job.phase = Phase.FINISHED
            job.chain.free()
            if notify:
                self._post([(job, [self._finished(job, FinishReason.CANCELLED)])])
        return True

    def running(self) -> bool:
        """Whether the decode thread still runs (it ends only on close or an unexpected error)."""
        return self._thread.is_alive()

    def load(self) -> LoadReport:
        with self._cond:
            waiting, running, kv_tokens = self._counts_locked()
            snap = self._snapshot
        seen = snap.prompt_tokens_seen
        hit = snap.prompt_tokens_cached / seen if seen else 0.0
        n = len(self._plan.slots)
        return LoadReport(waiting, running, n, kv_tokens / (self.n_ctx_seq * n), hit, snap.preemptions)

    def close(self) -> None:
        with self._cond:
            self._stopping = self._live.draining = True
            self._cond.notify()
        self._thread.join()
        with self._cond:
            live = self._live.clear()
            jobs = {id(j): j for j in [*live, *self._inbox, *self._cancels]}
            self._inbox.clear()
            self._cancels.clear()
        jobs.update((id(j), j) for j in self._plan.waiting)
        jobs.update((id(s.seq), s.seq) for s in self._plan.busy() if s.seq is not None)
        for job in jobs.values():
            job.chain.free()
        self._post([(job, [self._finished(job, FinishReason.CANCELLED)]) for job in live])
        llama_cpp.llama_batch_free(self._batch)
        llama_cpp.llama_free(self._ctx)

    def _counts_locked(self) -> tuple[int, int, int]:
        """(waiting, running, KV tokens of the running) from the live table and the snapshot."""
        busy = [(job, kv) for job, kv in self._snapshot.busy if self._live.get(job.request_id) is job]
        return len(self._live) - len(busy), len(busy), sum(kv for _, kv in busy)

    # ---- the decode thread ----------------------------------------------------------------

    def _run(self) -> None:
        sampled: Sampled = []
        plan = self._plan
        while True:
            snapshot = _Snapshot(
                tuple((s.seq, len(s.kv)) for s in plan.busy() if s.seq is not None),
                plan.prompt_tokens_seen,
                plan.prompt_tokens_cached,
                plan.preemptions,
            )
            with self._cond:
                self._snapshot = snapshot
                while not self._stopping and not self._inbox and not self._cancels and plan.idle():
                    self._cond.wait()
                if self._stopping:
                    return
                inbox, self._inbox = self._inbox, []
                cancels, self._cancels = self._cancels, []
            for job in inbox:
                plan.enqueue(job)
            try:
                for job in cancels:
                    self._drop(job)
                self._sample(sampled)
                self._flush_outbox()
                self._admit()
                sampled = self._decode()
            except Exception:
                log.exception("decode step failed; failing the running sequences")
                sampled = []
                for slot in plan.busy():
                    self._finish(slot, FinishReason.ERROR, drop_kv=True)
            self._flush_outbox()

    def _drop(self, job: Job) -> None:
        """Apply a cancellation: free the job's slot and KV, or take it off the queue."""
        was_waiting = job.phase is Phase.WAITING
        slot = self._plan.cancel(job)
        if slot is not None:
            self._finish(slot, FinishReason.CANCELLED, drop_kv=True, notify=job.notify_cancel)
        elif was_waiting:
            job.chain.free()
            if job.notify_cancel:
                self._outbox.append((job, [self._finished(job, FinishReason.CANCELLED)]))

    def _admit(self) -> None:
        for admission in self._plan.admit_all():
            admission.seq.admitted = time.perf_counter()
            if admission.preempted is not None:  # back in the queue: its KV stays as an idle cache
                admission.preempted.admitted = 0.0
                log.debug("%s preempted %s", admission.seq.request_id, admission.preempted.request_id)
            dst = admission.slot.seq_id
            if admission.source is not None:  # each slot has its own stream: copy it whole, then trim
                llama_cpp.llama_memory_seq_rm(self._mem, dst, -1, -1)
                llama_cpp.llama_memory_seq_cp(self._mem, admission.source.seq_id, dst, -1, -1)
            trim = admission.trim_from
            if trim is not None and not llama_cpp.llama_memory_seq_rm(self._mem, dst, trim, -1):
                llama_cpp.llama_memory_seq_rm(self._mem, dst, -1, -1)
                self._plan.trim_failed(admission)

    def _decode(self) -> Sampled:
        """Run the planned rows as one batch per adapter; returns the last batch's rows to sample."""
        plan, budget = self._plan, self._budget
        decoding = plan.decoding()
        rows = plan.next_batch(budget.prompt_tokens(decoding), budget.prompt_tokens(decoding, plan.prefilling()))
        if not rows:
            return []
        adapters = self._adapters
        if adapters is None:
            return self._decode_rows(rows)
        sampled: Sampled = []
        for adapter, group in group_rows(rows, adapters.current):
            self._sample(sampled)  # the next decode overwrites the logits of this one
            adapters.apply(self._ctx, adapter)
            sampled = self._decode_rows(group)
        return sampled

    def _decode_rows(self, rows: list[Row[Job]]) -> Sampled:
        """Run ``rows`` as one ``llama_decode``; returns the rows to sample."""
        batch = self._batch
        tokens, positions, n_seq, seq_ids, want_logits = (
            batch.token,
            batch.pos,
            batch.n_seq_id,
            batch.seq_id,
            batch.logits,
        )
        n = 0
        decoding = sum(1 for row in rows if not row.prompt)  # decode rows, for the step budget
        fillers = self._plan.gap_fillers(rows) if self._fill_gaps else []
        filler_at = {slot.seq_id: len(slot.kv) for slot in fillers}
        self.filler_tokens += len(fillers)
        by_seq = {row.slot.seq_id: row for row in rows}
        sampled: Sampled = []
        for seq_id in sorted(by_seq.keys() | filler_at.keys()):  # in seq id order: see ubatches
            row = by_seq.get(seq_id)
            if row is None:
                tokens[n], positions[n], n_seq[n], want_logits[n] = max(self._model.bos, 0), filler_at[seq_id], 1, 0
                seq_ids[n][0] = seq_id
                n += 1
                continue
            for j, tok in enumerate(row.tokens):
                tokens[n], positions[n], n_seq[n], want_logits[n] = tok, row.start + j, 1, 0
                seq_ids[n][0] = seq_id
                n += 1
            if row.logits:
                want_logits[n - 1] = 1
                sampled.append((row.seq, row.slot, n - 1))
        batch.n_tokens = n
        start = time.perf_counter()
        try:
            rc = llama_cpp.llama_decode(self._ctx, batch)
        finally:
            for seq_id, pos in filler_at.items():  # the fillers' cells go; the streams are as before
                llama_cpp.llama_memory_seq_rm(self._mem, seq_id, pos, -1)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        seconds = time.perf_counter() - start
        self._budget.observe(n - decoding, decoding, seconds, ubatches(runs_of(rows, fillers)))
        self._plan.decoded(rows)
        return sampled

    def _sample(self, sampled: Sampled) -> None:
        greedy = self._greedy_picks(sampled)
        for out, (job, slot, row) in enumerate(sampled):
            if slot.seq is job:  # not cancelled since the decode
                self._sample_one(job, slot, row, greedy[out] if greedy is not None else -1)

    def _greedy_picks(self, sampled: Sampled) -> Any:
        """The argmax of every output row at once (numpy over the logits array), when some
        row's chain is plain greedy; else None. Output j is the j-th row with logits."""
        if not any(job.chain.greedy_ban is not None and not job.sampling.logprobs for job, _, _ in sampled):
            return None
        ptr = llama_cpp.llama_get_logits(self._ctx)
        logits = np.ctypeslib.as_array(ptr, shape=(len(sampled), self._model.n_vocab))
        return logits.argmax(axis=1)

    def _sample_one(self, job: Job, slot: Slot[Job], row: int, greedy: int) -> None:
        ban = job.chain.greedy_ban
        if ban is not None and greedy >= 0 and greedy not in ban and not job.sampling.logprobs:
            token = int(greedy)
        else:
            token = job.chain.sample(self._ctx, row)
        if not job.output:
            job.first_token_at = time.perf_counter()
        job.output.append(token)
        opts = job.sampling
        logprobs = None
        if opts.logprobs:
            logits = llama_cpp.llama_get_logits_ith(self._ctx, row)
            logprobs = [token_logprob(self._model, logits, token, opts.top_logprobs)]
        if token in job.ends:
            delta = Delta(job.assembler.flush(), [token], logprobs)
            stop_id = token if token in opts.stop_token_ids else None
            self._finish(slot, FinishReason.STOP, delta=delta, stop_token_id=stop_id)
            return
        released = job.assembler.push(self._model.piece(token))
        delta = Delta(released.text, [token], logprobs)
        if released.stop is not None:
            self._finish(slot, FinishReason.STOP, delta=delta, stop_string=released.stop)
        elif self._plan.at_limit(slot):
            delta.text += job.assembler.flush()
            self._finish(slot, FinishReason.LENGTH, delta=delta)
        else:
            self._outbox.append((job, [delta]))

    def _finish(
        self,
        slot: Slot[Job],
        reason: FinishReason,
        *,
        delta: Delta | None = None,
        drop_kv: bool = False,
        notify: bool = True,
        stop_string: str | None = None,
        stop_token_id: int | None = None,
    ) -> None:
        job = self._plan.release(slot, drop_kv=drop_kv)
        job.chain.free()
        if drop_kv:
            llama_cpp.llama_memory_seq_rm(self._mem, slot.seq_id, -1, -1)
        events: list[Event] = [delta] if delta is not None else []
        if notify:
            events.append(self._finished(job, reason, stop_string, stop_token_id))
        with self._cond:
            self._live.remove(job.request_id, job)
            self._recent_total_s = 0.8 * self._recent_total_s + 0.2 * (time.perf_counter() - job.submitted)
        if events:
            self._outbox.append((job, events))

    @staticmethod
    def _finished(
        job: Job, reason: FinishReason, stop_string: str | None = None, stop_id: int | None = None
    ) -> Finished:
        now = time.perf_counter()
        admitted = job.admitted or now
        return Finished(
            reason=reason,
            usage=Usage(len(job.prompt), len(job.output), job.cached),
            timings=Timings(
                queue_s=admitted - job.submitted,
                time_to_first_token_s=(job.first_token_at or now) - job.submitted,
                total_s=now - job.submitted,
            ),
            stop_string=stop_string,
            stop_token_id=stop_id,
        )

    @staticmethod
    def _post(items: Outbox) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Queue[list[Event]], list[Event]]]] = {}
        for job, events in items:
            if job.handle is not None:
                by_loop.setdefault(job.handle.loop, []).append((job.handle.queue, events))
        for loop, batch in by_loop.items():
            # RuntimeError: that event loop is closed, so nobody is listening.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_deliver, batch)

    def _flush_outbox(self) -> None:
        if self._outbox:
            items, self._outbox = self._outbox, []
            self._post(items)


def _deliver(items: list[tuple[asyncio.Queue[list[Event]], list[Event]]]) -> None:
    for queue, events in items:
        queue.put_nowait(events)
