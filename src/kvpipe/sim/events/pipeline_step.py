"""Fast mode: the fluid pipeline reaches its next milestone (a chunk or token boundary where
some seat's work changes, a request's first or last token, KV full, or the end of a step that
keeps context drift under the tolerance). Stale steps (planned before the state changed)
carry an old ``generation`` and do nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event, Serving


class Steps(Protocol):
    """What this event asks of its pipeline (a step of the fast (fluid) pipeline: :class:`~kvpipe.sim.fluid.FluidPipeline`)."""

    def step(self, generation: int, t: float, /) -> Sequence[Event]: ...


@dataclass(slots=True)
class PipelineStep:
    time: float
    generation: int
    pipeline: Steps
    priority: ClassVar[int] = 1

    def handle(self, sim: Serving) -> Sequence[Event]:
        return self.pipeline.step(self.generation, self.time)
