"""Inverse design of the KV DRAM: which 3D-stacked DRAM device meets a target, and what limits it.

A candidate is a DRAM stack hybrid-bonded on a reticle-size logic die, described by eight
knobs (``DesignSpace``): channels per layer, banks per channel, subarrays per bank, row size,
I/O width and pin rate per channel, bond/TSV pitch and stack height. ``Technology`` holds the
physical constants that turn knobs into a device (area, bitline timing and energy, wires,
bonds); each carries a source. The device figures for the KV access pattern come from the
memory model's closed form (``kvpipe.memory.analytic``), evaluated once over the whole grid.

Formulas D1-D13: docs/memory.md, section "Inverse design". Pure computation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvpipe.explore.requirements import Target, requirements
from kvpipe.explore.sweep import grid_points, pareto_front
from kvpipe.mapping.placement import place
from kvpipe.memory.analytic import (
    DeviceArrays,
    KVMemoryFigures,
    activation_rate_per_s,
    analytic,
    bank_cycle_s,
    column_time_s,
)
from kvpipe.memory.pattern import Controller, KVPattern
from kvpipe.system import System

Arr = NDArray[np.float64]

BURST_BYTES = 32  # one column access moves 32 B, whatever the channel width (as fgdram_like)
LIMITS = ("bond_pitch", "area", "thermal", "column_cycle", "activate_rate", "bank_cycle", "energy")
PHYSICAL = ("bond_pitch", "area", "thermal")  # the limits a feasible design is within
LIMIT_LABELS = {
    "bandwidth": "bandwidth per reticle die",
    "capacity": "capacity per reticle die",
    "bond_pitch": "bond/TSV pitch (signal bonds per die area)",
    "area": "DRAM die area (arrays + TSV field + periphery on the logic die's footprint)",
    "thermal": "thermal (W/mm^2 of the stack on the logic die)",
    "column_cycle": "column cycle of the array core (tCCD)",
    "activate_rate": "activate rate (tRRD / tFAW)",
    "bank_cycle": "bank cycle (tRC)",
    "energy": "energy per bit",
}


@dataclass(frozen=True)
class DesignSpace:
    """The values each knob takes; the search is their full grid."""

    channels_per_layer: tuple[int, ...] = (128, 256, 512, 1024, 2048)
    banks_per_channel: tuple[int, ...] = (2, 4, 8, 16)
    subarrays_per_bank: tuple[int, ...] = (4, 8, 16, 32, 64)
    row_bytes: tuple[int, ...] = (256, 512, 1024, 2048)
    io_width_bits: tuple[int, ...] = (8, 16, 32, 64)
    data_rate_bits_per_s: tuple[float, ...] = (1e9, 2e9, 4e9, 8e9)
    bond_pitch_m: tuple[float, ...] = (3e-6, 4.5e-6, 6e-6, 9e-6)
    stack_height: tuple[int, ...] = (1, 2, 4, 8)

    @property
    def n_points(self) -> int:
        return int(np.prod([len(getattr(self, f.name)) for f in fields(self)]))


AXES = tuple(f.name for f in fields(DesignSpace))


@dataclass(frozen=True)
class Technology:
    """Physical constants of the DRAM process and the bonding; see ``TECHNOLOGY_SOURCES``."""

    cell_bits_per_mm2: float = 0.6e9  # cell array alone, no sense amplifiers or decoders
    sense_amp_cells: float = 100.0  # a sense-amplifier stripe is as tall as this many cells
    min_cells_per_bitline: float = 32.0
    max_cells_per_bitline: float = 1024.0
    channel_periphery_mm2: float = 0.02  # command decode, column path, I/O buffers per channel
    bank_periphery_mm2: float = 0.004  # row decoder and bank control per bank
    data_bond_fraction: float = 0.1  # share of bonds (and TSVs) that carry data
    ref_cells_per_bitline: float = 512.0  # the cells per bitline the reference timings have
    t_rcd_ref_s: float = 14e-9
    t_ras_ref_s: float = 34e-9
    t_rp_ref_s: float = 14e-9
    timing_fixed_fraction: float = 0.4  # share of tRCD/tRAS/tRP that does not scale with the bitline
    t_ccd_min_s: float = 1.67e-9  # fastest column cycle of the array core
    t_rrd_s: float = 4e-9
    t_faw_s: float = 30e-9
    act_j_per_row_bit_ref: float = 0.111e-12  # at the reference bitline and 1.2 V
    act_fixed_fraction: float = 0.2  # wordline and sense-amp share of the activation energy
    vdd_v: float = 1.1
    cell_j_per_bit: float = 0.44e-12  # at 1.2 V
    wire_j_per_bit_mm: float = 0.32e-12  # at 1.2 V
    tsv_j_per_bit_per_layer: float = 0.04e-12
    io_j_per_bit_base: float = 0.0214e-12
    io_j_per_bit_per_gbps: float = 0.0143e-12  # grows with the pin rate (drive, clocking)
    background_w_per_channel: float = 0.3 / 1024
    refresh_window_s: float = 0.032  # every cell refreshed this often (hot: twice the 64 ms)
    t_refi_s: float = 1.95e-6
    usable_area_fraction: float = 0.8  # of the logic die the DRAM may cover (as memory.packaging)

    @property
    def voltage_scale(self) -> float:
        return (self.vdd_v / 1.2) ** 2


TECHNOLOGY_SOURCES: Mapping[str, str] = {
    "cell_bits_per_mm2": "assumption: 6F^2 cells at F ~ 13 nm (1-beta class) give ~1 Gb/mm^2; 0.6 Gb/mm^2 "
                         "leaves room for word-line straps and mat edges; with the sense amps and periphery "
                         "below, a 512-cell-bitline die lands at ~0.3 Gb/mm^2, the density of a 24 Gb HBM3E "
                         "core die (U)",
    "sense_amp_cells": "assumption: a sense-amplifier stripe ~100 cell pitches tall, i.e. ~16 % of the array at "
                       "512 cells per bitline; shorter bitlines cost proportionally more (the trade-off of "
                       "Lee et al., 'Tiered-Latency DRAM', HPCA 2013) (U)",
    "min_cells_per_bitline": "assumption: below ~32 cells per bitline the sense amps dominate (U)",
    "max_cells_per_bitline": "assumption: beyond ~1024 cells the cell-to-bitline charge ratio is too small to "
                             "sense (U)",
    "channel_periphery_mm2": "assumption: per-channel command decoder, column path and I/O latches (U)",
    "bank_periphery_mm2": "assumption: row decoder and bank control (U)",
    "data_bond_fraction": "assumption: 10 % of bonds carry data, the rest power, ground, command and spares "
                          "(as the shipped FG-3D tile) (U)",
    "t_rcd_ref_s": "DRAMsim3 HBM2_8Gb_x128.ini: tRCD 14 ns, tRAS 34 ns, tRP 14 ns (V for HBM2); taken as "
                   "512 cells per bitline (U)",
    "timing_fixed_fraction": "assumption: 40 % of the row timings is decode, wordline and restore that do not "
                             "scale with bitline length, so that 32 cells give 0.44x the 512-cell tRC, as "
                             "short-bitline DRAM reports (Lee et al., HPCA 2013: bitline capacitance dominates "
                             "DRAM latency) (U)",
    "t_ccd_min_s": "HBM3E tCCD_L 4 nCK at 0.4167 ns (Ramulator2-HBM3 cycles) (U)",
    "t_rrd_s": "DRAMsim3 HBM2: tRRD 4 ns, tFAW 30 ns per channel (V for HBM2, U for a grain)",
    "act_j_per_row_bit_ref": "O'Connor et al., 'Fine-Grained DRAM', MICRO 2017, Table 3: 0.909 nJ per 1 KiB "
                             "HBM2 row = 0.111 pJ per row bit at 1.2 V",
    "act_fixed_fraction": "assumption: 20 % of the activation energy is wordline and sense-amp bias; the rest "
                          "charges the bitlines and scales with their length (U)",
    "vdd_v": "assumption: 1.1 V core, as HBM3 (JESD238) (U)",
    "cell_j_per_bit": "O'Connor et al. MICRO 2017 Table 3: cell 0.44 pJ/bit; on-die data wire 2.24 pJ/bit over "
                      "an assumed 7 mm -> 0.32 pJ/bit/mm (as memory.energy)",
    "tsv_j_per_bit_per_layer": "assumption: 0.04 pJ/bit per layer crossed, so that a 4-high stack (mean "
                               "2.5 layers) costs the 0.1 pJ/bit of the shipped FG-3D tile (U)",
    "io_j_per_bit_base": "assumption: a hybrid-bond link costs 0.05 pJ/bit at 2 Gb/s (as FG-3D) and ~0.25 pJ/bit "
                         "at 16 Gb/s (UCIe-class advanced-package links): 0.0214 + 0.0143 x Gb/s pJ/bit (U)",
    "background_w_per_channel": "assumption: 0.3 W of periphery standby per 1024 channels (as FG-3D) (U)",
    "refresh_window_s": "JEDEC (JESD79-5, JESD238): 64 ms retention, refresh rate doubled above 85 C: 32 ms on a "
                        "hot logic die; each refresh activates the row (D)",
    "t_refi_s": "3.9 us halved for a hot logic die (as FG-3D) (U)",
    "usable_area_fraction": "as memory.packaging: the DRAM covers 80 % of the logic die (U)",
}


@dataclass(frozen=True)
class DesignTarget:
    """What one reticle die's DRAM must supply, and the budget it has."""

    bw_per_die_bytes_per_s: float
    max_j_per_bit: float
    capacity_per_die_bytes: float
    logic_w_per_mm2: float  # heat flux of the logic die under the stack
    thermal_limit_w_per_mm2: float
    die_area_mm2: float = 26.0 * 33.0


