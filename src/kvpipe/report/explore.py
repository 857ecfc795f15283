"""What ``kvpipe explore`` writes: the front as CSV rows, all points as arrays (streamed to disk
chunk by chunk), the front figure (over an even subsample of the points)."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path
from typing import IO, BinaryIO

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from numpy.typing import NDArray

from kvpipe.explore.space import Exploration
from kvpipe.explore.sweep import SweepResult
from kvpipe.perf.result import Limit
from kvpipe.report.figures import new_figure


def columns(ex: Exploration) -> list[str]:
    """Axes first (in the sweep file's order), then the figures of merit, then the binding limit."""
    return [*ex.front.axes, *ex.front.metrics, "binding_limit"]


def front_csv(ex: Exploration) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    cols = columns(ex)
    w.writerow(cols)
    for i in range(ex.front.n_points):
        w.writerow([repr(float(ex.front.column(c)[i])) for c in cols[:-1]] + [str(ex.front.binding[i])])
    return buf.getvalue().encode("utf-8")


BINDING_DTYPE = np.dtype(f"<U{max(len(lim.label) for lim in Limit)}")


class PointsNpz:
    """``points.npz`` written as the sweep goes: every point, one array per column
    (``binding_limit`` as strings) and ``on_front`` (bool). Each chunk is appended to one raw
    file per column in ``work`` (a scratch directory, removed by :meth:`finish`), so memory
    holds one chunk; :meth:`finish` packs the columns into the zip archive ``numpy.load`` reads
    (deflated, as ``numpy.savez_compressed`` writes)."""

    def __init__(self, work: Path, n_points: int) -> None:
        self.work = work
        self.n_points = n_points
        self.written = 0
        self._files: dict[str, tuple[BinaryIO, np.dtype]] = {}
        work.mkdir()

    def add(self, part: SweepResult) -> None:
        cols: dict[str, NDArray[np.generic]] = {**part.axes, **part.metrics, "binding_limit": part.binding}
        for name, values in cols.items():
            if name not in self._files:
                dtype = BINDING_DTYPE if name == "binding_limit" else np.dtype(np.float64)
                self._files[name] = ((self.work / f"{len(self._files)}.raw").open("wb"), dtype)
            f, dtype = self._files[name]
            np.ascontiguousarray(values, dtype=dtype).tofile(f)
        self.written += part.n_points

    def finish(self, path: Path, front_index: NDArray[np.intp]) -> None:
        if self.written != self.n_points:
            raise ValueError(f"points.npz: {self.written} of {self.n_points} points written")
        on_front = np.zeros(self.n_points, dtype=bool)
        on_front[front_index] = True
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as zf:
            for name, (f, dtype) in self._files.items():
                f.close()
                with open(f.name, "rb") as raw, zf.open(f"{name}.npy", "w", force_zip64=True) as out:
                    _npy_header(out, dtype, self.n_points)
                    shutil.copyfileobj(raw, out, 1 << 22)
            with zf.open("on_front.npy", "w", force_zip64=True) as out:
                _npy_header(out, on_front.dtype, self.n_points)
                out.write(on_front.tobytes())
        shutil.rmtree(self.work)


def _npy_header(f: IO[bytes], dtype: np.dtype, n: int) -> None:
    fmt = np.lib.format
    fmt.write_array_header_1_0(f, {"descr": fmt.dtype_to_descr(dtype), "fortran_order": False, "shape": (n,)})


PLOT_POINTS = 200_000  # points drawn behind the front (an even subsample of larger sweeps)


def plot_step(n_points: int) -> int:
    """Every ``plot_step``-th point is drawn behind the front."""
    return max(1, n_points // PLOT_POINTS)


def plot_sample(start: int, part: SweepResult, step: int) -> SweepResult:
    """The points of a chunk (its first point numbered ``start``) whose number is a multiple of ``step``."""
    return part.take(np.arange((-start) % step, part.n_points, step))


def _log_if_wide(values: np.ndarray) -> str:
    v = values[np.isfinite(values)]
    return "log" if v.size and v.min() > 0 and v.max() / v.min() > 30 else "linear"


def fig_front(ex: Exploration, sample: SweepResult) -> Figure:
    """The first two objectives: the points of ``sample`` (grey: every :func:`plot_step`-th point)
    and the Pareto front over all objectives (red, or coloured by the third objective when there is one)."""
    (nx, hx), (ny, hy) = ex.spec.objectives[0], ex.spec.objectives[1]
    fig = new_figure(7.0, 4.8)
    ax = fig.add_subplot()
    ax.scatter(sample.column(nx), sample.column(ny), s=2, c="0.8", lw=0, label=f"design points ({ex.n_points:,})",
               rasterized=True)
    fx, fy, n_front = ex.front.column(nx), ex.front.column(ny), ex.front.n_points
    if len(ex.spec.objectives) > 2:  # colour the front by the third objective
        nz, hz = ex.spec.objectives[2]
        z = ex.front.column(nz)
        norm = LogNorm() if _log_if_wide(z) == "log" else None
        sc = ax.scatter(fx, fy, s=8, c=z, cmap="viridis", norm=norm, lw=0, label=f"Pareto front ({n_front:,})", zorder=3)
        fig.colorbar(sc, ax=ax, label=f"{nz} ({'higher' if hz else 'lower'} is better)")
    else:
        ax.scatter(fx, fy, s=8, c="tab:red", lw=0, label=f"Pareto front ({n_front:,})", zorder=3)
    ax.set_xscale(_log_if_wide(np.concatenate([sample.column(nx), fx])))
    ax.set_yscale(_log_if_wide(np.concatenate([sample.column(ny), fy])))
    ax.set_xlabel(f"{nx} ({'higher' if hx else 'lower'} is better)")
    ax.set_ylabel(f"{ny} ({'higher' if hy else 'lower'} is better)")
    more = len(ex.spec.objectives) > 2
    ax.set_title(f"{ex.spec.system.name}: {ex.spec.method} sweep ({', '.join(ex.front.axes)})"
                 + (", front over all objectives" if more else ""), fontsize=8)
    ax.legend(fontsize=8, loc="best")
    ax.grid(True, which="both", alpha=0.3)
    return fig


__all__ = ["PLOT_POINTS", "PointsNpz", "columns", "fig_front", "front_csv", "plot_sample", "plot_step"]
