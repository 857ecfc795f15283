"""Inverse design of the KV DRAM (explore/device_design.py, docs/memory.md "Inverse design"):
a hand-worked design and a four-point search whose answer is worked out below."""

import math

import numpy as np
import pytest

from kvpipe.config.devices import parse_device
from kvpipe.explore.device_design import (
    DesignSpace,
    DesignTarget,
    Technology,
    evaluate_candidates,
    forbidding_limits,
    grid,
    relaxations,
    search,
    shortfalls,
    strictest,
)
from kvpipe.memory import device_arrays, fgdram_like, kv_pattern

# One design, worked by hand with the default Technology on a 26 x 33 mm die:
#   knobs: 1024 channels per layer, 8 banks, 32 subarrays per bank, 512 B rows, x16 at 2 Gb/s,
#          9 um bond pitch, 4 layers.
#   (D1) layer area A = 0.8 x 858 = 686.4 mm^2
#   channels C = 1024 x 4 = 4096; signal pins = 4096 x 16 = 65,536
#   (D2) bonds = 686.4 / 0.009^2 = 8,474,074; data bonds x 0.1 = 847,407; pitch use = 65,536 / 847,407 = 0.07734
#   (D3) TSVs for the 3 layers above the lowest: 3 x 1024 x 16 / 0.1 x 0.009^2 = 39.813 mm^2
#   periphery = 1024 x (0.02 + 8 x 0.004) = 53.248 mm^2
#   (D4) subarrays per layer 1024 x 8 x 32 = 262,144 of 4096-bit rows; one row of cells = 4096 / 0.6e9 mm^2
#        262,144 x 4096 / 0.6e9 = 1.789570 mm^2 per cell of bitline;
#        n = floor((686.4 - 39.813 - 53.248) / 1.789570 - 100) = floor(331.55 - 100) = 231
#   area use = (39.813 + 53.248 + 1.789570 x (32 + 100)) / 686.4 = 329.284 / 686.4 = 0.47973
#   (D6) capacity = 4 x 262,144 x 231 x 512 B = 124,017,180,672 B
#   (D7) bitline scale 0.4 + 0.6 x 231/512 = 0.670703: tRCD = tRP = 9.38984 ns, tRAS = 22.8039 ns,
#        tRC = 32.1938 ns
#   burst 32 B over 16 pins at 2 Gb/s = 8 ns (> tCCD_min 1.67 ns); peak = 4096 x 16 x 2e9 / 8 = 16.384 TB/s
#   (D9) VDD^2 scale (1.1/1.2)^2 = 0.840278; activation per row bit 0.111 x 0.840278 x (0.2 + 0.8 x 231/512)
#        = 0.0523191 pJ; act_pre = 4096 x 0.0523191 pJ = 214.299 pJ
#   (D9) datapath = sqrt(686.4 / 1024) = 0.81873 mm; core = (0.44 + 0.81873 x 0.32) x 0.840278 + 0.04 x 2.5
#        = 0.68987 pJ/bit
#   (D10) I/O = 0.0214 + 0.0143 x 2 = 0.0500 pJ/bit
#   (D11) background = 4096 x 0.3 / 1024 = 1.2 W
#   (D12) refresh = 124,017,180,672 x 8 x 0.0523191e-12 / 0.032 = 1.62212 W
HAND = {
    "channels_per_layer": 1024, "banks_per_channel": 8, "subarrays_per_bank": 32, "row_bytes": 512,
    "io_width_bits": 16, "data_rate_bits_per_s": 2e9, "bond_pitch_m": 9e-6, "stack_height": 4,
}
PATTERN = kv_pattern(8192, 4096)  # one user's layer: 32 MiB read, 4 KiB appended


@pytest.fixture(scope="module")
def base():
    return device_arrays(parse_device(fgdram_like(name="base", attach="3d")))


def _target(bw=10e12, j=1e-12, cap=4.3e9, logic=0.3, limit=0.5) -> DesignTarget:
    return DesignTarget(bw, j, cap, logic, limit)


