"""The collaborators a simulation event acts on: each event takes them by name and returns
the events it schedules (docs/sim.md, "Adding an event")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from kvpipe.sim.admission import AdmissionPolicy
    from kvpipe.sim.loop import Event
    from kvpipe.sim.table import RequestTable
    from kvpipe.sim.tracer import Tracer


class TrafficSource(Protocol):
    """Where requests come from: a known list (open loop) or clients that wait and think."""

    def start(self) -> Sequence[Event]:
        """The first arrivals."""

    def after_arrival(self, r: int) -> Event | None:
        """Request ``r`` arrived: the next arrival to schedule, if any."""

    def after_finish(self, r: int, t: float) -> Event | None:
        """Request ``r`` finished at ``t``: the request its client sends next, if any."""


class RunControl(Protocol):
    def snapshot(self, name: str) -> None:
        """Record the run's cumulative counters now under ``name``."""

    def stop(self) -> None:
        """End the run after the current event."""


@dataclass(frozen=True, slots=True)
class Serving:
    requests: RequestTable
    admission: AdmissionPolicy
    traffic: TrafficSource
    tracer: Tracer
    control: RunControl
