"""Fast mode: the pipeline as a fluid of cycles (docs/sim.md, S4..S7).

Between two events the seats are fixed and every running micro-batch unit moves at one
common rate (units cannot overtake one another: servers are first come first served and
hops delay every unit alike, so a unit that catches up with a slower one rides behind it):

* S4, a unit's own cycle time ``L_m = sum_g count_g x (proc_gm + link_gm + hop_g)``: P4 with
  the unit's work this cycle (S1; F6 for a prompt's chunk train), and ``D_jm``, the seconds
  each processing or link resource ``j`` of one group spends on it per cycle;
* S5, the common cycle time ``tau = max(max_m L_m, max_j sum_m D_jm)``: the slowest unit's
  own cycle, or the work per cycle of the busiest resource. With identical units this is the
  analytic model's P6, ``X = U / tau = min(U / T0, 1 / max_j D_j)``;
* S6, steps: all units advance by ``dPhi`` cycles per step, to the next milestone (the end
  of a prompt's train, a first or last token, KV full) or external event. Between kinks (a
  context reaching a window, another term of P4's ``max`` taking over) a unit's figures are
  affine in ``Phi`` (decode contexts grow one token per cycle), so they are stored as value
  and slope and evaluated at the middle of the step; a step never lets a unit's cycle time
  drift by more than ``step_tolerance`` (then the unit is re-evaluated).

Only units whose seats changed are re-evaluated at an event (scalar code over their seats;
a lone prompt's train is cached by its length); the step itself sums a few per-unit rows.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from kvpipe.perf.prefill import attended_context_scalar
from kvpipe.perf.service import ServiceTable, resident_kv_bytes
from kvpipe.sim.admission import KvLedger
from kvpipe.sim.config import Admission, SimConfig
from kvpipe.sim.errors import SimulationError
from kvpipe.sim.events import PipelineStep, Preemption, PrefillDone, RequestFinished
from kvpipe.sim.records import TimelineLog
from kvpipe.sim.seats import PassProfile, Seats, lone_train_profile, lone_train_profiles, pass_profile

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event

_EPS = 1e-9
# consecutive steps that move neither the clock nor the cycle count before the run is given up
_MAX_STALLED_STEPS = 10_000
_TRAIN_CACHE_SIZE = 100_000  # lone prompts' trains kept, by length


class _Plan(NamedTuple):
    """A seat's residency (:meth:`Seats.occupy`) as Python numbers, for the per-unit code."""

    req: int
    pre: int  # prefill cycles: 1 (the chunk train) or 0
    p_eff: float  # prompt tokens prefilled
    kv0: float  # KV tokens the first decode cycle reads
    dec: int  # decode cycles
    fixed: float  # fixed decode context (0: growing)
    many_chunks: bool  # the prompt is a train of several chunks (F6)


class _Coefficients:
    """The service table as Python floats, for evaluating one unit at a time (S1)."""

    def __init__(self, t: ServiceTable) -> None:
        self.G = t.n_classes
        self.W = len(t.windows)
        self.w_range = range(self.W)  # iterated per unit evaluation
        self.windows = [float(w) for w in t.windows]
        self.count = t.counts.tolist()
        self.lin = t.linear_s_per_token.tolist()
        self.attn = t.attn_s_per_ctx.tolist()
        self.write = t.kv_write_s_per_token.tolist()
        self.read = t.kv_read_s_per_ctx.tolist()
        self.link = t.link_s_per_token.tolist()
        self.hop_total = float(t.hop_s @ t.counts)
        self.sram = t.sram_s.tolist()
        self.n_tab = t.sram_s.shape[1]
        c = t.counts
        # energy per pass through the whole pipeline (E2..E4 summed over groups)
        self.e_tok = float(
            c @ (t.linear_flops_per_token * t.j_per_linear_flop + t.kv_write_bytes_per_token * t.j_per_kv_write_byte
                 + t.link_bytes_per_token * t.j_per_link_byte)
        )
        self.e_attn = (c @ t.attn_flops_per_ctx * t.j_per_attn_flop).tolist()
        self.e_read = (c @ t.kv_bytes_per_ctx * t.j_per_kv_read_byte).tolist()
        self.e_sram = (c @ t.sram_bytes * t.j_per_sram_byte).tolist()
        self.kv_per_ctx = t.kv_bytes_per_ctx.tolist()  # (G, W) resident / appended bytes
        # per class, what a unit's evaluation reads (one tuple per class: fewer look-ups)
        self.classes = list(zip(self.lin, self.write, self.link, self.count, self.attn, self.read, self.sram,
                                self.kv_per_ctx, strict=True))

    def sram_at(self, row: list[float], n: float) -> float:
        last = self.n_tab - 1
        i = int(n)
        if i <= last:
            return row[i]
        return row[last] + (i - last) * (row[last] - row[last - 1])