@dataclass(frozen=True)
class Candidates:
    """Every grid point: its knobs, derived geometry and the memory model's figures (arrays)."""

    knobs: Mapping[str, Arr]
    cells_per_bitline: Arr
    datapath_mm: Arr
    capacity_bytes: Arr
    figures: KVMemoryFigures
    device: DeviceArrays
    utilisation: Mapping[str, Arr]  # per limit in LIMITS: used / allowed (<= 1 within it)
    dram_w: Arr  # DRAM power at the target bandwidth
    stack_w_per_mm2: Arr
    sustained_bw_bytes_per_s: Arr  # the most it can stream within the thermal budget (<= its bandwidth)

    @property
    def bw_per_die_bytes_per_s(self) -> Arr:
        return self.figures.effective_bw_bytes_per_s

    @property
    def j_per_bit(self) -> Arr:
        return self.figures.total_j_per_bit

    @property
    def n(self) -> int:
        return int(self.capacity_bytes.size)


@dataclass(frozen=True)
class DesignResult:
    target: DesignTarget
    space: DesignSpace
    candidates: Candidates
    feasible: NDArray[np.bool_]  # within the physical limits (pitch, area, thermal)
    meets: NDArray[np.bool_]  # feasible and meeting bandwidth, energy and capacity
    pareto: NDArray[np.intp]  # of the designs that meet (or, if none, of the feasible ones)
    criteria: Mapping[str, NDArray[np.bool_]] = field(default_factory=dict)  # CRITERIA -> met by each design

    @property
    def n_meeting(self) -> int:
        return int(self.meets.sum())

    @property
    def failing(self) -> dict[str, int]:
        """Criterion -> how many designs fail it."""
        return {k: int((~ok).sum()) for k, ok in self.criteria.items()}


