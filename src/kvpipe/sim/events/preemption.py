"""A chip group's KV memory is full: the most recently admitted request gives up its seat and
KV and goes back to the head of the queue; when readmitted it recomputes its KV (a prefill of
its prompt and the tokens it has produced)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving


@dataclass(slots=True)
class Preemption:
    time: float
    request: int
    seat: int
    generated: int  # output tokens it had produced
    priority: ClassVar[int] = 4

    def handle(self, sim: Serving) -> Sequence[Event]:
        r, t = self.request, self.time
        sim.requests.preempted(r, self.generated)
        sim.admission.release(r, self.seat, t)
        sim.admission.requeue(r, t)
        return sim.admission.admit(t)
