"""Continuous batching over llama.cpp's low-level API.

One context holds ``max_sequences`` KV streams (one per slot, seq_id = slot
index). A single thread runs the loop: between steps it reaps cancelled
sequences and admits waiting ones; each step packs one token per decoding
sequence plus up to ``prefill_chunk`` prompt tokens into ONE ``llama_decode``,
then samples every sequence that produced logits. Events leave the thread once
per step per event loop via ``call_soon_threadsafe``.

A finished slot keeps its KV cache; a new prompt sharing a prefix with it is
placed in that slot and only the tail is prefilled (prefix reuse). Otherwise the
least recently used idle cache is evicted. A prompt sharing a much longer prefix
with a BUSY slot's decoded tokens copies that slot's KV stream
(``llama_memory_seq_cp``) and trims it, instead of prefilling the prefix again;
one whose prefix a busy slot is still prefilling waits for it, then copies.
Prefill budget goes to the sequences closest to their first token first, so a
cache hit is not stuck behind a long cold prompt.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import llama_cpp

from helixflow.common.errors import Draining, InvalidArgument, QueueFull
from helixflow.worker.backends.llama_config import LlamaEngineConfig
from helixflow.worker.backends.llama_logprobs import token_logprob
from helixflow.worker.backends.llama_model import LlamaModel
from helixflow.worker.backends.llama_sampling import SamplerChain
from helixflow.worker.backends.stops import TextAssembler
from helixflow.worker.engine import Delta, Event, Finished, FinishReason, SamplingOptions, Timings, Usage

log = logging.getLogger(__name__)

Outbox = list[tuple["SequenceState", list[Event]]]


@dataclass(eq=False, slots=True)
class SequenceState:
    request_id: str
    prompt: list[int]
    sampling: SamplingOptions
    chain: SamplerChain
    max_new: int
    queue: asyncio.Queue[list[Event]]
    loop: asyncio.AbstractEventLoop
    submitted: float
    assembler: TextAssembler
    ends: frozenset[int]  # token ids that end this sequence: its stop ids, plus EOS unless ignored
    admitted: float = 0.0
    first_token_at: float = 0.0
    n_fed: int = 0  # prompt tokens whose KV is in the cache
    cached: int = 0  # of those, how many came from prefix reuse
    output: list[int] = field(default_factory=list)
    cancelled: bool = False
    notify_cancel: bool = True


@dataclass(eq=False, slots=True)
class Slot:
    seq_id: int
    kv: list[int] = field(default_factory=list)  # tokens held in this slot's KV, by position
    seq: SequenceState | None = None
    last_used: int = 0  # admission counter; 0 = empty. The least recently used idle cache goes first.


# A prefix shorter than this (chat-template boilerplate) does not make a slot worth keeping.
MIN_USEFUL_PREFIX = 32
# Copying a KV stream moves the whole stream's buffer (a few ms for small models), so
# only copy from a busy slot when that saves at least this many prompt tokens.
MIN_COPY_GAIN = 64


def _common_prefix(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    # Whole blocks by slice comparison (C speed), then token by token: admission compares
    # the prompt with every slot's cache, in the decode thread.
    while i + 64 <= n and a[i : i + 64] == b[i : i + 64]:
        i += 64
    while i < n and a[i] == b[i]:
        i += 1
    return i


def _deliver(items: list[tuple[asyncio.Queue[list[Event]], list[Event]]]) -> None:
    for queue, events in items:
        queue.put_nowait(events)


class Scheduler:
    def __init__(self, model: LlamaModel, config: LlamaEngineConfig) -> None:
        self._model = model
        self._config = config
        n = config.max_sequences
        self.batch_size = config.prefill_chunk + n
        params = llama_cpp.llama_context_default_params()
        params.n_ctx = config.n_ctx_per_seq * n
        params.n_seq_max = n
        params.n_batch = self.batch_size
        params.n_ubatch = self.batch_size
        params.n_threads = config.n_threads
        params.n_threads_batch = config.n_threads
        params.no_perf = True
        params.swa_full = True  # keeps partial seq_rm (prefix reuse) valid for sliding-window models
        self._ctx: Any = llama_cpp.llama_init_from_model(model.ptr, params)
        if not self._ctx:
            raise RuntimeError("llama_init_from_model failed for the generation context")
        self._mem: Any = llama_cpp.llama_get_memory(self._ctx)
        self.n_ctx_seq = int(llama_cpp.llama_n_ctx_seq(self._ctx))
        self._batch: Any = llama_cpp.llama_batch_init(self.batch_size, 0, 1)
        self._slots = [Slot(i) for i in range(n)]
        self._waiting: collections.deque[SequenceState] = collections.deque()
        self._live: dict[str, SequenceState] = {}
        self._cond = threading.Condition()
        self._stopping = False
        self._outbox: Outbox = []
        self._prompt_tokens_seen = 0
        self._admissions = 0
        self._prompt_tokens_cached = 0
        self._recent_total_s = 1.0  # moving average of request time, for Retry-After
        self._thread = threading.Thread(target=self._run, name="llama-decode", daemon=True)
        self._thread.start()

    # ---- called from the asyncio side -------------------------------------------------

    def submit(self, seq: SequenceState) -> None:
        with self._cond:
            if self._stopping:
                raise Draining("the worker is shutting down")
            if seq.request_id in self._live:
                raise InvalidArgument(f"request id {seq.request_id!r} is already running", field="request_id")
            capacity = len(self._slots) + self._config.max_waiting
            if len(self._waiting) + self._running_locked() >= capacity:
                retry = max(0.5, self._recent_total_s * (1 + len(self._waiting)) / len(self._slots))
                raise QueueFull(
                    f"queue full: {len(self._waiting)} waiting, {self._running_locked()} running",
                    retry_after_s=round(retry, 2),
                )
            self._live[seq.request_id] = seq
            self._waiting.append(seq)
            self._cond.notify()

    def abort(self, request_id: str, *, notify: bool, only: SequenceState | None = None) -> bool:
        """Cancel the live request with this id (when ``only`` is given: only if it is that one)."""
        with self._cond:
            seq = self._live.get(request_id)
            if seq is None or (only is not None and seq is not only):
                return False
            del self._live[request_id]
            seq.cancelled = True
            seq.notify_cancel = notify
            if seq in self._waiting:
                self._waiting.remove(seq)
                seq.chain.free()
                if notify:
                    self._post([(seq, [self._finished(seq, FinishReason.CANCELLED)])])
            self._cond.notify()
            return True

    def load(self) -> tuple[int, int, float, float]:
        """(waiting, running, kv usage 0..1, prefix hit rate 0..1)."""
        with self._cond:
            busy = sum(len(s.kv) for s in self._slots if s.seq is not None and not s.seq.cancelled)
            seen = self._prompt_tokens_seen
            hit = self._prompt_tokens_cached / seen if seen else 0.0
            usage = busy / (self.n_ctx_seq * len(self._slots))
            return len(self._waiting), self._running_locked(), usage, hit

    def close(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join()
        with self._cond:
            for seq in list(self._live.values()):
                self._outbox.append((seq, [self._finished(seq, FinishReason.CANCELLED)]))
                seq.chain.free()
            self._live.clear()
            self._waiting.clear()
            self._flush_outbox()
        llama_cpp.llama_batch_free(self._batch)
        llama_cpp.llama_free(self._ctx)

    # ---- the decode thread ----------------------------------------------------------------

    def _running_locked(self) -> int:
        return sum(1 for s in self._slots if s.seq is not None and not s.seq.cancelled)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and not self._waiting and all(s.seq is None for s in self._slots):
                    self._cond.wait()
                if self._stopping:
                    return
                self._reap_cancelled()
                self._admit()
            try:
                self._step()
            except Exception:
                log.exception("decode step failed; failing the running sequences")
                for slot in self._slots:
                    if slot.seq is not None:
                        self._release(slot, FinishReason.ERROR, drop_kv=True)
            self._flush_outbox()

    def _reap_cancelled(self) -> None:
        for slot in self._slots:
            seq = slot.seq
            if seq is not None and seq.cancelled:
                self._release(slot, FinishReason.CANCELLED, drop_kv=True, notify=seq.notify_cancel)

    def _admit(self) -> None:
        while self._waiting:
            free = [s for s in self._slots if s.seq is None]
            if not free:
                return
            seq = next((w for w in self._waiting if not self._prefix_in_flight(w.prompt)), None)
            if seq is None:
                return
            self._waiting.remove(seq)
            slot, shared = self._pick_slot(free, seq.prompt)
            self._admissions += 1
            slot.last_used = self._admissions
            reuse = min(shared, len(seq.prompt) - 1)  # at least one token must run to get logits
            copied = self._copy_from_busy(slot, seq.prompt, reuse)
            if copied:
                reuse = copied
            elif reuse < len(slot.kv):
                self._trim(slot, reuse)
                reuse = len(slot.kv)
            seq.n_fed = seq.cached = reuse
            seq.admitted = time.perf_counter()
            self._prompt_tokens_seen += len(seq.prompt)
            self._prompt_tokens_cached += reuse
            slot.seq = seq

    def _prefix_in_flight(self, prompt: list[int]) -> bool:
        """Whether a sequence still prefilling will soon hold a much longer prefix of
        ``prompt`` than any cache holds now. Such a request waits and then copies it,
        instead of prefilling the same tokens alongside (a burst of requests sharing a
        new system prompt); the source is running, so the wait is short and bounded."""
        prefilling = [
            s.seq.prompt
            for s in self._slots
            if s.seq is not None and not s.seq.cancelled and s.seq.n_fed < len(s.seq.prompt)
        ]
        coming = max((min(_common_prefix(p, prompt), len(prompt) - 1) for p in prefilling), default=0)
        if coming < MIN_COPY_GAIN:  # the usual case, decided without scanning the caches
            return False
        have = max(_common_prefix(s.kv, prompt) for s in self._slots)
        return coming - have >= MIN_COPY_GAIN

    @staticmethod
    def _pick_slot(free: list[Slot], prompt: list[int]) -> tuple[Slot, int]:
        """The idle slot sharing the longest useful prefix, else the least recently used one."""
        shares = [(s, _common_prefix(s.kv, prompt)) for s in free]
        return max(shares, key=lambda p: (p[1] if p[1] >= MIN_USEFUL_PREFIX else 0, -p[0].last_used))

    def _copy_from_busy(self, slot: Slot, prompt: list[int], reuse: int) -> int:
        """Copy a busy slot's decoded prefix into ``slot`` when it beats ``reuse`` by enough.

        Returns the tokens now cached in ``slot``, or 0 when nothing was copied. Each
        slot has its own KV stream, so llama.cpp copies the whole stream (applied at
        the next decode) and the tail beyond the shared prefix is then dropped.
        """
        best, shared = None, reuse
        for other in self._slots:
            if other.seq is not None and other is not slot and len(other.kv) > shared:
                n = _common_prefix(other.kv, prompt)
                if n > shared:
                    best, shared = other, n
        take = min(shared, len(prompt) - 1)
        if best is None or take - reuse < MIN_COPY_GAIN:
            return 0
        llama_cpp.llama_memory_seq_rm(self._mem, slot.seq_id, -1, -1)
        llama_cpp.llama_memory_seq_cp(self._mem, best.seq_id, slot.seq_id, -1, -1)
        slot.kv[:] = best.kv
        self._trim(slot, take)
        return len(slot.kv)

    def _trim(self, slot: Slot, keep: int) -> None:
        """Drop the slot's cached tokens from position ``keep`` on (all of them if that fails)."""
        if not llama_cpp.llama_memory_seq_rm(self._mem, slot.seq_id, keep, -1):
            llama_cpp.llama_memory_seq_rm(self._mem, slot.seq_id, -1, -1)
            keep = 0
        del slot.kv[keep:]

    def _step(self) -> None:
        batch = self._batch
        tokens, positions, n_seq, seq_ids, want_logits = (
            batch.token,
            batch.pos,
            batch.n_seq_id,
            batch.seq_id,
            batch.logits,
        )
        n = 0
        rows: list[tuple[Slot, int]] = []
        fed: list[tuple[Slot, list[int], int]] = []  # (slot, tokens added to its KV, prompt tokens)
        for slot in self._slots:
            seq = slot.seq
            if seq is None or seq.n_fed < len(seq.prompt):
                continue
            last = seq.output[-1]
            tokens[n], positions[n], n_seq[n], want_logits[n] = last, len(slot.kv), 1, 1
            seq_ids[n][0] = slot.seq_id
            rows.append((slot, n))
            fed.append((slot, [last], 0))
            n += 1
        budget = self._config.prefill_chunk
        prefilling = [(s, s.seq) for s in self._slots if s.seq is not None and s.seq.n_fed < len(s.seq.prompt)]
        # Shortest remaining prefill first: a cache hit's short tail reaches its first token
        # in the next step instead of waiting behind a cold prompt's chunks.
        prefilling.sort(key=lambda p: len(p[1].prompt) - p[1].n_fed)
        for slot, seq in prefilling:
            if budget <= 0:
                break
            start = seq.n_fed
            chunk = seq.prompt[start : start + budget]
            for j, tok in enumerate(chunk):
                tokens[n], positions[n], n_seq[n], want_logits[n] = tok, start + j, 1, 0
                seq_ids[n][0] = slot.seq_id
                n += 1
            if start + len(chunk) == len(seq.prompt):
                want_logits[n - 1] = 1
                rows.append((slot, n - 1))
            fed.append((slot, chunk, len(chunk)))
            budget -= len(chunk)
        if n == 0:
            return
        batch.n_tokens = n
        rc = llama_cpp.llama_decode(self._ctx, batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        for slot, added, n_prompt in fed:
            slot.kv.extend(added)
            if slot.seq is not None:
                slot.seq.n_fed += n_prompt
        for slot, row in rows:
            self._sample(slot, row)

    def _sample(self, slot: Slot, row: int) -> None:
        seq = slot.seq
        if seq is None or seq.cancelled:
            return
        token = seq.chain.sample(self._ctx, row)
        if not seq.output:
            seq.first_token_at = time.perf_counter()
        seq.output.append(token)
        opts = seq.sampling
        logprobs = None
        if opts.logprobs:
            logits = llama_cpp.llama_get_logits_ith(self._ctx, row)
            logprobs = [token_logprob(self._model, logits, token, opts.top_logprobs)]
        if token in seq.ends:
            delta = Delta(seq.assembler.flush(), [token], logprobs)
            stop_id = token if token in opts.stop_token_ids else None
            self._release(slot, FinishReason.STOP, delta=delta, stop_token_id=stop_id)
            return
        released = seq.assembler.push(self._model.piece(token))
        delta = Delta(released.text, [token], logprobs)
        if released.stop is not None:
            self._release(slot, FinishReason.STOP, delta=delta, stop_string=released.stop)
        elif len(seq.output) >= seq.max_new or len(slot.kv) >= self.n_ctx_seq:
            delta.text += seq.assembler.flush()
            self._release(slot, FinishReason.LENGTH, delta=delta)
        else:
            self._outbox.append((seq, [delta]))

    def _release(
        self,
        slot: Slot,
        reason: FinishReason,
        *,
        delta: Delta | None = None,
        drop_kv: bool = False,
        notify: bool = True,
        stop_string: str | None = None,
        stop_token_id: int | None = None,
    ) -> None:
        seq = slot.seq
        assert seq is not None
        slot.seq = None
        seq.chain.free()
        if drop_kv:
            llama_cpp.llama_memory_seq_rm(self._mem, slot.seq_id, -1, -1)
            slot.kv.clear()
            slot.last_used = 0
        events: list[Event] = [delta] if delta is not None else []
        if notify:
            events.append(self._finished(seq, reason, stop_string, stop_token_id))
        if events:
            self._outbox.append((seq, events))
        with self._cond:
            if self._live.get(seq.request_id) is seq:  # a retry may have taken the id after an abort
                del self._live[seq.request_id]
            self._recent_total_s = 0.8 * self._recent_total_s + 0.2 * (time.perf_counter() - seq.submitted)

    @staticmethod
    def _finished(
        seq: SequenceState, reason: FinishReason, stop_string: str | None = None, stop_id: int | None = None
    ) -> Finished:
        now = time.perf_counter()
        admitted = seq.admitted or now
        return Finished(
            reason=reason,
            usage=Usage(len(seq.prompt), len(seq.output), seq.cached),
            timings=Timings(
                queue_s=admitted - seq.submitted,
                time_to_first_token_s=(seq.first_token_at or now) - seq.submitted,
                total_s=now - seq.submitted,
            ),
            stop_string=stop_string,
            stop_token_id=stop_id,
        )

    def _post(self, items: Outbox) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Queue[list[Event]], list[Event]]]] = {}
        for seq, events in items:
            by_loop.setdefault(seq.loop, []).append((seq.queue, events))
        for loop, batch in by_loop.items():
            # RuntimeError: that event loop is closed, so nobody is listening.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_deliver, batch)

    def _flush_outbox(self) -> None:
        if self._outbox:
            items, self._outbox = self._outbox, []
            self._post(items)