@dataclass(frozen=True)
class Requirement:
    """One criterion: the strictest of the figures stated for it, each with where it comes from."""

    value: float
    basis: tuple[tuple[str, float], ...]  # (why, figure)


@dataclass(frozen=True)
class SystemNeeds:
    """What a system at a target load asks of the KV DRAM of one reticle die (via ``requirements``)."""

    bw_per_die_bytes_per_s: float
    max_j_per_bit: float
    capacity_per_die_bytes: float
    logic_w_per_mm2: float
    users: int
    context_tokens: int
    tokens_per_s_per_user: float


def system_needs(system: System, target: Target) -> SystemNeeds:
    """The study's required figures at ``target`` (``memory requirements``), per reticle die, and the
    heat flux of the logic dies at that load: J/token of everything but the KV memory x tokens/s over
    the chips' area."""
    req = requirements(system, target, [])
    d = req.demand
    chips = place(system.model, system.precisions, system.chip, system.mapping).chips
    logic_w = d.rest_j_per_token * d.tokens_per_s
    return SystemNeeds(
        bw_per_die_bytes_per_s=d.bw_per_reticle_die_bytes_per_s, max_j_per_bit=req.max_kv_pj_per_bit * 1e-12,
        capacity_per_die_bytes=d.capacity_per_reticle_die_bytes,
        logic_w_per_mm2=logic_w / (chips * system.chip.die_area_mm2), users=req.target.users,
        context_tokens=req.target.context_tokens, tokens_per_s_per_user=float(req.target.tokens_per_s_per_user or 0.0),
    )


