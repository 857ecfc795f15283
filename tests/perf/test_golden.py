"""The toy system (tests/toy.py) worked out by hand.

Inputs: chips 1e12 FLOP/s, 1e12 B/s SRAM, links 1e12 B/s and 1 us per communication stage;
KV memory 1e9 B/s and 1e9 B per group; context 1000; micro-batch 1; all bf16.

Layer group (x2): weights 73,984 B = 0.73984 chip-equivalents
  compute   linear 2 x (12,288 + 24,576) = 73,728 FLOP; attention 4 x 4 x 16 x 1000 = 256,000
            t = (73,728 + 256,000) / 0.73984e12                  = 4.4567e-7 s
  SRAM      t = 73,984 / (0.73984 x 1e12)                        = 1.0e-7 s
  KV        read 128 B x 1000 + write 128 B = 128,128 B / 1e9    = 1.28128e-4 s  (largest)
  links     (64+128+64 + 64+128+64) x 2 B = 1,024 B / 0.73984e12 = 1.38408e-9 s
  stages    6 x 1 us                                             = 6e-6 s
  latency   1.28128e-4 + 1.38408e-9 + 6e-6                       = 1.34129384e-4 s
Embedding: reads one row, 128 B over 0.128 chips: 1e-9 s; link 128 B: 1e-9 s; 1 stage: 1e-6
  latency 1.002e-6 s
LM head: 12,928 B = 0.12928 chips; SRAM 1e-7 s; compute 12,800/1.2928e11 = 9.90099e-8 s;
  link 128/1.2928e11 = 9.90099e-10 s; 1 stage 1e-6 -> latency 1.10099010e-6 s
Pipeline latency T0 = 1.002e-6 + 2 x 1.34129384e-4 + 1.10099010e-6 = 2.70361758e-4 s
"""

import pytest
from toy import toy_system

from kvpipe.perf import Limit, evaluate_system

T0 = 1.002e-6 + 2 * 1.34129384e-4 + 1.10099010e-6
X_KV = 1.0 / 1.28128e-4  # the KV-bandwidth bound: 7,804.7 tokens/s


def test_single_user_latency_and_speed():
    r = evaluate_system(toy_system(users=1))
    assert float(r.latency_s) == pytest.approx(T0, rel=1e-6)
    assert float(r.tokens_per_s_per_user) == pytest.approx(1 / T0, rel=1e-6)  # 3,698.8 tokens/s
    # P11: each layer group waits 1.28128e-4 - 4.4567e-7 = 1.27682e-4 s for KV beyond its
    # compute, 2.55365e-4 s of the 2.70362e-4 s latency (94 %): KV-latency-bound, not depth-bound
    assert int(r.binding_limit) == Limit.KV_LATENCY
    assert (r.chips, r.stages, r.comm_stages_per_token) == (2, 4, 14)


def test_a_fast_kv_memory_leaves_the_single_user_depth_bound():
    # KV at 1e12 B/s: 128,128 B take 1.28128e-7 s, under the layer's 4.4567e-7 s of compute,
    # so no time is spent waiting for KV: latency = 2 x (4.4567e-7 + 1.38408e-9 + 6e-6) + 2.10299e-6
    from dataclasses import replace

    from toy import TOY_MEMORY

    r = evaluate_system(toy_system(users=1, memory=replace(TOY_MEMORY, bw_bytes_per_s=1e12)))
    assert float(r.latency_s) == pytest.approx(2 * (4.4567e-7 + 1.38408e-9 + 6e-6) + 2.10299e-6, rel=1e-4)
    assert int(r.binding_limit) == Limit.PIPELINE_DEPTH


def test_two_users_still_fill_the_pipeline_three_hit_kv_bandwidth():
    # 2 / T0 = 7,397.6 < 7,804.7 ; 3 / T0 = 11,096 > 7,804.7
    r2 = evaluate_system(toy_system(users=2))
    assert float(r2.tokens_per_s) == pytest.approx(2 / T0, rel=1e-6)
    r3 = evaluate_system(toy_system(users=3))
    assert float(r3.tokens_per_s) == pytest.approx(X_KV, rel=1e-9)
    assert int(r3.binding_limit) == Limit.KV_BANDWIDTH
    assert float(r3.tokens_per_s_per_user) == pytest.approx(X_KV / 3, rel=1e-9)


def test_energy_breakdown_one_user():
    r = evaluate_system(toy_system(users=1))
    e = r.energy
    x = 1 / T0
    assert float(e.static) == pytest.approx(2 * 10.0 / x, rel=1e-6)  # 2 chips x 10 W
    # SRAM bytes per token: 128 + 2 x 73,984 + 12,928 = 161,024 B at 1 pJ/bit
    assert float(e.weight_reads) == pytest.approx(161_024 * 8e-12, rel=1e-9)
    # FLOPs: linear 2 x 73,728 + 12,800 = 160,256 and attention 2 x 256,000, 1 pJ each
    assert float(e.compute) == pytest.approx((160_256 + 512_000) * 1e-12, rel=1e-9)
    assert float(e.kv_read) == pytest.approx(2 * 128_000 * 8e-12, rel=1e-9)
    assert float(e.kv_write) == pytest.approx(2 * 128 * 8e-12, rel=1e-9)
    assert float(e.memory_background) == pytest.approx(2 * 1.0 / x, rel=1e-6)  # 2 groups x 1 W
    # activations handed on: 128 + 2 x 1,024 + 128 = 2,304 B at 1 pJ/bit
    assert float(e.links) == pytest.approx(2_304 * 8e-12, rel=1e-9)
    assert float(r.joules_per_token) == pytest.approx(float(e.total()), rel=1e-12)


def test_kv_capacity_binds_when_users_do_not_fit():
    # resident KV per user and group: 128 B x 1000 = 128,000 B; 256,000 B hold 2 users
    from dataclasses import replace

    from toy import TOY_MEMORY

    small = replace(TOY_MEMORY, capacity_bytes=256_000.0)
    r = evaluate_system(toy_system(users=5, memory=small))
    assert float(r.users_in_flight) == 2
    assert int(r.binding_limit) == Limit.KV_CAPACITY
    assert float(r.tokens_per_s) == pytest.approx(2 / T0, rel=1e-6)
    assert float(r.kv_capacity_demand_bytes_per_group) == pytest.approx(5 * 128_000)


def test_kv_demand_per_group_at_three_users():
    r = evaluate_system(toy_system(users=3))
    # capacity: 3 users x 128,000 B; bandwidth: X_KV x (128,000 + 128) B/s = 1e9 B/s, the supply
    assert float(r.kv_capacity_demand_bytes_per_group) == pytest.approx(384_000)
    assert float(r.kv_bw_demand_bytes_per_s_per_group) == pytest.approx(1e9, rel=1e-9)
