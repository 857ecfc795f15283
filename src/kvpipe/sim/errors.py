"""The simulator's own error (kept apart so that the pipelines can raise it without import cycles)."""

from __future__ import annotations


class SimulationError(ValueError):
    """The simulation cannot be set up or cannot go on (e.g. a closed loop without a duration,
    a reference run too long to simulate, a fast-mode clock that stopped advancing)."""