def strictest(stated: Sequence[tuple[str, float]], higher_is_stricter: bool) -> Requirement:
    """The binding figure of several stated ones (the largest needed, or the smallest allowed)."""
    pick = max if higher_is_stricter else min
    return Requirement(pick(v for _, v in stated), tuple(stated))


def grid(space: DesignSpace) -> dict[str, Arr]:
    """The full grid of the space, each knob flattened to one array (D0)."""
    return grid_points({name: getattr(space, name) for name in AXES})


def bitline_scale(cells_per_bitline: Arr, fixed_fraction: float, ref_cells: float) -> Arr:
    """(D5) ``a + (1 - a) n / n_ref``: a timing or energy that partly scales with bitline length."""
    return fixed_fraction + (1.0 - fixed_fraction) * cells_per_bitline / ref_cells


def evaluate_candidates(knobs: Mapping[str, Arr], tech: Technology, target: DesignTarget, base: DeviceArrays,
                        pattern: KVPattern, controller: Controller = Controller()) -> Candidates:
    """The devices of ``knobs`` (arrays of one shape), their KV figures and their limits."""
    c_l, b, s = knobs["channels_per_layer"], knobs["banks_per_channel"], knobs["subarrays_per_bank"]
    row, w, rate = knobs["row_bytes"], knobs["io_width_bits"], knobs["data_rate_bits_per_s"]
    pitch_mm, h = knobs["bond_pitch_m"] * 1e3, knobs["stack_height"]
    area = tech.usable_area_fraction * target.die_area_mm2  # (D1) one DRAM layer
    channels = c_l * h
    pins = channels * w
    bonds = area / pitch_mm**2
    u_pitch = pins / (tech.data_bond_fraction * bonds)  # (D2)
    # (D3) the lowest layer bonds face to face to the logic; the signals of the layers above cross it in TSVs
    tsv_mm2 = (h - 1.0) * c_l * w / tech.data_bond_fraction * pitch_mm**2
    periphery_mm2 = c_l * (tech.channel_periphery_mm2 + b * tech.bank_periphery_mm2)
    row_bits = row * 8.0
    subarrays = c_l * b * s
    cell_mm2_per_cell = 1.0 / tech.cell_bits_per_mm2
    # (D4) the cells per bitline that fill the layer, within the sensing limits
    fill = (area - tsv_mm2 - periphery_mm2) / (subarrays * row_bits * cell_mm2_per_cell) - tech.sense_amp_cells
    n = np.clip(np.floor(fill), tech.min_cells_per_bitline, tech.max_cells_per_bitline)
    min_array_mm2 = subarrays * row_bits * (tech.min_cells_per_bitline + tech.sense_amp_cells) * cell_mm2_per_cell
    u_area = (tsv_mm2 + periphery_mm2 + min_array_mm2) / area
    capacity = h * subarrays * n * row  # (D6)

    t_scale = bitline_scale(n, tech.timing_fixed_fraction, tech.ref_cells_per_bitline)  # (D7)
    t_rcd, t_ras, t_rp = tech.t_rcd_ref_s * t_scale, tech.t_ras_ref_s * t_scale, tech.t_rp_ref_s * t_scale
    t_burst = BURST_BYTES * 8.0 / (w * rate)
    t_ccd = np.maximum(t_burst, tech.t_ccd_min_s)
    vs = tech.voltage_scale
    act_bit = tech.act_j_per_row_bit_ref * vs * bitline_scale(n, tech.act_fixed_fraction, tech.ref_cells_per_bitline)
    datapath_mm = np.sqrt(area / c_l)  # (D9) a bank's data crosses at most its channel's patch
    core = (tech.cell_j_per_bit + datapath_mm * tech.wire_j_per_bit_mm) * vs \
        + tech.tsv_j_per_bit_per_layer * (h + 1.0) / 2.0
    io = tech.io_j_per_bit_base + tech.io_j_per_bit_per_gbps * rate / 1e9  # (D10)
    refresh_w = capacity * 8.0 * act_bit / tech.refresh_window_s  # (D12)
    zero = np.zeros_like(n)
    d = replace(
        base,
        channels=channels, bank_groups=zero + 1.0, banks_per_group=b, row_bytes=row,
        burst_bytes=zero + BURST_BYTES, burst_time_s=t_burst,
        t_ccd_short_s=t_ccd, t_ccd_long_s=t_ccd, t_rrd_short_s=zero + tech.t_rrd_s, t_rrd_long_s=zero + tech.t_rrd_s,
        t_faw_s=zero + tech.t_faw_s, t_rcd_s=t_rcd, t_rp_s=t_rp, t_rc_s=t_ras + t_rp,
        t_rtw_s=t_rcd + t_burst, t_refi_s=zero + tech.t_refi_s,
        peak_bw_bytes_per_s=channels * w * rate / 8.0,
        act_pre_j=row_bits * act_bit, read_core_j_per_bit=core, write_core_j_per_bit=core, io_j_per_bit=io,
        background_w=channels * tech.background_w_per_channel, refresh_w=refresh_w,  # (D11)
    )
    f = analytic(d, pattern, controller)  # (D8) the memory model: effective bandwidth and pJ/bit

    bw = f.effective_bw_bytes_per_s
    acts_per_s = bw / channels / f.bytes_per_activation  # per channel
    t_col = column_time_s(d)
    u_act = acts_per_s / activation_rate_per_s(d)
    u_bank = acts_per_s * bank_cycle_s(d, f.bytes_per_activation / BURST_BYTES, t_col) / b
    served = np.minimum(target.bw_per_die_bytes_per_s, bw)
    dram_w = f.access_path_j_per_bit * 8.0 * served + d.background_w + d.refresh_w  # (D13)
    flux = target.logic_w_per_mm2 + dram_w / target.die_area_mm2
    # (D14) the heat the budget leaves for the DRAM's dynamic power, as a bandwidth
    headroom_w = (target.thermal_limit_w_per_mm2 - target.logic_w_per_mm2) * target.die_area_mm2 - d.background_w - d.refresh_w
    sustained = np.minimum(bw, np.maximum(headroom_w, 0.0) / (8.0 * f.access_path_j_per_bit))
    utilisation = {
        "bond_pitch": u_pitch, "area": u_area, "thermal": flux / target.thermal_limit_w_per_mm2,
        "column_cycle": bw / (channels * BURST_BYTES / tech.t_ccd_min_s), "activate_rate": u_act,
        "bank_cycle": u_bank, "energy": f.total_j_per_bit / target.max_j_per_bit,
    }
    return Candidates(knobs=dict(knobs), cells_per_bitline=n, datapath_mm=datapath_mm, capacity_bytes=capacity,
                      figures=f, device=d, utilisation=utilisation, dram_w=dram_w, stack_w_per_mm2=flux,
                      sustained_bw_bytes_per_s=sustained)


