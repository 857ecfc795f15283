"""The analytic decode model of a GPU + HBM server, the baseline of a spatial pipeline.

Formulas in docs/gpu.md; the comments name the equation (GW.., GS.., GE..). Like
:mod:`kvpipe.perf.spatial`, everything is a numpy array operation over design points (batch x
context x ...); the result converts to the same :class:`~kvpipe.perf.result.PerfResult`, so a
GPU server and a spatial pipeline appear in one table with the same ``evaluate --json`` keys.

One decode step of a micro-batch of ``b`` sequences on one GPU of one pipeline stage:

* GEMM kernels read the GPU's share of the weights once and multiply them by ``b`` tokens:
  weight streaming and math overlap, so the kernel takes the longer of the two (roofline);
* attention kernels read every sequence's KV (and append one token): KV streaming and
  attention math overlap the same way;
* GEMM and attention kernels run one after the other; tensor-parallel all-reduces (two per
  layer, ring) and the pipeline hop to the next stage sit between dependent kernels and are
  not overlapped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from enum import IntEnum
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvpipe.hardware.gpu import achievable_bw
from kvpipe.hardware.parts import Collective
from kvpipe.mapping.placement import _window_key, model_windows
from kvpipe.perf.comm import collective_time_s
from kvpipe.perf.result import EnergyBreakdown, Limit, PerfResult
from kvpipe.perf.spatial import _by_window, _distinct_experts
from kvpipe.system import GpuSystem, Parallelism
from kvpipe.workload.blocks import BlockKind
from kvpipe.workload.model import Model
from kvpipe.workload.precision import Precisions

FloatArray = NDArray[np.float64]
_BITS = 8.0


class GpuBound(IntEnum):
    """What dominates a GPU decode step (``binding_detail`` in the JSON)."""

    WEIGHT_BANDWIDTH = 0  # GEMMs wait for HBM to stream the weights (small batch)
    KV_BANDWIDTH = 1  # attention waits for HBM to stream the sequences' KV
    COMPUTE = 2  # GEMM or attention math at the achievable FLOP/s
    COMMUNICATION = 3  # tensor-parallel all-reduces and pipeline hops
    KV_CAPACITY = 4  # requested sequences whose KV does not fit in HBM
    PIPELINE_BUBBLES = 5  # fewer sequences than pipeline stages: stages idle

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def limit(self) -> Limit:
        """The five-label ``binding_limit`` this maps to (docs/gpu.md, "Binding limit")."""
        return _LIMIT_OF[self]


_LIMIT_OF = {
    GpuBound.WEIGHT_BANDWIDTH: Limit.COMPUTE,  # weight streaming counts as compute, as SRAM streaming does (P5)
    GpuBound.KV_BANDWIDTH: Limit.KV_BANDWIDTH,
    GpuBound.COMPUTE: Limit.COMPUTE,
    GpuBound.COMMUNICATION: Limit.LINKS,
    GpuBound.KV_CAPACITY: Limit.KV_CAPACITY,
    GpuBound.PIPELINE_BUBBLES: Limit.PIPELINE_DEPTH,
}
_LIMIT_TABLE = np.array([int(_LIMIT_OF[b]) for b in GpuBound], dtype=np.int8)


# --- the model on N GPUs (discrete shape) --------------------------------------------------


@dataclass(frozen=True)
class GpuShape:
    """What one decoded token asks of ONE GPU, for a model split ``tensor x pipeline`` ways.

    Stages are balanced: each GPU holds ``1 / (tensor x pipeline)`` of every weight (the
    embedding and LM head included). KV heads are split over ``kv_shards = min(tensor,
    kv_heads)`` GPUs (an MLA latent is one head, replicated), the layers over the stages.
    Context-dependent figures per distinct attention window, as in
    :class:`~kvpipe.mapping.GroupClass`.
    """

    model_name: str
    tensor: int
    pipeline: int
    kv_shards: int
    layers: int
    hidden: int
    windows: tuple[float, ...]
    n_experts: int
    top_k: int
    weight_bytes_per_gpu: float  # resident
    dense_read_bytes_per_gpu: float  # read once per step (shared by the micro-batch)
    token_read_bytes_per_gpu: float  # embedding row per token
    expert_bytes_per_gpu: float  # one routed expert, summed over the GPU's MoE layers
    linear_flops_per_gpu: float  # per token
    attn_flops_coef_per_gpu: tuple[float, ...]  # per context token and window
    kv_coef_bytes_per_gpu: tuple[float, ...]  # resident KV per context token and window
    kv_write_bytes_per_gpu: float  # per token
    activation_bytes: float  # hidden x activation bytes: one token's all-reduce message
    kv_bytes_per_token: float  # whole model, one token appended
    kv_coef_bytes_total: tuple[float, ...]  # whole model, per context token and window

    @property
    def gpus(self) -> int:
        return self.tensor * self.pipeline

    @property
    def allreduces_per_stage(self) -> float:
        # (GW6) two all-reduces per layer (after attention and after the MLP), tensor > 1 only
        return 2.0 * self.layers / self.pipeline if self.tensor > 1 else 0.0

    @property
    def comm_stages_per_token(self) -> int:
        return int(round(self.allreduces_per_stage * self.pipeline)) + (self.pipeline - 1)


def gpu_shape(model: Model, p: Precisions, par: Parallelism) -> GpuShape:
    """Per-GPU figures of ``model`` split over ``par.tensor x par.pipeline`` GPUs (GW1..GW7)."""
    if par.tensor < 1 or par.pipeline < 1:
        raise ValueError("parallelism: tensor and pipeline must be at least 1")
    wb, kvb, ab = p.weights.bytes_per_elem, p.kv.bytes_per_elem, p.activations.bytes_per_elem
    n = float(par.tensor * par.pipeline)
    # the distinct windows as kvpipe.mapping.place lists them (Placement.windows)
    windows = model_windows(model)
    attn = [0.0] * len(windows)
    kv = [0.0] * len(windows)
    for b in model.blocks:
        if b.kv_elems_per_token or b.attn_flops_per_ctx_token:
            i = windows.index(_window_key(b)) if _window_key(b) in windows else 0
            attn[i] += b.attn_flops_per_ctx_token
            kv[i] += b.kv_elems_per_token * kvb
    arch = model.arch
    kv_heads = 1 if arch.mla is not None else arch.n_kv_heads
    kv_shards = max(1, min(par.tensor, kv_heads))  # (GW4)
    kv_div = float(par.pipeline * kv_shards)
    moe = arch.moe
    total = sum(b.total_params for b in model.blocks) * wb
    return GpuShape(
        model_name=model.name,
        tensor=par.tensor,
        pipeline=par.pipeline,
        kv_shards=kv_shards,
        layers=arch.n_layers,
        hidden=arch.hidden_size,
        windows=windows,
        n_experts=moe.n_routed_experts if moe else 0,
        top_k=moe.top_k if moe else 0,
        weight_bytes_per_gpu=total / n,  # (GW1)
        dense_read_bytes_per_gpu=sum(b.dense_params for b in model.blocks if b.kind is not BlockKind.EMBEDDING) * wb / n,
        token_read_bytes_per_gpu=arch.hidden_size * wb / n,
        expert_bytes_per_gpu=sum(b.expert_params for b in model.blocks if b.kind is BlockKind.MOE) * wb / n,
        linear_flops_per_gpu=sum(b.linear_flops_per_token for b in model.blocks) / n,  # (GW2)
        attn_flops_coef_per_gpu=tuple(x / n for x in attn),  # (GW3)
        kv_coef_bytes_per_gpu=tuple(x / kv_div for x in kv),  # (GW4)
        kv_write_bytes_per_gpu=sum(b.kv_elems_per_token for b in model.blocks) * kvb / kv_div,  # (GW5)
        activation_bytes=arch.hidden_size * ab,  # (GW7)
        kv_bytes_per_token=sum(b.kv_elems_per_token for b in model.blocks) * kvb,
        kv_coef_bytes_total=tuple(kv),
    )


# --- the continuous knobs ----------------------------------------------------------------------


@dataclass(frozen=True)
class GpuInputs:
    """Knobs of a GPU design point; each may be a scalar or an array (they broadcast)."""

    users: ArrayLike  # batch: sequences decoded together
    context_tokens: ArrayLike
    hbm_bytes: ArrayLike
    hbm_bw_bytes_per_s: ArrayLike
    hbm_bw_fraction: ArrayLike
    usable_hbm_fraction: ArrayLike
    linear_flop_per_s: ArrayLike  # peak dense, at the weight precision
    attn_flop_per_s: ArrayLike  # peak dense, at the KV precision
    flop_fraction: ArrayLike
    tdp_w: ArrayLike
    idle_power_w: ArrayLike
    link_bw_bytes_per_s: ArrayLike  # per GPU, both directions (as vendors quote it)
    link_latency_s: ArrayLike
    link_j_per_bit: ArrayLike
    collective: Collective = Collective.RING  # the tensor-parallel all-reduce (C2); discrete, not broadcast

    def with_(self, **changes: Any) -> GpuInputs:
        return replace(self, **changes)

    def arrays(self) -> dict[str, FloatArray]:
        names = [f.name for f in fields(self) if f.name != "collective"]
        arrs = np.broadcast_arrays(*(np.asarray(getattr(self, n), dtype=np.float64) for n in names))
        return dict(zip(names, arrs, strict=True))


def gpu_inputs_from_system(system: GpuSystem) -> GpuInputs:
    g, p, w = system.gpu, system.precisions, system.workload
    return GpuInputs(
        users=w.users,
        context_tokens=w.context_tokens,
        hbm_bytes=g.hbm_bytes,
        hbm_bw_bytes_per_s=g.hbm_bw_bytes_per_s,
        hbm_bw_fraction=g.hbm_bw_fraction,
        usable_hbm_fraction=system.parallelism.usable_hbm_fraction,
        linear_flop_per_s=g.flop_rate(p.weights),
        attn_flop_per_s=g.flop_rate(p.kv),
        flop_fraction=g.flop_fraction,
        tdp_w=g.tdp_w,
        idle_power_w=g.idle_power_w,
        link_bw_bytes_per_s=system.link.bw_bytes_per_s,
        link_latency_s=system.link.hop_latency_s,
        link_j_per_bit=system.link.energy_j_per_bit,
        # a link that names no algorithm keeps the ring all-reduce of GS4
        collective=Collective.RING if system.link.collective is Collective.NONE else system.link.collective,
    )


# --- result ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GpuResult:
    """The common :class:`PerfResult` plus what only a GPU step has (per GPU, per stage step)."""

    perf: PerfResult
    binding_detail: NDArray[np.int8]  # values of GpuBound
    micro_batch: FloatArray  # sequences per stage step
    t_weights_s: FloatArray  # HBM time of the weight reads
    t_linear_compute_s: FloatArray  # GEMM math
    t_kv_s: FloatArray  # HBM time of KV reads + appends
    t_attention_compute_s: FloatArray
    t_allreduce_s: FloatArray
    t_hop_s: FloatArray
    t_stage_s: FloatArray  # one stage step (GS6)
    utilisation: FloatArray  # busy share of the step that draws dynamic power (GE1)
    hbm_weights_bytes_per_gpu: float
    hbm_free_bytes_per_gpu: FloatArray  # usable HBM left for KV
    hbm_bw_peak_bytes_per_s: FloatArray  # the catalog's HBM bandwidth per GPU
    hbm_bw_achievable_bytes_per_s: FloatArray  # (GS0) peak x hbm_bw_fraction

    def detail_labels(self) -> NDArray[np.str_]:
        names = np.array([b.label for b in GpuBound])
        return names[self.binding_detail]

    def step_breakdown(self) -> dict[str, FloatArray]:
        return {
            "weights_hbm": self.t_weights_s,
            "linear_compute": self.t_linear_compute_s,
            "kv_hbm": self.t_kv_s,
            "attention_compute": self.t_attention_compute_s,
            "allreduce": self.t_allreduce_s,
            "pipeline_hop": self.t_hop_s,
            "stage_step": self.t_stage_s,
        }


def _safe_div(num: Any, den: Any, fill: float = np.inf) -> FloatArray:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), fill)


def evaluate_gpu(shape: GpuShape, inputs: GpuInputs) -> GpuResult:
    """Evaluate every design point of ``inputs`` on one GPU split (docs/gpu.md)."""
    a = inputs.arrays()
    tp, pp, n = float(shape.tensor), float(shape.pipeline), float(shape.gpus)
    users = np.floor(a["users"])
    ctx = a["context_tokens"]
    ctx_w = [np.minimum(ctx, w) for w in shape.windows]
    bw = achievable_bw(a["hbm_bw_bytes_per_s"], a["hbm_bw_fraction"])  # (GS0) achievable HBM bandwidth
    f_lin = a["linear_flop_per_s"] * a["flop_fraction"]
    f_attn = a["attn_flop_per_s"] * a["flop_fraction"]
    beta = a["link_bw_bytes_per_s"] / 2.0  # per direction
    alpha = a["link_latency_s"]

    # (GC1, GC2) KV capacity: usable HBM left after the weights, over one sequence's KV
    free = a["usable_hbm_fraction"] * a["hbm_bytes"] - shape.weight_bytes_per_gpu
    kv_seq = _by_window(shape.kv_coef_bytes_per_gpu, ctx_w) + np.zeros_like(users)
    max_users = np.where(free > 0, np.floor(_safe_div(np.maximum(free, 0.0), kv_seq)), 0.0)
    users_in = np.minimum(users, max_users)

    # (GS1) micro-batches: as many as stages (all stages busy) when there are enough sequences
    m = np.clip(np.minimum(users_in, pp), 1.0, None)
    b = np.maximum(np.ceil(users_in / m), 1.0)

    # (GS2) GEMMs: weights once per step (each distinct expert hit once), roofline overlap
    experts = _distinct_experts(shape.n_experts, shape.top_k, b)  # (P2)
    w_bytes = shape.dense_read_bytes_per_gpu + shape.expert_bytes_per_gpu * experts + shape.token_read_bytes_per_gpu * b
    t_w = w_bytes / bw
    t_lin_c = b * shape.linear_flops_per_gpu / f_lin
    t_linear = np.maximum(t_w, t_lin_c)
    # (GS3) attention: every sequence's KV read once, one token appended, roofline overlap
    kv_read = b * _by_window(shape.kv_coef_bytes_per_gpu, ctx_w)
    kv_write = b * shape.kv_write_bytes_per_gpu
    t_kv = (kv_read + kv_write) / bw
    t_attn_c = b * _by_window(shape.attn_flops_coef_per_gpu, ctx_w) / f_attn
    t_attn = np.maximum(t_kv, t_attn_c)
    # (GS4) all-reduce of b tokens' activations (C2, ring unless the link names another
    # algorithm), twice per layer of the stage
    msg = b * shape.activation_bytes
    if shape.tensor > 1:
        t_ar = shape.allreduces_per_stage * collective_time_s(inputs.collective, shape.tensor, alpha, msg, beta)
    else:
        t_ar = np.zeros_like(b)
    # (GS5) hand the micro-batch to the next stage
    t_hop = (alpha + msg / beta) if shape.pipeline > 1 else np.zeros_like(b)
    # (GS6) one stage step: kernels in series, communication not overlapped
    t_stage = t_linear + t_attn + t_ar + t_hop
    # (GS7) a token passes every stage: time per token per sequence, and aggregate tokens/s
    t_token = pp * t_stage
    x = np.where(users_in > 0, users_in / t_token, 0.0)
    per_user = np.where(users_in > 0, 1.0 / t_token, 0.0)

    # (GB) binding limit: the largest share of the stage step
    w_part = np.where(t_w >= t_lin_c, t_linear, 0.0)
    kv_part = np.where(t_kv >= t_attn_c, t_attn, 0.0)
    c_part = (t_linear - w_part) + (t_attn - kv_part)
    shares = np.stack([w_part, kv_part, c_part, t_ar + t_hop + np.zeros_like(b)])
    detail = shares.argmax(axis=0).astype(np.int8)
    detail = np.where((pp > 1) & (users_in < pp), np.int8(GpuBound.PIPELINE_BUBBLES), detail)
    detail = np.where(users_in < users, np.int8(GpuBound.KV_CAPACITY), detail).astype(np.int8)
    limit = _LIMIT_TABLE[detail]

    # (GX) throughput bounds as the batch grows (weights amortised)
    x_compute = _safe_div(1.0, shape.linear_flops_per_gpu / f_lin + _by_window(shape.attn_flops_coef_per_gpu, ctx_w) / f_attn)
    x_kv = _safe_div(bw, _by_window(shape.kv_coef_bytes_per_gpu, ctx_w) + shape.kv_write_bytes_per_gpu)
    link_bytes_per_token_gpu = (
        shape.allreduces_per_stage * 2.0 * (tp - 1.0) / tp * shape.activation_bytes
        + (shape.activation_bytes if shape.pipeline > 1 else 0.0)
    )
    x_links = _safe_div(beta, link_bytes_per_token_gpu + np.zeros_like(b))

    # (GE1..GE4) energy: idle power all the time, (TDP - idle) while kernels run
    dyn_w = a["tdp_w"] - a["idle_power_w"]
    active = t_linear + t_attn
    util = _safe_div(active, t_stage, 0.0)
    per_tok = n * dyn_w / b  # joules per token per second of active kernel time
    lin_mem_share = _safe_div(t_w, t_w + t_lin_c, 0.0)
    att_mem_share = _safe_div(t_kv, t_kv + t_attn_c, 0.0)
    read_share = _safe_div(kv_read, kv_read + kv_write, 0.0)
    e_weights = per_tok * t_linear * lin_mem_share
    e_kv = per_tok * t_attn * att_mem_share
    e_compute = per_tok * (t_linear * (1.0 - lin_mem_share) + t_attn * (1.0 - att_mem_share))
    wire_bytes = (
        2.0 * shape.layers * (2.0 * (tp - 1.0)) * shape.activation_bytes if shape.tensor > 1 else 0.0
    ) + (pp - 1.0) * shape.activation_bytes  # all-reduce traffic on all wires + stage hops, per token
    inv_x = _safe_div(1.0, x)
    energy = EnergyBreakdown(
        static=n * a["idle_power_w"] * inv_x,
        weight_reads=np.where(users_in > 0, e_weights, np.inf),
        compute=np.where(users_in > 0, e_compute, np.inf),
        kv_read=np.where(users_in > 0, e_kv * read_share, np.inf),
        kv_write=np.where(users_in > 0, e_kv * (1.0 - read_share), np.inf),
        memory_background=np.zeros_like(x),
        links=wire_bytes * _BITS * a["link_j_per_bit"] + np.zeros_like(x),
    )
    jpt = energy.total()

    kv_read_tok = _by_window(shape.kv_coef_bytes_per_gpu, ctx_w)
    read_bw = x * kv_read_tok
    write_bw = x * shape.kv_write_bytes_per_gpu
    # (GS8) HBM bandwidth left to KV at this operating point: the achievable bandwidth over the
    # attention kernels' share of the stage step (the GEMMs stream weights the rest of it)
    kv_bw_available = bw * _safe_div(t_attn, t_stage, 0.0)
    perf = PerfResult(
        chips=shape.gpus,
        stages=shape.pipeline,
        kv_groups=shape.gpus,
        comm_stages_per_token=shape.comm_stages_per_token,
        users=users,
        users_in_flight=users_in,
        latency_s=t_token,
        time_per_token_s=np.where(per_user > 0, t_token, np.inf),
        tokens_per_s_per_user=per_user,
        tokens_per_s=x,
        binding_limit=np.asarray(limit, dtype=np.int8),
        max_tokens_per_s_compute=x_compute + np.zeros_like(x),
        max_tokens_per_s_kv_bandwidth=x_kv + np.zeros_like(x),
        max_tokens_per_s_links=x_links + np.zeros_like(x),
        max_users_kv_capacity=max_users,
        joules_per_token=jpt,
        energy=energy,
        power_w=np.where(x > 0, jpt * np.where(x > 0, x, 1.0), n * a["idle_power_w"]),  # no inf x 0 where idle
        kv_bytes_per_token=shape.kv_bytes_per_token + np.zeros_like(x),
        kv_read_bytes_per_token=_by_window(shape.kv_coef_bytes_total, ctx_w) + np.zeros_like(x),
        kv_capacity_demand_bytes_per_group=users * kv_seq,
        kv_capacity_supply_bytes_per_group=np.maximum(free, 0.0),
        kv_bw_demand_bytes_per_s_per_group=read_bw + write_bw,
        kv_read_bw_demand_bytes_per_s_per_group=read_bw,
        kv_bw_supply_bytes_per_s_per_group=kv_bw_available,
        chips_per_group=np.ones_like(x),
        comm_latency_s=pp * (t_ar + t_hop) + np.zeros_like(x),
    )
    return GpuResult(
        perf=perf,
        binding_detail=detail,
        micro_batch=b,
        t_weights_s=t_w,
        t_linear_compute_s=t_lin_c,
        t_kv_s=t_kv,
        t_attention_compute_s=t_attn_c,
        t_allreduce_s=t_ar + np.zeros_like(b),
        t_hop_s=t_hop + np.zeros_like(b),
        t_stage_s=t_stage,
        utilisation=util,
        hbm_weights_bytes_per_gpu=shape.weight_bytes_per_gpu,
        hbm_free_bytes_per_gpu=free,
        hbm_bw_peak_bytes_per_s=a["hbm_bw_bytes_per_s"],
        hbm_bw_achievable_bytes_per_s=bw + np.zeros_like(x),
    )


def system_shape(system: GpuSystem) -> GpuShape:
    return gpu_shape(system.model, system.precisions, system.parallelism)


def evaluate_gpu_system(system: GpuSystem) -> GpuResult:
    """Evaluate a GPU system's single design point."""
    return evaluate_gpu(system_shape(system), gpu_inputs_from_system(system))


