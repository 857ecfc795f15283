"""The attention-FFN disaggregated (AFD) model (docs/afd.md), on a toy system worked out by hand.

Toy model (tests/toy.py): hidden 64, 2 layers, 4 heads of 16, 2 KV heads, MLP 128, vocab 100,
everything bf16 (2 bytes).

Attention side (per device; attention blocks only, tensor 1):
  weights      2 layers x 12,352 params x 2 B             = 49,408 B
  linear FLOPs 2 x 12,288 x 2 layers                      = 49,152 FLOP per token
  KV           2 layers x 2 x 2 heads x 16 x 2 B          = 256 B per context token (and per token appended)
  attention    2 layers x 4 x 4 heads x 16                = 512 FLOP per context token
FFN side (toy chip, 100 kB SRAM, all usable): embedding 12,800 B + 2 MLPs 49,280 B + LM head
12,928 B = 124,288 B -> 2 chips.
"""

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from toy import BF16, TOY_CHIP, TOY_LINK, toy_system

from kvpipe.hardware.gpu import Gpu
from kvpipe.hardware.parts import Link
from kvpipe.perf.hetero import Side, evaluate_hetero, evaluate_hetero_system, hetero_inputs_from_system, hetero_shape, split_model
from kvpipe.perf.result import Limit
from kvpipe.system import AttentionSide, FfnSide, HeteroSystem, MappingOptions, Workload
from kvpipe.workload import BlockKind, Precision

TOY_GPU = Gpu(
    name="toy-gpu", hbm_bytes=1e9, hbm_bw_bytes_per_s=1e9, hbm_bw_fraction=1.0,
    peak_flop_per_s={Precision.BF16: 1e12}, flop_fraction=1.0, tdp_w=100.0, idle_power_w=10.0, link="toy-link",
)
# per attention device, both directions: 1e9 B/s each way
TOY_A2E = Link(name="toy-a2e", hop_latency_s=1e-6, bw_bytes_per_s=2e9, energy_j_per_bit=1e-12)


def toy_afd(users: int = 4, context: int = 1000, batch: int = 1, a2e: Link = TOY_A2E) -> HeteroSystem:
    model = toy_system().model
    return HeteroSystem(
        name="toy-afd",
        model=model,
        attention=AttentionSide(gpu=TOY_GPU, devices=2, kv_memory="toy-dram", batch=batch, usable_hbm_fraction=1.0),
        ffn=FfnSide(chip=TOY_CHIP, link=TOY_LINK, mapping=MappingOptions(usable_sram_fraction=1.0, layers_per_group=1)),
        a2e_link=a2e,
        precisions=BF16,
        workload=Workload(users=users, context_tokens=context),
    )


def test_split_model_keeps_every_block_once() -> None:
    model = toy_system().model
    attention, ffn = split_model(model)
    assert {b.kind for b in attention.blocks} == {BlockKind.ATTENTION}
    assert len(attention.blocks) + len(ffn.blocks) == len(model.blocks)


