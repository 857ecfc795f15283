"""Reference mode: a unit leaves the last chip group; each of its seats has one more token
(or one more prefill chunk), and the unit starts its next cycle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.engine import Simulation


@dataclass(slots=True)
class CycleDone:
    time: float
    unit: int
    priority: ClassVar[int] = 1

    def handle(self, sim: Simulation) -> None:
        sim.pipe.cycle_done(self.unit, self.time)  # type: ignore[union-attr]
