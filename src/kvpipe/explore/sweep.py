"""Design-space sweeps over the continuous knobs of one system, and their Pareto fronts.

A sweep fixes the placement (model, precisions, chip SRAM, grouping) and varies the knobs of
:class:`~kvpipe.perf.inputs.PerfInputs` that an axis names: the workload, the links, the chip's
rates and the KV memory attached to each chip group. Points come from a full grid, uniform
random sampling or a Latin hypercube (each axis cut into ``n`` equal strata, one point in each,
strata paired at random), linear or logarithmic per axis. Every point is evaluated by the
vectorized analytic model in chunks, so millions of points take seconds. Formulas and the
front's definition: docs/explore.md (tags X1-X3).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvpipe.mapping.placement import Placement
from kvpipe.perf.inputs import FloatArray, PerfInputs
from kvpipe.perf.spatial import evaluate


class Quantity(str, Enum):
    """What an axis value is (its unit at the edge)."""

    COUNT = "count"
    BYTES = "bytes"
    BYTES_PER_S = "bytes_per_s"
    SECONDS = "seconds"
    J_PER_BIT = "j_per_bit"
    FLOP_PER_S = "flop_per_s"
    WATTS = "watts"
    FRACTION = "fraction"  # in (0, 1]


@dataclass(frozen=True)
class AxisKind:
    """A knob a sweep can vary: the :class:`PerfInputs` fields (or, for a placement axis, the
    :class:`~kvpipe.system.MappingOptions` field) it sets, and its quantity."""

    fields: tuple[str, ...]
    quantity: Quantity
    whole: bool = False  # users, context, micro-batch and layers per group are whole numbers
    placement: bool = False  # changes the placement: the model is placed again for each value


AXES: dict[str, AxisKind] = {
    "users": AxisKind(("users",), Quantity.COUNT, whole=True),
    "context": AxisKind(("context_tokens",), Quantity.COUNT, whole=True),
    "micro_batch": AxisKind(("micro_batch",), Quantity.COUNT, whole=True),
    "kv_bandwidth_per_group": AxisKind(("kv_bw_bytes_per_s_per_group",), Quantity.BYTES_PER_S),
    "kv_capacity_per_group": AxisKind(("kv_capacity_bytes_per_group",), Quantity.BYTES),
    "kv_read_energy": AxisKind(("kv_read_j_per_bit",), Quantity.J_PER_BIT),
    "kv_write_energy": AxisKind(("kv_write_j_per_bit",), Quantity.J_PER_BIT),
    "kv_energy": AxisKind(("kv_read_j_per_bit", "kv_write_j_per_bit"), Quantity.J_PER_BIT),
    "kv_background_power_per_group": AxisKind(("kv_background_w_per_group",), Quantity.WATTS),
    "hop_latency": AxisKind(("hop_latency_s",), Quantity.SECONDS),
    "link_bandwidth": AxisKind(("link_bw_bytes_per_s",), Quantity.BYTES_PER_S),
    "link_energy": AxisKind(("link_j_per_bit",), Quantity.J_PER_BIT),
    "sram_bandwidth": AxisKind(("sram_bw_bytes_per_s",), Quantity.BYTES_PER_S),
    "matrix_operand_bandwidth": AxisKind(("matrix_operand_bw_bytes_per_s",), Quantity.BYTES_PER_S),
    "flops": AxisKind(("peak_flop_per_s", "attn_flop_per_s"), Quantity.FLOP_PER_S),
    "static_power": AxisKind(("static_power_w",), Quantity.WATTS),
    "usable_sram_fraction": AxisKind(("usable_sram_fraction",), Quantity.FRACTION, placement=True),
    "layers_per_group": AxisKind(("layers_per_group",), Quantity.COUNT, whole=True, placement=True),
}

# Figures of merit a front can be drawn over, with the sense that is better.
METRICS: dict[str, bool] = {  # name -> higher is better
    "tokens_per_s_per_user": True,
    "tokens_per_s": True,
    "joules_per_token": False,
    "time_per_token_s": False,
    "power_w": False,
    "users_in_flight": True,
    "chips": False,
    "logic_area_mm2": False,  # logic dies: chips x die area (the KV memory's dies are not counted)
}
_PERF = tuple(m for m in METRICS if m not in ("chips", "logic_area_mm2"))  # the PerfResult fields of the same name


@dataclass(frozen=True)
class Range:
    """A continuous axis for random or Latin-hypercube sampling."""

    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class SweepResult:
    """Every point of a sweep: the axis values and the figures of merit, as flat arrays."""

    axes: dict[str, FloatArray]
    metrics: dict[str, FloatArray]
    binding: NDArray[np.str_]  # the binding limit's label at each point

    @property
    def n_points(self) -> int:
        return int(self.binding.shape[0])

    def column(self, name: str) -> FloatArray:
        return self.axes[name] if name in self.axes else self.metrics[name]

    def take(self, idx: NDArray[np.intp]) -> SweepResult:
        """The points at ``idx``, in that order."""
        return SweepResult({k: v[idx] for k, v in self.axes.items()}, {k: v[idx] for k, v in self.metrics.items()},
                           self.binding[idx])

    @staticmethod
    def concat(parts: Sequence[SweepResult]) -> SweepResult:
        """The points of ``parts`` one after the other (the same axes in each)."""
        first = parts[0]
        return SweepResult({k: np.concatenate([p.axes[k] for p in parts]) for k in first.axes},
                           {k: np.concatenate([p.metrics[k] for p in parts]) for k in first.metrics},
                           np.concatenate([p.binding for p in parts]))


# --- sampling (X1) -----------------------------------------------------------------------


def grid_points(values: Mapping[str, ArrayLike], start: int = 0, stop: int | None = None) -> dict[str, FloatArray]:
    """Every combination of the listed values (first axis slowest), as flat arrays; with
    ``start``/``stop``, only the combinations numbered ``start`` to ``stop - 1`` in that order."""
    arrays = {n: np.asarray(v, dtype=np.float64).ravel() for n, v in values.items()}
    shape = tuple(a.size for a in arrays.values())
    end = int(np.prod(shape)) if stop is None else stop
    index = np.unravel_index(np.arange(start, end), shape)
    return {n: a[i] for (n, a), i in zip(arrays.items(), index, strict=True)}


def _scale(u: FloatArray, r: Range) -> FloatArray:
    # a unit-interval sample onto the range, uniformly in the value or in its logarithm
    if r.log:
        return np.exp(np.log(r.low) + u * (np.log(r.high) - np.log(r.low)))
    return r.low + u * (r.high - r.low)


def axis_values(r: Range, steps: int) -> FloatArray:
    """``steps`` grid values from ``low`` to ``high``, evenly spaced in value or in its logarithm."""
    if steps == 1:
        return np.array([r.low])
    return np.geomspace(r.low, r.high, steps) if r.log else np.linspace(r.low, r.high, steps)


def random_points(
    ranges: Mapping[str, Range], n: int, seed: int = 0, start: int = 0, stop: int | None = None
) -> dict[str, FloatArray]:
    """``n`` points drawn uniformly (per axis, in value or log value): axis ``k`` takes draws
    ``k n`` to ``(k + 1) n - 1`` of one PCG64 stream. With ``start``/``stop``, only the points
    numbered ``start`` to ``stop - 1`` (the stream is advanced to them, not drawn through)."""
    end = n if stop is None else stop
    out = {}
    for k, (name, r) in enumerate(ranges.items()):
        bits = np.random.PCG64(seed)
        bits.advance(k * n + start)  # one 64-bit draw per uniform double
        out[name] = _scale(np.random.Generator(bits).random(end - start), r)
    return out


def lhs_points(ranges: Mapping[str, Range], n: int, seed: int = 0) -> dict[str, FloatArray]:
    """A Latin hypercube of ``n`` points: each axis cut into ``n`` equal strata, one point in each."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, r in ranges.items():
        strata = rng.permutation(n)
        out[name] = _scale((strata + rng.random(n)) / n, r)
    return out


