"""A request's last token is out: its seat and KV are freed, and the queue moves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving


@dataclass(slots=True)
class RequestFinished:
    time: float
    request: int
    seat: int
    priority: ClassVar[int] = 3

    def handle(self, sim: Serving) -> Sequence[Event]:
        r, t = self.request, self.time
        sim.requests.finished(r, t)
        sim.admission.release(r, self.seat, t)
        sim.tracer.mark(r, None, t)
        nxt = sim.traffic.after_finish(r, t)
        out: list[Event] = [] if nxt is None else [nxt]
        out.extend(sim.admission.admit(t))
        return out
