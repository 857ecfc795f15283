"""The analytic steady-state model of decode on a deep spatial pipeline.

All formulas are written out in docs/model.md ("Perf"); the comments name the equation.
Every operation is a numpy array operation over design points; the only Python loop runs
over the few distinct group classes of the placement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kvpipe.hardware.parts import weight_delivery_bw
from kvpipe.mapping.placement import GroupClass, Placement, place
from kvpipe.perf.comm import group_comm_latency_s
from kvpipe.perf.inputs import FloatArray, PerfInputs, inputs_from_system
from kvpipe.perf.result import EnergyBreakdown, Limit, PerfResult
from kvpipe.system import System

_BITS = 8.0


def _by_window(coef: tuple[float, ...], ctx_per_window: list[FloatArray]) -> FloatArray | float:
    # (P1) a context-dependent figure: sum_w coef_w * min(context, window_w)
    out: FloatArray | float = 0.0
    for c, n in zip(coef, ctx_per_window, strict=True):
        if c:
            out = out + c * n
    return out


def _rate(tokens: FloatArray | float, time_s: FloatArray | float) -> FloatArray:
    # tokens per second of a resource that spends time_s on `tokens` tokens (inf when idle)
    t = np.asarray(time_s, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(t > 0, np.divide(tokens, t), np.inf)


def _distinct_experts(n_experts: int, top_k: int, tokens: FloatArray) -> FloatArray:
    # (P2) expected distinct experts hit by `tokens` tokens each choosing top_k of n_experts
    if n_experts == 0:
        return np.zeros_like(tokens)
    return n_experts * (1.0 - (1.0 - top_k / n_experts) ** tokens)


def _arrays(inputs: PerfInputs) -> dict[str, FloatArray]:
    """``inputs`` as broadcast arrays, plus the chips' weight delivery bandwidth (P12), derived
    once here rather than in every group's :func:`_group_times`."""
    a = inputs.arrays()
    a["weight_bw_bytes_per_s"] = weight_delivery_bw(a["sram_bw_bytes_per_s"], a["matrix_operand_bw_bytes_per_s"])
    return a


# a group's service times (compute, SRAM per micro-batch, KV, link) and the KV bytes read, SRAM
# bytes per micro-batch and attention FLOPs they come from (:func:`_group_times`)
_Times = tuple[FloatArray, FloatArray, FloatArray, FloatArray, "FloatArray | float", FloatArray, "FloatArray | float"]


@dataclass(frozen=True)
class _Pipeline:
    """The pipeline at every design point: users in flight, the latency of a micro-batch and the
    throughput bounds of the resources (P3..P5), and each group class' service times (P7..P10)."""

    users: FloatArray
    max_users: FloatArray
    users_in: FloatArray
    batch: FloatArray
    latency: FloatArray
    kv_wait: FloatArray
    comm_latency: FloatArray
    x_compute: FloatArray
    x_kv: FloatArray
    x_link: FloatArray
    group_times: list[tuple[GroupClass, _Times]]  # (P7..P10) per group class, in placement order

    def bounds(self) -> FloatArray:
        # (P6) aggregate tokens/s: users in flight over the latency, capped by the scarcest
        # resource; rows: depth, KV bandwidth, compute, links
        users_in = self.users_in
        x_depth = np.where(users_in > 0, users_in / np.where(users_in > 0, self.latency, 1.0), 0.0)
        return np.stack([x_depth, self.x_kv, self.x_compute, self.x_link])

    def per_user(self, x: FloatArray) -> FloatArray:
        return np.where(self.users_in > 0, x / np.maximum(self.users_in, 1.0), 0.0)


