"""Reference mode: a unit leaves the last chip group; each of its seats has one more token
(or one more prefill chunk), and the unit starts its next cycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving


class CycleEnds(Protocol):
    """What this event asks of its pipeline (a unit's cycle ends in the reference pipeline: :class:`~kvpipe.sim.reference.ReferencePipeline`)."""

    def cycle_done(self, unit: int, t: float, /) -> Sequence[Event]: ...


@dataclass(slots=True)
class CycleDone:
    time: float
    unit: int
    pipeline: CycleEnds
    priority: ClassVar[int] = 1

    def handle(self, sim: Serving) -> Sequence[Event]:
        return self.pipeline.cycle_done(self.unit, self.time)
