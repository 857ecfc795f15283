"""What ``kvpipe explore`` writes: the front as CSV rows, all points as arrays, the front figure."""

from __future__ import annotations

import csv
import io
from typing import Any

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from kvpipe.explore.space import Exploration
from kvpipe.report.figures import new_figure

_PLOT_POINTS = 200_000  # points drawn behind the front (an even subsample of larger sweeps)


def columns(ex: Exploration) -> list[str]:
    """Axes first (in the sweep file's order), then the figures of merit, then the binding limit."""
    return [*ex.result.axes, *ex.result.metrics, "binding_limit"]


def front_csv(ex: Exploration) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = columns(ex)
    w.writerow(cols)
    for i in ex.front:
        w.writerow([repr(float(ex.result.column(c)[i])) for c in cols[:-1]] + [str(ex.result.binding[i])])
    return buf.getvalue().encode("utf-8")


def points_npz(ex: Exploration) -> bytes:
    """Every point: one array per column (``binding_limit`` as strings) and ``on_front`` (bool)."""
    on_front = np.zeros(ex.result.n_points, dtype=bool)
    on_front[ex.front] = True
    arrays = {**ex.result.axes, **ex.result.metrics, "binding_limit": ex.result.binding, "on_front": on_front}
    buf = io.BytesIO()
    save: Any = np.savez_compressed  # numpy's stub reads keyword arrays as its own options
    save(buf, **arrays)
    return buf.getvalue()


def _log_if_wide(values: np.ndarray) -> str:
    v = values[np.isfinite(values)]
    return "log" if v.size and v.min() > 0 and v.max() / v.min() > 30 else "linear"


def fig_front(ex: Exploration) -> Figure:
    """The first two objectives: every point (grey) and the Pareto front over all objectives (red, or
    coloured by the third objective when there is one)."""
    (nx, hx), (ny, hy) = ex.spec.objectives[0], ex.spec.objectives[1]
    x, y = ex.result.column(nx), ex.result.column(ny)
    fig = new_figure(7.0, 4.8)
    ax = fig.add_subplot()
    step = max(1, ex.result.n_points // _PLOT_POINTS)
    ax.scatter(x[::step], y[::step], s=2, c="0.8", lw=0, label=f"design points ({ex.result.n_points:,})", rasterized=True)
    f = ex.front
    if len(ex.spec.objectives) > 2:  # colour the front by the third objective
        nz, hz = ex.spec.objectives[2]
        z = ex.result.column(nz)[f]
        norm = LogNorm() if _log_if_wide(z) == "log" else None
        sc = ax.scatter(x[f], y[f], s=8, c=z, cmap="viridis", norm=norm, lw=0, label=f"Pareto front ({f.size:,})", zorder=3)
        fig.colorbar(sc, ax=ax, label=f"{nz} ({'higher' if hz else 'lower'} is better)")
    else:
        ax.scatter(x[f], y[f], s=8, c="tab:red", lw=0, label=f"Pareto front ({f.size:,})", zorder=3)
    ax.set_xscale(_log_if_wide(x))
    ax.set_yscale(_log_if_wide(y))
    ax.set_xlabel(f"{nx} ({'higher' if hx else 'lower'} is better)")
    ax.set_ylabel(f"{ny} ({'higher' if hy else 'lower'} is better)")
    more = len(ex.spec.objectives) > 2
    ax.set_title(f"{ex.spec.system.name}: {ex.spec.method} sweep ({', '.join(ex.result.axes)})"
                 + (", front over all objectives" if more else ""), fontsize=8)
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, which="both", alpha=0.3)
    return fig


__all__ = ["columns", "fig_front", "front_csv", "points_npz"]
