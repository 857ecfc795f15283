"""A chip group's KV memory is full: the most recently admitted request gives up its seat and
KV and goes back to the head of the queue; when readmitted it recomputes its KV (a prefill of
its prompt and the tokens it has produced)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.engine import Simulation


@dataclass(slots=True)
class Preemption:
    time: float
    request: int
    seat: int
    generated: int  # output tokens it had produced
    priority: ClassVar[int] = 4

    def handle(self, sim: Simulation) -> None:
        r = self.request
        sim.generated[r] = self.generated
        sim.preemptions[r] += 1
        sim.release(r, self.seat)
        sim.trace_mark(r, "queued", self.time)
        sim.queue.appendleft(r)
        sim.admit()
