"""The KV-cache access pattern a chip group's DRAM sees during decode.

For each decoded token, layer ``l`` reads the whole KV of its user for that layer — one
sequential *run* of ``context x kv_bytes_per_token_layer`` bytes — and appends one token
(``kv_bytes_per_token_layer`` bytes). ``concurrent_runs`` runs (users) are read at the same
time with their requests interleaved, e.g. the micro-batch the attention unit works on.

Fields may be numpy arrays; they broadcast against each other and against device arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike


@dataclass(frozen=True)
class KVPattern:
    run_bytes: ArrayLike  # one (user, layer) KV read as one sequential run
    append_bytes: ArrayLike  # written after each run (one token's K and V of that layer)
    concurrent_runs: ArrayLike = 1  # runs interleaved at the memory


QUEUE_STRUCTURES = ("shared", "per_bank")
ROW_POLICIES = ("open", "closed")


@dataclass(frozen=True)
class Controller:
    """The memory controller of one channel: a described part, not a device property.

    With a few interleaved users the effective bandwidth depends on it as much as on the
    DRAM (docs/memory.md, "The controller"). Defaults: one shared FR-FCFS queue of 32
    requests per channel, open page, no cap on row hits.

    * ``queue_depth`` — requests the scheduler sees: per channel (``shared``) or per bank
      (``per_bank``: arrivals enter in order and wait at the door while their bank's queue
      is full, as in DRAMsim3's PER_BANK command queues).
    * ``row_policy`` — ``open`` keeps a row open until a queued request needs another row of
      the bank; ``closed`` precharges as soon as no queued request hits the row.
    * ``max_row_hits`` — with a conflicting request waiting, close the row after this many
      hits since its activation (0: no cap), so one stream cannot hold a bank.

    The closed form models the default structure (shared queue, open page, no cap) with any
    ``queue_depth``; the others are the cycle model's.
    """

    queue_depth: int = 32
    queue_structure: str = "shared"
    row_policy: str = "open"
    max_row_hits: int = 0

    def __post_init__(self) -> None:
        if self.queue_depth < 1:
            raise ValueError(f"queue_depth must be >= 1, got {self.queue_depth}")
        if self.queue_structure not in QUEUE_STRUCTURES:
            raise ValueError(f"queue_structure must be one of {QUEUE_STRUCTURES}, got {self.queue_structure!r}")
        if self.row_policy not in ROW_POLICIES:
            raise ValueError(f"row_policy must be one of {ROW_POLICIES}, got {self.row_policy!r}")
        if self.max_row_hits < 0:
            raise ValueError(f"max_row_hits must be >= 0, got {self.max_row_hits}")

    @property
    def is_default_structure(self) -> bool:
        """Shared queue, open page, no hit cap: what the closed form models."""
        return self.queue_structure == "shared" and self.row_policy == "open" and self.max_row_hits == 0


def kv_pattern(context_tokens: ArrayLike, kv_bytes_per_token_layer: ArrayLike,
               concurrent_runs: ArrayLike = 1) -> KVPattern:
    """The pattern of one decode step: read ``context`` tokens, append one."""
    ctx = np.asarray(context_tokens, dtype=float)
    kv = np.asarray(kv_bytes_per_token_layer, dtype=float)
    return KVPattern(run_bytes=ctx * kv, append_bytes=kv, concurrent_runs=concurrent_runs)
