"""Sizing a memory technology for a chip group's KV demand (used by studies and requirements).

Given a demand (capacity and bandwidth per chip group at an operating point), a technology is
provisioned with ``max(ceil(bw / bw_unit), ceil(capacity / capacity_unit))`` units per group
(docs/model.md, "The seed study", step 4) and its energy is the perf model's at that
operating point with that memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from kvpipe.hardware.packaging import RETICLE_AREA_MM2, max_units_per_die
from kvpipe.hardware.parts import MemoryTech
from kvpipe.mapping.placement import Placement
from kvpipe.perf.inputs import inputs_from_system
from kvpipe.perf.spatial import evaluate
from kvpipe.system import KVMemory, System

KV_ENERGY_SHARE = 0.5  # default criterion: KV memory may take at most half of J/token


def max_kv_j_per_token(rest_j_per_token: float, budget_j_per_token: float | None = None) -> float:
    """The KV memory's energy allowance per token (S1).

    Without a budget: KV <= share x total  <=>  E_kv <= share/(1-share) x E_rest.
    With a J/token budget for the whole system: E_kv <= budget - E_rest.
    """
    if budget_j_per_token is None:
        return KV_ENERGY_SHARE / (1.0 - KV_ENERGY_SHARE) * rest_j_per_token
    return budget_j_per_token - rest_j_per_token


@dataclass(frozen=True)
class KVDemand:
    """What the KV memory of the most demanding chip group must supply at an operating point."""

    users: int
    context_tokens: int
    tokens_per_s: float  # aggregate decode rate the memory must sustain
    capacity_bytes_per_group: float
    bw_bytes_per_s_per_group: float
    kv_bits_per_token: float  # read + written, whole model
    reticle_dies_per_group: float  # reticle-size dies' worth of logic the group spans
    rest_j_per_token: float  # J/token of everything but the KV memory, at tokens_per_s

    @property
    def bw_per_reticle_die_bytes_per_s(self) -> float:
        return self.bw_bytes_per_s_per_group / self.reticle_dies_per_group

    @property
    def capacity_per_reticle_die_bytes(self) -> float:
        return self.capacity_bytes_per_group / self.reticle_dies_per_group


@dataclass(frozen=True)
class TechAtOperatingPoint:
    """One memory technology provisioned for the demand of one chip group."""

    tech: MemoryTech
    units_for_bandwidth: int
    units_for_capacity: int
    units_per_group: int
    capacity_overprovision: float  # capacity supplied / capacity needed
    kv_j_per_token: float  # reads + writes + background share
    kv_effective_j_per_bit: float  # kv_j_per_token over the KV bits moved per token
    joules_per_token: float  # the whole system with this memory
    kv_energy_share: float
    max_units_per_reticle_die: int
    bw_per_reticle_die_bytes_per_s: float
    capacity_per_reticle_die_bytes: float
    fits_beside_group: bool  # can the group's logic dies attach that many units?


def units_needed(demand_bytes: float, per_unit_bytes: float) -> int:
    return max(math.ceil(demand_bytes / per_unit_bytes - 1e-9), 0)


def provision(tech: MemoryTech, demand: KVDemand, system: System, placement: Placement) -> TechAtOperatingPoint:
    """Size ``tech`` per chip group for ``demand`` and cost its energy at the demand's rate."""
    n_bw = units_needed(demand.bw_bytes_per_s_per_group, tech.bw_bytes_per_s)
    n_cap = units_needed(demand.capacity_bytes_per_group, tech.capacity_bytes)
    n = max(n_bw, n_cap, 1)
    sized = replace(system, kv_memory=KVMemory(tech, float(n)), workload=replace(system.workload, users=demand.users))
    r = evaluate(placement, inputs_from_system(sized))
    e = r.energy.at_rate(r.tokens_per_s, demand.tokens_per_s)
    kv_j = float(e.kv_read + e.kv_write + e.memory_background)
    jpt = float(e.total())
    per_die = max_units_per_die(tech, RETICLE_AREA_MM2)
    return TechAtOperatingPoint(
        tech=tech,
        units_for_bandwidth=n_bw,
        units_for_capacity=n_cap,
        units_per_group=n,
        capacity_overprovision=n * tech.capacity_bytes / demand.capacity_bytes_per_group,
        kv_j_per_token=kv_j,
        kv_effective_j_per_bit=kv_j / demand.kv_bits_per_token,
        joules_per_token=jpt,
        kv_energy_share=kv_j / jpt,
        max_units_per_reticle_die=per_die,
        bw_per_reticle_die_bytes_per_s=per_die * tech.bw_bytes_per_s,
        capacity_per_reticle_die_bytes=per_die * tech.capacity_bytes,
        fits_beside_group=n <= max_units_per_die(tech, RETICLE_AREA_MM2) * demand.reticle_dies_per_group,
    )