class FluidPipeline:
    def __init__(
        self, table: ServiceTable, seats: Seats, config: SimConfig, ledger: KvLedger, log: TimelineLog | None,
        prompts: Iterable[int] = (),
    ) -> None:
        """``prompts``: the prompt lengths the run will see, if known; with one seat per unit
        every prompt rides alone, so their trains are computed up front, together."""
        self.table = t = table
        self.seats = s = seats
        self.ledger = ledger
        self.k = _Coefficients(t)
        self.tol = config.step_tolerance
        self.preempt = config.admission is Admission.PREEMPT
        self.chunk = config.chunk_tokens
        G, M = t.n_classes, s.units
        self.G = G
        self.Phi = 0.0  # cycles every running unit has made since t = 0
        self.t = 0.0
        self.dirty = False
        self.generation = 0
        self.next_t = math.inf
        self.join_phi = np.full(s.n, np.nan).tolist()  # Phi at which each seat's residency starts
        # per seat, its residency's plan as Python numbers (None: empty); see Seats.occupy
        self.plans: list[_Plan | None] = [None] * s.n
        self.first_k = [-1] * s.n  # progress of the first output token (-1: out)
        self.unit_seats = [range(m * s.b, min((m + 1) * s.b, s.n)) for m in range(M)]
        self.base = [0.0] * M  # a unit's own cycle count is Phi - base
        self.live: set[int] = set()  # units with seats (they circulate)
        self.touched: set[int] = set()
        # per unit: cycle time at Phi = aL + Phi x bL (min / max taken over the live units)
        self.aL = [-math.inf] * M
        self.bL = [0.0] * M
        # per unit, the summable figures per cycle (value at Phi = a + Phi x b), in one row:
        # the seconds per cycle of one group's processing, KV DRAM and links per class, ``a``
        # (3G), then ``b`` of the first two (2G; a link's time per cycle has no slope); joules
        # through the pipeline (aE, bE), tokens (dec), KV bytes appended per class (grow)
        self._B = 3 * G
        self._AE, self._BE, self._DEC, self._GROW = 5 * G, 5 * G + 1, 5 * G + 2, 5 * G + 3
        self._width = 6 * G + 3
        self._zero_row = [0.0] * self._width
        self.rows: list[list[float]] = [self._zero_row] * M
        # the rows' sums; growth is only summed where KV grows into the ledger (preempt mode)
        self.sums = [0.0] * (self._width if self.preempt else self._GROW)
        self._refreshes = 0
        self._train_cache: dict[int, tuple[float, list[float]]] = {}
        if s.b == 1 and config.prefill:
            for p, prof in lone_train_profiles(t, prompts, config.chunk_tokens).items():
                if len(self._train_cache) < _TRAIN_CACHE_SIZE:
                    self._train_cache[p] = (prof.latency_s, self._train_row(prof, 1))
        self.nxt = [math.inf] * M  # Phi of the unit's next milestone or re-evaluation
        self.milestone = [math.inf] * M
        # the current step's per-cycle rates
        self._tau = math.inf
        self._tok = 0.0
        self._energy = 0.0
        self._phi_next = math.inf
        self._kv_full = False
        # counters
        self.tokens_out = 0.0
        self.energy_dyn_j = 0.0
        self._busy = [0.0] * (3 * G)  # processing, KV DRAM, link seconds per group, by class
        self._rates = [0.0] * (3 * G)  # the same per second of the current step
        self._log = log
        self._log_max = config.timeline_max_passes
        self._stalled = 0  # steps in a row that moved neither t nor Phi
        self._last_step = (math.nan, math.nan)

    @property
    def busy_proc(self) -> np.ndarray:
        return np.array(self._busy[: self.G])

    @property
    def busy_link(self) -> np.ndarray:
        return np.array(self._busy[2 * self.G :])

    @property
    def busy_kv(self) -> np.ndarray:
        return np.array(self._busy[self.G : 2 * self.G])

    # ---- membership ---------------------------------------------------------------------

    def _has_active(self, m: int, exclude: int = -1) -> bool:
        plans, jp, phi = self.plans, self.join_phi, self.Phi + _EPS
        return any(s != exclude and plans[s] is not None and jp[s] <= phi for s in self.unit_seats[m])

    def join(self, seat: int, t: float) -> Sequence[Event]:
        """A request takes ``seat``: it rides from its unit's next cycle boundary (now, if the
        unit carries no one)."""
        seats = self.seats
        self.plans[seat] = _Plan(  # .item(): the arrays' numbers as Python numbers
            seats.req.item(seat), seats.pre.item(seat), float(seats.p_eff.item(seat)), seats.kv0.item(seat),
            seats.dec.item(seat), seats.fixed.item(seat), seats.chunks(seat) > 1,
        )
        self.first_k[seat] = seats.first_k.item(seat)
        m = seats.unit.item(seat)
        if self.seats.b == 1 or not self._has_active(m, exclude=seat):
            self.base[m] = self.Phi
            self.join_phi[seat] = self.Phi
        else:
            self.join_phi[seat] = self.base[m] + math.ceil(self.Phi - self.base[m] - _EPS)
        self.touched.add(m)
        self.dirty = True
        return ()

    def _vacate(self, seat: int) -> None:
        self.join_phi[seat] = math.nan
        self.plans[seat] = None
        self.seats.vacate(seat)
        m = int(self.seats.unit[seat])
        if self.seats.b > 1 and not self._has_active(m):
            self.base[m] = self.Phi
            for s in self.unit_seats[m]:  # riders waiting for the next boundary start now
                if self.plans[s] is not None:
                    self.join_phi[s] = self.Phi
        self.touched.add(m)
        self.dirty = True

    # ---- one unit (S1, S4) ------------------------------------------------------------

    def _refresh(self, m: int) -> None:
        """Re-evaluate unit ``m`` at the current ``Phi``: its work, cycle time, resource times
        and energy per cycle with their slopes per cycle, and its next milestone."""
        k, Phi = self.k, self.Phi
        W, G = k.W, k.G
        w_range = k.w_range
        windows = k.windows
        plans, join_phi, first_k = self.plans, self.join_phi, self.first_k
        phi_eps = Phi + _EPS
        n = 0.0
        A = [0.0] * W  # attended context (S1)
        R = [0.0] * W  # KV tokens read from DRAM
        dA = [0.0] * W  # growth per cycle of both, from growing decode seats
        nxt = math.inf
        members = False
        train = False  # a prompt in more than one chunk: the numpy path (F6), which needs no A, R
        prompt = 0.0  # such a prompt's length
        kink = math.inf  # cycles until a slope changes (window reached, overlap branch switch)
        active: list[int] = []
        for s in self.unit_seats[m]:
            plan = plans[s]
            if plan is None:
                continue
            members = True
            jp = join_phi[s]
            if jp > phi_eps:  # rides from the next boundary
                if jp < nxt:
                    nxt = jp
                continue
            active.append(s)
            _, pre, p_eff, kv0, dec, fixed, many_chunks = plan
            kk = Phi - jp
            kf = math.floor(kk + _EPS)
            if kf < pre:  # the prompt (F1, F4)
                n += p_eff
                if many_chunks:
                    train = True
                    prompt = p_eff
                elif not train:
                    for w in w_range:
                        A[w] += attended_context_scalar(0.0, p_eff, windows[w])
                nk = kf + 1
            else:  # one decode token; the context in the middle of the current cycle (S6)
                n += 1.0
                ctx = fixed if fixed > 0 else kv0 + (kk - pre) - 0.5
                for w in w_range:
                    win = windows[w]
                    v = win if win < ctx else ctx
                    A[w] += v
                    R[w] += v
                    if fixed == 0 and ctx < win:
                        dA[w] += 1.0
                        if win - ctx < kink:  # the context reaches the window
                            kink = win - ctx
                nk = pre + dec
            fk = first_k[s]
            if kf < fk < nk:
                nk = fk
            if jp + nk < nxt:
                nxt = jp + nk
        if not members:
            self.live.discard(m)
            self.aL[m] = -math.inf
            self.bL[m] = 0.0
            self._set_row(m, self._zero_row)
            self.nxt[m] = math.inf
            self.milestone[m] = math.inf
            return
        self.live.add(m)
        if train:
            self._refresh_train(m, active, nxt, prompt)
            return
        L = k.hop_total
        dL = 0.0
        drift = 0.0
        i_sram = int(n)
        in_table = i_sram < k.n_tab  # (P8) tabulated; beyond it, sram_at extrapolates
        row = [0.0] * self._width  # see __init__
        grow = self._GROW
        g = 0
        for lin, write, link_s, count, at, rd, sram_row, kv_per_ctx in k.classes:
            comp = n * lin  # (P7) summed over the unit's tokens
            kv = n * write  # (P9)
            dcomp = dkv = 0.0
            g_grow = 0.0
            for w in w_range:
                comp += A[w] * at[w]
                kv += R[w] * rd[w]
                dcomp += dA[w] * at[w]
                dkv += dA[w] * rd[w]
                g_grow += dA[w] * kv_per_ctx[w]
            sram = sram_row[i_sram] if in_table else k.sram_at(sram_row, n)  # (P8)
            if comp >= kv and comp >= sram:  # (P4) the overlap rule: the longest of the three
                proc, dproc = comp, dcomp
            elif kv >= sram:
                proc, dproc = kv, dkv
            else:
                proc, dproc = sram, 0.0
            if dcomp > dproc:  # another term overtakes the longest
                x = (proc - comp) / (dcomp - dproc)
                if x < kink:
                    kink = x
            if dkv > dproc:
                x = (proc - kv) / (dkv - dproc)
                if x < kink:
                    kink = x
            link = n * link_s  # (P10)
            row[g] = proc - Phi * dproc
            row[G + g] = kv - Phi * dkv
            row[2 * G + g] = link
            row[3 * G + g] = dproc
            row[4 * G + g] = dkv
            row[grow + g] = g_grow
            L += count * (proc + link)
            dL += count * dproc
            if proc > 0:
                x = abs(dproc) / proc
                if x > drift:
                    drift = x
            g += 1
        if L > 0:
            x = abs(dL) / L
            if x > drift:
                drift = x
        E = k.e_tok * n + (k.e_sram[i_sram] if in_table else k.sram_at(k.e_sram, n))  # (E2..E4) of the pass
        dE = 0.0
        for w in w_range:
            E += A[w] * k.e_attn[w] + R[w] * k.e_read[w]
            dE += dA[w] * (k.e_attn[w] + k.e_read[w])
        self.aL[m] = L - Phi * dL
        self.bL[m] = dL
        row[self._AE] = E - Phi * dE
        row[self._BE] = dE
        row[self._DEC] = float(len(active))  # every seat yields a token per cycle
        self._set_row(m, row)
        self.milestone[m] = nxt
        # between kinks every figure is exactly affine in Phi; the tolerance only guards the
        # common period's max over units (S6)
        span = min(kink, self.tol / drift if drift > 0 else math.inf)
        self.nxt[m] = min(nxt, Phi + max(span, 1.0))

    def _refresh_train(self, m: int, active: list[int], nxt: float, prompt: float) -> None:
        """A unit carrying a prompt in several chunks (one of them of length ``prompt``): its
        pass is a train (F6), one cycle."""
        seats, Phi = self.seats, self.Phi
        key = int(prompt) if len(active) == 1 else None
        hit = self._train_cache.get(key) if key is not None else None
        if hit is not None:  # a lone prompt's pass depends on its length only
            self.aL[m] = hit[0]
            self.bL[m] = 0.0
            self._set_row(m, hit[1])
            self.milestone[m] = nxt
            self.nxt[m] = nxt
            return
        if key is not None:
            prof = lone_train_profile(self.table, key, self.chunk)
        else:
            idx = np.array(active, dtype=np.int64)
            kk = np.array([Phi - self.join_phi[s] for s in active])
            ctx = seats.kv0[idx] + np.maximum(kk - seats.pre[idx], 0.0)
            ctx = np.where(seats.fixed[idx] > 0, seats.fixed[idx], ctx)
            tokens, attn, read, _ = seats.pass_work(idx, np.floor(kk + _EPS).astype(np.int64), ctx)
            prof = pass_profile(self.table, tokens, attn, read)
        self.aL[m] = prof.latency_s
        self.bL[m] = 0.0
        row = self._train_row(prof, len(active))
        if key is not None and len(self._train_cache) < _TRAIN_CACHE_SIZE:
            self._train_cache[key] = (prof.latency_s, row)
        self._set_row(m, row)
        self.milestone[m] = nxt
        self.nxt[m] = nxt

    def _train_row(self, prof: PassProfile, seats: int) -> list[float]:
        """The summable row (see __init__) of a unit whose pass is the train ``prof``."""
        G = self.G
        row = prof.p_sum + prof.kv_sum + prof.l_sum + [0.0] * (2 * G)
        return row + [prof.energy_j, 0.0, float(seats)] + [0.0] * G

    def _set_row(self, m: int, row: list[float]) -> None:
        old = self.rows[m]
        self.rows[m] = row
        self._refreshes += 1
        if self._refreshes % 4096 == 0:  # re-add from scratch now and then (rounding)
            self.sums = [sum(col) for col in zip(*self.rows, strict=True)][: len(self.sums)]
        else:
            self.sums = [a + n - o for a, n, o in zip(self.sums, row, old)]

    # ---- time ---------------------------------------------------------------------------

    def advance_to(self, t: float) -> None:
        dt = t - self.t
        if dt <= 0:
            return
        self.t = t
        if self._tau == math.inf:
            return
        d = dt / self._tau
        self.Phi += d
        self.tokens_out += self._tok * d
        self.energy_dyn_j += self._energy * d
        self._busy = [b + r * d for b, r in zip(self._busy, self._rates, strict=True)]
        if self.preempt:
            self._sync_kv()

    def replan(self, now: float) -> PipelineStep | None:
        t_next = self.plan()
        return PipelineStep(max(t_next, now), self.generation, self) if t_next < math.inf else None

    def plan(self) -> float:
        """(S5, S6) The common cycle time of the running units and the time of the next step."""
        self.dirty = False
        self.generation += 1
        self._kv_full = False
        for m in sorted(self.touched):
            self._refresh(m)
        self.touched.clear()
        live = self.live
        nxt = self.nxt
        phi_next = math.inf  # the earliest milestone or re-evaluation (loops: few live units)
        for m in live:
            if nxt[m] < phi_next:
                phi_next = nxt[m]
        if phi_next == math.inf:
            self._tau = math.inf
            self._tok = self._energy = 0.0
            self.next_t = math.inf
            return math.inf
        Phi = self.Phi
        d_phi = max(phi_next - Phi, 0.0)
        mid = Phi + d_phi / 2.0
        G = self.G
        S = self.sums
        B = self._B
        # processing, KV DRAM, links
        rates = [a + mid * b for a, b in zip(S[: 2 * G], S[B : B + 2 * G])] + S[2 * G : B]
        aL, bL = self.aL, self.bL
        tau = -math.inf  # (S5) the slowest unit's own cycle, or the busiest resource's work
        for m in live:
            L = aL[m] + mid * bL[m]
            if L > tau:
                tau = L
        tau = max(tau, max(rates[:G]), max(rates[2 * G :]))
        self._tau = tau
        self._tok = S[self._DEC]
        self._energy = S[self._AE] + mid * S[self._BE]
        self._rates = rates
        dt = d_phi * tau
        if self.preempt:
            growth = np.array(S[self._GROW:self._GROW + G]) / tau  # KV bytes per second per group (S8)
            free = self.ledger.cap - self.ledger.used
            mask = self.table.has_kv & (growth > 0)
            if mask.any():
                t_full = float(np.min(np.maximum(free[mask], 0.0) / growth[mask]))
                if t_full < dt:
                    dt = t_full
                    phi_next = Phi + t_full / tau
                    self._kv_full = True
        self._phi_next = phi_next
        self.next_t = self.t + dt
        if self._log is not None and len(self._log.utilization) < self._log_max:
            self._log.utilization.append((self.t, tuple(x / tau for x in rates[:G]), tuple(x / tau for x in rates[2 * G :])))
        return self.next_t

    def step(self, generation: int, t: float) -> Sequence[Event]:
        """A planned step ends (the engine advanced to ``t``): handle the milestones reached."""
        if generation != self.generation:
            return ()  # planned before the state changed
        self.Phi = max(self.Phi, self._phi_next)  # snap onto the boundary
        Phi = self.Phi
        self._check_progress(t, Phi)
        seats = self.seats
        out: list[Event] = []
        reach = Phi + 1e-7
        nxt, milestone, plans, first_k = self.nxt, self.milestone, self.plans, self.first_k
        due = []
        for m in self.live:
            if nxt[m] <= reach:
                due.append(m)
        due.sort()
        for m in due:
            self.touched.add(m)
            if milestone[m] > reach:
                continue  # a re-evaluation, not a milestone
            for s in self.unit_seats[m]:
                plan = plans[s]
                if plan is None:
                    continue
                kk = Phi - self.join_phi[s]
                kr = round(kk)
                if kr < 0 or abs(kk - kr) > 1e-6:
                    continue
                if first_k[s] == kr:
                    first_k[s] = -1
                    seats.first_token_out(s)
                    out.append(PrefillDone(t, plan.req))
                if kr >= plan.pre + plan.dec:
                    self._vacate(s)
                    out.append(RequestFinished(t, plan.req, s))
        if self._kv_full:
            out.extend(self._preempt_newest(t))
        self.dirty = True
        return out

    def _check_progress(self, t: float, Phi: float) -> None:
        """Raise instead of spinning when steps no longer move the clock or the cycle count
        (times so large that a step is below the clock's floating-point resolution)."""
        if (t, Phi) == self._last_step:
            self._stalled += 1
            if self._stalled > _MAX_STALLED_STEPS:
                raise SimulationError(
                    f"the fast mode stopped advancing at t = {t:.6g} s ({self._stalled} steps without progress): "
                    "simulated times this large leave too little floating-point resolution for a pipeline "
                    "cycle; start the traffic near t = 0"
                )
        else:
            self._stalled = 0
            self._last_step = (t, Phi)

    # ---- KV (preempt mode) --------------------------------------------------------------

    def _held_tokens(self, s: int) -> float:
        seats = self.seats
        k = max(self.Phi - self.join_phi[s], 0.0)
        return float(seats.kv0[s]) + max(math.floor(k + _EPS) - int(seats.pre[s]), 0)

    def _sync_kv(self) -> None:
        seats = self.seats
        for s in np.flatnonzero((seats.req >= 0) & (seats.fixed == 0)).tolist():
            if self.join_phi[s] <= self.Phi + _EPS:
                held = resident_kv_bytes(self.table, np.float64(self._held_tokens(s)))
                self.ledger.set(int(seats.req[s]), held)

    def _preempt_newest(self, t: float) -> list[Event]:
        seats = self.seats
        occ = np.flatnonzero(seats.req >= 0)
        if occ.size == 0:
            return []
        s = int(occ[np.argmax(seats.order[occ])])
        gen = seats.generated(s, max(self.Phi - self.join_phi[s], 0.0))
        req = int(seats.req[s])
        self._vacate(s)
        return [Preemption(t, req, s, gen)]
