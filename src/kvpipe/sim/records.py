"""The raw material of a simulated run: per-request records, counters, the optional timeline log,
the names of the chip-group classes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from kvpipe.sim.requests import FloatArray, IntArray

if TYPE_CHECKING:
    from kvpipe.mapping.placement import GroupClass


def class_name(gc: GroupClass) -> str:
    """What a class of chip groups holds, in words: decoder layers (with their KV), the
    embedding (a per-token row lookup, no layers) or the LM head (no layers, no lookup)."""
    if gc.layers == 0:
        return "embedding" if gc.token_read_bytes > 0 else "LM head"
    what = "decoder-layer groups" if gc.has_kv else "layer groups without KV"
    if gc.token_read_bytes > 0:
        what = "embedding + " + what
    return what if gc.layers == 1 else f"{what} ({gc.layers} layers each)"


def class_names(classes: tuple[GroupClass, ...]) -> tuple[str, ...]:
    """:func:`class_name` of each class, numbered where two classes would read the same."""
    names = [class_name(c) for c in classes]
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if names.count(n) > 1:
            seen[n] = seen.get(n, 0) + 1
            n = f"{n} #{seen[n]}"
        out.append(n)
    return tuple(out)


# why an arrival is turned away (keys of SimMetrics.requests_rejected_by_reason)
REJECT_REASONS = {
    "queue_full": "the queue held --max-queue requests",
    "kv_never_fits": "its KV does not fit in an empty chip group",
}


@dataclass(frozen=True, eq=False)
class Counters:
    """Cumulative quantities of a run at ``time_s`` (differences give window figures)."""

    time_s: float
    output_tokens: float
    energy_j: float  # dynamic + static + memory background since t = 0
    busy_proc_s: FloatArray  # (G,) per group of each class: processing busy time
    busy_link_s: FloatArray  # (G,) link busy time
    busy_kv_s: FloatArray  # (G,) KV DRAM busy time
    in_system_s: float  # integral of requests in the system (queued + running)
    queued_s: float
    running_s: float
    kv_byte_s: FloatArray  # (G,) integral of KV bytes held per group
    kv_bytes: FloatArray  # (G,) KV bytes held now
    in_system: int
    completed: int
    rejected: int


@dataclass(frozen=True, eq=False)
class RequestRecords:
    """What happened to every request (NaN: did not happen within the run)."""

    arrival_s: FloatArray
    prompt_tokens: IntArray
    output_tokens: IntArray
    admit_s: FloatArray  # first admission
    first_token_s: FloatArray
    finish_s: FloatArray
    rejected: np.ndarray
    preemptions: IntArray
    reject_reason: np.ndarray | None = None  # per request: a REJECT_REASONS key, or "" if not rejected

    def __len__(self) -> int:
        return len(self.arrival_s)

    @property
    def finished(self) -> np.ndarray:
        return ~np.isnan(self.finish_s)

    @property
    def ttft_s(self) -> FloatArray:
        return self.first_token_s - self.arrival_s

    @property
    def e2e_s(self) -> FloatArray:
        return self.finish_s - self.arrival_s

    @property
    def tpot_s(self) -> FloatArray:
        """Mean time between output tokens, ``(finish - first token) / (output - 1)``."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(
                self.output_tokens > 1, (self.finish_s - self.first_token_s) / (self.output_tokens - 1), np.nan
            )

    @property
    def queueing_s(self) -> FloatArray:
        return self.admit_s - self.arrival_s


@dataclass
class TimelineLog:
    """Raw material for a Chrome-trace timeline (see :mod:`kvpipe.sim.timeline`)."""

    # per request: (request, phase or None, time); a phase lasts until the next mark
    request_marks: list[tuple[int, str | None, float]] = field(default_factory=list)
    # reference mode: (stage, class, unit, start, end, what) spans of one unit at one group
    passes: list[tuple[int, int, int, float, float, str]] = field(default_factory=list)
    # fast mode: (time, utilization of processing per class, of links per class)
    utilization: list[tuple[float, tuple[float, ...], tuple[float, ...]]] = field(default_factory=list)
    # (time, KV bytes held per group of each class)
    kv: list[tuple[float, tuple[float, ...]]] = field(default_factory=list)
    dropped_passes: int = 0

    def request_phase(self, r: int, phase: str | None, t: float) -> None:
        self.request_marks.append((r, phase, t))
