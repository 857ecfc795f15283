"""Topology-aware communication: what one communication stage of a layer costs.

Formulas in docs/model.md ("Communication", tags C1..C6); the comments name the equation.

A communication stage hands a layer step's output on to the macros of the next step. Where
the layer's weights sit decides what that costs:

* inside one chip, the step's partial results are reduced along one side of the region of
  the chip's core mesh that holds the layer and broadcast along the other (C1): the latency
  grows with the side of that region, ``sqrt(cores)`` hops;
* when the layer spreads over several chips, the chips then combine their partial results
  with a collective (ring, tree / recursive doubling or one-shot, C2), each step of which
  pays the chip-to-chip hop plus the fixed cost of every boundary level (package, card,
  server, rack) it crosses (C3);
* a weight-streaming device adds a fixed overhead per operation (launch gap, C4);
* a token's path through the pipeline crosses every boundary between consecutive chip
  groups that sit in different packages, cards, servers or racks (C6).

With no mesh, no collective (``"none"``), no boundary level and no overhead, a stage costs
one hop latency: the model before this refinement, and the default of every link that does
not opt in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvpipe.hardware.parts import BoundaryLevel, Collective
from kvpipe.mapping.placement import GroupClass, Placement

FloatArray = NDArray[np.float64]


def step_latency_s(span_chips: float, hop_latency_s: Any, levels: Sequence[BoundaryLevel]) -> Any:
    """(C3) latency of one collective step among ``span_chips`` chips: the chip-to-chip hop
    plus the fixed cost of every boundary level whose unit holds fewer chips than the span."""
    alpha = hop_latency_s
    for level in levels:
        if span_chips > level.chips:
            alpha = alpha + level.latency_s
    return alpha


def collective_time_s(
    algorithm: Collective | str,
    participants: int,
    hop_latency_s: Any,
    message_bytes: Any,
    bw_bytes_per_s_per_direction: Any,
    levels: Sequence[BoundaryLevel] = (),
) -> Any:
    """(C2) time of one all-reduce of ``message_bytes`` over ``participants`` chips.

    ring: ``2(P-1) x alpha(P) + 2(P-1)/P x m/beta``; tree (recursive doubling):
    ``sum_k alpha(min(2^(k+1), P)) + ceil(log2 P) x m/beta`` over ``ceil(log2 P)`` steps;
    one-shot: ``alpha(P) + (P-1) x m/beta``. ``alpha(span)`` is C3; ``beta`` the per-direction
    bandwidth of one chip. One participant: no collective (0).
    """
    alg = Collective(algorithm)
    p = int(participants)
    if p <= 1:
        return 0.0 * np.asarray(hop_latency_s, dtype=np.float64)
    per_byte = np.asarray(message_bytes, dtype=np.float64) / np.asarray(bw_bytes_per_s_per_direction, dtype=np.float64)
    if alg is Collective.RING:
        return 2.0 * (p - 1) * step_latency_s(p, hop_latency_s, levels) + 2.0 * (p - 1) / p * per_byte
    if alg is Collective.TREE:
        steps = math.ceil(math.log2(p))
        alpha = sum(step_latency_s(min(2 ** (k + 1), p), hop_latency_s, levels) for k in range(steps))
        return alpha + steps * per_byte
    if alg is Collective.ONE_SHOT:
        return step_latency_s(p, hop_latency_s, levels) + (p - 1) * per_byte
    # NONE: the averaged model charges one hop per stage, no exchange
    return np.asarray(hop_latency_s, dtype=np.float64) + 0.0 * per_byte


def mesh_time_s(region_cores: Any, mesh_hop_latency_s: Any) -> Any:
    """(C1) reduce along one side of a square region of a core mesh, then broadcast along
    the other: ``2 x sqrt(cores) x per-hop latency``."""
    return 2.0 * np.sqrt(np.asarray(region_cores, dtype=np.float64)) * mesh_hop_latency_s


def participants(chips: float) -> int:
    """Chips a layer group touches: its chip-equivalents rounded up (at least one)."""
    return max(math.ceil(chips - 1e-9), 1)


def stage_latency_s(
    chips: float,
    algorithm: Collective | str,
    hop_latency_s: Any,
    message_bytes: Any,
    bw_bytes_per_s: Any,
    mesh_cores_per_chip: Any = 0.0,
    mesh_hop_latency_s: Any = 0.0,
    op_overhead_s: Any = 0.0,
    levels: Sequence[BoundaryLevel] = (),
) -> Any:
    """(C4) latency of one communication stage of a group on ``chips`` chip-equivalents.

    ``C1(min(chips, 1) x cores per chip) + (hop if the group sits on one chip or the
    collective is "none", else C2 over ceil(chips) chips) + per-operation overhead``.
    ``bw_bytes_per_s`` is a chip's link bandwidth, both directions (halved for C2).
    """
    p = participants(chips)
    alg = Collective(algorithm)
    if p == 1 or alg is Collective.NONE:
        t = hop_latency_s
    else:
        t = collective_time_s(alg, p, hop_latency_s, message_bytes, np.asarray(bw_bytes_per_s) / 2.0, levels)
    # the terms a chip does not describe are skipped, not added as zeros (grids of 10^6 points)
    if np.any(mesh_cores_per_chip) and np.any(mesh_hop_latency_s):
        t = t + mesh_time_s(min(chips, 1.0) * np.asarray(mesh_cores_per_chip, dtype=np.float64), mesh_hop_latency_s)
    if np.any(op_overhead_s):
        t = t + op_overhead_s
    return t


def path_crossings_s(chips: int, levels: Sequence[BoundaryLevel]) -> float:
    """(C6) fixed cost of the boundaries one token's path crosses through a pipeline on
    ``chips`` chips laid out in order: ``sum_l max(ceil(chips / chips_l) - 1, 0) x latency_l``."""
    return float(sum(max(math.ceil(chips / lv.chips - 1e-9) - 1, 0) * lv.latency_s for lv in levels))


def group_comm_latency_s(
    g: GroupClass, placement: Placement, a: dict[str, FloatArray], collective: Collective | str,
    levels: Sequence[BoundaryLevel], batch: Any,
) -> Any:
    """(C5) communication latency of one micro-batch of ``batch`` tokens through group ``g``:
    its stages (C4, each moving the micro-batch's share of the group's hand-on bytes) plus the
    group's share of the path's boundary crossings (C6 spread evenly over the pipeline's stages)."""
    if g.comm_stages:
        msg = batch * g.link_bytes / g.comm_stages
        stage = stage_latency_s(
            g.chips, collective, a["hop_latency_s"], msg, a["link_bw_bytes_per_s"],
            a["mesh_cores_per_chip"], a["mesh_hop_latency_s"], a["op_overhead_s"], levels,
        )
    else:
        stage = 0.0
    crossing = path_crossings_s(placement.chips, levels) / max(placement.stages, 1)
    return g.comm_stages * stage + crossing if crossing else g.comm_stages * stage


__all__ = [
    "BoundaryLevel", "Collective", "collective_time_s", "group_comm_latency_s", "mesh_time_s", "participants",
    "path_crossings_s", "stage_latency_s", "step_latency_s",
]
