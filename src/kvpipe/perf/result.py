"""Typed results of the analytic model (arrays with the broadcast shape of the inputs)."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]


class Limit(IntEnum):
    """What bounds aggregate tokens/s at a design point."""

    PIPELINE_DEPTH = 0  # too few users in flight to keep every stage busy
    KV_CAPACITY = 1  # some requested users cannot be admitted: their KV does not fit
    KV_BANDWIDTH = 2
    COMPUTE = 3  # MACs, attention unit or SRAM weight streaming
    LINKS = 4
    A2E_LINK = 5  # a heterogeneous system's attention<->FFN link (docs/afd.md)
    # too few users in flight, and waiting for the KV memory's reads is most of a token's
    # latency: a faster KV memory, not a deeper pipeline fill, would raise per-user speed (P11)
    KV_LATENCY = 6

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class EnergyBreakdown:
    """Joules per decoded token, by where they are spent. Fields sum to the total."""

    static: FloatArray
    weight_reads: FloatArray  # reading the weights: from on-chip SRAM (spatial chips) or HBM (GPUs)
    compute: FloatArray
    kv_read: FloatArray
    kv_write: FloatArray
    memory_background: FloatArray
    links: FloatArray

    def total(self) -> FloatArray:
        return sum((getattr(self, f.name) for f in fields(self)), np.zeros_like(self.static))

    def as_dict(self) -> dict[str, FloatArray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def at_rate(self, tokens_per_s: ArrayLike, new_tokens_per_s: ArrayLike) -> EnergyBreakdown:
        """The same system serving ``new_tokens_per_s`` instead of ``tokens_per_s``: the
        load-independent power (static, memory background) is shared by the new rate (E1);
        the energies spent per token stay."""
        scale = np.asarray(tokens_per_s, dtype=np.float64) / np.asarray(new_tokens_per_s, dtype=np.float64)
        return replace(self, static=self.static * scale, memory_background=self.memory_background * scale)


@dataclass(frozen=True)
class PerfResult:
    # pipeline shape (scalars)
    chips: int
    stages: int
    kv_groups: int
    comm_stages_per_token: int
    # operating point
    users: FloatArray  # users requested
    users_in_flight: FloatArray  # users whose KV fits
    latency_s: FloatArray  # one token through the whole pipeline with no contention
    time_per_token_s: FloatArray  # time between two tokens of one user
    tokens_per_s_per_user: FloatArray
    tokens_per_s: FloatArray  # aggregate
    binding_limit: NDArray[np.int8]  # values of Limit
    # resource bounds on aggregate tokens/s
    max_tokens_per_s_compute: FloatArray
    max_tokens_per_s_kv_bandwidth: FloatArray
    max_tokens_per_s_links: FloatArray
    max_users_kv_capacity: FloatArray
    # energy
    joules_per_token: FloatArray
    energy: EnergyBreakdown
    power_w: FloatArray
    # KV memory (whole model, one token) and per chip group (the most demanding group)
    kv_bytes_per_token: FloatArray
    kv_read_bytes_per_token: FloatArray
    kv_capacity_demand_bytes_per_group: FloatArray
    kv_capacity_supply_bytes_per_group: FloatArray
    kv_bw_demand_bytes_per_s_per_group: FloatArray  # reads + writes
    kv_read_bw_demand_bytes_per_s_per_group: FloatArray
    kv_bw_supply_bytes_per_s_per_group: FloatArray
    chips_per_group: FloatArray  # chip-equivalents of the most demanding KV group
    comm_latency_s: FloatArray | float = 0.0  # the communication share of latency_s (C5; GPU: all-reduces and hops)

    def binding_labels(self) -> NDArray[np.str_]:
        names = np.array([lim.label for lim in Limit])
        return names[self.binding_limit]
