"""The collaborators a simulation event acts on: each event takes them by name and returns
the events it schedules (docs/sim.md, "Adding an event")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from kvpipe.sim.table import RequestTable
    from kvpipe.sim.tracer import Tracer


class Event(Protocol):
    """Something that happens at ``time``; events at one time run in ``priority`` order, then
    in the order they were scheduled (which makes runs deterministic). ``handle`` acts on the
    named collaborators of :class:`Serving` (or on the pipeline the event belongs to) and
    returns the events it schedules, in order."""

    time: float
    priority: ClassVar[int]

    def handle(self, sim: Serving) -> Sequence[Event]: ...


class AdmissionControl(Protocol):
    """What events ask of admission (implemented by :class:`~kvpipe.sim.admission.AdmissionPolicy`)."""

    def refusal(self, r: int) -> str | None:
        """Why arriving request ``r`` is turned away (a ``REJECT_REASONS`` key), or None."""

    def enqueue(self, r: int) -> None:
        """Request ``r`` waits for a seat."""

    def requeue(self, r: int, t: float) -> None:
        """Preempted request ``r`` goes back to the head of the queue at ``t``."""

    def admit(self, t: float) -> Sequence[Event]:
        """Admit queued requests while a seat and KV are free; the pipeline's events."""

    def release(self, r: int, seat: int, t: float) -> None:
        """Request ``r`` leaves ``seat`` at ``t`` (finished or preempted): its KV and seat are free."""


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
    admission: AdmissionControl
    traffic: TrafficSource
    tracer: Tracer
    control: RunControl
