"""Bandwidth and capacity per reticle die from packaging geometry."""

from __future__ import annotations

import pytest

from kvpipe import catalog
from kvpipe.config.devices import parse_device
from kvpipe.memory import (
    LogicDie,
    fgdram_like,
    reticle_figures,
    units_per_edge,
)


def test_h100_from_geometry() -> None:
    # Logic die taken as a 26 x 33 mm reticle; short (26 mm) edges carry NVLink/PCIe.
    # An 11 mm HBM3 stack (8.5 mm PHY) fits floor(33 / 11) = 3 per long edge: 6 sites.
    # H100 SXM enables 5 stacks (one site is a spare), pins at 5.23 Gb/s:
    # 5 x 1024 x 5.23 Gb/s / 8 = 3.347 TB/s (NVIDIA: 3.35 TB/s); 5 x 16 GiB = 80 GiB.
    f = reticle_figures(catalog.device("HBM3"), reserved_edges=("north", "south"),
                        active_units=5, data_rate_bits_per_s=5.23e9)
    assert f.sites == 6
    assert f.per_edge == {"north": 0, "south": 0, "east": 3, "west": 3}
    assert f.bw_bytes_per_s == pytest.approx(3.35e12, rel=0.005)
    assert f.capacity_bytes == 80 * 2**30


def test_b200_from_geometry() -> None:
    # Each B200 die gives one long edge to the die-to-die link and the other to off-package
    # I/O (assumption), leaving the 26 mm edges: floor(26 / 11) = 2 stacks each, 4 per die.
    # HBM3E at 8 Gb/s: 4 x 1024 x 8 / 8 = 4.1 TB/s per die, 8.2 TB/s for two dies
    # (NVIDIA: 8 TB/s); 8 x 24 GiB = 192 GiB.
    f = reticle_figures(catalog.device("HBM3E"), reserved_edges=("east", "west"),
                        data_rate_bits_per_s=8e9)
    assert f.units == 4
    assert 2 * f.bw_bytes_per_s == pytest.approx(8e12, rel=0.03)
    assert 2 * f.capacity_bytes == 192 * 2**30


def test_reticle_ceiling_and_3d() -> None:
    # Default: both long edges -> 6 stacks. HBM3E: 6 x 1.23 TB/s = 7.4 TB/s (ref: ~7.2).
    hbm3e = reticle_figures(catalog.device("HBM3E"))
    assert hbm3e.units == 6
    assert hbm3e.bw_bytes_per_s == pytest.approx(7.37e12, rel=0.01)
    # FG-3D: floor(858 mm2 x 0.8 / 100 mm2) = 6 tiles of 4.1 TB/s; its bonds
    # (100 mm2 / (9 um)^2 x 10 % x 2 Gb/s = 30.9 TB/s per tile) are not the limit.
    fg = reticle_figures(catalog.device("FG-3D"))
    assert fg.units == 6
    assert fg.limit.startswith("DRAM device")
    assert fg.bw_bytes_per_s == pytest.approx(6 * 4.096e12)
    assert fg.bw_bytes_per_s / hbm3e.bw_bytes_per_s > 3.0
    assert fg.bw_bytes_per_s_per_mm2 == pytest.approx(fg.bw_bytes_per_s / 858.0)
    # 40 um bonds: 100 mm2 / (40 um)^2 = 62,500 bonds x 10 % x 2 Gb/s = 1.5625 TB/s per tile,
    # below the tile's 4.1 TB/s: the bond field is now the limit.
    coarse = parse_device(fgdram_like(name="coarse", attach="3d", grains=1024,
                                          grain_width_bits=16, capacity_gib=12.0,
                                          bond_pitch="40 um"))
    c = reticle_figures(coarse)
    assert c.limit == "bonds"
    assert c.bw_bytes_per_s == pytest.approx(6 * 1.5625e12)


def test_shoreline_limits_board_parts() -> None:
    # GDDR6 fans out on the board: only its 5 mm PHY counts: floor(33/5) = 6 per long edge.
    gddr6 = catalog.device("GDDR6").attachment
    per_edge = units_per_edge(LogicDie(26, 33), gddr6, ("north", "south"))
    assert per_edge["east"] == 6 and per_edge["north"] == 0
