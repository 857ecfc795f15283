"""Reference mode: a micro-batch unit enters the first chip group carrying its seats' work."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.engine import Simulation


@dataclass(slots=True)
class CycleStart:
    time: float
    unit: int
    priority: ClassVar[int] = 7

    def handle(self, sim: Simulation) -> None:
        sim.pipe.start_cycle(self.unit, self.time)  # type: ignore[union-attr]
