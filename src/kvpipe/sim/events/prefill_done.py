"""A request's prompt has been through the pipeline: its first output token appears (TTFT)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving


@dataclass(slots=True)
class PrefillDone:
    time: float
    request: int
    priority: ClassVar[int] = 2

    def handle(self, sim: Serving) -> Sequence[Event]:
        sim.requests.first_token(self.request, self.time)
        sim.tracer.mark(self.request, "decode", self.time)
        return ()
