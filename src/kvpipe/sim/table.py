"""The request table: what the simulation knows of every request, one numpy column per field.

Open-loop traffic fills the table at the start; a closed loop appends rows as its clients
send requests (the columns grow by doubling). :meth:`RequestTable.records` hands the filled
rows to the result.
"""

from __future__ import annotations

import math

import numpy as np

from kvpipe.sim.records import REJECT_REASONS, RequestRecords
from kvpipe.sim.requests import Requests

_REASONS = ("", *REJECT_REASONS)  # reject_code indexes this ("": not rejected)

# column name -> (dtype, value of a new row)
_COLUMNS: dict[str, tuple[type, float | int | bool]] = {
    "arrival_s": (np.float64, math.nan),
    "prompt_tokens": (np.int64, 0),
    "output_tokens": (np.int64, 0),
    "client": (np.int64, -1),  # closed loop: the client that sent it; -1: open loop
    "admit_s": (np.float64, math.nan),  # first admission
    "first_token_s": (np.float64, math.nan),
    "finish_s": (np.float64, math.nan),
    "reject_code": (np.int64, 0),  # index into _REASONS
    "preemptions": (np.int64, 0),
    "generated": (np.int64, 0),  # output tokens produced before the current residency
}


class RequestTable:
    """Requests as a structure of arrays; ``len(table)`` rows are in use."""

    arrival_s: np.ndarray
    prompt_tokens: np.ndarray
    output_tokens: np.ndarray
    client: np.ndarray
    admit_s: np.ndarray
    first_token_s: np.ndarray
    finish_s: np.ndarray
    reject_code: np.ndarray
    preemptions: np.ndarray
    generated: np.ndarray

    def __init__(self, requests: Requests | None = None, capacity: int = 1024) -> None:
        n = len(requests) if requests is not None else 0
        self._n = n
        cap = max(n, capacity)
        for name, (dtype, fill) in _COLUMNS.items():
            setattr(self, name, np.full(cap, fill, dtype=dtype))
        if requests is not None:
            self.arrival_s[:n] = requests.arrival_s
            self.prompt_tokens[:n] = requests.prompt_tokens
            self.output_tokens[:n] = requests.output_tokens
        self.completed = 0
        self.rejected = 0

    def __len__(self) -> int:
        return self._n

    def add(self, arrival_s: float, prompt_tokens: int, output_tokens: int, client: int) -> int:
        """Append a request; returns its row."""
        r = self._n
        if r == len(self.arrival_s):
            for name, (dtype, fill) in _COLUMNS.items():
                old = getattr(self, name)
                new: np.ndarray = np.full(2 * len(old), fill, dtype=dtype)
                new[:r] = old
                setattr(self, name, new)
        self.arrival_s[r] = arrival_s
        self.prompt_tokens[r] = prompt_tokens
        self.output_tokens[r] = output_tokens
        self.client[r] = client
        self._n = r + 1
        return r

    # ---- what happens to a request ------------------------------------------------------

    def admitted(self, r: int, t: float) -> None:
        if math.isnan(self.admit_s[r]):
            self.admit_s[r] = t

    def first_token(self, r: int, t: float) -> None:
        self.first_token_s[r] = t

    def finished(self, r: int, t: float) -> None:
        self.finish_s[r] = t
        self.generated[r] = self.output_tokens[r]
        self.completed += 1

    def preempted(self, r: int, generated: int) -> None:
        """Request ``r`` lost its seat after producing ``generated`` tokens."""
        self.generated[r] = generated
        self.preemptions[r] += 1

    def reject(self, r: int, why: str) -> None:
        """Turn request ``r`` away; ``why`` is a key of :data:`~kvpipe.sim.records.REJECT_REASONS`."""
        if why not in REJECT_REASONS:
            raise ValueError(f"unknown rejection reason {why!r} (one of {', '.join(REJECT_REASONS)})")
        self.reject_code[r] = _REASONS.index(why)
        self.rejected += 1

    def records(self) -> RequestRecords:
        n = self._n
        code = self.reject_code[:n]
        return RequestRecords(
            arrival_s=self.arrival_s[:n].copy(),
            prompt_tokens=self.prompt_tokens[:n].copy(),
            output_tokens=self.output_tokens[:n].copy(),
            admit_s=self.admit_s[:n].copy(),
            first_token_s=self.first_token_s[:n].copy(),
            finish_s=self.finish_s[:n].copy(),
            rejected=code > 0,
            preemptions=self.preemptions[:n].copy(),
            reject_reason=np.array(_REASONS, dtype=str)[code],
        )