def search(space: DesignSpace, tech: Technology, target: DesignTarget, base: DeviceArrays, pattern: KVPattern,
           controller: Controller = Controller()) -> DesignResult:
    """Evaluate the whole grid; the designs that meet the target and their Pareto set (bandwidth per
    die sustained within the thermal budget up, pJ/bit down, capacity per die up)."""
    c = evaluate_candidates(grid(space), tech, target, base, pattern, controller)
    criteria = {
        "bandwidth": c.bw_per_die_bytes_per_s >= target.bw_per_die_bytes_per_s * (1 - 1e-9),
        "energy": c.j_per_bit <= target.max_j_per_bit * (1 + 1e-9),
        "capacity": c.capacity_bytes >= target.capacity_per_die_bytes * (1 - 1e-9),
        **{k: c.utilisation[k] <= 1.0 for k in PHYSICAL},
    }
    feasible = np.logical_and.reduce([criteria[k] for k in PHYSICAL])
    meets = np.logical_and.reduce(list(criteria.values()))
    pool = np.flatnonzero(meets) if meets.any() else np.flatnonzero(feasible)
    obj = np.column_stack([c.sustained_bw_bytes_per_s[pool], c.j_per_bit[pool], c.capacity_bytes[pool]])
    front = pool[pareto_front(obj, (True, False, True))] if pool.size else pool
    return DesignResult(target, space, c, feasible, meets, front, criteria)


