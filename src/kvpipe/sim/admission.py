"""Admission (docs/sim.md, S8): the KV bytes each chip group holds, and the policy that lets
queued requests into free seats first come first served while every group can hold their KV.

:class:`KvLedger` is the accounting (bytes held per group class, per request); the pipelines
read it and, in preempt mode, grow a request's holding. :class:`AdmissionPolicy` owns the
queue and the free seats and decides who runs.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from kvpipe.perf.service import ServiceTable, resident_kv_bytes
from kvpipe.sim.config import Admission, SimConfig
from kvpipe.sim.seats import Seats
from kvpipe.sim.table import RequestTable
from kvpipe.sim.tracer import Tracer

if TYPE_CHECKING:
    from kvpipe.sim.pipeline import Pipeline
    from kvpipe.sim.serving import Event

_SLACK = 1 + 1e-12  # relative slack of the capacity check (rounding of sums of bytes)


class KvLedger:
    """KV bytes held in one group of each class: in total (``used``) and per request."""

    def __init__(self, table: ServiceTable) -> None:
        self.table = table
        self.cap = table.kv_capacity_bytes_per_group
        self.mask = table.has_kv
        self.used = np.zeros(table.n_classes)
        self.used_list = self.used.tolist()  # the same as Python floats (the per-event code reads it)
        self.held: dict[int, np.ndarray] = {}
        self._limit = self.cap * _SLACK
        self._kv_classes = np.flatnonzero(self.mask).tolist()
        # tokens -> (bytes per class, the same as a list, whether it fits in empty groups)
        self._need: dict[int, tuple[np.ndarray, list[float], bool]] = {}

    def _entry(self, tokens: int) -> tuple[np.ndarray, list[float], bool]:
        hit = self._need.get(tokens)
        if hit is None:
            need = resident_kv_bytes(self.table, np.float64(tokens))  # (P3)
            need.setflags(write=False)  # shared by every request of this length
            hit = (need, need.tolist(), bool(np.all(need[self.mask] <= self._limit)))
            if len(self._need) < 1_000_000:
                self._need[tokens] = hit
        return hit

    def fits_alone(self, tokens: int) -> bool:
        """Whether the KV of ``tokens`` tokens fits in empty groups."""
        return self._entry(tokens)[2]

    def try_hold(self, r: int, tokens: int) -> bool:
        """Request ``r`` takes the KV of ``tokens`` tokens if every group has room for it."""
        need, need_list, _ = self._entry(tokens)
        used, limit = self.used_list, self._limit
        for g in self._kv_classes:
            if used[g] + need_list[g] > limit:
                return False
        self.used += need
        self.used_list = self.used.tolist()
        self.held[r] = need
        return True

    def fits(self, need: np.ndarray, without: int) -> bool:
        """Whether ``need`` bytes fit in place of request ``without``'s holding."""
        return not np.any((self.used - self.held[without] + need)[self.mask] > self._limit)

    def set(self, r: int, held: np.ndarray) -> None:
        """Preempt mode: request ``r`` now holds ``held`` bytes per group class."""
        self.used += held - self.held[r]
        self.used_list = self.used.tolist()
        self.held[r] = held

    def drop(self, r: int) -> None:
        """Free request ``r``'s bytes at once (it stays in the ledger, holding nothing)."""
        held = self.held[r]
        self.used -= held
        self.used_list = self.used.tolist()
        self.held[r] = np.zeros_like(held)

    def release(self, r: int) -> None:
        self.used -= self.held.pop(r)
        np.maximum(self.used, 0.0, out=self.used)
        self.used_list = self.used.tolist()


class AdmissionPolicy:
    """First come first served into free seats while every group can hold the KV (S8).

    ``reserve``: a request holds the KV of its prompt and whole output from admission on;
    ``preempt``: of its prompt and the tokens produced so far, grown by the pipeline (and
    preempted by it when a group is full). ``max_queue`` turns arrivals away.
    """

    def __init__(
        self, config: SimConfig, requests: RequestTable, seats: Seats, ledger: KvLedger, pipeline: Pipeline,
        tracer: Tracer,
    ) -> None:
        self.requests = requests
        self.seats = seats
        self.ledger = ledger
        self.pipeline = pipeline
        self.tracer = tracer
        self.max_queue = config.max_queue
        self.fixed = config.fixed_context_tokens
        self.reserve = config.admission is Admission.RESERVE
        self.prefill = config.prefill
        self.queue: deque[int] = deque()
        self.free: list[int] = list(range(seats.n))
        self.n_running = 0
        self._order = 0
        self._requeued_at: dict[int, float] = {}  # preempted request -> when it went back to the queue

    def refusal(self, r: int) -> str | None:
        """Why an arriving request ``r`` is turned away (a ``REJECT_REASONS`` key), or None."""
        req = self.requests
        tokens = self.fixed if self.fixed is not None else req.prompt_tokens.item(r) + req.output_tokens.item(r)
        if not self.ledger.fits_alone(tokens):
            return "kv_never_fits"
        if self.max_queue is not None and len(self.queue) >= self.max_queue:
            return "queue_full"
        return None

    def enqueue(self, r: int) -> None:
        self.queue.append(r)

    def requeue(self, r: int, t: float) -> None:
        """A preempted request goes back to the head of the queue; it is not readmitted at the
        instant it was preempted (the room it freed goes to the requests that grew into it)."""
        self.tracer.mark(r, "queued", t)
        self.queue.appendleft(r)
        self._requeued_at[r] = t

    def kv_tokens(self, r: int) -> int:
        """Tokens of KV request ``r`` must hold to be admitted (S8)."""
        req = self.requests
        if self.fixed is not None:
            return self.fixed
        if self.reserve:
            return req.prompt_tokens.item(r) + req.output_tokens.item(r)
        return req.prompt_tokens.item(r) + req.generated.item(r)

    def admit(self, t: float) -> Sequence[Event]:
        """Admit queued requests while a seat and KV are free; the pipeline's events."""
        queue, free, ledger, req = self.queue, self.free, self.ledger, self.requests
        out: list[Event] = []
        while queue and free:
            r = queue[0]
            if self._requeued_at.get(r) == t or not ledger.try_hold(r, self.kv_tokens(r)):
                break
            self._requeued_at.pop(r, None)
            queue.popleft()
            seat = heapq.heappop(free)
            req.admitted(r, t)
            self.n_running += 1
            self._order += 1
            self.seats.occupy(
                seat, r, req.prompt_tokens.item(r), req.output_tokens.item(r), req.generated.item(r), self.prefill,
                self.fixed, self._order,
            )
            self.tracer.mark(r, "prefill" if self.prefill else "decode", t)
            self.tracer.kv(t, ledger.used, ledger.mask)
            out.extend(self.pipeline.join(seat, t))
        return out

    def release(self, r: int, seat: int, t: float) -> None:
        """Request ``r`` leaves ``seat`` (finished or preempted): its KV and seat are free."""
        self.ledger.release(r)
        self.tracer.kv(t, self.ledger.used, self.ledger.mask)
        heapq.heappush(self.free, seat)
        self.n_running -= 1
