"""The claim factors over the uncertainty box: agreement with the headline, a hand-checked
vectorized operating point, and the tornado / Monte Carlo bookkeeping."""

from dataclasses import replace

import numpy as np
import pytest
from toy import toy_system

from kvpipe import catalog
from kvpipe.catalog.ranges import stated_ranges
from kvpipe.config import seed_system
from kvpipe.explore.seed import headline
from kvpipe.explore.uncertainty import (
    CLAIM_TARGETS,
    applicable,
    claim_factors,
    operating_users,
    sample_box,
    study_uncertainty,
)
from kvpipe.mapping import place
from kvpipe.perf.inputs import inputs_from_system

TECHS = [t for t in catalog.memories() if t.name != "ideal"]
HBM3E = catalog.memory("hbm3e")


def _placed(system):
    return place(system.model, system.precisions, system.chip, system.mapping)


def test_operating_users_on_the_toy_for_two_hop_latencies():
    """tests/explore/test_seed.py works out U90 = floor(X_max T0 / 0.9) = 37 at 1 us hops
    (X_max = 2.24379e6 tokens/s, T0 = 1.4997108e-5 s). The toy token crosses 14 communication
    stages, so 2 us hops add 14 us: T0 = 2.8997108e-5 s and U90 = floor(2.24379e6 x 2.8997108e-5
    / 0.9) = floor(72.29) = 72. Both come from one vectorized call."""
    from kvpipe.explore.seed import _ideal

    system = toy_system(context=1000)
    inputs = inputs_from_system(_ideal(system)).with_(hop_latency_s=np.array([1e-6, 2e-6]))
    u = operating_users(_placed(system), inputs, (2,))
    assert u.tolist() == [37.0, 72.0]


@pytest.mark.parametrize("model", ["llama-3.1-70b", "deepseek-v3"])
def test_nominal_factors_are_the_headline(model):
    system = replace(seed_system(), model=catalog.model(model))
    placement = _placed(system)
    h = headline(system, placement, TECHS)
    f = claim_factors(system, placement, HBM3E)
    assert float(f.users_multiplier) == h.users_multiplier  # at the same operating point
    assert float(f.pj_per_bit) == pytest.approx(h.required_kv_pj_per_bit_improvement_vs_hbm3e, rel=1e-12)
    assert float(f.bw_per_die) == pytest.approx(h.required_kv_bw_per_reticle_die_vs_hbm3e, rel=1e-12)
    assert float(f.bw_to_capacity) == pytest.approx(
        h.kv_bw_to_capacity_ratio_per_s / h.hbm3e_bw_to_capacity_ratio_per_s, rel=1e-12
    )


@pytest.fixture(scope="module")
def seed_uncertainty():
    system = seed_system()
    return study_uncertainty(system, _placed(system), TECHS, stated_ranges(system), samples=500, seed=7)


def test_the_box_is_every_ranged_uncertain_input(seed_uncertainty):
    keys = {i.key for i in seed_uncertainty.inputs}
    assert {"link.hop_latency_s", "chip.static_power_w", "chip.sram_read_j_per_bit", "hbm3e.read_j_per_bit",
            "chip.die_area_mm2", "chip.peak_flop_per_s.fp8"} <= keys
    assert "chip.sram_bytes" not in keys  # derived (D), not uncertain
    assert "chip.peak_flop_per_s.fp4" not in keys  # no range: the seed runs no fp4
    for i in seed_uncertainty.inputs:
        assert i.low <= i.nominal <= i.high and i.firmness in "UA" and i.why


def test_a_system_that_changed_a_figure_leaves_it_out_of_the_box():
    system = seed_system()
    changed = replace(system, link=replace(system.link, hop_latency_s=300e-9))
    stated = stated_ranges(system)
    assert "link.hop_latency_s" in {i.key for i in applicable(system, HBM3E, stated)}
    assert "link.hop_latency_s" not in {i.key for i in applicable(changed, HBM3E, stated)}


def test_tornado_moves_each_factor_only_through_its_inputs(seed_uncertainty):
    u = seed_uncertainty
    k = [i.key for i in u.inputs].index("hbm3e.read_j_per_bit")
    # HBM3E's read energy is the reference of the pJ/bit claim only: 3 and 5 pJ/bit against 3.9
    assert float(u.tornado_low.pj_per_bit[k]) == pytest.approx(float(u.nominal.pj_per_bit) * 3.0 / 3.9, rel=1e-12)
    assert float(u.tornado_high.pj_per_bit[k]) == pytest.approx(float(u.nominal.pj_per_bit) * 5.0 / 3.9, rel=1e-12)
    assert float(u.tornado_low.users_multiplier[k]) == float(u.nominal.users_multiplier)
    # die area enters the bandwidth per die only, inversely (G4): 800/600 and 800/858 of nominal
    d = [i.key for i in u.inputs].index("chip.die_area_mm2")
    assert float(u.tornado_low.bw_per_die[d]) == pytest.approx(float(u.nominal.bw_per_die) * 800 / 600, rel=1e-12)
    assert float(u.tornado_high.bw_per_die[d]) == pytest.approx(float(u.nominal.bw_per_die) * 800 / 858, rel=1e-12)
    # longer hops: a deeper pipeline holds more users
    h = [i.key for i in u.inputs].index("link.hop_latency_s")
    assert u.tornado_high.users_multiplier[h] > u.nominal.users_multiplier > u.tornado_low.users_multiplier[h]


def test_monte_carlo_is_seeded_and_inside_the_box(seed_uncertainty):
    u = seed_uncertainty
    a, b = sample_box(u.inputs, 100, 3), sample_box(u.inputs, 100, 3)
    for i in u.inputs:
        assert np.array_equal(a[i.key], b[i.key])
        assert np.all((a[i.key] >= i.low) & (a[i.key] <= i.high))
    j = u.context_index()
    assert u.monte_carlo.pj_per_bit.shape == (500, len(u.contexts))
    for claim, target in CLAIM_TARGETS.items():
        assert u.hold_fraction(claim) == pytest.approx(np.mean(u.monte_carlo.factor(claim)[:, j] >= target))
    # the nominal point lies inside the band
    p5, _, p95 = u.band("pj_per_bit")[:, j]
    assert p5 < float(u.nominal.pj_per_bit) < p95
    # the KV bits per token grow with context: so does the pJ/bit factor at the median
    assert np.all(np.diff(u.band("pj_per_bit")[1]) > 0)


def test_one_or_no_stated_input():
    system = seed_system()
    placement = _placed(system)
    hbm_only = [i for i in stated_ranges(system) if i.key == "hbm3e.read_j_per_bit"]
    one = study_uncertainty(system, placement, TECHS, hbm_only, samples=50, seed=1)
    assert one.tornado_low.pj_per_bit.shape == (1,) and one.tornado_low.users_multiplier.shape == (1,)
    assert one.monte_carlo.users_multiplier.shape == (50, len(one.contexts))
    none = study_uncertainty(system, placement, TECHS, (), samples=50, seed=1)
    assert none.samples == 1 and none.inputs == ()
    assert none.hold_fraction("users_multiplier") == 1.0 and none.hold_fraction("pj_per_bit") == 0.0  # 197x, 2.39x
    from kvpipe.report.robustness import MAP_KEY, figure_pngs

    assert set(figure_pngs([none], lambda f: b"png")) == {MAP_KEY}
