"""How much memory a logic die can attach, and so bandwidth and capacity per reticle die.

* **2.5D** (beside the die on an interposer or board): each unit needs ``slot_mm`` of the
  logic-die edge — its PHY shoreline, and its footprint along the edge unless it fans out
  on a board. Units per edge = ``floor(edge / slot)``; edges given to other I/O (die-to-die
  links, SerDes) are reserved.
* **3D** (hybrid-bonded on the die): units tile ``usable_area_fraction`` of the die area;
  each delivers ``min(device peak, bonds x data fraction x rate per bond)``.

Edges of a ``width x height`` die: ``north``/``south`` are ``width`` long, ``east``/``west``
are ``height`` long.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kvpipe.memory.device import Attach2p5D, Attach3D, Device

EDGES = ("north", "south", "east", "west")


@dataclass(frozen=True)
class LogicDie:
    width_mm: float = 26.0
    height_mm: float = 33.0

    @property
    def area_mm2(self) -> float:
        return self.width_mm * self.height_mm

    def edge_mm(self, edge: str) -> float:
        if edge not in EDGES:
            raise ValueError(f"edge must be one of {EDGES}, got {edge!r}")
        return self.width_mm if edge in ("north", "south") else self.height_mm


RETICLE = LogicDie(26.0, 33.0)
# assumption: the short edges carry the die's other I/O (host, die-to-die), as on H100
DEFAULT_RESERVED_EDGES = ("north", "south")


@dataclass(frozen=True)
class ReticleFigures:
    """Memory one logic die attaches."""

    device: str
    attach: str
    sites: int  # places for units the geometry offers
    units: int  # units actually fitted (active)
    per_edge: Mapping[str, int] = field(default_factory=dict)
    limit: str = ""  # what bounds the count or the bandwidth
    bw_bytes_per_s: float = 0.0
    capacity_bytes: float = 0.0
    die_area_mm2: float = 0.0

    @property
    def bw_bytes_per_s_per_mm2(self) -> float:
        return self.bw_bytes_per_s / self.die_area_mm2

    @property
    def capacity_bytes_per_mm2(self) -> float:
        return self.capacity_bytes / self.die_area_mm2

    @property
    def bw_to_capacity_per_s(self) -> float:
        return self.bw_bytes_per_s / self.capacity_bytes


def units_per_edge(die: LogicDie, attach: Attach2p5D,
                   reserved_edges: Sequence[str] = ()) -> dict[str, int]:
    """``floor(edge / slot)`` on every edge not reserved for other I/O."""
    for e in reserved_edges:
        die.edge_mm(e)
    return {e: 0 if e in reserved_edges else int(math.floor(die.edge_mm(e) / attach.slot_mm + 1e-9))
            for e in EDGES}


def unit_bw_bytes_per_s(device: Device, data_rate_bits_per_s: float | None = None) -> float:
    """Peak bandwidth of one unit, optionally at another pin rate (e.g. a product's bin)."""
    o = device.organization
    rate = data_rate_bits_per_s or o.data_rate_bits_per_s
    return o.channels * o.io_width_bits * rate / 8.0


def reticle_figures(device: Device, die: LogicDie = RETICLE,
                    reserved_edges: Sequence[str] = DEFAULT_RESERVED_EDGES,
                    active_units: int | None = None, data_rate_bits_per_s: float | None = None,
                    usable_area_fraction: float = 0.8,
                    unit_bw_bytes_per_s_override: float | None = None) -> ReticleFigures:
    """Units, bandwidth and capacity one logic die attaches.

    ``active_units`` caps the fitted units (a product may leave sites empty or disabled);
    ``data_rate_bits_per_s`` runs the pins at a product's rate; ``unit_bw_bytes_per_s_override``
    replaces the per-unit peak (e.g. the effective KV bandwidth from the memory model).
    """
    att = device.attachment
    if isinstance(att, Attach3D):
        return _figures_3d(device, att, die, active_units, data_rate_bits_per_s,
                           usable_area_fraction, unit_bw_bytes_per_s_override)
    per_edge = units_per_edge(die, att, reserved_edges)
    sites = sum(per_edge.values())
    units = sites if active_units is None else min(sites, active_units)
    bw_unit = unit_bw_bytes_per_s_override or unit_bw_bytes_per_s(device, data_rate_bits_per_s)
    phy_bound = att.board_fanout or att.shoreline_mm >= att.footprint_along_edge_mm
    limit = "shoreline (PHY)" if phy_bound else "footprint along the edge"
    return ReticleFigures(device=device.name, attach="2.5d", sites=sites, units=units,
                          per_edge=per_edge, limit=limit, bw_bytes_per_s=units * bw_unit,
                          capacity_bytes=units * device.capacity_bytes, die_area_mm2=die.area_mm2)


def _figures_3d(device: Device, att: Attach3D, die: LogicDie, active_units: int | None,
                rate: float | None, usable: float, override: float | None) -> ReticleFigures:
    sites = int(math.floor(die.area_mm2 * usable / att.footprint_mm2 + 1e-9))
    units = sites if active_units is None else min(sites, active_units)
    device_bw = override or unit_bw_bytes_per_s(device, rate)
    bw_unit = min(device_bw, att.bond_bw_bytes_per_s)
    limit = "bonds" if att.bond_bw_bytes_per_s < device_bw else "DRAM device (grains x rate)"
    return ReticleFigures(device=device.name, attach="3d", sites=sites, units=units,
                          per_edge={}, limit=limit, bw_bytes_per_s=units * bw_unit,
                          capacity_bytes=units * device.capacity_bytes, die_area_mm2=die.area_mm2)
