"""What a run records for its timeline (:class:`~kvpipe.sim.records.TimelineLog`), within the
configured limits; a run without a timeline records nothing."""

from __future__ import annotations

import numpy as np

from kvpipe.sim.records import TimelineLog


class Tracer:
    def __init__(self, log: TimelineLog | None, max_requests: int, max_passes: int) -> None:
        self.log = log
        self.max_requests = max_requests
        self.max_passes = max_passes

    def mark(self, r: int, phase: str | None, t: float) -> None:
        """Request ``r`` enters ``phase`` (``queued``, ``prefill``, ``decode``; None: done)."""
        if self.log is not None and r < self.max_requests:
            self.log.request_phase(r, phase, t)

    def kv(self, t: float, used: np.ndarray, mask: np.ndarray) -> None:
        """The KV bytes held per group class at ``t``."""
        log = self.log
        if log is not None and len(log.kv) < self.max_passes:
            log.kv.append((t, tuple((used * mask).tolist())))
