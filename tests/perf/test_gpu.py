"""The GPU + HBM model (kvpipe.perf.gpu, docs/gpu.md): hand-worked numbers and invariants.

Golden case: Llama-3.1-8B in bf16 on ONE H100 SXM (tensor = pipeline = 1), batch 1, context
1,024 tokens. Catalog figures: 3.35 TB/s x 0.8 = 2.68 TB/s achievable HBM; 989 TFLOP/s x 0.6 =
593.4 TFLOP/s achievable bf16; TDP 700 W, idle 70 W.

  parameters        8,030,261,248; embedding 128,256 x 4,096 = 525,336,576 (a lookup)
  weights read      (8,030,261,248 - 525,336,576) x 2 B = 15,009,849,344 B + one embedding
                    row 4,096 x 2 B = 8,192 B  ->  15,009,857,536 B              (GS2)
  t_weights         15,009,857,536 / 2.68e12                 = 5.600693e-3 s
  linear FLOPs      2 x (7,504,924,672 - 266,240 norm weights) = 15,009,316,864
  t_linear_compute  15,009,316,864 / 593.4e12                = 2.529376e-5 s  -> GEMMs wait for HBM
  KV                2 x 8 heads x 128 x 2 B x 32 layers = 131,072 B per context token
  t_kv              (1,024 x 131,072 + 131,072) / 2.68e12     = 5.013015e-5 s   (GS3)
  attention FLOPs   4 x 32 x 128 x 32 x 1,024 = 536,870,912  / 593.4e12 = 9.04737e-7 s
  t_step            5.600693e-3 + 5.013015e-5                 = 5.650823e-3 s   (GS6, no comm)
  tokens/s          1 / 5.650823e-3                           = 176.96
  energy            static 70 W x t = 0.395558 J; dynamic 630 W x t (kernels all the time)
                    = 3.560019 J; J/token = 3.955577 J                        (GE1..GE3)
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from toy import TOY_CONFIG

from kvpipe import catalog
from kvpipe.perf.gpu import (
    GpuBound,
    evaluate_gpu,
    evaluate_gpu_system,
    fit_problems,
    gpu_inputs_from_system,
    gpu_shape,
    offline_tokens_per_s,
    prefill_time_s,
    system_shape,
)
from kvpipe.perf.result import Limit
from kvpipe.system import GpuSystem, Parallelism, Workload
from kvpipe.workload import Precision, Precisions, build_model, parse_arch

BF16 = Precisions(Precision.BF16, Precision.BF16, Precision.BF16)
T_W = 15_009_857_536 / 2.68e12
T_LIN = 15_009_316_864 / 593.4e12
T_KV = (1024 * 131_072 + 131_072) / 2.68e12
T_STEP = T_W + T_KV


def h100_8b(batch: int = 1, context: int = 1024, tensor: int = 1, pipeline: int = 1, gpu: str = "h100-sxm") -> GpuSystem:
    g = catalog.gpu(gpu)
    return GpuSystem(
        name="test",
        model=catalog.model("llama-3.1-8b"),
        gpu=g,
        link=catalog.link(g.link),
        precisions=BF16,
        parallelism=Parallelism(tensor, pipeline),
        workload=Workload(users=batch, context_tokens=context),
    )


def test_golden_h100_batch_1() -> None:
    r = evaluate_gpu_system(h100_8b())
    assert float(r.t_weights_s) == pytest.approx(T_W, rel=1e-9)
    assert float(r.t_linear_compute_s) == pytest.approx(T_LIN, rel=1e-9)
    assert float(r.t_kv_s) == pytest.approx(T_KV, rel=1e-9)
    assert float(r.t_attention_compute_s) == pytest.approx(536_870_912 / 593.4e12, rel=1e-9)
    assert float(r.t_allreduce_s) == 0 and float(r.t_hop_s) == 0
    assert float(r.t_stage_s) == pytest.approx(T_STEP, rel=1e-9)
    p = r.perf
    assert float(p.tokens_per_s) == pytest.approx(1 / T_STEP, rel=1e-9)  # 176.96 tokens/s
    assert float(p.tokens_per_s_per_user) == pytest.approx(176.96, rel=1e-4)
    assert GpuBound(int(r.binding_detail)) is GpuBound.WEIGHT_BANDWIDTH
    assert Limit(int(p.binding_limit)) is Limit.COMPUTE  # weight streaming counts as compute
    assert (p.chips, p.stages, p.comm_stages_per_token) == (1, 1, 0)
    e = p.energy
    assert float(e.static) == pytest.approx(70 * T_STEP, rel=1e-9)
    assert float(p.joules_per_token) == pytest.approx(700 * T_STEP, rel=1e-9)  # 3.9556 J
    # the dynamic 630 W x t split by busy time: GEMMs to weights and math, attention to KV and math
    lin_share = T_W / (T_W + T_LIN)
    assert float(e.weight_reads) == pytest.approx(630 * T_W * lin_share, rel=1e-9)
    assert float(e.memory_background) == 0 and float(e.links) == 0
    assert float(e.total()) == pytest.approx(float(p.joules_per_token), rel=1e-12)
    assert float(p.power_w) == pytest.approx(700.0, rel=1e-9)  # kernels run all the time: TDP


def test_golden_ring_allreduce_tp2() -> None:
    # Llama-3.1-8B on 2 x H100 over NVLink 4 (900 GB/s both ways -> beta 450 GB/s, alpha 1 us), batch 4:
    # 2 all-reduces per layer x 32 layers; message 4 x 4,096 x 2 B = 32,768 B
    # one ring all-reduce: 2 (p-1) alpha + 2 (p-1)/p x m / beta = 2e-6 + 32,768 / 450e9 = 2.0728178e-6 s
    r = evaluate_gpu_system(h100_8b(batch=4, tensor=2))
    one = 2e-6 + 32_768 / 450e9
    assert float(r.t_allreduce_s) == pytest.approx(64 * one, rel=1e-9)
    assert r.perf.comm_stages_per_token == 64
    # weights split in two; KV heads too (8 heads over 2 GPUs)
    assert float(r.t_weights_s) == pytest.approx((15_009_849_344 / 2 + 4 * 8_192 / 2) / 2.68e12, rel=1e-9)
    assert float(r.t_kv_s) == pytest.approx(4 * (1024 * 65_536 + 65_536) / 2.68e12, rel=1e-9)


def test_pipeline_parallel_hop_and_bubbles() -> None:
    # 2 stages, 1 sequence: a bubble (one stage idle at a time) -> pipeline_depth
    r1 = evaluate_gpu_system(h100_8b(batch=1, pipeline=2))
    assert Limit(int(r1.perf.binding_limit)) is Limit.PIPELINE_DEPTH
    hop = 1e-6 + 8_192 / 450e9  # alpha + one token's activations (4,096 x 2 B) / beta
    assert float(r1.t_hop_s) == pytest.approx(hop, rel=1e-9)
    assert float(r1.perf.latency_s) == pytest.approx(2 * float(r1.t_stage_s), rel=1e-12)
    # 8 sequences over 2 stages: micro-batches of 4, both stages busy; X = 8 / (2 x t_stage(4))
    r8 = evaluate_gpu_system(h100_8b(batch=8, pipeline=2))
    assert float(r8.micro_batch) == 4
    assert float(r8.perf.tokens_per_s) == pytest.approx(8 / (2 * float(r8.t_stage_s)), rel=1e-12)


def test_prefill_and_offline_throughput() -> None:
    s = h100_8b(batch=16, context=1024 + 64)
    shape, inputs = system_shape(s), gpu_inputs_from_system(s)
    # 1,024 prompt tokens: linear 1,024 x 15,009,316,864 FLOPs + causal attention at a mean 512 tokens
    want = (1024 * 15_009_316_864 + 1024 * 524_288 * 512) / 593.4e12
    pf = prefill_time_s(shape, inputs, 1024)
    assert float(pf) == pytest.approx(want, rel=1e-9)
    r = evaluate_gpu(shape, inputs)
    x = offline_tokens_per_s(r, pf, 128)
    # U x OSL / (U x t_prefill + OSL x t_token)
    assert float(x) == pytest.approx(16 * 128 / (16 * want + 128 * float(r.perf.latency_s)), rel=1e-12)
    assert float(x) < float(r.perf.tokens_per_s)


def test_batch_sweep_invariants() -> None:
    s = h100_8b(context=4096)
    shape, inputs = system_shape(s), gpu_inputs_from_system(s)
    users = np.arange(1, 400, dtype=float)
    r = evaluate_gpu(shape, inputs.with_(users=users)).perf
    assert np.all(np.diff(r.tokens_per_s_per_user) <= 1e-9)  # per-user speed never rises
    ok = r.users_in_flight == r.users
    assert np.all(np.diff(r.tokens_per_s[ok]) >= -1e-9)  # aggregate never falls while users fit
    assert np.allclose(r.energy.total(), r.joules_per_token)
    # KV bandwidth demand / KV capacity demand = tokens/s per user (K3), while users fit
    ratio = r.kv_read_bw_demand_bytes_per_s_per_group[ok] / r.kv_capacity_demand_bytes_per_group[ok]
    assert np.allclose(ratio, r.tokens_per_s_per_user[ok], rtol=1e-9)
    # beyond the KV capacity the requested point is capacity-bound
    assert np.all(r.binding_limit[~ok] == Limit.KV_CAPACITY)
    # J/token falls as the batch amortises the weight reads and idle power
    assert r.joules_per_token[100] < r.joules_per_token[0]


def test_more_bandwidth_or_flops_is_never_slower() -> None:
    s = h100_8b(context=8192)
    shape, inputs = system_shape(s), gpu_inputs_from_system(s)
    users = np.array([1.0, 8.0, 64.0, 256.0])
    base = evaluate_gpu(shape, inputs.with_(users=users)).perf.tokens_per_s
    bw = evaluate_gpu(shape, inputs.with_(users=users, hbm_bw_bytes_per_s=6.7e12)).perf.tokens_per_s
    fl = evaluate_gpu(shape, inputs.with_(users=users, flop_fraction=0.9)).perf.tokens_per_s
    assert np.all(bw >= base) and np.all(fl >= base)


def test_binding_details() -> None:
    s = h100_8b()
    shape, inputs = system_shape(s), gpu_inputs_from_system(s)
    kv = evaluate_gpu(shape, inputs.with_(users=12, context_tokens=32_768))  # 12 x 4.3 GB of KV fit in 56 GB
    assert GpuBound(int(kv.binding_detail)) is GpuBound.KV_BANDWIDTH
    assert Limit(int(kv.perf.binding_limit)) is Limit.KV_BANDWIDTH
    fp8 = gpu_shape(s.model, Precisions(Precision.FP8, Precision.FP8, Precision.BF16), Parallelism())
    comp = evaluate_gpu(fp8, inputs.with_(users=512, context_tokens=128, linear_flop_per_s=1979e12))
    assert GpuBound(int(comp.binding_detail)) is GpuBound.COMPUTE
    comm = evaluate_gpu_system(h100_8b(batch=1, tensor=8))
    assert GpuBound(int(comm.binding_detail)) is GpuBound.COMMUNICATION
    assert Limit(int(comm.perf.binding_limit)) is Limit.LINKS


def test_kv_capacity_and_fit_problems() -> None:
    s = h100_8b(context=131_072)
    r = evaluate_gpu_system(replace(s, workload=Workload(users=100, context_tokens=131_072)))
    # usable 0.9 x 80 GB = 72 GB, less 16.06 GB of weights = 55.94 GB; 131,072 x 131,072 B = 17.18 GB per sequence
    free = 72e9 - 8_030_261_248 * 2
    assert float(r.hbm_free_bytes_per_gpu) == pytest.approx(free)
    assert float(r.perf.max_users_kv_capacity) == np.floor(free / (131_072 * 131_072))  # 3
    assert Limit(int(r.perf.binding_limit)) is Limit.KV_CAPACITY
    assert fit_problems(s) == []
    big = replace(s, model=catalog.model("llama-3.1-70b"))
    (field, message), = fit_problems(big)
    assert field == "parallelism" and "at least 2 GPUs" in message
    long = replace(s, workload=Workload(users=1, context_tokens=10_000_000))
    assert [f for f, _ in fit_problems(long)] == ["workload.context"]


def test_vectorised_over_a_grid_matches_scalar_points() -> None:
    s = h100_8b()
    shape, inputs = system_shape(s), gpu_inputs_from_system(s)
    users = np.array([1.0, 32.0, 128.0])[:, None]
    ctx = np.array([512.0, 8192.0])[None, :]
    grid = evaluate_gpu(shape, inputs.with_(users=users, context_tokens=ctx))
    assert grid.perf.tokens_per_s.shape == (3, 2)
    one = evaluate_gpu(shape, inputs.with_(users=32, context_tokens=8192))
    assert float(grid.perf.tokens_per_s[1, 1]) == pytest.approx(float(one.perf.tokens_per_s))
    assert str(grid.detail_labels()[1, 1]) == str(one.detail_labels())


def test_kv_shards_gqa_and_mla_and_moe() -> None:
    toy = build_model(parse_arch(TOY_CONFIG, name="toy"))  # 2 KV heads
    four = gpu_shape(toy, BF16, Parallelism(tensor=4))
    assert four.kv_shards == 2  # KV heads replicated beyond 2 GPUs
    # per GPU: 256 KV bytes per context token (2 layers x 2 x 2 heads x 16 x 2 B) over 2 shards
    assert four.kv_coef_bytes_per_gpu == (128.0,)
    ds = gpu_shape(catalog.model("deepseek-v3"), BF16, Parallelism(tensor=8))
    assert ds.kv_shards == 1  # one MLA latent, replicated
    assert ds.n_experts == 256 and ds.top_k == 8 and ds.expert_bytes_per_gpu > 0
    # a MoE step reads the distinct experts the batch hits: more tokens, more experts, never all at once
    g = catalog.gpu("h200")
    fp8 = Precisions(Precision.FP8, Precision.BF16, Precision.BF16)
    s = GpuSystem("ds", catalog.model("deepseek-v3"), g, catalog.link(g.link), fp8,
                  Parallelism(tensor=8), Workload(users=1, context_tokens=4096))
    w = evaluate_gpu(system_shape(s), gpu_inputs_from_system(s).with_(users=np.array([1.0, 16.0, 1024.0]))).t_weights_s
    assert w[0] < w[1] < w[2]


def test_gpu_model_reuses_the_shared_formulas() -> None:
    # one place per formula: the GPU model takes the window and P2 helpers from the spatial model
    import kvpipe.mapping.placement as placement
    import kvpipe.perf.gpu as gpu_mod
    import kvpipe.perf.spatial as spatial

    assert gpu_mod._by_window is spatial._by_window
    assert gpu_mod._window_key is placement._window_key
    assert gpu_mod._distinct_experts is spatial._distinct_experts
    # the windows of a GPU shape are the placement's, and the HBM bandwidth is the Gpu's own
    s = h100_8b()
    m = catalog.model("gpt-oss-20b")
    p = placement.place(m, BF16, catalog.chip("spatial-n3-reticle"), placement.MappingOptions())
    assert gpu_shape(m, BF16, Parallelism()).windows == p.windows
    from kvpipe.hardware.gpu import achievable_bw
    from kvpipe.perf.gpu import gpu_inputs_from_system

    a = gpu_inputs_from_system(s).arrays()
    assert gpu_mod.achievable_bw is achievable_bw
    assert float(achievable_bw(a["hbm_bw_bytes_per_s"], a["hbm_bw_fraction"])) == s.gpu.achievable_bw_bytes_per_s


def test_kv_bandwidth_supply_is_the_share_left_to_kv_and_meets_demand_when_it_binds() -> None:
    # Llama-3.1-8B bf16 on one H100, batch 16, context 16,384 (GS8, docs/gpu.md). By hand:
    #   KV read + appended  16 x 131,072 B x (16,384 + 1)            = 34,361,835,520 B per step
    #   weights read        15,009,849,344 + 16 x 8,192 B            = 15,009,980,416 B per step
    #   t_kv = 34,361,835,520 / 2.68e12 = 12.8216 ms > t_weights = 5.6007 ms (GEMM math 0.40 ms,
    #   attention math 16 x 524,288 x 16,384 / 593.4e12 = 0.23 ms): the KV stream binds.
    #   t_stage = 49,371,815,936 B / 2.68e12 = 18.4223 ms
    #   available to KV = 2.68e12 x t_kv / t_stage = 2.68e12 x 0.695981 = 1.865229e12 B/s
    #   demand = 16 / t_stage x 131,072 x 16,385 B = 34,361,835,520 B / 18.4223 ms = the same
    # while the catalog's peak is 3.35e12 B/s and the achievable 2.68e12 B/s.
    r = evaluate_gpu_system(h100_8b(batch=16, context=16_384))
    p = r.perf
    assert Limit(int(p.binding_limit)) is Limit.KV_BANDWIDTH
    assert GpuBound(int(r.binding_detail)) is GpuBound.KV_BANDWIDTH
    assert float(p.kv_bw_supply_bytes_per_s_per_group) == pytest.approx(1.865229e12, rel=1e-6)
    assert float(p.kv_bw_demand_bytes_per_s_per_group) == pytest.approx(1.865229e12, rel=1e-6)
    assert float(r.hbm_bw_peak_bytes_per_s) == pytest.approx(3.35e12)
    assert float(r.hbm_bw_achievable_bytes_per_s) == pytest.approx(2.68e12)
    # at batch 1, context 1,024 the GEMMs' weight stream dominates: KV gets only the attention
    # kernels' share, T_KV / T_STEP of 2.68e12, and uses all of it (the kernel waits for HBM)
    r1 = evaluate_gpu_system(h100_8b()).perf
    assert float(r1.kv_bw_supply_bytes_per_s_per_group) == pytest.approx(2.68e12 * T_KV / T_STEP, rel=1e-9)
    assert float(r1.kv_bw_demand_bytes_per_s_per_group) <= float(r1.kv_bw_supply_bytes_per_s_per_group) * (1 + 1e-12)