def test_one_design_by_hand(base):
    knobs = {k: np.array([float(v)]) for k, v in HAND.items()}
    c = evaluate_candidates(knobs, Technology(), _target(), base, PATTERN)
    assert c.cells_per_bitline[0] == 231
    assert c.capacity_bytes[0] == 124_017_180_672
    assert c.utilisation["bond_pitch"][0] == pytest.approx(0.07734, rel=1e-3)
    assert c.utilisation["area"][0] == pytest.approx(0.47973, rel=1e-4)
    d = c.device
    assert d.t_rc_s[0] == pytest.approx(32.1938e-9, rel=1e-5)
    assert d.peak_bw_bytes_per_s[0] == pytest.approx(16.384e12)
    assert d.act_pre_j[0] == pytest.approx(214.299e-12, rel=1e-5)
    assert d.read_core_j_per_bit[0] == pytest.approx(0.68987e-12, rel=1e-4)
    assert d.io_j_per_bit[0] == pytest.approx(0.0500e-12, rel=1e-3)
    assert d.background_w[0] == pytest.approx(1.2)
    assert d.refresh_w[0] == pytest.approx(1.62212, rel=1e-5)
    # a 32 MiB run alone streams at the column (pin) rate less refresh and one write turnaround:
    # within 5 % of the 16.384 TB/s peak, never above it
    bw = c.bw_per_die_bytes_per_s[0]
    assert 0.95 * 16.384e12 < bw <= 16.384e12
    # all-in energy: each channel gets 32 MiB / 4096 = 8192 B of the run, starting anywhere in a row:
    # (8192 - 32) / 512 + 1 = 16.9375 rows, 483.668 B per activation -> 214.299 pJ / (483.668 x 8)
    # = 0.055384 pJ/bit, x the read share 33,554,432 / 33,558,528 = 0.055377; + core 0.68987 + I/O 0.0500
    # + standby and refresh 2.82212 W / (8 x 16.379e12) = 0.021538 -> 0.81679 pJ/bit
    assert c.figures.act_j_per_bit[0] == pytest.approx(0.055377e-12, rel=1e-4)
    assert c.j_per_bit[0] == pytest.approx(0.81679e-12, rel=1e-3)


def test_four_point_search_by_hand(base):
    # Only the pin rate (1 or 2 Gb/s) and the stack height (1 or 4 layers) vary.
    # Peak per die = 1024 x layers x 16 x rate / 8: 2.048, 4.096 (1 layer), 8.192, 16.384 TB/s (4 layers).
    # The target asks 10 TB/s: only 4 layers at 2 Gb/s can deliver it (effective <= peak), and it meets
    # the rest (above: 0.817 pJ/bit <= 1, 124 GB >= 4.3 GB, pitch 8 %, area 48 %). Its stack at the
    # 10 TB/s it serves: dynamic 0.795247 pJ/bit x 8 x 10e12 = 63.620 W + 2.822 W standby/refresh
    # = 66.442 W over 858 mm^2 = 0.077438 W/mm^2 on 0.3 W/mm^2 of logic = 0.37744 <= 0.5.
    space = DesignSpace(channels_per_layer=(1024,), banks_per_channel=(8,), subarrays_per_bank=(32,),
                        row_bytes=(512,), io_width_bits=(16,), data_rate_bits_per_s=(1e9, 2e9),
                        bond_pitch_m=(9e-6,), stack_height=(1, 4))
    assert space.n_points == 4
    r = search(space, Technology(), _target(), base, PATTERN)
    k = r.candidates.knobs
    winner = int(np.flatnonzero((k["data_rate_bits_per_s"] == 2e9) & (k["stack_height"] == 4))[0])
    assert np.flatnonzero(r.meets).tolist() == [winner]
    assert r.pareto.tolist() == [winner]
    assert r.failing == {"bandwidth": 3, "energy": 0, "capacity": 0, "bond_pitch": 0, "area": 0, "thermal": 0}
    assert r.candidates.stack_w_per_mm2[winner] == pytest.approx(0.37744, rel=1e-4)

    # A 0.35 W/mm^2 budget forbids it: 0.37744 / 0.35 = 1.0784 over the thermal limit, and dropping the
    # thermal criterion alone would admit exactly that design.
    cool = search(space, Technology(), _target(limit=0.35), base, PATTERN)
    assert cool.n_meeting == 0
    assert set(shortfalls(cool, winner)) == {"thermal"}
    thermal = next(x for x in relaxations(cool) if x.criterion == "thermal")
    assert (thermal.designs, thermal.best) == (1, winner)
    assert forbidding_limits(cool) == ("thermal",)
    assert forbidding_limits(r) == ()  # a target that is met has nothing forbidding it
    assert thermal.best_ratio == pytest.approx(0.37744 / 0.35, rel=1e-4)
    # (D14) within 0.35 W/mm^2 the DRAM may dissipate (0.35 - 0.3) x 858 - 2.82212 W standby/refresh
    # = 40.0779 W; at 0.795247 pJ/bit dynamic (0.055377 + 0.68987 + 0.0500) that streams 6.2995 TB/s
    assert cool.candidates.sustained_bw_bytes_per_s[winner] == pytest.approx(6.2995e12, rel=1e-4)
    bandwidth = next(x for x in relaxations(cool) if x.criterion == "bandwidth")
    assert bandwidth.designs == 2  # the 1-layer designs run cool enough, but are too slow
    assert bandwidth.best_ratio == pytest.approx(10 / 4.096, rel=0.05)


