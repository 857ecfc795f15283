"""``kvpipe explore FILE``: sweep a system's continuous knobs and report the Pareto front.

Writes to ``--out`` (default ``out/explore/<file stem>/``), as one set with its ``manifest.json``
(docs/outputs.md): ``front.csv`` (the front's points), ``front.png`` (first two objectives) when
there are two or more, ``summary.json``, and with ``--points`` ``points.npz`` (every point, numpy
arrays, streamed to disk as the sweep goes). Method: docs/explore.md.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.table import Table

from kvpipe.cli.output import json_number

if TYPE_CHECKING:
    from kvpipe.explore.space import Exploration

_SHOWN = 15  # front rows printed (evenly spaced along the front)


def add_explore_parser(sub: Any) -> None:
    ep = sub.add_parser("explore", help="sweep a system's knobs (grid, random, Latin hypercube) and find the Pareto front")
    ep.add_argument("file", help="sweep file (YAML: system, axes, method, samples, seed, objectives; docs/explore.md)")
    ep.add_argument("--out", help="output directory (default: out/explore/<file stem>)")
    ep.add_argument("--json", action="store_true", help="print one JSON object: the summary and where the files are")
    ep.add_argument("--points", action="store_true",
                    help="also write points.npz: every point, one numpy array per column (8 bytes per point and column)")
    ep.add_argument("--quiet", action="store_true", help="no progress bar (there is none when stderr is not a terminal)")
    ep.set_defaults(func=run_explore)


def _shown(n: int) -> np.ndarray:
    if n <= _SHOWN:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, _SHOWN).round().astype(int))


def summary(ex: Exploration, seconds: float, files: dict[str, str]) -> dict[str, Any]:
    r = ex.front
    rows = []
    for i in _shown(r.n_points):
        row: dict[str, Any] = {c: json_number(float(r.column(c)[i])) for c in [*r.axes, *r.metrics]}
        row["binding_limit"] = str(r.binding[i])
        rows.append(row)
    return {
        "system": ex.spec.system.name,
        "chips": list(ex.chips),
        "method": ex.spec.method,
        "axes": list(r.axes),
        "objectives": {name: ("max" if hib else "min") for name, hib in ex.spec.objectives},
        "points": ex.n_points,
        "seconds": json_number(seconds),
        "points_per_s": json_number(ex.n_points / seconds) if seconds > 0 else None,
        "front_size": int(r.n_points),
        "front_sample": rows,
        "files": files,
    }


def run_explore(args: argparse.Namespace) -> int:
    from kvpipe.cli.progress import progress_bar
    from kvpipe.config.explore import load_explore
    from kvpipe.explore.space import explore
    from kvpipe.explore.sweep import SweepResult
    from kvpipe.report.explore import PointsNpz, fig_front, front_csv, plot_sample, plot_step
    from kvpipe.report.figures import render_png_and_clear
    from kvpipe.report.files import check_output_path, staged_output

    out = Path(args.out) if args.out else Path("out") / "explore" / Path(args.file).stem
    check_output_path(out, "--out", is_dir=True)
    spec = load_explore(args.file)  # mistakes: ConfigError, reported by main with exit 2
    names = ["front.csv", *(["front.png"] if len(spec.objectives) >= 2 else []), "summary.json",
             *(["points.npz"] if args.points else [])]
    files = {name: str(out / name) for name in names}
    with staged_output(out, "--out", command="explore", owns=OUTPUT_NAMES) as stage, \
            progress_bar("explore", spec.n_points, quiet=args.quiet, show_count=True) as progress:
        points = PointsNpz(stage.path / ".columns", spec.n_points) if args.points else None
        step = plot_step(spec.n_points)
        sample: list[SweepResult] = []

        def on_chunk(start: int, part: SweepResult) -> None:
            if points is not None:
                points.add(part)
            sample.append(plot_sample(start, part, step))
            progress(start + part.n_points)

        t0 = time.perf_counter()
        ex = explore(spec, on_chunk)
        seconds = time.perf_counter() - t0
        if points is not None:
            progress(spec.n_points, "writing points.npz")
            points.finish(stage.path / "points.npz", ex.front_index)
        (stage.path / "front.csv").write_bytes(front_csv(ex))
        if "front.png" in files:
            progress(spec.n_points, "drawing front.png")
            (stage.path / "front.png").write_bytes(render_png_and_clear(fig_front(ex, SweepResult.concat(sample))))
        doc = summary(ex, seconds, files)
        (stage.path / "summary.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        _print(ex, doc)
    return 0


OUTPUT_NAMES = ("front.csv", "front.png", "summary.json", "points.npz")  # every file explore can write


def _formatters() -> dict[str, Callable[[float], str]]:
    from kvpipe.explore.sweep import AXES, Quantity
    from kvpipe.report import format as f

    by_quantity: dict[Quantity, Callable[[float], str]] = {
        Quantity.COUNT: f.fmt_count, Quantity.BYTES: f.fmt_bytes, Quantity.BYTES_PER_S: f.fmt_bw,
        Quantity.SECONDS: f.fmt_seconds, Quantity.J_PER_BIT: f.fmt_j_per_bit, Quantity.FLOP_PER_S: f.fmt_flop_per_s,
        Quantity.WATTS: f.fmt_watts, Quantity.FRACTION: lambda v: f.fmt_number(v, 3),
    }
    out = {name: by_quantity[kind.quantity] for name, kind in AXES.items()}
    out.update({
        "tokens_per_s_per_user": lambda v: f.fmt_number(v, 4), "tokens_per_s": lambda v: f.fmt_number(v, 4),
        "joules_per_token": lambda v: f.fmt_joules(v, per="", digits=3), "time_per_token_s": f.fmt_seconds,
        "power_w": f.fmt_watts, "users_in_flight": f.fmt_count, "chips": f.fmt_count, "logic_area_mm2": f.fmt_mm2,
    })
    return out


_HEADERS = {
    "tokens_per_s_per_user": "tokens/s per user", "tokens_per_s": "tokens/s", "joules_per_token": "J/token",
    "time_per_token_s": "time per token", "power_w": "power", "users_in_flight": "in flight", "binding_limit": "bound by",
    "logic_area_mm2": "logic area",
}


def _print(ex: Exploration, doc: dict[str, Any]) -> None:
    from kvpipe.cli.tables import make_console

    con = make_console()
    fmt = _formatters()
    r = ex.front
    lo, hi = doc["chips"]
    con.print(f"{doc['system']} ({lo if lo == hi else f'{lo}-{hi}'} chips): {doc['method']} sweep of {doc['points']:,} points over "
              f"{', '.join(r.axes)} in {doc['seconds']:.2f} s ({doc['points_per_s']:,.0f} points/s)")
    objs = ", ".join(f"{k} ({v})" for k, v in doc["objectives"].items())
    t = Table(title=f"Pareto front: {doc['front_size']:,} points over {objs}" +
              (f" (showing {len(doc['front_sample'])}, evenly spaced)" if doc["front_size"] > len(doc["front_sample"]) else ""),
              title_justify="left")
    cols = [*r.axes, *r.metrics, "binding_limit"]
    for c in cols:
        t.add_column(_HEADERS.get(c, c), justify="left" if c == "binding_limit" else "right")
    for row in doc["front_sample"]:
        t.add_row(*[fmt[c](row[c]) if c != "binding_limit" else row[c].replace("_", " ") for c in cols])
    con.print(t)
    for name, path in doc["files"].items():
        con.print(f"{name}: {path}")


__all__ = ["add_explore_parser", "run_explore", "summary"]
