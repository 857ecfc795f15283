"""``kvpipe validate``: predicted vs published for every row, errors and their median.

JSON (``--json``): ``rows`` (each with ``system``, ``model``, ``metric``, ``published``,
``predicted``, ``error`` and the row's knobs and verdict), ``median_abs_error``, ``groups``
(per system, model, parallelism and weight precision: rows, signed and absolute median error), and
``measured`` (rows of ``validation/measured/*.csv`` with their own median). Method:
docs/validation.md.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from rich.table import Table

from kvpipe.cli.errors import UserError
from kvpipe.cli.output import json_number
from kvpipe.report.format import fmt_number, fmt_percent
from kvpipe.validation import (
    MeasuredReport,
    Prediction,
    ValidationDataError,
    compare_measured,
    default_measured_dir,
    default_published_csv,
    group_summaries,
    median_abs_error,
    predict_all,
    read_rows,
)


def validation_json(preds: list[Prediction], measured: MeasuredReport, data: str) -> dict[str, Any]:
    rows = []
    for p in preds:
        r = p.row
        rows.append({
            "id": r.id,
            "system": r.system,
            "model": r.model,
            "metric": r.metric,
            "published": json_number(r.published),
            "predicted": json_number(p.predicted),
            "error": json_number(p.error),
            "kind": r.kind,
            "preset": r.preset,
            "knobs": {
                "weights": r.precisions.weights.value,
                "kv": r.precisions.kv.value,
                "activations": r.precisions.activations.value,
                "batch": "max" if r.batch is None else r.batch,
                "batch_used": json_number(p.batch_used),
                "tensor": r.tensor,
                "pipeline": r.pipeline,
                "chips": r.chips,
                "devices": p.devices,
                "context": r.context,
                "reserve_tokens": r.reserve_tokens,
                "prompt_tokens": r.prompt_tokens,
                "output_tokens": r.output_tokens,
            },
            "binding": p.binding,
            "target": r.target,
            "within_target": p.within_target,
            "guard": [r.guard_low, r.guard_high],
            "within_guard": p.within_guard,
            "implied_hop_latency_s": json_number(p.implied_hop_latency_s) if p.implied_hop_latency_s is not None else None,
            "stage_latency_s": json_number(p.stage_latency_s) if p.stage_latency_s is not None else None,
            "source": r.source,
            "date": r.date,
            "software": r.software,
        })
    gpu = [p for p in preds if p.row.kind == "gpu"]
    spatial = [p for p in preds if p.row.kind == "spatial"]
    return {
        "data": data,
        "rows": rows,
        "median_abs_error": json_number(median_abs_error(preds)),
        "median_abs_error_gpu": json_number(median_abs_error(gpu)) if gpu else None,
        "median_abs_error_spatial": json_number(median_abs_error(spatial)) if spatial else None,
        "rows_within_target": sum(p.within_target for p in preds),
        "groups": [
            {
                "system": g.system, "model": g.model, "tensor": g.tensor, "pipeline": g.pipeline, "weights": g.weights,
                "rows": g.rows, "median_error": json_number(g.median_error),
                "median_abs_error": json_number(g.median_abs_error), "within_target": g.within_target,
            }
            for g in group_summaries(preds)
        ],
        "measured": {
            "rows": [
                {
                    "file": m.file, "device": m.device, "preset": m.preset, "dtype": m.dtype, "batch": m.batch,
                    "context": m.context, "metric": "step_time_s", "published": json_number(m.measured_s),
                    "predicted": json_number(m.predicted_s), "error": json_number(m.error),
                }
                for m in measured.rows
            ],
            "skipped": [{"where": w, "why": why} for w, why in measured.skipped],
            "median_abs_error": json_number(measured.median_abs_error) if measured.rows else None,
        },
    }


def _signed_pct(x: float) -> str:
    """An error as a signed percentage (``+12.3 %``); n/a when undefined."""
    return ("+" if math.isfinite(x) and x > 0 else "") + fmt_percent(x)


def print_validation(preds: list[Prediction], measured: MeasuredReport, data: str, measured_dir: str | None = None) -> None:
    from kvpipe.cli.tables import make_console

    con = make_console()
    t = Table(title=f"kvpipe validate: {data}", title_justify="left")
    for col, just in (("system", "left"), ("model", "left"), ("metric", "left"), ("published", "right"),
                      ("predicted", "right"), ("error", "right"), ("target", "right"), ("", "center"), ("bound by", "left")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for p in preds:
        r = p.row
        mark = "[green]ok[/green]" if p.within_target else "[red]miss[/red]"
        t.add_row(r.system, r.model, r.metric, fmt_number(r.published, 4), fmt_number(p.predicted, 4), _signed_pct(p.error),
                  f"±{r.target * 100:g} %", mark, p.binding)
    con.print(t)
    con.print(f"median absolute error: {median_abs_error(preds) * 100:.1f} % over {len(preds)} rows "
              f"({sum(p.within_target for p in preds)} within their target)")
    for kind, label in (("spatial", "spatial rows"), ("gpu", "GPU rows")):
        part = [p for p in preds if p.row.kind == kind]
        if part:
            con.print(f"  {label}: median absolute error {median_abs_error(part) * 100:.1f} % over {len(part)} "
                      f"({sum(p.within_target for p in part)} within their target)")
    groups = group_summaries(preds)
    if len(groups) < len(preds):  # some group has several rows: summarise them
        g_t = Table(title="by system, model and parallelism", title_justify="left")
        for col in ("system", "model", "TP x PP", "weights", "rows", "median error", "median |error|", "within target"):
            g_t.add_column(col, justify="left" if col in ("system", "model", "weights") else "right")
        for g in groups:
            g_t.add_row(g.system, g.model, f"{g.tensor} x {g.pipeline}", g.weights, str(g.rows), _signed_pct(g.median_error),
                        fmt_percent(g.median_abs_error), f"{g.within_target}/{g.rows}")
        con.print(g_t)
    for p in preds:
        if p.implied_hop_latency_s is not None and not p.within_target:
            modelled = f", the model {p.stage_latency_s * 1e6:.2f} us" if p.stage_latency_s is not None else ""
            con.print(f"  {p.row.id}: the published speed implies {p.implied_hop_latency_s * 1e6:.2f} us per "
                      f"communication stage on average{modelled} (diagnostic, not used)")
    folder = measured_dir or "validation/measured"
    if measured.rows:
        m = Table(title=f"measured decode step times ({folder})", title_justify="left")
        for col in ("file", "device", "preset", "batch", "context", "measured", "predicted", "error"):
            m.add_column(col, justify="right" if col in ("batch", "context", "measured", "predicted", "error") else "left")
        for row in measured.rows:
            m.add_row(row.file, row.device, row.preset, str(row.batch), str(row.context),
                      f"{row.measured_s * 1e3:.3f} ms", f"{row.predicted_s * 1e3:.3f} ms", _signed_pct(row.error))
        con.print(m)
        con.print(f"measured: median absolute error {measured.median_abs_error * 100:.1f} % over {len(measured.rows)} rows")
    else:
        con.print(f"measured: no CSV in {folder} yet (benchmarks/gpu_decode.py writes them)")
    for where, why in measured.skipped:
        con.print(f"  skipped {where}: {why}")


def run_validate(args: argparse.Namespace) -> int:
    files = [Path(d) for d in args.data] if args.data else [default_published_csv()]
    data = ", ".join(map(str, files))
    folder = Path(args.measured) if args.measured else default_measured_dir()
    if args.measured and not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise UserError(f"  --measured: {folder} {what} (give the folder that holds the measured CSVs)")
    try:
        preds = predict_all([row for f in files for row in read_rows(f)])
        measured = compare_measured(folder)
    except ValidationDataError as e:
        raise UserError("\n".join(f"  {where}: {msg}" for where, msg in e.errors) + f"\n  (in {e.source})") from None
    except ValueError as e:
        raise UserError(f"  {e}") from None
    if args.json:
        print(json.dumps(validation_json(preds, measured, data), indent=2))
    else:
        print_validation(preds, measured, data, str(folder))
    return 0
