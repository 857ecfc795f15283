"""Reference mode: a unit finishes a step at one chip group.

``phase`` 0: the unit arrives at the group (after the previous group's hops); 1: processing
(compute / SRAM / KV, overlapped, P4) done; 2: link transfer done (the hops follow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.loop import Event
    from kvpipe.sim.reference import ReferencePipeline
    from kvpipe.sim.serving import Serving

ARRIVE, PROC_DONE, LINK_DONE = 0, 1, 2


@dataclass(slots=True)
class StageDone:
    time: float
    unit: int
    stage: int
    phase: int
    pipeline: ReferencePipeline
    priority: ClassVar[int] = 0

    def handle(self, sim: Serving) -> Sequence[Event]:
        return self.pipeline.stage_event(self.unit, self.stage, self.phase, self.time)
