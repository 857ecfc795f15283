"""A request arrives: it is rejected, or queued and admitted as soon as a seat and KV allow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving


@dataclass(slots=True)
class Arrival:
    time: float
    request: int
    priority: ClassVar[int] = 5

    def handle(self, sim: Serving) -> Sequence[Event]:
        r = self.request
        nxt = sim.traffic.after_arrival(r)
        out: list[Event] = [] if nxt is None else [nxt]
        why = sim.admission.refusal(r)
        if why is not None:
            sim.requests.reject(r, why)
            return out
        sim.tracer.mark(r, "queued", self.time)
        sim.admission.enqueue(r)
        out.extend(sim.admission.admit(self.time))
        return out
