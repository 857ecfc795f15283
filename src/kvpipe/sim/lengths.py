"""Synthetic prompt and output length distributions (tokens, integers >= 1)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kvpipe.sim.requests import IntArray


class LengthDist(Protocol):
    def sample(self, rng: np.random.Generator, n: int) -> IntArray: ...

    @property
    def max_tokens(self) -> float: ...


@dataclass(frozen=True)
class Fixed:
    tokens: int

    def __post_init__(self) -> None:
        if int(self.tokens) != self.tokens or self.tokens < 1:
            raise ValueError(f"fixed length must be an integer >= 1, got {self.tokens!r}")

    def sample(self, rng: np.random.Generator, n: int) -> IntArray:
        return np.full(n, int(self.tokens), dtype=np.int64)

    @property
    def max_tokens(self) -> float:
        return float(self.tokens)


@dataclass(frozen=True)
class Uniform:
    """Integers uniform on ``[low, high]`` (both included)."""

    low: int
    high: int

    def __post_init__(self) -> None:
        if not 1 <= self.low <= self.high:
            raise ValueError(f"uniform lengths need 1 <= low <= high, got {self.low}, {self.high}")

    def sample(self, rng: np.random.Generator, n: int) -> IntArray:
        return rng.integers(self.low, self.high + 1, size=n, dtype=np.int64)

    @property
    def max_tokens(self) -> float:
        return float(self.high)


@dataclass(frozen=True)
class LogNormal:
    """``round(median x exp(sigma x N(0, 1)))``, clipped to ``[low, high]``."""

    median: float
    sigma: float
    low: int = 1
    high: int | None = None

    def __post_init__(self) -> None:
        if not (self.median >= 1 and self.sigma >= 0 and self.low >= 1):
            raise ValueError("lognormal lengths need median >= 1, sigma >= 0, low >= 1")
        if self.high is not None and self.high < self.low:
            raise ValueError("lognormal lengths need high >= low")

    def sample(self, rng: np.random.Generator, n: int) -> IntArray:
        x = np.rint(self.median * np.exp(self.sigma * rng.standard_normal(n)))
        return np.clip(x, self.low, self.high if self.high is not None else np.inf).astype(np.int64)

    @property
    def max_tokens(self) -> float:
        return float(self.high) if self.high is not None else math.inf