def _pipeline(placement: Placement, inputs: PerfInputs, a: dict[str, FloatArray], ctx_w: list[FloatArray]) -> _Pipeline:
    users = np.floor(a["users"])

    # (P3) KV capacity: users whose resident KV fits in every group
    max_users = np.full_like(users, np.inf)
    for g in placement.classes:
        resident = _by_window(g.kv_coef_bytes, ctx_w)
        if g.has_kv:
            max_users = np.minimum(max_users, np.floor(a["kv_capacity_bytes_per_group"] / resident))
    users_in = np.minimum(users, max_users)
    batch = np.clip(np.minimum(a["micro_batch"], users_in), 1.0, None)

    latency = np.zeros_like(users)
    kv_wait = np.zeros_like(users)
    comm_latency = np.zeros_like(users)
    x_compute = np.full_like(users, np.inf)
    x_kv = np.full_like(users, np.inf)
    x_link = np.full_like(users, np.inf)
    group_times: list[tuple[GroupClass, _Times]] = []
    for g in placement.classes:
        times = _group_times(g, placement, a, ctx_w, batch)
        t_comp, t_sram_batch, t_kv, t_link = times[:4]
        group_times.append((g, times))
        # (P4) latency of one micro-batch through the group: overlapped processing, then
        # its transfers and the latency of its communication stages (C5)
        proc = np.maximum(np.maximum(batch * t_comp, t_sram_batch), batch * t_kv)
        comm = group_comm_latency_s(g, placement, a, inputs.collective, inputs.boundaries, batch)
        latency = latency + g.count * (proc + batch * t_link + comm)
        comm_latency = comm_latency + g.count * comm
        # (P11) the part of that latency spent only waiting for KV reads
        kv_wait = kv_wait + g.count * (proc - np.maximum(batch * t_comp, t_sram_batch))
        # (P5) throughput bounds of the group's resources, tokens/s
        x_compute = np.minimum(x_compute, np.minimum(_rate(1.0, t_comp), _rate(batch, t_sram_batch)))
        if g.has_kv:
            x_kv = np.minimum(x_kv, _rate(1.0, t_kv))
        x_link = np.minimum(x_link, _rate(1.0, t_link))
    return _Pipeline(users, max_users, users_in, batch, latency, kv_wait, comm_latency, x_compute, x_kv, x_link, group_times)


def _windows(placement: Placement, a: dict[str, FloatArray]) -> list[FloatArray]:
    return [np.minimum(a["context_tokens"], w) for w in placement.windows]


def tokens_per_s_per_user(placement: Placement, inputs: PerfInputs) -> FloatArray:
    """:func:`evaluate`'s ``tokens_per_s_per_user`` alone (the same numbers), without the
    energy, limits and KV demand: for searches that ask for it many times."""
    a = _arrays(inputs)
    p = _pipeline(placement, inputs, a, _windows(placement, a))
    return p.per_user(p.bounds().min(axis=0))


def evaluate(placement: Placement, inputs: PerfInputs) -> PerfResult:
    """Evaluate every design point of ``inputs`` on one placement."""
    a = _arrays(inputs)
    ctx_w = _windows(placement, a)
    p = _pipeline(placement, inputs, a, ctx_w)
    users, max_users, users_in, batch, latency = p.users, p.max_users, p.users_in, p.batch, p.latency
    x_compute, x_kv, x_link = p.x_compute, p.x_kv, p.x_link

    e_sram = np.zeros_like(users)
    e_compute = np.zeros_like(users)
    kv_read = np.zeros_like(users)
    kv_write = 0.0
    link_bytes = 0.0
    for g, (_, _, _, _, read, sram_bytes_batch, attn) in p.group_times:
        # (E2..E4) dynamic energy per token
        e_sram = e_sram + g.count * sram_bytes_batch / batch * _BITS * a["sram_read_j_per_bit"]
        e_compute = e_compute + g.count * (
            g.linear_flops * a["linear_j_per_flop"] + attn * a["attn_j_per_flop"]
        )
        kv_read = kv_read + g.count * read
        kv_write += g.count * g.kv_write_bytes
        link_bytes += g.count * g.link_bytes

    bounds = p.bounds()
    x = bounds.min(axis=0)
    limit = np.choose(bounds.argmin(axis=0), [Limit.PIPELINE_DEPTH, Limit.KV_BANDWIDTH, Limit.COMPUTE, Limit.LINKS])
    # (P11) a depth-bound point whose latency is mostly KV waiting is KV-latency-bound
    limit = np.where((limit == Limit.PIPELINE_DEPTH) & (2.0 * p.kv_wait > latency), Limit.KV_LATENCY, limit)
    # users turned away for lack of KV capacity: the requested point is capacity-bound
    limit = np.where(users_in < users, Limit.KV_CAPACITY, limit)
    per_user = p.per_user(x)

    # (E1) energy per token: power that runs regardless of load, shared by the tokens/s
    with np.errstate(divide="ignore"):
        inv_x = np.where(x > 0, 1.0 / np.where(x > 0, x, 1.0), np.inf)
    static_w = placement.chips * a["static_power_w"]
    background_w = placement.kv_groups * a["kv_background_w_per_group"]
    energy = EnergyBreakdown(
        static=static_w * inv_x,
        weight_reads=e_sram,
        compute=e_compute,
        kv_read=kv_read * _BITS * a["kv_read_j_per_bit"],
        kv_write=kv_write * _BITS * a["kv_write_j_per_bit"] + np.zeros_like(x),
        memory_background=background_w * inv_x,
        links=link_bytes * _BITS * a["link_j_per_bit"] + np.zeros_like(x),
    )
    jpt = energy.total()

    # (K1..K3) demand and supply of the most demanding KV group at each design point
    resident_w, write_w, chips_w = _most_demanding_kv_group(placement, ctx_w, x.shape)
    cap_demand = users * resident_w
    read_bw = x * resident_w
    write_bw = x * write_w
    return PerfResult(
        chips=placement.chips,
        stages=placement.stages,
        kv_groups=placement.kv_groups,
        comm_stages_per_token=placement.comm_stages_per_token,
        users=users,
        users_in_flight=users_in,
        latency_s=latency,
        time_per_token_s=np.where(per_user > 0, 1.0 / np.where(per_user > 0, per_user, 1.0), np.inf),
        tokens_per_s_per_user=per_user,
        tokens_per_s=x,
        binding_limit=limit.astype(np.int8),
        max_tokens_per_s_compute=x_compute,
        max_tokens_per_s_kv_bandwidth=x_kv,
        max_tokens_per_s_links=x_link,
        max_users_kv_capacity=max_users,
        joules_per_token=jpt,
        energy=energy,
        power_w=static_w + background_w + _dynamic_j_per_token(energy) * x,
        kv_bytes_per_token=kv_write + np.zeros_like(x),
        kv_read_bytes_per_token=kv_read,
        kv_capacity_demand_bytes_per_group=cap_demand,
        kv_capacity_supply_bytes_per_group=a["kv_capacity_bytes_per_group"],
        kv_bw_demand_bytes_per_s_per_group=read_bw + write_bw,
        kv_read_bw_demand_bytes_per_s_per_group=read_bw,
        kv_bw_supply_bytes_per_s_per_group=a["kv_bw_bytes_per_s_per_group"],
        chips_per_group=chips_w,
        comm_latency_s=p.comm_latency,
    )


