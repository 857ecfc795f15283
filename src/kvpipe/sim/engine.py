"""The serving simulation: requests, a queue, seats, per-group KV accounting and a pipeline.

:func:`simulate` is the entry point. A :class:`Simulation` holds the state the events act on
(docs/sim.md, S2): requests and their timestamps, the FIFO queue, free seats, the KV bytes
held in each chip group, time integrals for Little's law and utilizations, and one of the two
pipelines (``fast``: fluid, ``reference``: every pass of every unit through every group).
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable

import numpy as np

from kvpipe.mapping.placement import place
from kvpipe.perf.inputs import inputs_from_system
from kvpipe.perf.service import ServiceTable, resident_kv_bytes, service_table
from kvpipe.sim.arrivals import ClosedLoop, streams
from kvpipe.sim.config import Admission, Mode, SimConfig
from kvpipe.sim.errors import SimulationError
from kvpipe.sim.events import Arrival, PipelineStep, Snapshot, Stop
from kvpipe.sim.fluid import FluidPipeline
from kvpipe.sim.loop import EventLoop
from kvpipe.sim.reference import ReferencePipeline
from kvpipe.sim.requests import Requests
from kvpipe.sim.result import REJECT_REASONS, Counters, RequestRecords, SimResult, TimelineLog, class_names
from kvpipe.sim.seats import Seats
from kvpipe.system import System

Traffic = Requests | ClosedLoop
_PROGRESS_EVERY = 4095  # progress is reported every 4,096 events (a mask)


class Simulation:
    def __init__(self, system: System, traffic: Traffic, config: SimConfig, seed: int = 0) -> None:
        self.system = system
        self.config = config
        placement = place(system.model, system.precisions, system.chip, system.mapping)
        self.placement = placement
        self.table: ServiceTable = service_table(placement, inputs_from_system(system))
        slots = config.slots or system.workload.users
        b = min(config.micro_batch or system.workload.micro_batch, slots)
        self.seats = Seats(slots, b, self.table.windows, config.chunk_tokens)
        self.loop = EventLoop()
        self.kv_cap = self.table.kv_capacity_bytes_per_group
        self.kv_mask = self.table.has_kv
        g = self.table.n_classes

        # requests (lists: a closed loop creates them as it goes)
        self.traffic = traffic
        self.closed = traffic if isinstance(traffic, ClosedLoop) else None
        self._rng_arr, self._rng_prompt, self._rng_out, self._rng_think = streams(seed)
        if isinstance(traffic, Requests):
            reqs = traffic if config.duration_s is None else traffic.until(config.duration_s)
            self.arrival: list[float] = reqs.arrival_s.tolist()
            self.prompt: list[int] = reqs.prompt_tokens.tolist()
            self.output: list[int] = reqs.output_tokens.tolist()
            self.client: list[int] = [-1] * len(reqs)
        else:
            if config.duration_s is None:
                raise SimulationError("a closed-loop simulation needs a duration (duration_s)")
            self.arrival, self.prompt, self.output, self.client = [], [], [], []
        n = len(self.arrival)
        self.admit_s: list[float] = [math.nan] * n
        self.first_token_s: list[float] = [math.nan] * n
        self.finish_s: list[float] = [math.nan] * n
        self.rejected: list[bool] = [False] * n
        self.reject_reason: list[str] = [""] * n
        self.preemptions: list[int] = [0] * n
        self.generated: list[int] = [0] * n

        # serving state
        self.queue: deque[int] = deque()
        self.free: list[int] = list(range(slots))
        self.kv_used = np.zeros(g)
        self.kv_held: dict[int, np.ndarray] = {}
        self.seat_of: dict[int, int] = {}
        self.n_system = 0
        self.n_running = 0
        self._order = 0
        self.stopped = False

        # time integrals and counters (the pipeline adds tokens, energy and busy times)
        self._t_last = 0.0
        self.int_system = 0.0
        self.int_queue = 0.0
        self.int_running = 0.0
        self.int_kv = np.zeros(g)
        self.completed = 0
        self.n_rejected = 0
        self.snapshots: dict[str, Counters] = {}
        self._series: list[Counters] = []
        horizon = config.duration_s or (self.arrival[-1] if self.arrival else 1.0) or 1.0
        self._series_dt = horizon / (4 * max(config.series_points, 1))
        self._next_sample = 0.0

        self.timeline = TimelineLog() if config.record_timeline else None

        if config.mode is Mode.REFERENCE:
            self._check_reference_size(b)
        self.pipe: FluidPipeline | ReferencePipeline = (
            FluidPipeline(self) if config.mode is Mode.FAST else ReferencePipeline(self)
        )
        self._next_open = 0

    def reference_events_estimate(self, micro_batch: int) -> int:
        """A lower bound on the events a reference run of the known requests handles (S3).

        Every cycle of a unit yields one token per seat, so the requests need at least
        ``sum(output) / micro_batch`` unit cycles; a cycle is two events per pipeline stage for
        the prefill's pass (a chunk train: arrival, processing done) and three for a decode
        pass (arrival, processing done, link done). A closed loop creates its requests as it
        runs, so it is not estimated (0); the run's own ``max_events`` stop still applies.
        """
        stages = int(round(float(self.table.counts.sum())))
        outputs = np.asarray(self.output, dtype=np.float64)
        cycles_prefill = outputs.size
        cycles_decode = float(np.maximum(outputs - 1, 0).sum())
        return int(stages * (2 * cycles_prefill + 3 * cycles_decode) / max(micro_batch, 1))

    def _check_reference_size(self, micro_batch: int) -> None:
        est = self.reference_events_estimate(micro_batch)
        if est > self.config.max_events:
            raise SimulationError(
                f"a reference-mode run of these {len(self.output)} requests needs at least {est:,} events "
                f"(the limit is {self.config.max_events:,}): use --mode fast, or a shorter --duration or a lower "
                "arrival rate"
            )

    # ---- traffic ----------------------------------------------------------------------

    def _new_request(self, t: float, client: int) -> int:
        r = len(self.arrival)
        self.arrival.append(t)
        self.prompt.append(int(self.closed.prompt.sample(self._rng_prompt, 1)[0]))  # type: ignore[union-attr]
        self.output.append(int(self.closed.output.sample(self._rng_out, 1)[0]))  # type: ignore[union-attr]
        self.client.append(client)
        for lst, v in ((self.admit_s, math.nan), (self.first_token_s, math.nan), (self.finish_s, math.nan)):
            lst.append(v)
        self.rejected.append(False)
        self.reject_reason.append("")
        self.preemptions.append(0)
        self.generated.append(0)
        return r

    def next_open_arrival(self, r: int) -> None:
        """After request ``r`` arrived, schedule the next open-loop arrival (one at a time)."""
        if self.closed is None and r == self._next_open - 1 and self._next_open < len(self.arrival):
            self.loop.schedule(Arrival(self.arrival[self._next_open], self._next_open))
            self._next_open += 1

    def client_done(self, r: int, t: float) -> None:
        """A closed-loop client got its answer: it thinks, then sends its next request."""
        if self.closed is None:
            return
        c = self.client[r]
        t_next = t + self.closed.think_time(self._rng_think)
        if self.config.duration_s is not None and t_next >= self.config.duration_s:
            return
        self.loop.schedule(Arrival(t_next, self._new_request(t_next, c)))

    # ---- KV accounting and admission --------------------------------------------------

    def kv_need(self, r: int) -> np.ndarray:
        """KV bytes per group class request ``r`` must hold to be admitted (S8)."""
        fixed = self.config.fixed_context_tokens
        if fixed is not None:
            tokens = fixed
        elif self.config.admission is Admission.RESERVE:
            tokens = self.prompt[r] + self.output[r]
        else:
            tokens = self.prompt[r] + self.generated[r]
        return resident_kv_bytes(self.table, np.float64(tokens))

    def fits_alone(self, r: int) -> bool:
        fixed = self.config.fixed_context_tokens
        tokens = fixed if fixed is not None else self.prompt[r] + self.output[r]
        need = resident_kv_bytes(self.table, np.float64(tokens))
        return bool(np.all(need[self.kv_mask] <= self.kv_cap * (1 + 1e-12)))

    def admit(self) -> None:
        """Admit queued requests, first come first served, while a seat and KV are free."""
        t = self.loop.now
        while self.queue and self.free:
            r = self.queue[0]
            need = self.kv_need(r)
            if np.any((self.kv_used + need)[self.kv_mask] > self.kv_cap * (1 + 1e-12)):
                break
            self.queue.popleft()
            seat = heapq.heappop(self.free)
            self.kv_used += need
            self.kv_held[r] = need
            self.seat_of[r] = seat
            if math.isnan(self.admit_s[r]):
                self.admit_s[r] = t
            self.n_running += 1
            self._order += 1
            self.seats.occupy(
                seat, r, self.prompt[r], self.output[r], self.generated[r], self.config.prefill,
                self.config.fixed_context_tokens, self._order,
            )
            self.trace_mark(r, "prefill" if self.config.prefill else "decode", t)
            self._trace_kv(t)
            self.pipe.join(seat, t)

    def set_kv(self, r: int, held: np.ndarray) -> None:
        """Preempt mode: request ``r`` now holds ``held`` bytes per group class."""
        self.kv_used += held - self.kv_held[r]
        self.kv_held[r] = held

    def release(self, r: int, seat: int) -> None:
        self.kv_used -= self.kv_held.pop(r)
        np.maximum(self.kv_used, 0.0, out=self.kv_used)
        self._trace_kv(self.loop.now)
        del self.seat_of[r]
        heapq.heappush(self.free, seat)
        self.n_running -= 1

    def enter(self, r: int) -> None:
        self.n_system += 1
        self.trace_mark(r, "queued", self.loop.now)

    def leave(self, r: int) -> None:
        self.n_system -= 1
        self.completed += 1

    def reject(self, r: int, why: str) -> None:
        """Turn request ``r`` away; ``why`` is a key of :data:`REJECT_REASONS`."""
        if why not in REJECT_REASONS:
            raise ValueError(f"unknown rejection reason {why!r} (one of {', '.join(REJECT_REASONS)})")
        self.rejected[r] = True
        self.reject_reason[r] = why
        self.n_rejected += 1

    # ---- time ---------------------------------------------------------------------------

    def advance_to(self, t: float) -> None:
        dt = t - self._t_last
        if dt > 0:
            self.int_system += self.n_system * dt
            self.int_queue += len(self.queue) * dt
            self.int_running += self.n_running * dt
            self.int_kv += self.kv_used * dt
            self._t_last = t
        self.pipe.advance_to(t)
        if t >= self._next_sample:
            self._series.append(self.counters())
            self._next_sample = t + self._series_dt

    def counters(self) -> Counters:
        p = self.pipe
        t = self._t_last
        return Counters(
            time_s=t,
            output_tokens=p.tokens_out,
            energy_j=p.energy_dyn_j + (self.table.static_w + self.table.background_w) * t,
            busy_proc_s=p.busy_proc.copy(),
            busy_link_s=p.busy_link.copy(),
            busy_kv_s=p.busy_kv.copy(),
            in_system_s=self.int_system,
            queued_s=self.int_queue,
            running_s=self.int_running,
            kv_byte_s=self.int_kv.copy(),
            kv_bytes=self.kv_used.copy(),
            in_system=self.n_system,
            completed=self.completed,
            rejected=self.n_rejected,
        )

    def _trace_kv(self, t: float) -> None:
        log = self.timeline
        if log is not None and len(log.kv) < self.config.timeline_max_passes:
            log.kv.append((t, tuple((self.kv_used * self.kv_mask).tolist())))

    def trace_mark(self, r: int, phase: str | None, t: float) -> None:
        if self.timeline is not None and r < self.config.timeline_max_requests:
            self.timeline.request_phase(r, phase, t)

    # ---- run ----------------------------------------------------------------------------

    def run(self, progress: Callable[[float], None] | None = None) -> SimResult:
        """Run to the end; ``progress(simulated time in s)`` is called every few thousand events."""
        cfg = self.config
        loop = self.loop
        if self.closed is not None:
            for c in range(self.closed.clients):
                loop.schedule(Arrival(0.0, self._new_request(0.0, c)))
        elif self.arrival:
            loop.schedule(Arrival(self.arrival[0], 0))
            self._next_open = 1
        self._series.append(self.counters())
        self._next_sample = self._series_dt
        if cfg.warmup_s > 0:
            loop.schedule(Snapshot(cfg.warmup_s, "warmup"))
        else:
            self.snapshots["warmup"] = self.counters()
        if cfg.duration_s is not None and not cfg.drain:
            loop.schedule(Stop(cfg.duration_s))
        pipe = self.pipe
        fluid = isinstance(pipe, FluidPipeline)
        while True:
            if fluid and pipe.dirty and loop.peek_time() > loop.now:  # type: ignore[union-attr]
                t_next = pipe.plan()  # type: ignore[union-attr]
                if t_next < math.inf:
                    loop.schedule(PipelineStep(max(t_next, loop.now), pipe.generation))  # type: ignore[union-attr]
            if not len(loop):
                break
            ev = loop.pop()
            self.advance_to(ev.time)
            ev.handle(self)
            if progress is not None and not loop.handled & _PROGRESS_EVERY:
                progress(loop.now)
            if self.stopped:
                break
            if loop.handled > cfg.max_events:
                raise SimulationError(
                    f"more than {cfg.max_events:,} events: use --mode fast, or a shorter --duration, for runs this long"
                )
        # the run lasts at least its duration: the system is powered (static power, memory
        # background) until then even when every request has finished, or none arrived
        end = loop.now if cfg.duration_s is None else max(cfg.duration_s, loop.now)
        self.advance_to(end)
        self.snapshots["end"] = self.counters()
        self._series.append(self.snapshots["end"])
        return self._result()

    def _result(self) -> SimResult:
        from kvpipe.sim.metrics import compute_metrics

        records = RequestRecords(
            arrival_s=np.array(self.arrival, dtype=np.float64),
            prompt_tokens=np.array(self.prompt, dtype=np.int64),
            output_tokens=np.array(self.output, dtype=np.int64),
            admit_s=np.array(self.admit_s, dtype=np.float64),
            first_token_s=np.array(self.first_token_s, dtype=np.float64),
            finish_s=np.array(self.finish_s, dtype=np.float64),
            rejected=np.array(self.rejected, dtype=bool),
            preemptions=np.array(self.preemptions, dtype=np.int64),
            reject_reason=np.array(self.reject_reason, dtype=str),
        )
        metrics = compute_metrics(self, records)
        return SimResult(
            system_name=self.system.name,
            mode=self.config.mode.value,
            slots=self.seats.n,
            micro_batch=self.seats.b,
            metrics=metrics,
            requests=records,
            timeline=self.timeline,
            group_classes=tuple(int(c) for c in self.table.counts),
            events=self.loop.handled,
            group_class_names=class_names(self.placement.classes),
        )


def simulate(
    system: System, traffic: Traffic, config: SimConfig | None = None, seed: int = 0,
    progress: Callable[[float], None] | None = None,
) -> SimResult:
    """Simulate serving ``traffic`` on ``system``; the same seed gives the same result.
    ``progress(simulated time in s)``, if given, is called every few thousand events."""
    return Simulation(system, traffic, config or SimConfig(), seed).run(progress)
