"""Requests as typed arrays: when each arrives, its prompt and its output length."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]


def _frozen(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class Requests:
    """An open-loop workload: ``n`` requests sorted by arrival time.

    ``arrival_s`` are seconds from the start of the run; ``prompt_tokens`` (>= 1) is the
    prompt the pipeline must prefill; ``output_tokens`` (>= 1) the tokens it generates.
    """

    arrival_s: FloatArray
    prompt_tokens: IntArray
    output_tokens: IntArray

    def __post_init__(self) -> None:
        t = np.asarray(self.arrival_s, dtype=np.float64)
        p = np.asarray(self.prompt_tokens)
        o = np.asarray(self.output_tokens)
        if not (t.ndim == p.ndim == o.ndim == 1 and len(t) == len(p) == len(o)):
            raise ValueError("arrival_s, prompt_tokens and output_tokens must be 1-D arrays of one length")
        if not np.all(np.isfinite(t)) or np.any(t < 0):
            raise ValueError("arrival times must be finite and >= 0")
        if np.any(np.diff(t) < 0):
            raise ValueError("arrival times must be sorted")
        for name, x in (("prompt_tokens", p), ("output_tokens", o)):
            xf = np.asarray(x, dtype=np.float64)
            if not np.all(np.isfinite(xf)) or np.any(xf != np.round(xf)) or np.any(xf < 1):
                raise ValueError(f"{name} must be integers >= 1")
        object.__setattr__(self, "arrival_s", _frozen(t))
        object.__setattr__(self, "prompt_tokens", _frozen(np.asarray(p, dtype=np.int64)))
        object.__setattr__(self, "output_tokens", _frozen(np.asarray(o, dtype=np.int64)))

    @classmethod
    def of(cls, arrival_s: ArrayLike, prompt_tokens: ArrayLike, output_tokens: ArrayLike) -> Requests:
        """Requests from array-likes; scalars broadcast to the length of ``arrival_s``."""
        t = np.atleast_1d(np.asarray(arrival_s, dtype=np.float64))
        return cls(t, np.broadcast_to(prompt_tokens, t.shape), np.broadcast_to(output_tokens, t.shape))

    def __len__(self) -> int:
        return len(self.arrival_s)

    def until(self, horizon_s: float) -> Requests:
        """The requests arriving before ``horizon_s``."""
        n = int(np.searchsorted(self.arrival_s, horizon_s, side="left"))
        return Requests(self.arrival_s[:n], self.prompt_tokens[:n], self.output_tokens[:n])

    @property
    def total_output_tokens(self) -> int:
        return int(self.output_tokens.sum())
