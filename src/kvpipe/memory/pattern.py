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


@dataclass(frozen=True)
class Controller:
    """The memory controller both models assume (per channel)."""

    queue_depth: int = 32  # requests visible to the FR-FCFS scheduler per channel


def kv_pattern(context_tokens: ArrayLike, kv_bytes_per_token_layer: ArrayLike,
               concurrent_runs: ArrayLike = 1) -> KVPattern:
    """The pattern of one decode step: read ``context`` tokens, append one."""
    ctx = np.asarray(context_tokens, dtype=float)
    kv = np.asarray(kv_bytes_per_token_layer, dtype=float)
    return KVPattern(run_bytes=ctx * kv, append_bytes=kv, concurrent_runs=concurrent_runs)