def test_toy_afd_by_hand() -> None:
    r = evaluate_hetero_system(toy_afd())
    # (A2) 4 users on 2 devices, batch 1: b_A = 1; the FFN steps one attention micro-batch: b_F = 1
    assert float(r.attention_batch) == 1 and float(r.ffn_batch) == 1
    # (A3) attention step, b = 1, context 1000:
    #   weights 49,408 B / 1e9 B/s = 49.408 us (math 49,152 / 1e12 = 49 ns: weights dominate)
    #   KV (256,000 read + 256 appended) B / 1e9 B/s = 256.256 us (math 512,000 / 1e12 = 0.512 us)
    #   T_A = 49.408 + 256.256 = 305.664 us
    assert float(r.t_attention_s) == pytest.approx(305.664e-6, rel=1e-9)
    # (A4) one crossing: 1 us + 128 B / 1e9 B/s = 1.128 us; 2 x 2 layers = 4 per token: 4.512 us
    assert float(r.t_a2e_s) == pytest.approx(1.128e-6, rel=1e-9)
    assert float(r.t_crossings_s) == pytest.approx(4.512e-6, rel=1e-9)
    # (A5) FFN pipeline at micro-batch 1 (P4), each group: processing + transfer + stages x 1 us
    #   embedding: 0.128 chips, one 128 B row: 1 ns; 128 B handed on: 1 ns; 1 stage    = 1.002 us
    #   each MLP: 0.4928 chips, 49,280 B of weights at 1e12 B/s per chip = 100 ns
    #             (math 49,152 FLOP: 99.7 ns); 512 B handed on: 1.039 ns; 3 stages     = 3.101039 us
    #   LM head: 0.12928 chips, 12,928 B: 100 ns; 128 B: 0.990 ns; 1 stage               = 1.100990 us
    #   T_F = 1.002 + 2 x 3.101039 + 1.100990                                           = 8.305068 us
    assert float(r.t_ffn_s) == pytest.approx(8.305068e-6, rel=1e-5)
    # (A6) token latency = 305.664 + 4.512 + 8.305068 = 318.481068 us; crossings' share 1.417 %
    assert float(r.t_token_latency_s) == pytest.approx(318.481068e-6, rel=1e-6)
    assert float(r.a2e_share) == pytest.approx(4.512 / 318.481068, rel=1e-6)
    # (A7) bounds: depth 4 / 318.48 us = 12,560/s; attention 2 x 1 / 305.664 us = 6,543.2/s;
    #   FFN: SRAM streaming of the slowest group, 1 / 100 ns = 1e7/s;
    #   link: 2 devices x 1e9 B/s / (2 layers x 128 B) = 7.8125e6/s
    assert float(r.max_tokens_per_s_attention) == pytest.approx(2 / 305.664e-6, rel=1e-9)
    assert float(r.max_tokens_per_s_ffn) == pytest.approx(1e7, rel=1e-9)
    assert float(r.max_tokens_per_s_a2e) == pytest.approx(7.8125e6, rel=1e-9)
    x = 2 / 305.664e-6  # 6,543.2 tokens/s: the attention devices' KV reads bind
    assert float(r.perf.tokens_per_s) == pytest.approx(x, rel=1e-9)
    assert float(r.perf.tokens_per_s_per_user) == pytest.approx(x / 4, rel=1e-9)
    assert r.side_labels() == "attention" and r.perf.binding_labels() == "kv_bandwidth"
    assert float(r.utilisation_attention) == pytest.approx(1.0)
    assert float(r.utilisation_ffn) == pytest.approx(x / 1e7, rel=1e-9)
    # KV per attention device (GS8 of docs/gpu.md): the HBM streams KV 256.256 of the 305.664 us
    # step, so 1e9 x 256.256 / 305.664 = 8.383585e8 B/s is left to KV (peak 1e9 B/s); each device
    # serves x / 2 = 3,271.6 tokens/s x 256,256 B = 8.383585e8 B/s: demand meets it as KV binds
    assert float(r.perf.kv_bw_supply_bytes_per_s_per_group) == pytest.approx(8.383585e8, rel=1e-6)
    assert float(r.perf.kv_bw_demand_bytes_per_s_per_group) == pytest.approx(8.383585e8, rel=1e-6)
    assert float(r.attention.hbm_bw_peak_bytes_per_s) == 1e9
    # (A10) static power: 2 GPUs x 10 W idle + 2 chips x 10 W = 40 W over 6,543.2 tokens/s
    assert float(r.perf.energy.static) == pytest.approx(40.0 / x, rel=1e-9)
    # links: 4 crossings x 128 B x 8 x 1 pJ + the FFN side's own (128 + 2 x 512 + 128) B x 8 x 1 pJ
    assert float(r.perf.energy.links) == pytest.approx((4 * 128 + 1280) * 8 * 1e-12, rel=1e-9)
    assert r.perf.chips == 2 + 2 and r.perf.kv_groups == 2