# --- prefill and offline serving ------------------------------------------------------------


def prefill_time_s(shape: GpuShape, inputs: GpuInputs, prompt_tokens: ArrayLike) -> FloatArray:
    """(GP1) Server time to prefill one sequence of ``prompt_tokens``, compute-bound on all GPUs.

    The prompt's linear FLOPs plus its causal attention (each prompt token attends on average
    to half the prompt, window-limited), at the achievable FLOP/s. Weight reads are not
    charged: with in-flight batching the prompt's tokens ride in decode steps that read the
    weights anyway.
    """
    a = inputs.arrays()
    p = np.asarray(prompt_tokens, dtype=np.float64)
    half = [np.minimum(p / 2.0, w) for w in shape.windows]
    lin = p * shape.linear_flops_per_gpu / (a["linear_flop_per_s"] * a["flop_fraction"])
    att = p * _by_window(shape.attn_flops_coef_per_gpu, half) / (a["attn_flop_per_s"] * a["flop_fraction"])
    return np.asarray(lin + att, dtype=np.float64)


def offline_tokens_per_s(r: GpuResult, prefill_s: ArrayLike, output_tokens: ArrayLike) -> FloatArray:
    """(GP2) Output tokens/s of a server that prefills and then decodes ``output_tokens`` for
    each of its sequences: ``U x OSL / (U x t_prefill + OSL x t_token)``."""
    u = r.perf.users_in_flight
    osl = np.asarray(output_tokens, dtype=np.float64)
    t_token = r.perf.latency_s
    den = u * np.asarray(prefill_s, dtype=np.float64) + osl * t_token
    return np.where(u > 0, u * osl / np.where(den > 0, den, 1.0), 0.0)


