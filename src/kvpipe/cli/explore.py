"""``kvpipe explore FILE``: sweep a system's continuous knobs and report the Pareto front.

Writes to ``--out`` (default ``out/explore/<file stem>/``), each file atomically:
``front.csv`` (the front's points), ``points.npz`` (every point, numpy arrays), ``front.png``
(first two objectives) when there are two or more, and ``summary.json``. Method: docs/explore.md.
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
from kvpipe.report.files import write_bytes_atomic

if TYPE_CHECKING:
    from kvpipe.explore.space import Exploration

_SHOWN = 15  # front rows printed (evenly spaced along the front)


def add_explore_parser(sub: Any) -> None:
    ep = sub.add_parser("explore", help="sweep a system's knobs (grid, random, Latin hypercube) and find the Pareto front")
    ep.add_argument("file", help="sweep file (YAML: system, axes, method, samples, seed, objectives; docs/explore.md)")
    ep.add_argument("--out", help="output directory (default: out/explore/<file stem>)")
    ep.add_argument("--json", action="store_true", help="print one JSON object: the summary and where the files are")
    ep.set_defaults(func=run_explore)


def _shown(front: np.ndarray) -> np.ndarray:
    if front.size <= _SHOWN:
        return front
    return front[np.unique(np.linspace(0, front.size - 1, _SHOWN).round().astype(int))]


def summary(ex: Exploration, seconds: float, files: dict[str, str]) -> dict[str, Any]:
    r = ex.result
    rows = []
    for i in _shown(ex.front):
        row: dict[str, Any] = {c: json_number(float(r.column(c)[i])) for c in [*r.axes, *r.metrics]}
        row["binding_limit"] = str(r.binding[i])
        rows.append(row)
    return {
        "system": ex.spec.system.name,
        "chips": [int(r.metrics["chips"].min()), int(r.metrics["chips"].max())],
        "method": ex.spec.method,
        "axes": list(r.axes),
        "objectives": {name: ("max" if hib else "min") for name, hib in ex.spec.objectives},
        "points": r.n_points,
        "seconds": json_number(seconds),
        "points_per_s": json_number(r.n_points / seconds) if seconds > 0 else None,
        "front_size": int(ex.front.size),
        "front_sample": rows,
        "files": files,
    }


def run_explore(args: argparse.Namespace) -> int:
    from kvpipe.config.explore import load_explore
    from kvpipe.explore.space import explore
    from kvpipe.report.explore import fig_front, front_csv, points_npz
    from kvpipe.report.figures import render_png

    spec = load_explore(args.file)  # mistakes: ConfigError, reported by main with exit 2
    t0 = time.perf_counter()
    ex = explore(spec)
    seconds = time.perf_counter() - t0
    out = Path(args.out) if args.out else Path("out") / "explore" / Path(args.file).stem
    blobs = {"front.csv": front_csv(ex), "points.npz": points_npz(ex)}
    if len(spec.objectives) >= 2:
        blobs["front.png"] = render_png(fig_front(ex))
    files = {name: str(out / name) for name in [*blobs, "summary.json"]}
    doc = summary(ex, seconds, files)
    blobs["summary.json"] = (json.dumps(doc, indent=2) + "\n").encode("utf-8")
    for name, data in blobs.items():
        write_bytes_atomic(out / name, data)
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        _print(ex, doc)
    return 0


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
        "power_w": f.fmt_watts, "users_in_flight": f.fmt_count, "chips": f.fmt_count, "silicon_mm2": f.fmt_mm2,
    })
    return out


_HEADERS = {
    "tokens_per_s_per_user": "tokens/s per user", "tokens_per_s": "tokens/s", "joules_per_token": "J/token",
    "time_per_token_s": "time per token", "power_w": "power", "users_in_flight": "in flight", "binding_limit": "bound by",
    "silicon_mm2": "logic silicon",
}


def _print(ex: Exploration, doc: dict[str, Any]) -> None:
    from kvpipe.cli.tables import make_console

    con = make_console()
    fmt = _formatters()
    r = ex.result
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
