"""Memory technologies side by side for a KV access pattern (``kvpipe memory compare``).

Each device description (``kvpipe.memory``) is evaluated by the closed-form KV model for one
pattern (a run of ``context x KV bytes per token and layer`` per user and layer, one token
appended, ``interleaved`` users' runs at a time); the cycle-level model optionally checks
the bandwidth. Per reticle-size die the packaging geometry of ``kvpipe.memory.packaging``
gives how many units attach, and so bandwidth and capacity per die.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kvpipe.explore.seed import Headline
from kvpipe.memory import Device, analytic, kv_pattern, reticle_figures, shipped_device, shipped_device_names
from kvpipe.memory.pattern import KVPattern
from kvpipe.memory.select import system_pattern
from kvpipe.system import System


@dataclass(frozen=True)
class DeviceComparison:
    name: str
    unit: str
    attach: str
    capacity_bytes: float  # per unit
    peak_bw_bytes_per_s: float  # per unit
    effective_bw_bytes_per_s: float  # per unit, closed-form KV model
    cycle_bw_bytes_per_s: float | None  # per unit, cycle-level model (if asked for)
    row_hit_rate: float
    refresh_loss: float
    conflict_loss: float
    effective_j_per_bit: float  # activation + core + I/O + background + refresh shares
    dynamic_j_per_bit: float  # activation + core + I/O
    units_per_reticle_die: int
    bw_per_reticle_die_bytes_per_s: float  # effective
    capacity_per_reticle_die_bytes: float
    reticle_limit: str

    @property
    def bw_to_capacity_per_s(self) -> float:
        return self.effective_bw_bytes_per_s / self.capacity_bytes


def compare_devices(
    devices: Sequence[Device], pattern: KVPattern, cycle_requests: int = 0
) -> tuple[DeviceComparison, ...]:
    """Effective figures of each device for ``pattern``; ``cycle_requests > 0`` adds the
    cycle-level model's bandwidth from a run of that many requests."""
    rows = []
    for d in devices:
        f = analytic(d, pattern)
        eff = float(f.effective_bw_bytes_per_s)
        die = reticle_figures(d, unit_bw_bytes_per_s_override=eff)
        cycle = None
        if cycle_requests > 0:
            from kvpipe.memory import simulate_kv

            cycle = simulate_kv(d, pattern, n_requests=cycle_requests).effective_bw_bytes_per_s
        rows.append(
            DeviceComparison(
                name=d.name,
                unit=d.unit,
                attach=d.attachment.kind,
                capacity_bytes=d.capacity_bytes,
                peak_bw_bytes_per_s=float(f.peak_bw_bytes_per_s),
                effective_bw_bytes_per_s=eff,
                cycle_bw_bytes_per_s=cycle,
                row_hit_rate=float(f.row_hit_rate),
                refresh_loss=float(f.refresh_loss),
                conflict_loss=float(f.conflict_loss),
                effective_j_per_bit=float(f.total_j_per_bit),
                dynamic_j_per_bit=float(f.dynamic_j_per_bit),
                units_per_reticle_die=die.units,
                bw_per_reticle_die_bytes_per_s=die.bw_bytes_per_s,
                capacity_per_reticle_die_bytes=die.capacity_bytes,
                reticle_limit=die.limit,
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class DemandPoint:
    """What one operating point asks of the KV memory of each reticle-size logic die."""

    label: str
    capacity_per_reticle_die_bytes: float
    bw_per_reticle_die_bytes_per_s: float


@dataclass(frozen=True)
class DeviceStudy:
    """Every shipped device at one KV pattern, beside the demand of some operating points."""

    context_tokens: int
    kv_bytes_per_token_layer: float
    interleaved: int
    rows: tuple[DeviceComparison, ...]
    demands: tuple[DemandPoint, ...]


def demand_point(h: Headline) -> DemandPoint:
    return DemandPoint(
        f"{h.model}: {h.users_at_90pct_speed} users",
        h.kv_capacity_demand_bytes_per_group / h.reticle_dies_per_group,
        h.required_kv_bw_per_reticle_die_bytes_per_s,
    )


def device_study(
    system: System, headlines: Sequence[Headline], context_tokens: int | None = None, interleaved: int = 1,
    cycle_requests: int = 0, extra_devices: Sequence[Device] = (),
) -> DeviceStudy:
    """The shipped devices (and ``extra_devices``) at ``system``'s KV pattern (its most
    demanding layer's KV per token, at ``context_tokens``, default the system's), and the
    demand of each headline."""
    pattern = system_pattern(system)
    context = context_tokens or system.workload.context_tokens
    per_layer = float(np.asarray(pattern.append_bytes))
    rows = compare_devices(
        [*(shipped_device(n) for n in shipped_device_names()), *extra_devices],
        kv_pattern(context, per_layer, concurrent_runs=interleaved),
        cycle_requests=cycle_requests,
    )
    return DeviceStudy(context, per_layer, interleaved, rows, tuple(demand_point(h) for h in headlines))
