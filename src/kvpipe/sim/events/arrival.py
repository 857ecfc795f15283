"""A request arrives: it is rejected, or queued and admitted as soon as a seat and KV allow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.engine import Simulation


@dataclass(slots=True)
class Arrival:
    time: float
    request: int
    priority: ClassVar[int] = 5

    def handle(self, sim: Simulation) -> None:
        r = self.request
        sim.next_open_arrival(r)
        if not sim.fits_alone(r):
            sim.reject(r, "kv_never_fits")
            return
        bound = sim.config.max_queue
        if bound is not None and len(sim.queue) >= bound:
            sim.reject(r, "queue_full")
            return
        sim.enter(r)
        sim.queue.append(r)
        sim.admit()
