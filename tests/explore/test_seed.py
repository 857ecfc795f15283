"""The seed study: definitions checked on the toy system, the talk's claims on the real one."""

from dataclasses import replace

import numpy as np
import pytest
from toy import TOY_MEMORY, toy_system

from kvpipe import catalog
from kvpipe.config import seed_system
from kvpipe.explore.provision import provision
from kvpipe.explore.seed import demand_of, study_model
from kvpipe.explore.seed_study import run_seed_study
from kvpipe.hardware.parts import MemoryTech
from kvpipe.mapping import place

HBM3E_LIKE = replace(TOY_MEMORY, name="hbm3e", capacity_bytes=36e9, bw_bytes_per_s=1.2e12, read_j_per_bit=3.9e-12)


@pytest.fixture(scope="module")
def toy_study():
    return study_model(toy_system(context=1000), [HBM3E_LIKE, TOY_MEMORY])


def test_users_at_90pct_speed_on_the_toy(toy_study):
    """With ideal KV memory the toy's throughput is bound by compute:
    layer group: t_comp = (73,728 + 256,000 FLOP) / 0.73984e12 = 4.45675e-7 s per token and the
    SRAM bound 1/1e-7 s is looser, so X_max = 2.24379e6 tokens/s; the LM head (9.90e-8 s)
    and embedding are faster.
    Latency with ideal memory: layer max(4.45675e-7, 1e-7, 0) + 1.38408e-9 + 6e-6 = 6.447059e-6,
    embedding 1.002e-6, head 1.10099e-6 -> T0 = 2 x 6.447059e-6 + 2.10299e-6 = 1.4997108e-5 s.
    Per-user speed stays 1/T0 while U/T0 <= X_max; it falls below 90 % once X_max/U < 0.9/T0,
    i.e. U > X_max x T0 / 0.9 = 2.24379e6 x 1.4997108e-5 / 0.9 = 37.39 -> 37 users."""
    h = toy_study.headline
    assert h.single_user_tokens_per_s_ideal_kv == pytest.approx(1 / 1.4997108e-5, rel=1e-5)
    assert h.users_at_90pct_speed == 37
    assert h.users_multiplier == 37


def test_headline_identities(toy_study):
    h = toy_study.headline
    # K3: read bandwidth / capacity = per-user tokens/s at the operating point
    per_user = h.tokens_per_s_at_90pct / h.users_at_90pct_speed
    assert h.kv_bw_to_capacity_ratio_per_s == pytest.approx(per_user, rel=1e-12)
    assert h.hbm3e_bw_to_capacity_ratio_per_s == pytest.approx(1.2e12 / 36e9)
    # S1: at the required pJ/bit the KV energy equals everything else, i.e. half of J/token
    assert h.required_kv_pj_per_bit * 1e-12 * h.kv_bits_per_token == pytest.approx(
        h.joules_per_token_at_users_at_90pct_speed, rel=1e-12
    )
    assert h.required_kv_pj_per_bit_improvement_vs_hbm3e == pytest.approx(3.9 / h.required_kv_pj_per_bit)


def test_provisioning_meets_the_demand(toy_study):
    h = toy_study.headline
    for t in toy_study.techs:
        assert t.units_per_group == max(t.units_for_bandwidth, t.units_for_capacity)
        assert t.units_per_group * t.tech.bw_bytes_per_s >= h.kv_bw_demand_bytes_per_s_per_group * (1 - 1e-12)
        assert t.units_per_group * t.tech.capacity_bytes >= h.kv_capacity_demand_bytes_per_group
        assert t.capacity_overprovision >= 1.0
        assert 0.0 <= t.kv_energy_share < 1.0


def test_provisioned_memory_does_not_slow_the_pipeline(toy_study):
    s = toy_study.system
    placement = place(s.model, s.precisions, s.chip, s.mapping)
    h = toy_study.headline
    fast = MemoryTech(
        name="wide", unit="die", capacity_bytes=1e9, bw_bytes_per_s=1e15, read_j_per_bit=1e-12,
        write_j_per_bit=1e-12, background_w=0.0, footprint_mm2=1.0, attach="3d",
    )
    p = provision(fast, demand_of(h), s, placement)
    # a memory with ample bandwidth: J/token = the ideal J/token + the KV access energy only
    assert p.joules_per_token == pytest.approx(h.joules_per_token_at_users_at_90pct_speed + p.kv_j_per_token, rel=1e-9)


@pytest.fixture(scope="module")
def seed_study():
    techs = [t for t in catalog.memories() if t.name != "ideal"]
    return run_seed_study([seed_system()], techs)


def test_seed_reproduces_the_talks_argument(seed_study):
    h = seed_study.primary.headline
    # >100x more users than one before per-user speed drops by 10 %
    assert h.users_multiplier >= 100
    # KV bandwidth demand per byte stored is tokens/s per user: >> HBM3E's 1.2 TB/s / 36 GB
    assert h.kv_bw_to_capacity_ratio_per_s >= 10 * h.hbm3e_bw_to_capacity_ratio_per_s
    # J/token falls by filling the pipeline (static power amortized)
    assert h.joules_per_token_at_users_at_90pct_speed < h.joules_per_token_1_user / 10
    hbm = next(t for t in seed_study.primary.techs if t.tech.name == "hbm3e")
    # HBM3E must be over-provisioned in capacity many times to reach the bandwidth
    assert hbm.units_for_bandwidth > hbm.units_for_capacity
    assert hbm.capacity_overprovision > 10


def test_sweep_shapes(seed_study):
    m = seed_study.primary
    shape = (len(m.users), len(m.contexts))
    assert m.ideal.tokens_per_s.shape == shape
    assert m.configured.tokens_per_s.shape == shape
    assert np.all(m.configured.tokens_per_s <= m.ideal.tokens_per_s * (1 + 1e-12))
