"""A request's prompt has been through the pipeline: its first output token appears (TTFT)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.engine import Simulation


@dataclass(slots=True)
class PrefillDone:
    time: float
    request: int
    priority: ClassVar[int] = 2

    def handle(self, sim: Simulation) -> None:
        sim.first_token_s[self.request] = self.time
        sim.trace_mark(self.request, "decode", self.time)
