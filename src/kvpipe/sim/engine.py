"""The serving simulation: the event loop over requests, admission, KV accounting and a pipeline.

:func:`simulate` is the entry point. A :class:`Simulation` wires the collaborators the events
act on (docs/sim.md, S2): the request table, the admission policy (queue, free seats, the KV
ledger), the traffic source, the timeline tracer, and one of the two pipelines (``fast``:
fluid, ``reference``: every pass of every unit through every group); it keeps the time
integrals for Little's law and the counters the metrics are computed from.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kvpipe.mapping.placement import place
from kvpipe.perf.inputs import inputs_from_system
from kvpipe.perf.service import ServiceTable, service_table
from kvpipe.sim.admission import AdmissionPolicy, KvLedger
from kvpipe.sim.arrivals import ClosedLoop, streams
from kvpipe.sim.config import Mode, SimConfig
from kvpipe.sim.errors import SimulationError
from kvpipe.sim.events import Snapshot, Stop
from kvpipe.sim.fluid import FluidPipeline
from kvpipe.sim.loop import EventLoop
from kvpipe.sim.metrics import compute_metrics
from kvpipe.sim.pipeline import Pipeline
from kvpipe.sim.records import Counters, TimelineLog, class_names
from kvpipe.sim.reference import ReferencePipeline
from kvpipe.sim.requests import Requests
from kvpipe.sim.result import SimResult
from kvpipe.sim.seats import Seats
from kvpipe.sim.serving import Serving, TrafficSource
from kvpipe.sim.table import RequestTable
from kvpipe.sim.tracer import Tracer
from kvpipe.sim.traffic import ClosedTraffic, OpenTraffic
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
        self.ledger = KvLedger(self.table)

        _, rng_prompt, rng_output, rng_think = streams(seed)
        self.traffic: TrafficSource
        if isinstance(traffic, Requests):
            self.requests = RequestTable(traffic if config.duration_s is None else traffic.until(config.duration_s))
            self.traffic = OpenTraffic(self.requests)
        else:
            if config.duration_s is None:
                raise SimulationError("a closed-loop simulation needs a duration (duration_s)")
            self.requests = RequestTable()
            self.traffic = ClosedTraffic(traffic, self.requests, config.duration_s, rng_prompt, rng_output, rng_think)

        # time integrals and counters (the pipeline adds tokens, energy and busy times)
        self._t_last = 0.0
        self.int_system = 0.0
        self.int_queue = 0.0
        self.int_running = 0.0
        self.int_kv = [0.0] * self.table.n_classes
        self.stopped = False
        self.snapshots: dict[str, Counters] = {}
        self.series: list[Counters] = []
        n = len(self.requests)
        horizon = config.duration_s or (float(self.requests.arrival_s[n - 1]) if n else 1.0) or 1.0
        self._series_dt = horizon / (4 * max(config.series_points, 1))
        self._next_sample = 0.0

        self.timeline = TimelineLog() if config.record_timeline else None
        self.tracer = Tracer(self.timeline, config.timeline_max_requests, config.timeline_max_passes)
        if config.mode is Mode.REFERENCE:
            self._check_reference_size(b)
        self.pipeline: Pipeline
        if config.mode is Mode.FAST:
            known = self.requests.prompt_tokens[: len(self.requests)].tolist()  # empty for a closed loop
            self.pipeline = FluidPipeline(self.table, self.seats, config, self.ledger, self.timeline, known)
        else:
            self.pipeline = ReferencePipeline(self.table, self.seats, config, self.ledger, self.timeline)
        self.admission = AdmissionPolicy(config, self.requests, self.seats, self.ledger, self.pipeline, self.tracer)
        self.serving = Serving(self.requests, self.admission, self.traffic, self.tracer, self)

    def reference_events_estimate(self, micro_batch: int) -> int:
        """A lower bound on the events a reference run of the known requests handles (S3).

        Every cycle of a unit yields one token per seat, so the requests need at least
        ``sum(output) / micro_batch`` unit cycles; a cycle is two events per pipeline stage for
        the prefill's pass (a chunk train: arrival, processing done) and three for a decode
        pass (arrival, processing done, link done). A closed loop creates its requests as it
        runs, so it is not estimated (0); the run's own ``max_events`` stop still applies.
        """
        stages = int(round(float(self.table.counts.sum())))
        outputs = self.requests.output_tokens[: len(self.requests)].astype(np.float64)
        cycles_prefill = outputs.size
        cycles_decode = float(np.maximum(outputs - 1, 0).sum())
        return int(stages * (2 * cycles_prefill + 3 * cycles_decode) / max(micro_batch, 1))

    def _check_reference_size(self, micro_batch: int) -> None:
        est = self.reference_events_estimate(micro_batch)
        if est > self.config.max_events:
            raise SimulationError(
                f"a reference-mode run of these {len(self.requests)} requests needs at least {est:,} events "
                f"(the limit is {self.config.max_events:,}): use --mode fast, or a shorter --duration or a lower "
                "arrival rate"
            )

    # ---- run control (the Snapshot and Stop events) -------------------------------------

    def snapshot(self, name: str) -> None:
        self.snapshots[name] = self.counters()

    def stop(self) -> None:
        self.stopped = True

    # ---- time ---------------------------------------------------------------------------

    def advance_to(self, t: float) -> None:
        dt = t - self._t_last
        if dt <= 0 and self.series:  # nothing moves (the pipeline and the samples are at t already)
            return
        if dt > 0:
            adm = self.admission
            n_queue = len(adm.queue)
            self.int_system += (n_queue + adm.n_running) * dt
            self.int_queue += n_queue * dt
            self.int_running += adm.n_running * dt
            self.int_kv = [a + u * dt for a, u in zip(self.int_kv, self.ledger.used_list)]
            self._t_last = t
        self.pipeline.advance_to(t)
        if t >= self._next_sample:
            self.series.append(self.counters())
            self._next_sample = t + self._series_dt

    def counters(self) -> Counters:
        p = self.pipeline
        t = self._t_last
        adm = self.admission
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
            kv_byte_s=np.array(self.int_kv),
            kv_bytes=self.ledger.used.copy(),
            in_system=len(adm.queue) + adm.n_running,
            completed=self.requests.completed,
            rejected=self.requests.rejected,
        )

    # ---- run ----------------------------------------------------------------------------

    def run(self, progress: Callable[[float], None] | None = None) -> SimResult:
        """Run to the end; ``progress(simulated time in s)`` is called every few thousand events."""
        cfg = self.config
        loop = self.loop
        for first in self.traffic.start():
            loop.schedule(first)
        self.series.append(self.counters())
        self._next_sample = self._series_dt
        if cfg.warmup_s > 0:
            loop.schedule(Snapshot(cfg.warmup_s, "warmup"))
        else:
            self.snapshot("warmup")
        if cfg.duration_s is not None and not cfg.drain:
            loop.schedule(Stop(cfg.duration_s))
        pipe = self.pipeline
        serving = self.serving
        max_events = cfg.max_events
        while True:
            if pipe.dirty and loop.peek_time() > loop.now:
                step = pipe.replan(loop.now)
                if step is not None:
                    loop.schedule(step)
            ev = loop.pop()
            if ev is None:
                break
            self.advance_to(ev.time)
            for new in ev.handle(serving):
                loop.schedule(new)
            if progress is not None and not loop.handled & _PROGRESS_EVERY:
                progress(loop.now)
            if self.stopped:
                break
            if loop.handled > max_events:
                raise SimulationError(
                    f"more than {max_events:,} events: use --mode fast, or a shorter --duration, for runs this long"
                )
        # the run lasts at least its duration: the system is powered (static power, memory
        # background) until then even when every request has finished, or none arrived
        end = loop.now if cfg.duration_s is None else max(cfg.duration_s, loop.now)
        self.advance_to(end)
        self.snapshot("end")
        self.series.append(self.snapshots["end"])
        return self._result()

    def _result(self) -> SimResult:
        records = self.requests.records()
        metrics = compute_metrics(self.config, self.table, self.snapshots, self.series, records)
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
