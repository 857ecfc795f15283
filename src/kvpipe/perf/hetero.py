"""The analytic decode model of an attention-FFN disaggregated (AFD) system.

Formulas in docs/afd.md; the comments name the equation (A1..A10). Each side is evaluated by
the existing models, unchanged: the attention side by the GPU model (:mod:`kvpipe.perf.gpu`,
on the model's attention blocks, one device, tensor 1) and the FFN side by the spatial
pipeline model (:mod:`kvpipe.perf.spatial`, on the other blocks). This module only splits the
model, adds the A2E/E2A crossings and combines the sides' times, bounds and energies.
Everything is a numpy array operation over design points, as in the other perf modules.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import IntEnum

import numpy as np
from numpy.typing import NDArray

from kvpipe.hardware.parts import MemoryTech
from kvpipe.mapping.placement import Placement, place
from kvpipe.perf.gpu import _BITS, GpuInputs, GpuResult, GpuShape, _safe_div, evaluate_gpu, gpu_inputs_from_system, gpu_shape
from kvpipe.perf.inputs import FloatArray, PerfInputs, inputs_from_system
from kvpipe.perf.result import EnergyBreakdown, Limit, PerfResult
from kvpipe.perf.spatial import evaluate
from kvpipe.system import GpuSystem, HeteroSystem, KVMemory, Parallelism, System
from kvpipe.workload.blocks import BlockKind
from kvpipe.workload.model import Model

# the FFN side's "KV memory": it holds no KV (no attention blocks), so none is charged
_NO_KV = MemoryTech(
    name="none", unit="none", capacity_bytes=np.inf, bw_bytes_per_s=np.inf, read_j_per_bit=0.0,
    write_j_per_bit=0.0, background_w=0.0, footprint_mm2=0.0, attach="3d",
    sources={"all": "not a part: the FFN side holds no KV"},
)


class Side(IntEnum):
    """Which part of a heterogeneous system bounds aggregate tokens/s (``binding_side``)."""

    PIPELINE = 0  # too few users in flight to keep both sides busy (A8: depth)
    ATTENTION = 1
    FFN = 2
    A2E_LINK = 3
    KV_CAPACITY = 4  # requested users whose KV does not fit on the attention devices

    @property
    def label(self) -> str:
        return self.name.lower()


def split_model(model: Model) -> tuple[Model, Model]:
    """(A0) The attention blocks (attention side) and every other block (FFN side: embedding,
    dense MLPs or MoE blocks, LM head) as two models with the same architecture."""
    attention = tuple(b for b in model.blocks if b.kind is BlockKind.ATTENTION)
    rest = tuple(b for b in model.blocks if b.kind is not BlockKind.ATTENTION)
    return replace(model, blocks=attention), replace(model, blocks=rest)


@dataclass(frozen=True)
class HeteroShape:
    """The discrete shape: the attention side's per-device figures and the FFN placement."""

    attention: GpuShape  # one attention device
    attention_devices: int
    ffn: Placement
    layers: int
    activation_bytes: float  # one token's hidden state crossing the A2E link


def hetero_shape(system: HeteroSystem) -> HeteroShape:
    attn_model, ffn_model = split_model(system.model)
    par = Parallelism(tensor=1, pipeline=1, usable_hbm_fraction=system.attention.usable_hbm_fraction)
    # the embedding row is read on the FFN side (it holds the embedding), not by the attention devices
    shape = replace(gpu_shape(attn_model, system.precisions, par), token_read_bytes_per_gpu=0.0)
    return HeteroShape(
        attention=shape,
        attention_devices=system.attention.devices,
        ffn=place(ffn_model, system.precisions, system.ffn.chip, system.ffn.mapping),
        layers=system.model.n_layers,
        activation_bytes=system.model.arch.hidden_size * system.precisions.activations.bytes_per_elem,
    )


@dataclass(frozen=True)
class HeteroInputs:
    """The continuous knobs: the users and each side's own inputs (they broadcast together)."""

    users: FloatArray | float
    attention_batch: FloatArray | float  # sequences one attention device steps at a time
    ffn_batch: FloatArray | float | None  # tokens the FFN pipeline steps together; None: one attention micro-batch
    attention: GpuInputs  # its ``users`` is replaced by the per-device batch
    ffn: PerfInputs  # its ``users`` and ``micro_batch`` are replaced (A2)
    a2e_latency_s: FloatArray | float
    a2e_bw_bytes_per_s: FloatArray | float  # per attention device, both directions
    a2e_j_per_bit: FloatArray | float


def hetero_inputs_from_system(system: HeteroSystem) -> HeteroInputs:
    a, f, link = system.attention, system.ffn, system.a2e_link
    gpu_side = GpuSystem(
        name=system.name, model=system.model, gpu=a.gpu, link=link, precisions=system.precisions,
        parallelism=Parallelism(usable_hbm_fraction=a.usable_hbm_fraction), workload=system.workload,
    )
    ffn_side = System(
        name=system.name, model=system.model, chip=f.chip, link=f.link, kv_memory=KVMemory(_NO_KV, 1.0),
        precisions=system.precisions, mapping=f.mapping, workload=system.workload,
    )
    return HeteroInputs(
        users=float(system.workload.users),
        attention_batch=float(a.batch),
        ffn_batch=None if f.micro_batch is None else float(f.micro_batch),
        attention=gpu_inputs_from_system(gpu_side),
        ffn=inputs_from_system(ffn_side),
        a2e_latency_s=link.hop_latency_s,
        a2e_bw_bytes_per_s=link.bw_bytes_per_s,
        a2e_j_per_bit=link.energy_j_per_bit,
    )


