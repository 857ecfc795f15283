"""Per-group service times and energies of one *pass* (a unit of work through one chip group).

The analytic model (``perf/spatial.py``) computes, per group class, the time each resource
spends on one decoded token at context ``c`` (P7..P10) and the dynamic energy of that token
(E2..E4). The serving simulator needs the same figures for a unit that is not a uniform
micro-batch: a few users at different contexts, or a prefill chunk. All of those figures are
affine in three aggregates of the unit (docs/sim.md, S1):

* ``tokens``       tokens the unit carries through the group in this pass;
* ``attn_ctx[w]``  context tokens attended, summed over the unit's tokens, per window ``w``;
* ``read_ctx[w]``  KV tokens read from the group's DRAM, per window ``w``;

except the SRAM term, which depends on ``tokens`` through P2/P8. :func:`service_table` takes
those coefficients from the perf model itself (it calls ``perf.spatial._group_times`` at unit
contexts and tabulates P8 over token counts), so the formulas stay in one place;
:func:`pass_times` and :func:`pass_energy` apply them to arrays of units.

For a micro-batch of ``b`` users at context ``c``: ``tokens = b``, ``attn_ctx = read_ctx =
b x min(c, w)``, and the pass reproduces P4 and E2..E4 exactly (tests/perf/test_service.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from kvpipe.mapping.placement import Placement
from kvpipe.perf.comm import group_comm_latency_s
from kvpipe.perf.inputs import FloatArray, PerfInputs
from kvpipe.perf.spatial import _BITS, _arrays, _group_times

_MAX_SRAM_TABLE = 1 << 16  # longest SRAM table (P2 saturation of models with many experts)


@dataclass(frozen=True)
class ServiceTable:
    """Coefficients of a pass through each group class, at one (scalar) design point.

    Arrays of shape ``(G,)`` are per group class, ``(G, W)`` per class and attention window
    (``windows`` of the placement), ``(G, N)`` per class and token count ``0..N-1``.
    """

    counts: FloatArray  # (G,) identical groups in the class
    has_kv: np.ndarray  # (G,) bool
    windows: tuple[float, ...]
    # times (P7..P10)
    linear_s_per_token: FloatArray  # (G,)
    attn_s_per_ctx: FloatArray  # (G, W)
    kv_write_s_per_token: FloatArray  # (G,)
    kv_read_s_per_ctx: FloatArray  # (G, W)
    link_s_per_token: FloatArray  # (G,)
    hop_s: FloatArray  # (G,) fixed communication latency of a pass (C5 at zero payload; stages x hop by default)
    sram_s: FloatArray  # (G, N) SRAM time of a pass carrying n tokens (P8 with b = n), affine past N
    # work (for energy and utilization)
    linear_flops_per_token: FloatArray  # (G,)
    attn_flops_per_ctx: FloatArray  # (G, W)
    kv_bytes_per_ctx: FloatArray  # (G, W) KV bytes per context token (read, and resident: P3)
    kv_write_bytes_per_token: FloatArray  # (G,)
    link_bytes_per_token: FloatArray  # (G,)
    sram_bytes: FloatArray  # (G, N)
    # energy per unit of work (E2..E4)
    j_per_linear_flop: float
    j_per_attn_flop: float
    j_per_sram_byte: float
    j_per_kv_read_byte: float
    j_per_kv_write_byte: float
    j_per_link_byte: float
    # power that runs regardless of load (E1), whole system
    static_w: float
    background_w: float
    kv_capacity_bytes_per_group: float
    kv_bw_bytes_per_s_per_group: float

    @property
    def n_classes(self) -> int:
        return len(self.counts)

    @property
    def stages(self) -> int:
        return int(self.counts.sum())


def _sram_table_len(placement: Placement) -> int:
    # P2 (perf.spatial._distinct_experts) with n tokens, E (1 - (1 - k/E)^n), is constant once
    # (1 - k/E)^n < 1e-12, i.e. from n = log(1e-12) / log(1 - k/E) (P2 solved for n); past that
    # P8 is affine in n (per-token reads such as embedding rows), so the table's last two
    # entries extrapolate it (see _sram_lookup)
    n = 2
    if placement.n_experts:
        q = 1.0 - placement.top_k / placement.n_experts
        if q > 0.0:
            n = max(n, math.ceil(math.log(1e-12) / math.log(q)))
    return min(n, _MAX_SRAM_TABLE) + 1


def service_table(placement: Placement, inputs: PerfInputs) -> ServiceTable:
    """Pass coefficients of every group class, from the perf model's P7..P10 and E2..E4.

    ``inputs`` must describe one design point (every field a scalar). The SRAM table runs
    to the token count where P2 saturates (every expert hit, to 1e-12); larger passes use its
    last entry.
    """
    a = _arrays(inputs)
    if any(v.ndim for v in a.values()):
        raise ValueError("service_table needs a scalar design point (one System)")
    W = len(placement.windows)
    # basis contexts: point 0 has no context, point k has one token in window k-1
    basis = np.zeros((W + 1, W))
    basis[np.arange(1, W + 1), np.arange(W)] = 1.0
    ctx_w = [basis[:, k] for k in range(W)]
    one = np.ones(W + 1)
    n_tab = _sram_table_len(placement)
    batch = np.arange(n_tab, dtype=np.float64)
    batch[0] = 1.0  # index 0 (an empty pass) is never used; keep it finite
    zero_w = [np.zeros(n_tab) for _ in range(W)]

    rows: dict[str, list[FloatArray]] = {k: [] for k in (
        "lin", "attn_s", "write_s", "read_s", "link_s", "hop", "sram_s", "sram_b", "attn_f", "kv_b")}
    for g in placement.classes:
        t_comp, _t_sram, t_kv, t_link, read, _sb, attn = _group_times(g, placement, a, ctx_w, one)
        t_comp = np.broadcast_to(t_comp, (W + 1,))
        t_kv = np.broadcast_to(t_kv, (W + 1,))
        rows["lin"].append(t_comp[0])
        rows["attn_s"].append(t_comp[1:] - t_comp[0])
        rows["write_s"].append(t_kv[0])
        rows["read_s"].append(t_kv[1:] - t_kv[0])
        # (P4, C5) communication is affine in the pass's tokens: a fixed part per pass (hops,
        # mesh, collective steps) and the collective's bandwidth term per token, added to P10
        comm_fixed = np.asarray(group_comm_latency_s(g, placement, a, inputs.collective, inputs.boundaries, 0.0))
        comm_one = np.asarray(group_comm_latency_s(g, placement, a, inputs.collective, inputs.boundaries, 1.0))
        rows["link_s"].append(np.broadcast_to(t_link, (W + 1,))[0] + (comm_one - comm_fixed))
        rows["attn_f"].append(np.broadcast_to(attn, (W + 1,))[1:] - np.broadcast_to(attn, (W + 1,))[0])
        rows["kv_b"].append(np.broadcast_to(read, (W + 1,))[1:] - np.broadcast_to(read, (W + 1,))[0])
        rows["hop"].append(comm_fixed)
        _c, t_sram_n, _k, _l, _r, sram_bytes_n, _a = _group_times(g, placement, a, zero_w, batch)
        rows["sram_s"].append(np.broadcast_to(t_sram_n, (n_tab,)).copy())
        rows["sram_b"].append(np.broadcast_to(sram_bytes_n, (n_tab,)).copy())
    sram_s = np.array(rows["sram_s"], dtype=np.float64)
    sram_b = np.array(rows["sram_b"], dtype=np.float64)
    sram_s[:, 0] = 0.0
    sram_b[:, 0] = 0.0
    cls = placement.classes
    return ServiceTable(
        counts=np.array([g.count for g in cls], dtype=np.float64),
        has_kv=np.array([g.has_kv for g in cls]),
        windows=placement.windows,
        linear_s_per_token=np.array(rows["lin"], dtype=np.float64),
        attn_s_per_ctx=np.array(rows["attn_s"], dtype=np.float64).reshape(len(cls), W),
        kv_write_s_per_token=np.array(rows["write_s"], dtype=np.float64),
        kv_read_s_per_ctx=np.array(rows["read_s"], dtype=np.float64).reshape(len(cls), W),
        link_s_per_token=np.array(rows["link_s"], dtype=np.float64),
        hop_s=np.array(rows["hop"], dtype=np.float64),
        sram_s=sram_s,
        linear_flops_per_token=np.array([g.linear_flops for g in cls], dtype=np.float64),
        attn_flops_per_ctx=np.array(rows["attn_f"], dtype=np.float64).reshape(len(cls), W),
        kv_bytes_per_ctx=np.array(rows["kv_b"], dtype=np.float64).reshape(len(cls), W),
        kv_write_bytes_per_token=np.array([g.kv_write_bytes for g in cls], dtype=np.float64),
        link_bytes_per_token=np.array([g.link_bytes for g in cls], dtype=np.float64),
        sram_bytes=sram_b,
        # (E2..E4) joules per unit of work
        j_per_linear_flop=float(a["linear_j_per_flop"]),
        j_per_attn_flop=float(a["attn_j_per_flop"]),
        j_per_sram_byte=float(_BITS * a["sram_read_j_per_bit"]),
        j_per_kv_read_byte=float(_BITS * a["kv_read_j_per_bit"]),
        j_per_kv_write_byte=float(_BITS * a["kv_write_j_per_bit"]),
        j_per_link_byte=float(_BITS * a["link_j_per_bit"]),
        # (E1) power independent of load
        static_w=float(placement.chips * a["static_power_w"]),
        background_w=float(placement.kv_groups * a["kv_background_w_per_group"]),
        kv_capacity_bytes_per_group=float(a["kv_capacity_bytes_per_group"]),
        kv_bw_bytes_per_s_per_group=float(a["kv_bw_bytes_per_s_per_group"]),
    )


@dataclass(frozen=True)
class PassTimes:
    """Times of a pass through one group of each class; arrays of shape ``(..., G)``."""

    compute_s: FloatArray  # P7 summed over the pass's tokens
    sram_s: FloatArray  # P8
    kv_s: FloatArray  # P9 summed over the pass's tokens
    proc_s: FloatArray  # max of the three (the overlap rule of P4)
    link_s: FloatArray  # P10 summed over the pass's tokens
    hop_s: FloatArray  # stages x hop latency

    @property
    def latency_s(self) -> FloatArray:
        """P4 of the pass: processing, transfers and hops, per group."""
        return self.proc_s + self.link_s + self.hop_s


def _sram_lookup(table: FloatArray, tokens: np.ndarray) -> FloatArray:
    """P8-based table ``(G, N)`` at integer token counts ``(...)``: ``(..., G)``."""
    n = np.asarray(tokens).astype(np.int64)
    last = table.shape[1] - 1
    if n.size and n.max() > last:
        slope = table[:, last] - table[:, last - 1]
        return table.T[np.minimum(n, last)] + np.maximum(n - last, 0)[..., None] * slope
    return table.T[n]


def pass_times(t: ServiceTable, tokens: np.ndarray, attn_ctx: np.ndarray, read_ctx: np.ndarray) -> PassTimes:
    """Service times of units with the given aggregates (``tokens (...)``, ``*_ctx (..., W)``)."""
    tok = np.asarray(tokens, dtype=np.float64)
    n = tok[..., None]
    comp = n * t.linear_s_per_token + np.asarray(attn_ctx) @ t.attn_s_per_ctx.T
    kv = n * t.kv_write_s_per_token + np.asarray(read_ctx) @ t.kv_read_s_per_ctx.T
    sram = _sram_lookup(t.sram_s, tok)
    proc = np.maximum(np.maximum(comp, sram), kv)
    link = n * t.link_s_per_token
    hop = np.broadcast_to(t.hop_s, proc.shape)
    return PassTimes(comp, sram, kv, proc, link, hop)


@dataclass(frozen=True)
class PassEnergy:
    """Dynamic joules by where they are spent (E2..E4): of a pass through one group of each
    class, ``(..., G)`` (:func:`pass_energy`), or of a whole prompt, summed over its chunks
    (F7, :class:`kvpipe.perf.prefill.PrefillResult`)."""

    weight_reads: FloatArray
    compute: FloatArray
    kv_read: FloatArray
    kv_write: FloatArray
    links: FloatArray

    def total(self) -> FloatArray:
        return self.weight_reads + self.compute + self.kv_read + self.kv_write + self.links


def pass_energy(t: ServiceTable, tokens: np.ndarray, attn_ctx: np.ndarray, read_ctx: np.ndarray) -> PassEnergy:
    """Dynamic energy of units with the given aggregates, per group of each class."""
    n = np.asarray(tokens, dtype=np.float64)[..., None]
    sram_b = _sram_lookup(t.sram_bytes, np.asarray(tokens))
    return PassEnergy(
        weight_reads=sram_b * t.j_per_sram_byte,  # (E2)
        compute=n * t.linear_flops_per_token * t.j_per_linear_flop
        + (np.asarray(attn_ctx) @ t.attn_flops_per_ctx.T) * t.j_per_attn_flop,  # (E3)
        kv_read=(np.asarray(read_ctx) @ t.kv_bytes_per_ctx.T) * t.j_per_kv_read_byte,  # (E4)
        kv_write=n * t.kv_write_bytes_per_token * t.j_per_kv_write_byte,  # (E4)
        links=n * t.link_bytes_per_token * t.j_per_link_byte,  # (E4)
    )


def pass_energy_total(t: ServiceTable, tokens: np.ndarray, attn_ctx: np.ndarray, read_ctx: np.ndarray) -> FloatArray:
    """:func:`pass_energy` summed over components and over every group of the pipeline."""
    c = t.counts
    per_token = c @ (
        t.linear_flops_per_token * t.j_per_linear_flop
        + t.kv_write_bytes_per_token * t.j_per_kv_write_byte
        + t.link_bytes_per_token * t.j_per_link_byte
    )
    per_attn = (c @ t.attn_flops_per_ctx) * t.j_per_attn_flop
    per_read = (c @ t.kv_bytes_per_ctx) * t.j_per_kv_read_byte
    sram = _sram_lookup(t.sram_bytes, np.asarray(tokens)) @ c * t.j_per_sram_byte
    return (
        np.asarray(tokens, dtype=np.float64) * per_token
        + np.asarray(attn_ctx) @ per_attn
        + np.asarray(read_ctx) @ per_read
        + sram
    )


def window_context(windows: tuple[float, ...], context: ArrayLike) -> FloatArray:
    """(P1) ``min(context, window)`` per window: shape ``(..., W)``."""
    c = np.asarray(context, dtype=np.float64)[..., None]
    return np.minimum(c, np.asarray(windows, dtype=np.float64))


def resident_kv_bytes(t: ServiceTable, context: ArrayLike) -> FloatArray:
    """(P3) KV bytes a user at ``context`` keeps in one group of each class: ``(..., G)``."""
    return window_context(t.windows, context) @ t.kv_bytes_per_ctx.T
