"""The knobs of a serving simulation (everything that is not the system or the traffic)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Mode(str, Enum):
    FAST = "fast"  # fluid: advance between events with per-interval rates (docs/sim.md S4..S7)
    REFERENCE = "reference"  # every micro-batch pass through every group is an event (S3)


class Admission(str, Enum):
    RESERVE = "reserve"  # reserve the KV of prompt + output at admission; never preempt
    PREEMPT = "preempt"  # reserve as KV grows; when a group is full, preempt and recompute later


@dataclass(frozen=True)
class SimConfig:
    """How to run a simulation.

    ``slots`` and ``micro_batch`` default to the system's workload (users in flight and
    micro-batch). ``chunk_tokens`` is the prefill chunk (``None``: the whole prompt in one
    pass). ``prefill=False`` starts requests with their prompt's KV already present (prefix
    cache / disaggregated prefill); ``fixed_context_tokens`` makes every decode step attend to
    that many tokens, the analytic model's assumption, used to compare with it.

    ``duration_s`` ends arrivals (and closed-loop clients); with ``drain`` the run goes on until
    every admitted or queued request has finished, otherwise it stops at ``duration_s``.
    Metrics count the window ``[warmup_s, end]``.
    """

    mode: Mode = Mode.FAST
    slots: int | None = None
    micro_batch: int | None = None
    chunk_tokens: int | None = 16
    prefill: bool = True
    fixed_context_tokens: int | None = None
    admission: Admission = Admission.RESERVE
    max_queue: int | None = None  # reject arrivals that find this many requests waiting
    duration_s: float | None = None
    drain: bool = True
    warmup_s: float = 0.0
    slo_ttft_s: float | None = None
    slo_tpot_s: float | None = None
    step_tolerance: float = 0.1  # fast mode: largest relative drift of a unit's cycle time per step
    series_points: int = 512  # samples of the power / occupancy time series
    record_timeline: bool = False
    timeline_max_requests: int = 2000
    timeline_max_passes: int = 200_000  # reference mode: group-pass spans kept for the timeline
    max_events: int = 50_000_000  # reference mode safety stop

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", Mode(self.mode))
        object.__setattr__(self, "admission", Admission(self.admission))
        for name in ("slots", "micro_batch", "chunk_tokens", "fixed_context_tokens"):
            v = getattr(self, name)
            if v is not None and (int(v) != v or v < 1):
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        if self.max_queue is not None and self.max_queue < 0:
            raise ValueError("max_queue must be >= 0")
        if self.duration_s is not None and not self.duration_s > 0:
            raise ValueError("duration_s must be > 0")
        if self.warmup_s < 0 or (self.duration_s is not None and self.warmup_s >= self.duration_s):
            raise ValueError("warmup_s must be >= 0 and below duration_s")
        if not 0 < self.step_tolerance < 1:
            raise ValueError("step_tolerance must be in (0, 1)")
        for name in ("slo_ttft_s", "slo_tpot_s"):
            v = getattr(self, name)
            if v is not None and not v > 0:
                raise ValueError(f"{name} must be > 0")
