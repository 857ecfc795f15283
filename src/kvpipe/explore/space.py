"""A sweep as a user describes it (:class:`ExploreSpec`, read by ``kvpipe.config.explore``): its
points, evaluated, with their Pareto front."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from kvpipe.explore.sweep import (
    AXES,
    Range,
    SweepResult,
    axis_values,
    grid_points,
    lhs_points,
    pareto_front,
    random_points,
    round_whole_axes,
    sweep_placements,
)
from kvpipe.mapping import MappingError, place
from kvpipe.mapping.placement import Placement
from kvpipe.perf import inputs_from_system
from kvpipe.perf.inputs import FloatArray
from kvpipe.system import System


@dataclass(frozen=True)
class AxisSpec:
    name: str
    values: tuple[float, ...] | None  # an explicit list (grid only), SI units
    range: Range | None  # from/to/scale
    steps: int | None  # grid points along a range


@dataclass(frozen=True)
class ExploreSpec:
    system: System
    method: str
    samples: int | None
    seed: int
    axes: tuple[AxisSpec, ...]
    objectives: tuple[tuple[str, bool], ...]  # (name, higher is better)

    @property
    def n_points(self) -> int:
        if self.method != "grid":
            return int(self.samples or 0)
        n = 1
        for a in self.axes:
            n *= len(a.values) if a.values is not None else int(a.steps or 0)
        return n


@dataclass(frozen=True)
class Exploration:
    spec: ExploreSpec
    result: SweepResult
    front: NDArray[np.intp]  # indices of the Pareto-optimal points, best first by the first objective


def spec_points(spec: ExploreSpec) -> dict[str, FloatArray]:
    """(X1) the sweep's points: a grid of the axes' values, or ``samples`` random / Latin-hypercube draws."""
    if spec.method == "grid":
        values: dict[str, FloatArray] = {}
        for a in spec.axes:
            if a.values is not None:
                values[a.name] = np.asarray(a.values, dtype=np.float64)
            elif a.range is not None:
                values[a.name] = axis_values(a.range, a.steps or 1)
        return round_whole_axes(grid_points(values))
    ranges = {a.name: a.range for a in spec.axes if a.range is not None}
    draw = lhs_points if spec.method == "lhs" else random_points
    return round_whole_axes(draw(ranges, int(spec.samples or 0), spec.seed))


def explore(spec: ExploreSpec) -> Exploration:
    """Place the spec's system (once per combination of placement-axis values), evaluate every
    point (X2) and find the Pareto front (X3). A combination that cannot be placed raises
    :class:`~kvpipe.mapping.MappingError` naming the axes."""
    s = spec.system

    def place_for(values: dict[str, float]) -> Placement:
        changes: dict[str, Any] = {AXES[k].fields[0]: (int(v) if AXES[k].whole else v) for k, v in values.items()}
        try:
            return place(s.model, s.precisions, s.chip, replace(s.mapping, **changes))
        except MappingError as e:
            where = ", ".join(f"axes.{k} = {v:g}" for k, v in values.items())
            raise MappingError(where, str(e)) from None

    result = sweep_placements(place_for, inputs_from_system(s), spec_points(spec), s.chip.die_area_mm2)
    objectives = np.column_stack([result.column(name) for name, _ in spec.objectives])
    front = pareto_front(objectives, [hib for _, hib in spec.objectives])
    return Exploration(spec, result, front)


__all__ = ["AxisSpec", "ExploreSpec", "Exploration", "explore", "spec_points"]
