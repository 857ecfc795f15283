"""Fast mode: the fluid pipeline reaches its next milestone (a chunk or token boundary where
some seat's work changes, a request's first or last token, KV full, or the end of a step that
keeps context drift under the tolerance). Stale steps (planned before the state changed)
carry an old ``generation`` and do nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.engine import Simulation


@dataclass(slots=True)
class PipelineStep:
    time: float
    generation: int
    priority: ClassVar[int] = 1

    def handle(self, sim: Simulation) -> None:
        sim.pipe.step(self.generation, self.time)  # type: ignore[union-attr]
