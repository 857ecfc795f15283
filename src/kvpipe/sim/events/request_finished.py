"""A request's last token is out: its seat and KV are freed, and the queue moves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.engine import Simulation


@dataclass(slots=True)
class RequestFinished:
    time: float
    request: int
    seat: int
    priority: ClassVar[int] = 3

    def handle(self, sim: Simulation) -> None:
        r = self.request
        sim.finish_s[r] = self.time
        sim.generated[r] = int(sim.output[r])
        sim.release(r, self.seat)
        sim.leave(r)
        sim.trace_mark(r, None, self.time)
        sim.client_done(r, self.time)
        sim.admit()