def binding_limit(c: Candidates, i: int) -> tuple[str, float]:
    """The physical limit design ``i`` is closest to (highest utilisation), and that utilisation."""
    name = max(LIMITS, key=lambda k: float(c.utilisation[k][i]))
    return name, float(c.utilisation[name][i])


def miss_ratios(result: DesignResult) -> dict[str, Arr]:
    """Criterion -> for every design, needed / achieved (bandwidth, capacity), achieved / allowed
    (energy) or used / allowed (pitch, area, thermal): above 1 the design misses it by that factor."""
    c, t = result.candidates, result.target
    return {
        "bandwidth": t.bw_per_die_bytes_per_s / c.bw_per_die_bytes_per_s, "energy": c.j_per_bit / t.max_j_per_bit,
        "capacity": t.capacity_per_die_bytes / c.capacity_bytes, "bond_pitch": c.utilisation["bond_pitch"],
        "area": c.utilisation["area"], "thermal": c.utilisation["thermal"],
    }


def shortfalls(result: DesignResult, i: int) -> dict[str, float]:
    """The criteria design ``i`` misses, each with its miss ratio (> 1)."""
    return {k: float(v[i]) for k, v in miss_ratios(result).items() if v[i] > 1.0 + 1e-9}


def closest(result: DesignResult) -> int:
    """The design whose worst miss ratio is smallest (the nearest miss when none meets)."""
    return int(np.argmin(np.maximum.reduce(list(miss_ratios(result).values()))))


@dataclass(frozen=True)
class Relaxation:
    """What dropping one criterion alone would allow: the designs meeting every other one, and the
    best figure of the dropped criterion among them (as a shortfall ratio: 1 would just meet it)."""

    criterion: str
    designs: int
    best_ratio: float
    best: int  # index of that design (-1: none)


def relaxations(result: DesignResult) -> tuple[Relaxation, ...]:
    """For each criterion: if it alone were dropped, how many designs would meet the rest, and how far
    the best of them misses it. A criterion whose relaxation admits designs is one that forbids them."""
    ratio = miss_ratios(result)
    out = []
    for k in result.criteria:
        others = np.logical_and.reduce([ok for j, ok in result.criteria.items() if j != k])
        idx = np.flatnonzero(others)
        if idx.size == 0:
            out.append(Relaxation(k, 0, float("nan"), -1))
            continue
        best = int(idx[np.argmin(ratio[k][idx])])
        out.append(Relaxation(k, int(idx.size), float(ratio[k][best]), best))
    return tuple(out)