@dataclass(frozen=True)
class HeteroResult:
    """The common :class:`PerfResult` plus each side's figures (docs/afd.md)."""

    perf: PerfResult
    binding_side: NDArray[np.int8]  # values of Side
    attention_batch: FloatArray  # sequences per attention-device step (A2)
    ffn_batch: FloatArray  # tokens per FFN step (A2)
    t_attention_s: FloatArray  # one attention-device step over all layers (A3)
    t_ffn_s: FloatArray  # one FFN micro-batch through the FFN pipeline (A5)
    t_a2e_s: FloatArray  # one crossing of one device's micro-batch (A4)
    t_crossings_s: FloatArray  # all 2 x layers crossings of one micro-batch (A6)
    t_token_latency_s: FloatArray  # one micro-batch through every layer (A6)
    a2e_share: FloatArray  # the crossings' share of that latency (A6)
    max_tokens_per_s_attention: FloatArray  # (A7)
    max_tokens_per_s_ffn: FloatArray
    max_tokens_per_s_a2e: FloatArray
    utilisation_attention: FloatArray  # (A9) busy share of each side
    utilisation_ffn: FloatArray
    utilisation_a2e: FloatArray
    ffn_chips: int
    attention: GpuResult  # the attention side on its own, at the per-device batch
    ffn: PerfResult  # the FFN side on its own, at the FFN batch

    def side_labels(self) -> NDArray[np.str_]:
        names = np.array([s.label for s in Side])
        return names[self.binding_side]

    def step_breakdown(self) -> dict[str, FloatArray]:
        return {
            "attention_step": self.t_attention_s,
            "a2e_e2a_crossings": self.t_crossings_s,
            "ffn_pipeline": self.t_ffn_s,
            "token_latency": self.t_token_latency_s,
        }


def _add(a: EnergyBreakdown, b: EnergyBreakdown) -> EnergyBreakdown:
    return EnergyBreakdown(**{f.name: getattr(a, f.name) + getattr(b, f.name) for f in fields(a)})


