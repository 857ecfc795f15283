"""Reference mode: a unit leaves the last chip group; each of its seats has one more token
(or one more prefill chunk), and the unit starts its next cycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.loop import Event
    from kvpipe.sim.reference import ReferencePipeline
    from kvpipe.sim.serving import Serving


@dataclass(slots=True)
class CycleDone:
    time: float
    unit: int
    pipeline: ReferencePipeline
    priority: ClassVar[int] = 1

    def handle(self, sim: Serving) -> Sequence[Event]:
        return self.pipeline.cycle_done(self.unit, self.time)
