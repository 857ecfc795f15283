"""kvpipe from Python (a notebook): load a system, evaluate it over users and context, sweep a
design space, simulate serving. A thin layer over the command line's own functions; tables
come back as pandas DataFrames (``pip install 'kvpipe[api]'``). docs/api.md has an example.

    import kvpipe
    s = kvpipe.load("seed")                       # a shipped system, or a path to a YAML file
    df = kvpipe.evaluate(s, users=[1, 10, 100])   # one row per design point, SI units
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from kvpipe.config import load_any_system
from kvpipe.explore.sweep import AXES, METRICS, SweepResult, grid_points, round_whole_axes
from kvpipe.explore.sweep import sweep as sweep_points
from kvpipe.system import GpuSystem, System

if TYPE_CHECKING:
    import pandas as pd

    from kvpipe.explore.space import ExploreSpec
    from kvpipe.sim import SimResult

SystemLike = System | GpuSystem | str | os.PathLike[str]


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ImportError(
            "kvpipe's Python API returns pandas DataFrames, and pandas is not installed: "
            "pip install 'kvpipe[api]' (or pip install pandas)"
        ) from None
    return pandas


def load(system: str | os.PathLike[str]) -> System | GpuSystem:
    """A shipped system by name (``"seed"``, ``"h200-x8"``, ...) or a system YAML file
    (spatial or GPU); mistakes raise :class:`kvpipe.config.ConfigError` naming each field."""
    return load_any_system(system)


def _system(system: SystemLike) -> System | GpuSystem:
    return system if isinstance(system, (System, GpuSystem)) else load(system)


def _frame(result: SweepResult) -> pd.DataFrame:
    pd = _pandas()
    df = pd.DataFrame({**result.axes, **result.metrics})
    df["silicon_mm2"] = df["logic_area_mm2"]  # the column's earlier name, kept for scripts (docs/api.md)
    df["binding_limit"] = result.binding
    return df.rename(columns={"context": "context_tokens"})


def evaluate(system: SystemLike, users: ArrayLike | None = None, context: ArrayLike | None = None,
             **axes: ArrayLike) -> pd.DataFrame:
    """Every combination of ``users`` x ``context`` (tokens) x the other ``axes`` (names and SI
    units of docs/explore.md, e.g. ``hop_latency=[1e-7, 2e-7]``), one row each: the analytic
    model's tokens/s per user and in aggregate, J/token, power, users in flight and the
    binding limit. Unset: the system's own users and context. GPU systems take users and context."""
    s = _system(system)
    values: dict[str, ArrayLike] = {
        "users": s.workload.users if users is None else users,
        "context": s.workload.context_tokens if context is None else context,
        **axes,
    }
    bad = [k for k in values if k not in AXES or AXES[k].placement or (isinstance(s, GpuSystem) and k not in ("users", "context"))]
    if bad:
        known = "users, context" if isinstance(s, GpuSystem) else ", ".join(k for k in AXES if not AXES[k].placement)
        raise ValueError(f"evaluate: unknown axis {', '.join(bad)} (known: {known}; placement axes: kvpipe.sweep)")
    points = round_whole_axes(grid_points({k: np.atleast_1d(np.asarray(v, dtype=np.float64)) for k, v in values.items()}))
    if isinstance(s, GpuSystem):
        return _frame(_gpu_points(s, points))
    from kvpipe.mapping import place
    from kvpipe.perf import inputs_from_system

    placement = place(s.model, s.precisions, s.chip, s.mapping)
    return _frame(sweep_points(placement, inputs_from_system(s), points, s.chip.die_area_mm2))


def _gpu_points(s: GpuSystem, points: Mapping[str, np.ndarray]) -> SweepResult:
    from kvpipe.perf.gpu import evaluate_gpu, gpu_inputs_from_system, system_shape

    gr = evaluate_gpu(system_shape(s), gpu_inputs_from_system(s).with_(users=points["users"], context_tokens=points["context"]))
    n = len(points["users"])
    r = gr.perf
    metrics = {m: np.broadcast_to(np.asarray(getattr(r, m), dtype=np.float64), (n,)).copy() for m in METRICS if hasattr(r, m)}
    metrics["chips"] = np.full(n, float(s.parallelism.gpus))
    metrics["logic_area_mm2"] = np.full(n, s.parallelism.gpus * s.gpu.die_area_mm2)
    return SweepResult(axes=dict(points), metrics=metrics, binding=np.broadcast_to(r.binding_labels(), (n,)).astype(str))


def sweep(spec: ExploreSpec | Mapping[str, Any] | str | os.PathLike[str]) -> pd.DataFrame:
    """A design-space sweep (``kvpipe explore``): a sweep file, its content as a dict, or a
    parsed :class:`~kvpipe.explore.space.ExploreSpec`. One row per point: the axes, the figures
    of merit, the binding limit and ``pareto`` (on the objectives' front)."""
    from kvpipe.config.explore import load_explore, parse_explore
    from kvpipe.explore.space import ExploreSpec, explore

    if isinstance(spec, Mapping):
        spec = parse_explore(spec, Path.cwd(), source="sweep dict")
    elif not isinstance(spec, ExploreSpec):
        spec = load_explore(spec)
    parts: list[SweepResult] = []  # a data frame holds every point: keep every chunk
    ex = explore(spec, lambda start, part: parts.append(part))
    df = _frame(SweepResult.concat(parts))
    df["pareto"] = np.isin(np.arange(ex.n_points), ex.front_index)
    return df


def simulate(system: SystemLike, traffic: Any = None, *, rate_per_s: float = 10.0, duration_s: float = 60.0,
             prompt: Any = None, output: Any = None, seed: int = 0, **config: Any) -> SimResult:
    """Serve ``traffic`` on a spatial system with the event-driven simulator (``kvpipe simulate``).

    ``traffic``: requests (:func:`kvpipe.sim.open_loop`, a parsed trace) or a
    :class:`kvpipe.sim.ClosedLoop`; unset, Poisson arrivals at ``rate_per_s`` for ``duration_s``
    with ``prompt`` / ``output`` token lengths (default log-normal, medians 1,024 and 256, as the
    command line). ``config``: fields of :class:`kvpipe.sim.SimConfig`. Returns the
    :class:`kvpipe.sim.SimResult` (``.metrics``, ``.to_json()``)."""
    from kvpipe.sim import LogNormal, SimConfig, open_loop
    from kvpipe.sim import simulate as run

    s = _system(system)
    if isinstance(s, GpuSystem):
        raise ValueError("simulate: the serving simulator models spatial pipelines; this is a GPU system")
    if traffic is None:
        traffic = open_loop(rate_per_s, duration_s, prompt or LogNormal(1024, 1.0), output or LogNormal(256, 1.0), seed=seed)
    return run(s, traffic, SimConfig(**config), seed=seed)


__all__ = ["evaluate", "load", "simulate", "sweep"]
