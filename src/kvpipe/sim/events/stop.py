"""The end of a run that does not drain: whatever is still in flight stays unfinished."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving


@dataclass(slots=True)
class Stop:
    time: float
    priority: ClassVar[int] = 9

    def handle(self, sim: Serving) -> Sequence[Event]:
        sim.control.stop()
        return ()