def device_description(c: Candidates, i: int, tech: Technology, target: DesignTarget,
                       name: str = "kv-design") -> dict[str, Any]:
    """Design ``i`` as a device description (the form of a device YAML file, built by the one path
    of device files, ``kvpipe.config.device_spec``): one unit is the whole stack on the logic die. Loading it and running the memory model
    gives the search's own figures for that design (a test checks it)."""
    k = {key: float(v[i]) for key, v in c.knobs.items()}
    d = c.device
    h, rate = int(k["stack_height"]), k["data_rate_bits_per_s"]

    def ns(x: Arr | float) -> str:  # a timing of every design, or one the base device gives them all
        return f"{float(np.broadcast_to(x, c.capacity_bytes.shape)[i]) * 1e9:.9g} ns"

    area_mm2 = tech.usable_area_fraction * target.die_area_mm2
    how = ("derived by kvpipe memory design (docs/memory.md, Inverse design D1-D12) from the knobs and the "
           "Technology constants, each with its source there (D)")
    return {
        "name": name, "family": "3D-stacked fine-grained DRAM (designed)", "unit": "3D stack",
        "organization": {
            "channels": int(d.channels[i]), "bank_groups": 1, "banks_per_group": int(k["banks_per_channel"]),
            "rows_per_bank": int(k["subarrays_per_bank"] * c.cells_per_bitline[i]), "row_bytes": int(k["row_bytes"]),
            "io_width_bits": int(k["io_width_bits"]), "burst_length": int(BURST_BYTES * 8 // int(k["io_width_bits"])),
            "data_rate": f"{rate / 1e9:.9g} Gb/s", "dies": h,
        },
        "timing": {
            "tCK": "1 ns", "tRCD": ns(d.t_rcd_s), "tRP": ns(d.t_rp_s), "tRAS": ns(d.t_rc_s - d.t_rp_s), "tRC": ns(d.t_rc_s),
            "tCCD_S": ns(d.t_ccd_short_s), "tCCD_L": ns(d.t_ccd_long_s), "tRRD_S": ns(d.t_rrd_short_s),
            "tRRD_L": ns(d.t_rrd_long_s), "tFAW": ns(d.t_faw_s), "tWTR": ns(d.t_wtr_s), "tRTW": ns(d.t_rtw_s),
            "tCWL": ns(d.t_cwl_s), "tRTP": ns(d.t_rtp_s), "tRFC": ns(d.t_rfc_s), "tREFI": ns(d.t_refi_s),
            "refresh": "per_bank", "tRFCpb": ns(d.t_rfc_pb_s),
        },
        "energy": {
            "act_pre": f"{float(d.act_pre_j[i]) * 1e12:.9g} pJ", "read_core": f"{float(d.read_core_j_per_bit[i]) * 1e12:.9g} pJ/bit",
            "write_core": f"{float(d.write_core_j_per_bit[i]) * 1e12:.9g} pJ/bit",
            "io": f"{float(d.io_j_per_bit[i]) * 1e12:.9g} pJ/bit", "background": f"{float(d.background_w[i]):.9g} W",
            "refresh": f"{float(d.refresh_w[i]):.9g} W",
        },
        "attachment": {
            "type": "3d", "footprint": f"{area_mm2:.9g} mm2", "bond_pitch": f"{k['bond_pitch_m'] * 1e6:.9g} um",
            "data_bond_fraction": tech.data_bond_fraction, "rate_per_bond": f"{rate / 1e9:.9g} Gb/s", "stack_height": h,
            "capacity_per_layer": f"{float(c.capacity_bytes[i]) / h:.12g} B",
        },
        "sources": {section: how for section in ("organization", "timing", "energy", "attachment")},
    }


def forbidding_limits(result: DesignResult) -> tuple[str, ...]:
    """The physical limits (pitch, area, thermal) that alone stand between the space and the target:
    dropping any one of them admits designs meeting everything else (none when a design meets the target)."""
    if result.n_meeting:
        return ()
    return tuple(x.criterion for x in relaxations(result) if x.criterion in PHYSICAL and x.designs > 0)


def energy_breakdown(c: Candidates, i: int) -> dict[str, float]:
    """pJ/bit of design ``i`` by part (activation, core = cell + wire + TSV, I/O, standby + refresh)."""
    f = c.figures
    return {
        "activation": float(f.act_j_per_bit[i]), "core": float(f.core_j_per_bit[i]), "io": float(f.io_j_per_bit[i]),
        "standby_refresh": float(f.background_j_per_bit[i] + f.refresh_j_per_bit[i]),
    }


__all__ = [
    "AXES", "LIMITS", "LIMIT_LABELS", "TECHNOLOGY_SOURCES", "Candidates", "DesignResult", "DesignSpace",
    "DesignTarget", "Relaxation", "Requirement", "SystemNeeds", "Technology", "binding_limit", "bitline_scale", "closest",
    "device_description", "energy_breakdown", "forbidding_limits",
    "evaluate_candidates", "grid", "miss_ratios", "relaxations", "search", "shortfalls", "strictest", "system_needs",
]