def test_toy_afd_bound_by_its_a2e_link() -> None:
    # a 2 MB/s link (1e6 B/s each way), context 100, batch 16, 256 users (128 per device):
    #   attention step = 49.408 us + 16 x (25,600 + 256) B / 1e9 = 463.104 us -> 2 x 16 / T_A = 69,099/s
    #   link bound = 2 x 1e6 / (2 layers x 128 B) = 7,812.5/s; depth: 256 users / ~8.7 ms = ~29,000/s
    slow = replace(TOY_A2E, name="slow", bw_bytes_per_s=2e6)
    r = evaluate_hetero_system(toy_afd(users=256, context=100, batch=16, a2e=slow))
    assert float(r.t_attention_s) == pytest.approx(463.104e-6, rel=1e-9)
    assert float(r.perf.tokens_per_s) == pytest.approx(7812.5, rel=1e-9)
    assert r.perf.binding_labels() == Limit.A2E_LINK.label == "a2e_link"
    assert r.side_labels() == Side.A2E_LINK.label
    assert float(r.utilisation_a2e) == pytest.approx(1.0)


def test_kv_capacity_on_the_attention_devices() -> None:
    # free HBM per device: 1e9 - 49,408 B; one sequence at context 1000: 256,000 B -> 3,906 per device
    r = evaluate_hetero_system(toy_afd(users=10_000))
    assert float(r.perf.max_users_kv_capacity) == 2 * 3906
    assert float(r.perf.users_in_flight) == 2 * 3906 and r.perf.binding_labels() == "kv_capacity"


@pytest.mark.parametrize("users", [1, 8, 64, 1024])
def test_a_slower_link_never_speeds_a_token_up(users: int) -> None:
    speeds = [
        float(evaluate_hetero_system(toy_afd(users=users, batch=8, a2e=replace(TOY_A2E, hop_latency_s=lat, bw_bytes_per_s=bw)))
              .perf.tokens_per_s_per_user)
        for lat, bw in ((1e-7, 1e10), (1e-6, 2e9), (1e-5, 2e8), (1e-4, 2e7))
    ]
    assert all(a >= b for a, b in zip(speeds, speeds[1:], strict=False))
    if users == 1:  # bound by the latency of one token's path, which the link's latency is part of
        assert speeds[0] > speeds[-1]


def test_energy_parts_sum_and_power_is_rate_times_energy() -> None:
    r = evaluate_hetero_system(toy_afd(users=64, batch=8))
    total = sum(float(v) for v in r.perf.energy.as_dict().values())
    assert float(r.perf.joules_per_token) == pytest.approx(total, rel=1e-12)
    assert float(r.perf.power_w) == pytest.approx(float(r.perf.joules_per_token * r.perf.tokens_per_s), rel=1e-12)
    assert 0 < float(r.a2e_share) < 1
    assert np.isfinite(float(r.perf.latency_s))


@settings(max_examples=40, deadline=None)
@given(
    context=st.integers(1, 20_000),
    batch=st.integers(1, 64),
    devices=st.integers(1, 16),
    latency_s=st.floats(1e-8, 1e-4),
    bw=st.floats(1e7, 1e12),
)
def test_per_user_speed_never_rises_with_more_users(context: int, batch: int, devices: int, latency_s: float, bw: float) -> None:
    s = toy_afd(context=context, batch=batch, a2e=replace(TOY_A2E, hop_latency_s=latency_s, bw_bytes_per_s=bw))
    s = replace(s, attention=replace(s.attention, devices=devices))
    users = np.arange(1.0, 400.0)
    r = evaluate_hetero(hetero_shape(s), replace(hetero_inputs_from_system(s), users=users))
    speed = r.perf.tokens_per_s_per_user
    assert np.all(np.diff(speed) <= 1e-9 * speed[:-1])
    # the token's latency is its parts, and the crossings take a share of it in (0, 1)
    assert np.allclose(r.t_token_latency_s, r.t_attention_s + r.t_crossings_s + r.t_ffn_s, rtol=1e-12)
    assert np.all((r.a2e_share > 0) & (r.a2e_share < 1))
