"""A sweep as a user describes it (:class:`ExploreSpec`, read by ``kvpipe.config.explore``): its
points, evaluated, with their Pareto front."""

from __future__ import annotations

from collections.abc import Callable, Iterator
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


CHUNK_POINTS = 250_000  # points generated, evaluated and handed on at a time


@dataclass(frozen=True)
class Exploration:
    """A finished sweep: its Pareto front (every column of the front's points) and counts. The
    sweep's other points are not kept; :func:`explore` hands each chunk to a callback."""

    spec: ExploreSpec
    n_points: int
    front: SweepResult  # the Pareto-optimal points, best first by the first objective
    front_index: NDArray[np.intp]  # their numbers among all points (generation order)
    chips: tuple[int, int]  # fewest and most chips over all points


def spec_points(spec: ExploreSpec, start: int = 0, stop: int | None = None) -> dict[str, FloatArray]:
    """(X1) the sweep's points: a grid of the axes' values, or ``samples`` random / Latin-hypercube
    draws; with ``start``/``stop`` only those numbered ``start`` to ``stop - 1``. Grid and random
    points are generated for that range alone; a Latin hypercube pairs strata over all its points,
    so it draws them all (8 bytes per point and axis) and slices."""
    n = spec.n_points
    end = n if stop is None else stop
    if spec.method == "grid":
        values: dict[str, FloatArray] = {}
        for a in spec.axes:
            if a.values is not None:
                values[a.name] = np.asarray(a.values, dtype=np.float64)
            elif a.range is not None:
                values[a.name] = axis_values(a.range, a.steps or 1)
        return round_whole_axes(grid_points(values, start, end))
    ranges = {a.name: a.range for a in spec.axes if a.range is not None}
    if spec.method == "lhs":
        return {k: v[start:end] for k, v in round_whole_axes(lhs_points(ranges, n, spec.seed)).items()}
    return round_whole_axes(random_points(ranges, n, spec.seed, start, end))


def _spec_chunks(spec: ExploreSpec, chunk: int) -> Iterator[dict[str, FloatArray]]:
    n = spec.n_points
    if spec.method == "lhs":
        every = spec_points(spec)
        for start in range(0, n, chunk):
            yield {k: v[start:start + chunk] for k, v in every.items()}
        return
    for start in range(0, n, chunk):
        yield spec_points(spec, start, min(n, start + chunk))


def explore(
    spec: ExploreSpec, on_chunk: Callable[[int, SweepResult], None] | None = None, chunk: int = CHUNK_POINTS
) -> Exploration:
    """Place the spec's system (once per combination of placement-axis values), evaluate every
    point (X2) ``chunk`` points at a time, and find the Pareto front (X3) as the chunks come: the
    front of the points so far is the front of the last front and the new chunk. Each evaluated
    chunk goes to ``on_chunk(number of its first point, chunk)`` (to write it, draw it, count it);
    only the front is kept. A combination that cannot be placed raises
    :class:`~kvpipe.mapping.MappingError` naming the axes."""
    s = spec.system
    placed: dict[tuple[tuple[str, float], ...], Placement] = {}

    def place_for(values: dict[str, float]) -> Placement:
        key = tuple(values.items())
        if key in placed:
            return placed[key]
        changes: dict[str, Any] = {AXES[k].fields[0]: (int(v) if AXES[k].whole else v) for k, v in values.items()}
        try:
            placed[key] = place(s.model, s.precisions, s.chip, replace(s.mapping, **changes))
        except MappingError as e:
            where = ", ".join(f"axes.{k} = {v:g}" for k, v in values.items())
            raise MappingError(where, str(e)) from None
        return placed[key]

    base = inputs_from_system(s)
    senses = [hib for _, hib in spec.objectives]
    kept: SweepResult | None = None
    kept_index = np.empty(0, dtype=np.intp)
    chips = (np.inf, -np.inf)
    start = 0
    for points in _spec_chunks(spec, chunk):
        part = sweep_placements(place_for, base, points, s.chip.die_area_mm2)
        if on_chunk is not None:
            on_chunk(start, part)
        c = part.metrics["chips"]
        chips = (min(chips[0], float(c.min())), max(chips[1], float(c.max())))
        index = np.arange(start, start + part.n_points, dtype=np.intp)
        start += part.n_points
        if kept is not None:  # earlier points first: of identical points the first stays
            part, index = SweepResult.concat([kept, part]), np.concatenate([kept_index, index])
        front = pareto_front(np.column_stack([part.column(name) for name, _ in spec.objectives]), senses)
        kept, kept_index = part.take(front), index[front]
    assert kept is not None, "a sweep has at least one point"
    return Exploration(spec, spec.n_points, kept, kept_index, (int(chips[0]), int(chips[1])))


__all__ = ["CHUNK_POINTS", "AxisSpec", "ExploreSpec", "Exploration", "explore", "spec_points"]
