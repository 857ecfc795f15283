"""Fast mode: the fluid pipeline reaches its next milestone (a chunk or token boundary where
some seat's work changes, a request's first or last token, KV full, or the end of a step that
keeps context drift under the tolerance). Stale steps (planned before the state changed)
carry an old ``generation`` and do nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from kvpipe.sim.fluid import FluidPipeline
    from kvpipe.sim.loop import Event
    from kvpipe.sim.serving import Serving


@dataclass(slots=True)
class PipelineStep:
    time: float
    generation: int
    pipeline: FluidPipeline
    priority: ClassVar[int] = 1

    def handle(self, sim: Serving) -> Sequence[Event]:
        return self.pipeline.step(self.generation, self.time)
