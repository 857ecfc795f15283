"""Reference mode: a micro-batch unit enters the first chip group carrying its seats' work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving


class CycleStarts(Protocol):
    """What this event asks of its pipeline (a unit's cycle starts in the reference pipeline: :class:`~kvpipe.sim.reference.ReferencePipeline`)."""

    def start_cycle(self, unit: int, t: float, /) -> Sequence[Event]: ...


@dataclass(slots=True)
class CycleStart:
    time: float
    unit: int
    pipeline: CycleStarts
    priority: ClassVar[int] = 7

    def handle(self, sim: Serving) -> Sequence[Event]:
        return self.pipeline.start_cycle(self.unit, self.time)