# --- fit checks (for configs) ---------------------------------------------------------------


def fit_problems(system: GpuSystem) -> list[tuple[str, str]]:
    """Why a GPU system cannot run at all: (field path, message) pairs, empty when it can."""
    shape = system_shape(system)
    g, par = system.gpu, system.parallelism
    usable = par.usable_hbm_fraction * g.hbm_bytes
    problems: list[tuple[str, str]] = []
    if shape.weight_bytes_per_gpu > usable:
        total = shape.weight_bytes_per_gpu * shape.gpus
        need = math.ceil(total / usable)
        problems.append((
            "parallelism",
            f"{system.model.name} has {total / 1e9:.4g} GB of {system.precisions.weights.value} weights; split "
            f"{par.tensor} x {par.pipeline} ways that is {shape.weight_bytes_per_gpu / 1e9:.4g} GB per GPU, more than "
            f"the {usable / 1e9:.4g} GB usable of one {g.name} ({par.usable_hbm_fraction:g} x {g.hbm_bytes / 1e9:.4g} GB): "
            f"use at least {need} GPUs (tensor x pipeline)",
        ))
        return problems
    ctx_w = [min(float(system.workload.context_tokens), w) for w in shape.windows]
    kv_seq = sum(c * n for c, n in zip(shape.kv_coef_bytes_per_gpu, ctx_w, strict=True))
    free = usable - shape.weight_bytes_per_gpu
    if kv_seq > free:
        problems.append((
            "workload.context",
            f"one sequence's KV at context {system.workload.context_tokens} needs {kv_seq / 1e9:.4g} GB per GPU, "
            f"but only {free / 1e9:.4g} GB of HBM is left after the weights",
        ))
    return problems


__all__ = [
    "GpuBound", "GpuInputs", "GpuResult", "GpuShape", "evaluate_gpu", "evaluate_gpu_system", "fit_problems",
    "gpu_inputs_from_system", "gpu_shape", "offline_tokens_per_s", "prefill_time_s", "system_shape",
]
