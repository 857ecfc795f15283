"""Reference mode: every pass of every micro-batch unit through every chip group is an event
(docs/sim.md, S3). For small runs; the fast mode is tested against it.

Each chip group is two first-come-first-served servers in series, processing (compute, SRAM
and KV overlapped: ``max`` of P7, P8, P9 summed over the unit's work) and the link (P10),
followed by the group's hop latency (stages x hop, a pure delay). A unit enters the first
group with the work its seats carry this cycle; when it leaves the last group each seat has
one more token, finished requests leave, and the unit starts its next cycle with whoever
holds its seats then.

A pass that carries a prompt as a train of chunks cuts through: its head moves on to the
next group after the first chunk, while the group's processing server stays reserved until
the train's last chunk is done there, ``e_g = max(s_g + sum of chunks, tail arrival + last
chunk)``; the tail reaches the next group after the last chunk's transfer and hops (F6).

Groups are visited class by class in the order the classes first appear in the pipeline
(the true order for models whose distinct layers are contiguous).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from kvpipe.perf.service import ServiceTable, resident_kv_bytes
from kvpipe.sim.admission import KvLedger
from kvpipe.sim.config import Admission, SimConfig
from kvpipe.sim.events import CycleDone, CycleStart, Preemption, PrefillDone, RequestFinished, StageDone
from kvpipe.sim.events.stage_done import ARRIVE, LINK_DONE, PROC_DONE
from kvpipe.sim.records import TimelineLog
from kvpipe.sim.seats import PassProfile, Seats, pass_profile

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event


class ReferencePipeline:
    def __init__(
        self, table: ServiceTable, seats: Seats, config: SimConfig, ledger: KvLedger, log: TimelineLog | None
    ) -> None:
        self.table = t = table
        self.seats = s = seats
        self.ledger = ledger
        self.preempt = config.admission is Admission.PREEMPT
        G = t.n_classes
        self.stage_class = np.repeat(np.arange(G), t.counts.astype(np.int64)).tolist()
        S = len(self.stage_class)
        self.n_stages = S
        self.proc_busy = [False] * S
        self.link_busy = [False] * S
        self.proc_q: list[deque[int]] = [deque() for _ in range(S)]
        self.link_q: list[deque[int]] = [deque() for _ in range(S)]
        M = s.units
        self.running = [False] * M
        self.start_pending = [False] * M
        self.members: list[list[tuple[int, int]]] = [[] for _ in range(M)]  # (seat, request)
        self.prof: list[PassProfile | None] = [None] * M
        self.tail = [0.0] * M  # when a train's tail reaches the group it is entering
        self.hop = t.hop_s.tolist()
        self.inv_count = (1.0 / t.counts).tolist()  # busy times are per group, not per class
        self.k = np.zeros(s.n, dtype=np.int64)  # cycles done in the current residency
        self.tokens_out = 0.0
        self.energy_dyn_j = 0.0
        self.busy_proc = np.zeros(G)
        self.busy_link = np.zeros(G)
        self.busy_kv = np.zeros(G)
        self.dirty = False
        self._log = log
        self._max_passes = config.timeline_max_passes

    def advance_to(self, t: float) -> None:
        pass

    def replan(self, now: float) -> None:
        return None

    # ---- seats --------------------------------------------------------------------------

    def join(self, seat: int, t: float) -> Sequence[Event]:
        self.k[seat] = 0
        m = int(self.seats.unit[seat])
        if not self.running[m] and not self.start_pending[m]:
            self.start_pending[m] = True
            return [CycleStart(t, m, self)]
        return ()

    def start_cycle(self, m: int, t: float) -> Sequence[Event]:
        self.start_pending[m] = False
        seats = self.seats
        out: list[Event] = self._reserve_growth(m, t) if self.preempt else []
        mem = [s for s in range(m * seats.b, min((m + 1) * seats.b, seats.n)) if seats.req[s] >= 0]
        if not mem:
            self.running[m] = False
            return out
        idx = np.array(mem, dtype=np.int64)
        k = self.k[idx]
        tokens, attn, read, _ = seats.pass_work(idx, k, seats.context(idx, k.astype(np.float64)))
        prof = pass_profile(self.table, tokens, attn, read)
        self.prof[m] = prof
        self.energy_dyn_j += prof.energy_j
        self.members[m] = [(s, int(seats.req[s])) for s in mem]
        self.running[m] = True
        self.tail[m] = -np.inf
        out.extend(self._arrive(m, 0, t))
        return out

    # ---- servers ------------------------------------------------------------------------

    def _arrive(self, m: int, stage: int, t: float) -> Sequence[Event]:
        if self.proc_busy[stage]:
            self.proc_q[stage].append(m)
            return ()
        return self._start_proc(m, stage, t)

    def _start_proc(self, m: int, stage: int, t: float) -> list[Event]:
        c = self.stage_class[stage]
        prof = self.prof[m]
        assert prof is not None
        self.proc_busy[stage] = True
        w = self.inv_count[c]
        self.busy_proc[c] += prof.p_sum[c] * w
        self.busy_kv[c] += prof.kv_sum[c] * w
        out: list[Event] = []
        if prof.chunks == 1:
            end = t + prof.p_sum[c]
        else:  # a chunk train cuts through (F6)
            end = max(t + prof.p_sum[c], self.tail[m] + prof.p_last[c])
            self.busy_link[c] += prof.l_sum[c] * w
            hop = self.hop[c]
            self.tail[m] = end + prof.l_last[c] + hop
            if stage + 1 < self.n_stages:
                out.append(StageDone(t + prof.p_first[c] + prof.l_first[c] + hop, m, stage + 1, ARRIVE, self))
            else:
                out.append(CycleDone(self.tail[m], m, self))
        self._span(stage, c, m, t, end, "proc")
        out.append(StageDone(end, m, stage, PROC_DONE, self))
        return out

    def _start_link(self, m: int, stage: int, t: float) -> StageDone:
        c = self.stage_class[stage]
        prof = self.prof[m]
        assert prof is not None
        d = prof.l_sum[c]
        self.link_busy[stage] = True
        self.busy_link[c] += d * self.inv_count[c]
        self._span(stage, c, m, t, t + d, "link")
        return StageDone(t + d, m, stage, LINK_DONE, self)

    def stage_event(self, m: int, stage: int, phase: int, t: float) -> Sequence[Event]:
        if phase == ARRIVE:
            return self._arrive(m, stage, t)
        out: list[Event] = []
        if phase == PROC_DONE:
            q = self.proc_q[stage]
            if q:
                out.extend(self._start_proc(q.popleft(), stage, t))
            else:
                self.proc_busy[stage] = False
            prof = self.prof[m]
            if prof is not None and prof.chunks > 1:
                return out  # a train's transfers were scheduled when it started here
            if self.link_busy[stage]:
                self.link_q[stage].append(m)
            else:
                out.append(self._start_link(m, stage, t))
        else:  # LINK_DONE
            q = self.link_q[stage]
            if q:
                out.append(self._start_link(q.popleft(), stage, t))
            else:
                self.link_busy[stage] = False
            t_next = t + self.hop[self.stage_class[stage]]
            if stage + 1 < self.n_stages:
                out.append(StageDone(t_next, m, stage + 1, ARRIVE, self))
            else:
                out.append(CycleDone(t_next, m, self))
        return out

    def cycle_done(self, m: int, t: float) -> Sequence[Event]:
        seats = self.seats
        out: list[Event] = []
        for s, req in self.members[m]:
            if seats.req[s] != req:
                continue  # preempted during the cycle
            self.k[s] += 1
            kk = int(self.k[s])
            self.tokens_out += 1.0  # every cycle yields a token: the prefill's first, or a decode
            if seats.first_k[s] == kk:
                seats.first_token_out(s)
                out.append(PrefillDone(t, req))
            if kk >= seats.total[s]:
                seats.vacate(s)
                out.append(RequestFinished(t, req, s))
        self.members[m] = []
        self.running[m] = False
        self.start_pending[m] = True
        out.append(CycleStart(t, m, self))
        return out

    # ---- KV growth (preempt mode) -------------------------------------------------------

    def _reserve_growth(self, m: int, t: float) -> list[Event]:
        """Before a cycle, each decoding seat of the unit needs room for one more token; the
        preemptions that makes room."""
        seats = self.seats
        ledger = self.ledger
        out: list[Event] = []
        for s in range(m * seats.b, min((m + 1) * seats.b, seats.n)):
            req = int(seats.req[s])
            if req < 0 or seats.fixed[s] > 0 or self.k[s] < seats.pre[s]:
                continue
            held = float(seats.context(np.array([s]), self.k[[s]].astype(np.float64))[0]) + 1.0
            need = resident_kv_bytes(self.table, np.float64(held))
            while not ledger.fits(need, without=req):
                victim = self._newest()
                gen = seats.generated(victim, float(self.k[victim]))
                vreq = int(seats.req[victim])
                seats.vacate(victim)
                out.append(Preemption(t, vreq, victim, gen))
                ledger.drop(vreq)  # freed now; the Preemption event settles the rest
                if victim == s:
                    break
            if seats.req[s] == req:
                ledger.set(req, need)
        return out

    def _newest(self) -> int:
        occ = np.flatnonzero(self.seats.req >= 0)
        return int(occ[np.argmax(self.seats.order[occ])])

    # ---- timeline -----------------------------------------------------------------------

    def _span(self, stage: int, c: int, m: int, t0: float, t1: float, what: str) -> None:
        log = self._log
        if log is None:
            return
        if len(log.passes) < self._max_passes:
            log.passes.append((stage, c, m, t0, t1, what))
        else:
            log.dropped_passes += 1