def _dynamic_j_per_token(e: EnergyBreakdown) -> FloatArray:
    # energy that scales with tokens (all but the load-independent power's share)
    return e.weight_reads + e.compute + e.kv_read + e.kv_write + e.links


def _most_demanding_kv_group(
    placement: Placement, ctx_w: list[FloatArray], shape: tuple[int, ...]
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Resident KV bytes per user, KV bytes appended per token and chip-equivalents of the group
    holding the most KV per user at each design point (ties: the group on fewer chips)."""
    kv = sorted((g for g in placement.classes if g.has_kv), key=lambda g: g.chips)
    if not kv:
        zero = np.zeros(shape)
        return zero, zero, zero
    resident = np.stack([np.broadcast_to(_by_window(g.kv_coef_bytes, ctx_w), shape) for g in kv])
    pick = resident.argmax(axis=0)
    chosen = np.take_along_axis(resident, pick[None], axis=0)[0]
    writes = np.array([g.kv_write_bytes for g in kv])[pick]
    chips = np.array([g.chips for g in kv])[pick]
    return chosen, writes, chips


def _group_times(
    g: GroupClass, placement: Placement, a: dict[str, FloatArray], ctx_w: list[FloatArray], batch: FloatArray
) -> _Times:
    """Per-token service times of one group's resources (micro-batch time for SRAM)."""
    attn = _by_window(g.attn_flops_coef, ctx_w)
    read = _by_window(g.kv_coef_bytes, ctx_w)
    # (P7) compute: linear FLOPs on the MACs of the group's chip-equivalents, attention FLOPs
    # on the attention units, at their own precision's rate
    t_comp = g.linear_flops / (g.chips * a["peak_flop_per_s"]) + attn / (g.chips * a["attn_flop_per_s"])
    # (P8) SRAM: a micro-batch reads the dense weights once, each distinct expert it hits once,
    # and one embedding row per token, at the chips' weight delivery bandwidth (P12)
    experts = _distinct_experts(placement.n_experts, placement.top_k, batch)
    sram_bytes = g.dense_read_bytes + g.expert_bytes_per_layer * experts + g.token_read_bytes * batch
    t_sram = sram_bytes / (g.chips * a["weight_bw_bytes_per_s"])
    # (P9) KV DRAM: read the context, append one token, at the group's memory bandwidth
    t_kv = (read + g.kv_write_bytes) / a["kv_bw_bytes_per_s_per_group"]
    # (P10) links: activations handed on, over the group's share of chip link bandwidth
    t_link = g.link_bytes / (g.chips * a["link_bw_bytes_per_s"])
    return t_comp, t_sram, t_kv, t_link, read, sram_bytes, attn


def evaluate_system(system: System) -> PerfResult:
    """Place the system's model and evaluate its single design point."""
    placement = place(system.model, system.precisions, system.chip, system.mapping)
    return evaluate(placement, inputs_from_system(system))
