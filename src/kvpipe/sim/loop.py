"""A small typed discrete-event loop (a heap of events ordered by time, priority, sequence)."""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kvpipe.sim.serving import Event


class EventLoop:
    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int, Event]] = []
        self._seq = 0
        self.now = 0.0
        self.handled = 0

    def schedule(self, event: Event) -> None:
        if event.time < self.now:
            raise ValueError(f"event {type(event).__name__} at {event.time} is in the past ({self.now})")
        heapq.heappush(self._heap, (event.time, event.priority, self._seq, event))
        self._seq += 1

    def peek_time(self) -> float:
        return self._heap[0][0] if self._heap else float("inf")

    def pop(self) -> Event | None:
        """The next event (the clock moves to its time), or None when none is left."""
        if not self._heap:
            return None
        t, _, _, ev = heapq.heappop(self._heap)
        self.now = t
        self.handled += 1
        return ev

    def __len__(self) -> int:
        return len(self._heap)
