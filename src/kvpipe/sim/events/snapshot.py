"""Record the run's cumulative counters (tokens, energy, busy times, ...) at an instant: the
end of the warm-up starts the measured window."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving


@dataclass(slots=True)
class Snapshot:
    time: float
    name: str
    priority: ClassVar[int] = 8

    def handle(self, sim: Serving) -> Sequence[Event]:
        sim.control.snapshot(self.name)
        return ()
