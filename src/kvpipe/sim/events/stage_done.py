"""Reference mode: a unit finishes a step at one chip group.

``phase`` 0: the unit arrives at the group (after the previous group's hops); 1: processing
(compute / SRAM / KV, overlapped, P4) done; 2: link transfer done (the hops follow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving

ARRIVE, PROC_DONE, LINK_DONE = 0, 1, 2


class StageEvents(Protocol):
    """What this event asks of its pipeline (a stage event of the reference pipeline: :class:`~kvpipe.sim.reference.ReferencePipeline`)."""

    def stage_event(self, unit: int, stage: int, phase: int, t: float, /) -> Sequence[Event]: ...


@dataclass(slots=True)
class StageDone:
    time: float
    unit: int
    stage: int
    phase: int
    pipeline: StageEvents
    priority: ClassVar[int] = 0

    def handle(self, sim: Serving) -> Sequence[Event]:
        return self.pipeline.stage_event(self.unit, self.stage, self.phase, self.time)
