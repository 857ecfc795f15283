"""``kvpipe memory requirements`` on the toy system, worked out by hand."""

import pytest
from toy import TOY_MEMORY, toy_system

from kvpipe.explore.requirements import Target, requirements

# Target: 3 users at 1000 tokens of context, 1000 tokens/s each -> 3000 tokens/s aggregate.
# Per layer group: resident KV 128 B x 1000 = 128,000 B per user; each token reads it and
# appends 128 B. The group spans 0.73984 chip-equivalents (tests/toy.py).
RATE = 3 * 1000.0
CAPACITY = 3 * 128_000.0  # 384,000 B
BANDWIDTH = RATE * 128_128.0  # 3.84384e8 B/s
# Everything but the KV memory, per token at 3000 tokens/s (ideal memory, tests/perf/test_golden.py):
# static 2 chips x 10 W / 3000 + SRAM 161,024 B x 8 pJ + FLOPs (160,256 + 512,000) pJ + links 2,304 x 8 pJ
REST = 20.0 / RATE + 161_024 * 8e-12 + 672_256e-12 + 2_304 * 8e-12  # 6.6686e-3 J
KV_BITS = 2 * (128_000 + 128) * 8.0  # both layers, reads + writes: 2,050,048 bits


@pytest.fixture(scope="module")
def req():
    return requirements(toy_system(), Target(3, 1000, 1000.0), [TOY_MEMORY])


def test_demand(req):
    d = req.demand
    assert d.tokens_per_s == RATE
    assert d.capacity_bytes_per_group == pytest.approx(CAPACITY)
    assert d.bw_bytes_per_s_per_group == pytest.approx(BANDWIDTH, rel=1e-9)
    # the group's 0.73984 toy chips of 100 mm^2 are 0.73984 x 100 / (26 x 33 = 858) reticle dies
    assert d.reticle_dies_per_group == pytest.approx(0.73984 * 100 / 858, rel=1e-12)
    assert d.bw_per_reticle_die_bytes_per_s == pytest.approx(BANDWIDTH / (0.73984 * 100 / 858), rel=1e-9)
    assert d.rest_j_per_token == pytest.approx(REST, rel=1e-9)


def test_energy_allowance_is_half_of_j_per_token(req):
    assert req.max_kv_j_per_token == pytest.approx(REST, rel=1e-9)
    assert req.max_kv_pj_per_bit == pytest.approx(REST / KV_BITS * 1e12, rel=1e-9)  # ~3,253 pJ/bit


def test_toy_memory_meets_it(req):
    (t,) = req.technologies
    p = t.provisioned
    # 3.84e8 B/s of a 1e9 B/s die and 384 kB of 1 GB: one die each way
    assert (p.units_for_bandwidth, p.units_for_capacity, p.units_per_group) == (1, 1, 1)
    # reads 2 x 128,000 B + writes 2 x 128 B at 1 pJ/bit, background 2 groups x 1 W / 3000 tokens/s
    kv_j = (2 * 128_000 + 2 * 128) * 8e-12 + 2 * 1.0 / RATE
    assert p.kv_j_per_token == pytest.approx(kv_j, rel=1e-9)
    assert p.joules_per_token == pytest.approx(REST + kv_j, rel=1e-9)
    assert t.meets_energy and t.meets


def test_a_budget_replaces_the_half_rule():
    r = requirements(toy_system(), Target(3, 1000, 1000.0, joules_per_token=REST + 1e-4), [TOY_MEMORY])
    assert r.max_kv_j_per_token == pytest.approx(1e-4, rel=1e-6)
    # the toy DRAM's background alone (6.7e-4 J/token) breaks that budget
    assert not r.technologies[0].meets


def test_pipeline_speed_is_checked():
    fast = requirements(toy_system(), Target(3, 1000, 1e6), [TOY_MEMORY])
    assert not fast.pipeline_meets_target