def round_whole_axes(points: dict[str, FloatArray]) -> dict[str, FloatArray]:
    """Users, context, micro-batch and layers per group are whole numbers (at least 1)."""
    return {k: (np.maximum(np.rint(v), 1.0) if AXES[k].whole else v) for k, v in points.items()}


# --- evaluating (X2) ---------------------------------------------------------------------


def sweep(placement: Placement, base: PerfInputs, points: Mapping[str, FloatArray], die_area_mm2: float,
          chunk: int = 250_000) -> SweepResult:
    """Evaluate every point on one placement: ``base`` with the axes' fields replaced, ``chunk``
    points per call. ``points`` holds model axes only (placement axes: :func:`sweep_placements`)."""
    n = len(next(iter(points.values())))
    metrics = {m: np.empty(n) for m in METRICS}
    metrics["chips"][:] = placement.chips
    metrics["logic_area_mm2"][:] = placement.chips * die_area_mm2
    binding = np.empty(n, dtype=object)
    for start in range(0, n, chunk):
        part = slice(start, min(n, start + chunk))
        changes = {f: v[part] for name, v in points.items() for f in AXES[name].fields}
        r = evaluate(placement, base.with_(**changes))
        shape = (part.stop - part.start,)
        for m in _PERF:
            metrics[m][part] = np.broadcast_to(getattr(r, m), shape)
        binding[part] = np.broadcast_to(r.binding_labels(), shape)
    return SweepResult(axes={k: np.asarray(v, dtype=np.float64) for k, v in points.items()}, metrics=metrics,
                       binding=binding.astype(str))