def evaluate_hetero(shape: HeteroShape, inputs: HeteroInputs) -> HeteroResult:
    """Evaluate every design point of ``inputs`` on one heterogeneous shape (docs/afd.md)."""
    n_a = float(shape.attention_devices)
    users, batch, alpha, beta, e_bit = np.broadcast_arrays(*(
        np.asarray(v, dtype=np.float64) for v in (
            inputs.users, inputs.attention_batch,
            inputs.a2e_latency_s, inputs.a2e_bw_bytes_per_s, inputs.a2e_j_per_bit,
        )
    ))
    users = np.floor(users)
    layers = float(shape.layers)
    # (A1) KV capacity: each attention device holds the KV of its share of the users
    probe = evaluate_gpu(shape.attention, inputs.attention.with_(users=np.ones_like(users)))
    max_users = n_a * probe.perf.max_users_kv_capacity
    users_in = np.minimum(users, max_users)
    # (A2) batching: each attention device steps b_A of its users; the FFN pipeline steps b_F
    # tokens, gathered from the micro-batches of one or more attention devices
    b_a = np.clip(np.minimum(batch, np.ceil(users_in / n_a)), 1.0, None)
    gathered = b_a if inputs.ffn_batch is None else np.minimum(inputs.ffn_batch, n_a * b_a)
    b_f = np.clip(np.minimum(gathered, users_in), 1.0, None)
    # (A3) the attention side: one device's step over all layers (GS2 + GS3, tensor 1)
    gr = evaluate_gpu(shape.attention, inputs.attention.with_(users=b_a))
    t_attn = gr.t_stage_s
    # (A5) the FFN side: the spatial pipeline at the FFN batch (P4..P10)
    fr = evaluate(shape.ffn, inputs.ffn.with_(users=np.maximum(users_in, 1.0), micro_batch=b_f))
    t_ffn = fr.latency_s
    # (A4) one crossing of one device's micro-batch over its link, one direction
    t_x = alpha + b_a * shape.activation_bytes / (beta / 2.0)
    # (A6) latency of one micro-batch through every layer: attention, A2E, FFN, E2A per layer
    crossings = 2.0 * layers * t_x
    t_tok = t_attn + crossings + t_ffn
    # (A7) throughput bounds, tokens/s
    x_depth = np.where(users_in > 0, users_in / t_tok, 0.0)
    x_attn = n_a * _safe_div(b_a, t_attn)
    x_ffn = np.minimum(fr.max_tokens_per_s_compute, fr.max_tokens_per_s_links)
    x_a2e = _safe_div(n_a * beta / 2.0, np.full_like(users, layers * shape.activation_bytes))
    bounds = np.stack([x_depth, x_attn, x_ffn, x_a2e])
    x = bounds.min(axis=0)
    side = bounds.argmin(axis=0).astype(np.int8)
    # (A8) binding limit: depth, the attention device's own limit, the FFN side's, or the link
    ffn_limit = np.where(fr.max_tokens_per_s_compute <= fr.max_tokens_per_s_links, Limit.COMPUTE, Limit.LINKS)
    limit = np.choose(side, [np.full_like(gr.perf.binding_limit, Limit.PIPELINE_DEPTH), gr.perf.binding_limit,
                             ffn_limit, np.full_like(gr.perf.binding_limit, Limit.A2E_LINK)])
    side = np.where(users_in < users, np.int8(Side.KV_CAPACITY), side).astype(np.int8)
    limit = np.where(users_in < users, Limit.KV_CAPACITY, limit).astype(np.int8)
    per_user = np.where(users_in > 0, x / np.maximum(users_in, 1.0), 0.0)

    # (A10) energy per token: each side's own energies, its load-independent power shared by
    # the system's rate, plus the crossings' bits
    e_attn = gr.perf.energy.at_rate(gr.perf.tokens_per_s, x / n_a)
    e_ffn = fr.energy.at_rate(fr.tokens_per_s, x)
    link_bits = 2.0 * layers * shape.activation_bytes * _BITS
    zero = np.zeros_like(x)
    e_link = EnergyBreakdown(zero, zero, zero, zero, zero, zero, link_bits * e_bit)
    energy = _add(_add(e_attn, e_ffn), e_link)
    jpt = energy.total()

    # KV per attention device (the KV group): its users' KV, read once per token (K1..K3)
    kv_read_tok = gr.perf.kv_read_bytes_per_token
    kv_write_tok = gr.perf.kv_bytes_per_token
    x_dev = x / n_a
    perf = PerfResult(
        chips=shape.ffn.chips + shape.attention_devices,  # both sides' devices
        stages=shape.ffn.stages + shape.layers,
        kv_groups=shape.attention_devices,  # each attention device holds its users' KV
        comm_stages_per_token=shape.ffn.comm_stages_per_token + 2 * shape.layers,
        users=users,
        users_in_flight=users_in,
        latency_s=t_tok,
        time_per_token_s=np.where(per_user > 0, 1.0 / np.where(per_user > 0, per_user, 1.0), np.inf),
        tokens_per_s_per_user=per_user,
        tokens_per_s=x,
        binding_limit=limit,
        max_tokens_per_s_compute=np.minimum(n_a * gr.perf.max_tokens_per_s_compute, fr.max_tokens_per_s_compute),
        max_tokens_per_s_kv_bandwidth=n_a * gr.perf.max_tokens_per_s_kv_bandwidth,
        max_tokens_per_s_links=np.minimum(fr.max_tokens_per_s_links, x_a2e),
        max_users_kv_capacity=max_users,
        joules_per_token=jpt,
        energy=energy,
        power_w=jpt * x,
        kv_bytes_per_token=kv_write_tok,
        kv_read_bytes_per_token=kv_read_tok,
        kv_capacity_demand_bytes_per_group=np.ceil(users / n_a) * probe.perf.kv_capacity_demand_bytes_per_group,
        kv_capacity_supply_bytes_per_group=gr.perf.kv_capacity_supply_bytes_per_group,
        kv_bw_demand_bytes_per_s_per_group=x_dev * (kv_read_tok + kv_write_tok),
        kv_read_bw_demand_bytes_per_s_per_group=x_dev * kv_read_tok,
        kv_bw_supply_bytes_per_s_per_group=gr.perf.kv_bw_supply_bytes_per_s_per_group,
        chips_per_group=np.ones_like(x),
    )
    return HeteroResult(
        perf=perf,
        binding_side=side,
        attention_batch=b_a,
        ffn_batch=b_f,
        t_attention_s=t_attn,
        t_ffn_s=t_ffn,
        t_a2e_s=t_x,
        t_crossings_s=crossings,
        t_token_latency_s=t_tok,
        a2e_share=crossings / t_tok,
        max_tokens_per_s_attention=x_attn,
        max_tokens_per_s_ffn=x_ffn,
        max_tokens_per_s_a2e=x_a2e,
        utilisation_attention=_safe_div(x, x_attn),
        utilisation_ffn=_safe_div(x, x_ffn),
        utilisation_a2e=_safe_div(x, x_a2e),
        ffn_chips=shape.ffn.chips,
        attention=gr,
        ffn=fr,
    )


def evaluate_hetero_system(system: HeteroSystem) -> HeteroResult:
    """Evaluate a heterogeneous system's single design point."""
    return evaluate_hetero(hetero_shape(system), hetero_inputs_from_system(system))


__all__ = [
    "HeteroInputs", "HeteroResult", "HeteroShape", "Side", "evaluate_hetero", "evaluate_hetero_system",
    "hetero_inputs_from_system", "hetero_shape", "split_model",
]