def test_grid_is_the_full_product():
    space = DesignSpace(channels_per_layer=(256, 512), stack_height=(1, 2, 4))
    g = grid(space)
    assert len(g["channels_per_layer"]) == space.n_points == 2 * 3 * math.prod(
        len(v) for v in (space.banks_per_channel, space.subarrays_per_bank, space.row_bytes, space.io_width_bits,
                         space.data_rate_bits_per_s, space.bond_pitch_m))
    pairs = set(zip(g["channels_per_layer"].tolist(), g["stack_height"].tolist(), strict=True))
    assert pairs == {(c, h) for c in (256, 512) for h in (1, 2, 4)}


def test_more_pins_per_area_hit_the_pitch_and_area_limits(base):
    # 2048 channels x 64 bits x 8 layers at 9 um: 1,048,576 pins > 847,407 data bonds -> pitch use 1.24;
    # the TSVs of the 7 upper layers alone (7 x 2048 x 64 / 0.1 x 8.1e-5 = 743.2 mm^2) exceed the 686.4 mm^2 layer
    knobs = {**{k: np.array([float(v)]) for k, v in HAND.items()},
             "channels_per_layer": np.array([2048.0]), "io_width_bits": np.array([64.0]), "stack_height": np.array([8.0])}
    c = evaluate_candidates(knobs, Technology(), _target(), base, PATTERN)
    assert c.utilisation["bond_pitch"][0] == pytest.approx(1_048_576 / 847_407, rel=1e-3)
    assert c.utilisation["area"][0] > 743.2 / 686.4


def test_strictest_requirement():
    assert strictest([("study", 23e12), ("5x HBM3E", 35.7e12)], True).value == 35.7e12
    assert strictest([("study", 1.73e-12), ("HBM3E / 3", 1.15e-12)], False).value == 1.15e-12


def test_a_design_loads_as_a_device_with_the_same_figures(base):
    # The exported description goes through the ordinary device path (validation, energy resolution,
    # DeviceArrays) and the memory model must give what the vectorized search gave for that design.
    from kvpipe.explore.device_design import device_description
    from kvpipe.memory import analytic, reticle_figures

    knobs = {k: np.array([float(v)]) for k, v in HAND.items()}
    c = evaluate_candidates(knobs, Technology(), _target(), base, PATTERN)
    dev = parse_device(device_description(c, 0, Technology(), _target()))
    assert dev.capacity_bytes == c.capacity_bytes[0] == 124_017_180_672
    f = analytic(dev, PATTERN)
    assert float(f.effective_bw_bytes_per_s) == pytest.approx(float(c.bw_per_die_bytes_per_s[0]), rel=1e-7)
    assert float(f.total_j_per_bit) == pytest.approx(float(c.j_per_bit[0]), rel=1e-7)
    die = reticle_figures(dev)  # one stack per logic die, its bonds (8 % used) do not bound it
    assert (die.units, die.limit) == (1, "DRAM device (grains x rate)")


@pytest.mark.parametrize("changes", [
    {},  # the hand-worked design: pin-bound
    {"row_bytes": 256, "io_width_bits": 64, "data_rate_bits_per_s": 4e9, "banks_per_channel": 2},  # bank cycle at ~91 %
])
def test_designed_devices_agree_with_the_cycle_model(base, changes):
    # the other fidelity: the command-level simulation of the exported device streams the KV pattern
    # within 5 % of the bandwidth the search's closed form gave it
    from kvpipe.explore.device_design import device_description
    from kvpipe.memory import simulate_kv

    knobs = {k: np.array([float(changes.get(k, v))]) for k, v in HAND.items()}
    c = evaluate_candidates(knobs, Technology(), _target(), base, PATTERN)
    dev = parse_device(device_description(c, 0, Technology(), _target()))
    sim = simulate_kv(dev, PATTERN, n_requests=100_000)
    assert sim.effective_bw_bytes_per_s == pytest.approx(float(c.bw_per_die_bytes_per_s[0]), rel=0.05)
