"""Reference mode: a micro-batch unit enters the first chip group carrying its seats' work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.loop import Event
    from kvpipe.sim.reference import ReferencePipeline
    from kvpipe.sim.serving import Serving


@dataclass(slots=True)
class CycleStart:
    time: float
    unit: int
    pipeline: ReferencePipeline
    priority: ClassVar[int] = 7

    def handle(self, sim: Serving) -> Sequence[Event]:
        return self.pipeline.start_cycle(self.unit, self.time)