def sweep_placements(
    place_for: Callable[[dict[str, float]], Placement], base: PerfInputs, points: Mapping[str, FloatArray], die_area_mm2: float,
) -> SweepResult:
    """Evaluate every point, placing the model once per distinct combination of the placement
    axes' values (``place_for`` maps such a combination to a placement)."""
    n = len(next(iter(points.values())))
    placed = [k for k in points if AXES[k].placement]
    model = {k: v for k, v in points.items() if not AXES[k].placement} or {"users": np.broadcast_to(base.users, (n,))}
    if placed:
        combos, which = np.unique(np.column_stack([points[k] for k in placed]), axis=0, return_inverse=True)
    else:  # one placement for every point
        combos, which = np.empty((1, 0)), np.zeros(n, dtype=np.intp)
    metrics = {m: np.empty(n) for m in METRICS}
    binding = np.empty(n, dtype=object)
    for j, combo in enumerate(combos):
        idx = np.flatnonzero(which.ravel() == j)
        r = sweep(place_for(dict(zip(placed, combo.tolist(), strict=True))), base, {k: v[idx] for k, v in model.items()},
                  die_area_mm2)
        for m in METRICS:
            metrics[m][idx] = r.metrics[m]
        binding[idx] = r.binding
    return SweepResult(axes={k: np.asarray(v, dtype=np.float64) for k, v in points.items()}, metrics=metrics,
                       binding=binding.astype(str))


# --- Pareto front (X3) -------------------------------------------------------------------


def pareto_front(objectives: FloatArray, higher_is_better: Sequence[bool]) -> NDArray[np.intp]:
    """Indices of the non-dominated rows of ``objectives`` (shape ``(n, k)``), in order of the
    first objective, best first. A row is dominated when another is at least as good in every
    objective and better in one; of identical rows the first is kept. Rows with a NaN never enter.

    Rows are sorted by their objectives (first objective first); a row is on the front exactly
    when no earlier row is at least as good in the other objectives. With two objectives that
    is a running minimum; with three a staircase of the earlier rows' last two objectives,
    searched by bisection (O(n log n)); beyond three, each front row removes what it dominates."""
    obj = np.asarray(objectives, dtype=np.float64)
    if obj.ndim != 2 or obj.shape[1] != len(higher_is_better) or obj.shape[1] == 0:
        raise ValueError("objectives must be (n, k), k >= 1, with one sense per column")
    cost = obj * np.where(np.asarray(higher_is_better), -1.0, 1.0)  # minimise every column
    ok = np.flatnonzero(np.all(~np.isnan(cost), axis=1))
    order = ok[np.lexsort(cost[ok].T[::-1])]
    k = cost.shape[1]
    if order.size == 0:
        return order
    if k == 1:
        return order[:1]
    if k == 2:
        c1 = cost[order, 1]
        earlier_best = np.concatenate(([np.inf], np.minimum.accumulate(c1)[:-1]))
        return order[c1 < earlier_best]
    if k == 3:
        return _front_3d(cost, order)
    keep: list[int] = []
    rest = order
    while rest.size:
        best = rest[0]  # nothing left comes before it, so nothing left dominates it
        keep.append(int(best))
        rest = rest[1:][~np.all(cost[rest[1:]] >= cost[best], axis=1)]
    return np.asarray(keep, dtype=np.intp)


def _front_3d(cost: FloatArray, order: NDArray[np.intp]) -> NDArray[np.intp]:
    # staircase of the earlier front rows' (c1, c2): c1 increasing, c2 strictly decreasing
    xs: list[float] = []
    ys: list[float] = []
    keep: list[int] = []
    for i, x, y in zip(order.tolist(), cost[order, 1].tolist(), cost[order, 2].tolist(), strict=True):
        j = bisect.bisect_right(xs, x)
        if j and ys[j - 1] <= y:
            continue  # an earlier row is at least as good in all three objectives
        keep.append(i)
        end = j
        while end < len(xs) and ys[end] >= y:
            end += 1  # steps the new row covers
        xs[j:end] = [x]
        ys[j:end] = [y]
    return np.asarray(keep, dtype=np.intp)


__all__ = [
    "AXES", "METRICS", "AxisKind", "Quantity", "Range", "SweepResult", "axis_values", "grid_points", "lhs_points", "pareto_front",
    "random_points", "round_whole_axes", "sweep", "sweep_placements",
]
