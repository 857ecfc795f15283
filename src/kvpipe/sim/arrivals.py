"""Arrival processes: Poisson, bursty (gamma inter-arrival times) and closed loop.

Every random draw comes from generators spawned from one seed in a fixed order, so a seed
gives the same requests, bit for bit (docs/sim.md, "Determinism").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from kvpipe.sim.lengths import Fixed, LengthDist
from kvpipe.sim.requests import FloatArray, Requests


def streams(seed: int, n: int = 4) -> list[np.random.Generator]:
    """``n`` independent generators from one seed (arrivals, prompts, outputs, think times)."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]


def gamma_times(rate_per_s: float, cv: float, duration_s: float, rng: np.random.Generator) -> FloatArray:
    """Arrival times in ``[0, duration_s)`` with gamma inter-arrival times.

    Mean gap ``1 / rate``, coefficient of variation ``cv`` (shape ``1 / cv^2``); ``cv = 1`` is
    Poisson, ``cv > 1`` bursty, ``cv = 0`` evenly spaced.
    """
    if not (rate_per_s > 0 and duration_s >= 0 and cv >= 0):
        raise ValueError("arrivals need rate > 0, duration >= 0 and cv >= 0")
    mean_gap = 1.0 / rate_per_s
    out: list[FloatArray] = []
    t0 = 0.0
    block = max(16, int(rate_per_s * duration_s * 1.1) + 16)
    while t0 < duration_s:
        if cv == 0:
            gaps = np.full(block, mean_gap)
        else:
            shape = 1.0 / cv**2
            gaps = rng.gamma(shape, mean_gap / shape, size=block)
        t = t0 + np.cumsum(gaps)
        out.append(t)
        t0 = float(t[-1])
    times = np.concatenate(out) if out else np.zeros(0)
    return times[times < duration_s]


def poisson_times(rate_per_s: float, duration_s: float, rng: np.random.Generator) -> FloatArray:
    return gamma_times(rate_per_s, 1.0, duration_s, rng)


def open_loop(
    rate_per_s: float,
    duration_s: float,
    prompt: LengthDist,
    output: LengthDist,
    seed: int = 0,
    cv: float = 1.0,
) -> Requests:
    """Requests arriving at ``rate_per_s`` (Poisson for ``cv = 1``) over ``duration_s``."""
    g_arr, g_prompt, g_out, _ = streams(seed)
    t = gamma_times(rate_per_s, cv, duration_s, g_arr)
    return Requests(t, prompt.sample(g_prompt, len(t)), output.sample(g_out, len(t)))


@dataclass(frozen=True)
class ClosedLoop:
    """``clients`` users, each sending a request, waiting for its last token, thinking, again.

    Think times are exponential with mean ``think_s`` (``think="exponential"``) or exactly
    ``think_s`` (``think="fixed"``). Every client sends its first request at time 0. A client
    whose request is rejected (queue bound, or KV that never fits) sends no more.
    """

    clients: int
    prompt: LengthDist = field(default_factory=lambda: Fixed(1024))
    output: LengthDist = field(default_factory=lambda: Fixed(256))
    think_s: float = 0.0
    think: str = "exponential"

    def __post_init__(self) -> None:
        if self.clients < 1:
            raise ValueError("a closed loop needs at least one client")
        if self.think_s < 0 or self.think not in ("exponential", "fixed"):
            raise ValueError("think time must be >= 0 and 'exponential' or 'fixed'")

    def think_time(self, rng: np.random.Generator) -> float:
        if self.think_s == 0:
            return 0.0
        return float(rng.exponential(self.think_s)) if self.think == "exponential" else float(self.think_s)
