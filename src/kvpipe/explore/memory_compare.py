"""Memory technologies side by side for a KV access pattern (``kvpipe memory compare``).

One row per catalog memory that names a device description, under the catalog's name and
with the catalog's own capacity, peak bandwidth and pJ/bit (the figures every other command
and the report show); then devices no catalog memory names, and the user's own device files,
with the device's figures. The device description, evaluated by the closed-form KV model for
one pattern (a run of ``context x KV bytes per token and layer`` per user and layer, one token
appended, ``interleaved`` users' runs at a time), gives what the catalog cannot: the efficiency
on the pattern (effective = peak x efficiency), the row-hit rate, and the energy per bit moved
at the pattern, both core-only (activation + cells to pins) and for the whole access path
(+ interface I/O and PHY); the cycle-level model optionally checks the bandwidth. Per
reticle-size die the scalar packaging rule of the perf model (``max_units_per_die``) gives
how many units attach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from kvpipe.hardware.packaging import RETICLE_AREA_MM2, max_units_per_die
from kvpipe.hardware.parts import MemoryTech
from kvpipe.memory import Device, analytic, kv_pattern, to_memory_tech
from kvpipe.memory.pattern import Controller, KVPattern
from kvpipe.memory.select import system_pattern
from kvpipe.system import System


@dataclass(frozen=True)
class DeviceComparison:
    name: str  # the catalog memory's name (the device's name where no catalog memory names it)
    device: str  # the device description evaluated
    unit: str
    attach: str
    capacity_bytes: float  # per unit, as the catalog (or the device) gives it
    peak_bw_bytes_per_s: float  # per unit, as the catalog (or the device) gives it
    read_j_per_bit: float  # as the catalog (or the device) gives it: whole access path
    effective_bw_bytes_per_s: float  # per unit: peak x the device's efficiency on the pattern
    cycle_bw_bytes_per_s: float | None  # per unit, cycle-level model (if asked for)
    row_hit_rate: float
    refresh_loss: float
    conflict_loss: float
    core_j_per_bit: float  # device model at the pattern: activation + core (cells to pins)
    access_path_j_per_bit: float  # core + interface I/O and PHY
    effective_j_per_bit: float  # access path + standby and refresh shares
    units_per_reticle_die: int
    bw_per_reticle_die_bytes_per_s: float  # effective
    capacity_per_reticle_die_bytes: float
    reticle_limit: str
    capacity_binary: bool = False  # the capacity comes from a device's geometry (print it in GiB)

    @property
    def bw_to_capacity_per_s(self) -> float:
        return self.effective_bw_bytes_per_s / self.capacity_bytes


def compare_devices(
    devices: Sequence[Device], pattern: KVPattern, cycle_requests: int = 0,
    techs: Sequence[MemoryTech | None] = (), controller: Controller = Controller(),
) -> tuple[DeviceComparison, ...]:
    """Figures of each device for ``pattern``, under the catalog memory ``techs[i]`` that names
    it where given (its capacity, peak bandwidth, pJ/bit, footprint and shoreline);
    ``cycle_requests > 0`` adds the cycle-level model's bandwidth from a run of that many
    requests. ``controller``: the closed form takes its queue depth (it models a shared
    open-page queue); the cycle model the whole description."""
    rows = []
    for i, d in enumerate(devices):
        tech = techs[i] if i < len(techs) and techs[i] is not None else None
        row = _row(d, tech or to_memory_tech(d, pattern, model="scalar"), pattern, cycle_requests, controller)
        rows.append(row if tech else replace(row, capacity_binary=True))
    return tuple(rows)


def _row(d: Device, tech: MemoryTech, pattern: KVPattern, cycle_requests: int,
         controller: Controller) -> DeviceComparison:
    f = analytic(d, pattern, Controller(queue_depth=controller.queue_depth))
    efficiency = float(f.efficiency)
    eff = tech.bw_bytes_per_s * efficiency
    cycle = None
    if cycle_requests > 0:
        from kvpipe.memory import simulate_kv

        c = simulate_kv(d, pattern, n_requests=cycle_requests, controller=controller)
        cycle = tech.bw_bytes_per_s * c.effective_bw_bytes_per_s / c.peak_bw_bytes_per_s
    # standby + refresh of the device, scaled to the part's capacity (both grow with the bits)
    standby_w = (d.energy.background_w + d.energy.refresh_w) * tech.capacity_bytes / d.capacity_bytes
    core = float(f.act_j_per_bit + f.core_j_per_bit)
    access = core + float(f.io_j_per_bit)
    units = max_units_per_die(tech, RETICLE_AREA_MM2)
    return DeviceComparison(
        name=tech.name, device=d.name, unit=tech.unit, attach=tech.attach,
        capacity_bytes=tech.capacity_bytes, peak_bw_bytes_per_s=tech.bw_bytes_per_s,
        read_j_per_bit=tech.read_j_per_bit, effective_bw_bytes_per_s=eff,
        cycle_bw_bytes_per_s=cycle, row_hit_rate=float(f.row_hit_rate),
        refresh_loss=float(f.refresh_loss), conflict_loss=float(f.conflict_loss),
        core_j_per_bit=core, access_path_j_per_bit=access,
        effective_j_per_bit=access + standby_w / (8.0 * eff),
        units_per_reticle_die=units, bw_per_reticle_die_bytes_per_s=units * eff,
        capacity_per_reticle_die_bytes=units * tech.capacity_bytes,
        reticle_limit="logic-die area" if tech.attach == "3d" else "shoreline (PHY)",
    )


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
    controller: Controller = Controller()
    without_device: tuple[str, ...] = ()  # catalog memories that name no device description (no row)


class OperatingPoint(Protocol):
    """What a demand point reads of an operating point (a seed study's ``Headline`` is one)."""

    @property
    def model(self) -> str: ...
    @property
    def users_at_90pct_speed(self) -> int: ...
    @property
    def kv_capacity_demand_bytes_per_group(self) -> float: ...
    @property
    def reticle_dies_per_group(self) -> float: ...
    @property
    def required_kv_bw_per_reticle_die_bytes_per_s(self) -> float: ...


def demand_point(h: OperatingPoint) -> DemandPoint:
    return DemandPoint(
        f"{h.model}: {h.users_at_90pct_speed} users",
        h.kv_capacity_demand_bytes_per_group / h.reticle_dies_per_group,
        h.required_kv_bw_per_reticle_die_bytes_per_s,
    )


def device_study(
    system: System, headlines: Sequence[OperatingPoint], techs: Sequence[MemoryTech], devices: Sequence[Device],
    context_tokens: int | None = None, interleaved: int = 1, cycle_requests: int = 0,
    extra_devices: Sequence[Device] = (), controller: Controller = Controller(),
) -> DeviceStudy:
    """The catalog memories ``techs`` that name one of ``devices``, then the ``devices`` no
    memory names, then ``extra_devices``, at ``system``'s KV pattern (its most demanding
    layer's KV per token, at ``context_tokens``, default the system's), and the demand of
    each headline."""
    pattern = system_pattern(system)
    context = context_tokens or system.workload.context_tokens
    per_layer = float(np.asarray(pattern.append_bytes))
    by_name = {d.name: d for d in devices}
    named = [t for t in techs if t.device in by_name]
    unnamed = [d for d in devices if d.name not in {t.device for t in named}]
    rows = compare_devices(
        [*(by_name[t.device] for t in named), *unnamed, *extra_devices],
        kv_pattern(context, per_layer, concurrent_runs=interleaved),
        cycle_requests=cycle_requests, techs=named, controller=controller,
    )
    without = tuple(t.name for t in techs if t.device not in by_name and t.name != "ideal")
    return DeviceStudy(context, per_layer, interleaved, rows, tuple(demand_point(h) for h in headlines), controller,
                       without)
