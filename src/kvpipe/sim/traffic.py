"""Traffic sources: the arrivals of a known request list (open loop), or of closed-loop
clients that send their next request a think time after the last one finished."""

from __future__ import annotations

import numpy as np

from kvpipe.sim.arrivals import ClosedLoop
from kvpipe.sim.events import Arrival
from kvpipe.sim.table import RequestTable


class OpenTraffic:
    """Arrivals of the requests already in the table, scheduled one at a time."""

    def __init__(self, requests: RequestTable) -> None:
        self.requests = requests
        self._next = 0

    def start(self) -> list[Arrival]:
        if not len(self.requests):
            return []
        self._next = 1
        return [Arrival(float(self.requests.arrival_s[0]), 0)]

    def after_arrival(self, r: int) -> Arrival | None:
        nxt = self._next
        if r != nxt - 1 or nxt >= len(self.requests):
            return None
        self._next = nxt + 1
        return Arrival(self.requests.arrival_s.item(nxt), nxt)

    def after_finish(self, r: int, t: float) -> None:
        return None


class ClosedTraffic:
    """``ClosedLoop`` clients: each sends a request at 0, then one a think time after each
    answer, until ``duration_s``."""

    def __init__(
        self, closed: ClosedLoop, requests: RequestTable, duration_s: float, rng_prompt: np.random.Generator,
        rng_output: np.random.Generator, rng_think: np.random.Generator,
    ) -> None:
        self.closed = closed
        self.requests = requests
        self.duration_s = duration_s
        self._rng_prompt, self._rng_output, self._rng_think = rng_prompt, rng_output, rng_think

    def _new(self, t: float, client: int) -> int:
        prompt = int(self.closed.prompt.sample(self._rng_prompt, 1)[0])
        output = int(self.closed.output.sample(self._rng_output, 1)[0])
        return self.requests.add(t, prompt, output, client)

    def start(self) -> list[Arrival]:
        return [Arrival(0.0, self._new(0.0, c)) for c in range(self.closed.clients)]

    def after_arrival(self, r: int) -> None:
        return None

    def after_finish(self, r: int, t: float) -> Arrival | None:
        t_next = t + self.closed.think_time(self._rng_think)
        if t_next >= self.duration_s:
            return None
        return Arrival(t_next, self._new(t_next, int(self.requests.client[r])))
