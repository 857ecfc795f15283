"""What the engine needs of a pipeline: the fluid fast mode (:mod:`kvpipe.sim.fluid`) and the
event-per-pass reference (:mod:`kvpipe.sim.reference`) both provide it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event


class Pipeline(Protocol):
    @property
    def tokens_out(self) -> float:
        """Output tokens produced since t = 0."""

    @property
    def energy_dyn_j(self) -> float:
        """Dynamic energy of every pass since t = 0."""

    @property
    def busy_proc(self) -> np.ndarray:
        """Processing busy seconds of one group of each class since t = 0."""

    @property
    def busy_link(self) -> np.ndarray: ...

    @property
    def busy_kv(self) -> np.ndarray: ...

    @property
    def dirty(self) -> bool:
        """The seats changed since the pipeline last planned its own next event."""

    def join(self, seat: int, t: float) -> Sequence[Event]:
        """The request just placed in ``seat`` starts riding; the events that follows."""

    def advance_to(self, t: float) -> None:
        """Bring the counters up to time ``t`` (no event happens before it)."""

    def replan(self, now: float) -> Event | None:
        """When ``dirty``, with no other event left at ``now``: the pipeline's next event."""
