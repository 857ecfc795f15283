"""Predicting published results of real systems (``validation/published.csv``), row by row.

Each row names a preset and its knobs; :func:`predict_row` builds the system from the catalog
(never from the row's published figure), evaluates it and returns predicted vs published.
Method and the meaning of every column: docs/validation.md.

Columns (the first ten are the reference table as published, with its sources):

``id, system, model_name, precision, context_note, tokens_per_s_per_user,
tokens_per_s_aggregate, chips_published, chip_note, source, firmness`` then the knobs:

* ``kind`` ``gpu`` or ``spatial``; ``preset`` a catalog GPU (gpus.yaml) or system (systems/);
* ``model`` a catalog model; ``metric`` ``tokens_per_s_per_user``, ``tokens_per_s_per_gpu``
  or ``tokens_per_s``; ``published`` the number compared against;
* ``weights``, ``kv``, ``activations`` precisions; ``batch`` sequences in flight (``max``:
  as many as the KV capacity holds); ``tensor``, ``pipeline`` GPU parallelism; ``chips`` the
  spatial machine's chip count (sets the usable SRAM fraction); ``context`` mean context
  during decode; ``prompt_tokens``, ``output_tokens`` for offline throughput (prefill
  included); ``reserve_tokens`` (optional, GPU rows) the KV a serving engine reserves per
  sequence at admission, which sets the ``max`` batch (default: ``context``); ``kv_memory``
  ``spare-sram`` for machines whose KV lives in free SRAM;
* ``target`` the issue's tolerance (0.25 GPU, 0.35 spatial); ``guard_low``, ``guard_high``
  the band a test holds each error to (the target where it is met, else the documented band
  of a known miss); ``knob_note`` why the knobs are what they are;
* optional ``date`` (when the figure was published or measured) and ``software`` (the software
  generation that produced it): carried into ``validate --json``, never used in a prediction.
"""

from __future__ import annotations

import csv
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kvpipe import catalog
from kvpipe.config.limits import MAX_TRACE_BYTES, InputLimitError, read_user_text
from kvpipe.config.loader import parse_system, read_yaml
from kvpipe.mapping.sram_kv import spare_sram_kv_memory
from kvpipe.perf.gpu import (
    evaluate_gpu,
    fit_problems,
    gpu_inputs_from_system,
    offline_tokens_per_s,
    prefill_time_s,
    system_shape,
)
from kvpipe.perf.spatial import evaluate_system
from kvpipe.system import GpuSystem, Parallelism, System, Workload
from kvpipe.workload.arch import MAX_CONTEXT_TOKENS
from kvpipe.workload.model import weight_bytes
from kvpipe.workload.precision import Precision, Precisions

METRICS = ("tokens_per_s_per_user", "tokens_per_s_per_gpu", "tokens_per_s")
KINDS = ("gpu", "spatial")
REQUIRED_COLUMNS = (
    "id", "system", "kind", "preset", "model", "metric", "published", "weights", "kv", "activations", "batch",
    "context", "target", "guard_low", "guard_high", "source", "firmness",
)


class ValidationDataError(ValueError):
    """A validation CSV that cannot be read: each error names its row and column."""

    def __init__(self, errors: list[tuple[str, str]], source: str) -> None:
        self.errors = errors
        self.source = source
        lines = [f"  {where}: {msg}" for where, msg in errors]
        super().__init__(f"{len(errors)} error{'s' if len(errors) != 1 else ''} in {source}:\n" + "\n".join(lines))


@dataclass(frozen=True)
class Row:
    id: str
    system: str
    kind: str
    preset: str
    model: str
    metric: str
    published: float
    precisions: Precisions
    batch: int | None  # None: as many as fit ("max")
    tensor: int
    pipeline: int
    chips: int | None
    context: int
    reserve_tokens: int  # KV tokens held per sequence for the "max" batch (V1)
    prompt_tokens: int | None
    output_tokens: int | None
    kv_memory: str
    target: float
    guard_low: float
    guard_high: float
    source: str
    firmness: str
    note: str
    date: str = ""
    software: str = ""


@dataclass(frozen=True)
class Prediction:
    row: Row
    predicted: float
    error: float  # predicted / published - 1
    binding: str  # what bounds the predicted point
    batch_used: float
    devices: int  # GPUs or chips
    implied_hop_latency_s: float | None = None  # spatial rows: the per-stage latency that would match (a diagnostic)
    stage_latency_s: float | None = None  # spatial rows: the modelled mean latency per communication stage (C4)

    @property
    def within_target(self) -> bool:
        return abs(self.error) <= self.row.target

    @property
    def within_guard(self) -> bool:
        return self.row.guard_low <= self.error <= self.row.guard_high


# --- reading -------------------------------------------------------------------------------


def _precision(value: str) -> Precision:
    return Precision(value.strip().lower())


def read_rows(path: str | Path) -> list[Row]:
    """Read a validation CSV; every bad cell is reported at once."""
    p = Path(path)
    try:
        text = read_user_text(p, MAX_TRACE_BYTES)
    except InputLimitError as e:
        raise ValidationDataError([("file", e.message)], str(p)) from None
    except OSError as e:
        raise ValidationDataError([("file", f"cannot read {p}: {e.strerror or e}")], str(p)) from None
    except UnicodeDecodeError as e:
        raise ValidationDataError([("file", f"{p} is not UTF-8 text ({e.reason} at byte {e.start})")], str(p)) from None
    return parse_rows(text.splitlines(), str(p))


MAX_WHOLE = MAX_CONTEXT_TOKENS  # any count in a row (batch, GPUs, chips, tokens): kvpipe's context bound


def parse_rows(lines: Iterable[str], source: str = "validation CSV") -> list[Row]:
    reader = csv.DictReader(lines)
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ValidationDataError([("header", f"missing columns: {', '.join(missing)}")], source)
    rows: list[Row] = []
    errors: list[tuple[str, str]] = []
    for n, rec in enumerate(reader, start=2):
        if not any((v or "").strip() for v in rec.values()):
            continue
        row = _parse_row(rec, f"line {n}", errors)
        if row is not None:
            rows.append(row)
    if errors:
        raise ValidationDataError(errors, source)
    if not rows:
        raise ValidationDataError([("rows", "no data rows")], source)
    return rows


def _parse_row(rec: dict[str, Any], where: str, errors: list[tuple[str, str]]) -> Row | None:
    n0 = len(errors)

    def cell(name: str) -> str:
        return str(rec.get(name) or "").strip()

    def number(name: str, *, whole: bool = False, optional: bool = False, positive: bool = True) -> Any:
        text = cell(name)
        if not text:
            if not optional:
                errors.append((f"{where}, column {name}", "required"))
            return None
        try:
            v = float(text)
        except ValueError:
            errors.append((f"{where}, column {name}", f"expected a number, got {text!r}"))
            return None
        if not math.isfinite(v) or (positive and v <= 0):
            errors.append((f"{where}, column {name}", f"expected a finite number{' > 0' if positive else ''}, got {text!r}"))
            return None
        if whole:
            if not v.is_integer():
                errors.append((f"{where}, column {name}", f"expected a whole number, got {text!r}"))
                return None
            if v > MAX_WHOLE:
                errors.append((f"{where}, column {name}", f"at most {MAX_WHOLE:,} (kvpipe's bound), got {text!r}"))
                return None
            return int(v)
        return v

    kind = cell("kind")
    if kind not in KINDS:
        errors.append((f"{where}, column kind", f"expected one of {', '.join(KINDS)}, got {kind!r}"))
    metric = cell("metric")
    if metric not in METRICS:
        errors.append((f"{where}, column metric", f"expected one of {', '.join(METRICS)}, got {metric!r}"))
    model = cell("model")
    if model not in catalog.names("model"):
        errors.append((f"{where}, column model", f"unknown catalog model {model!r}; known: {', '.join(catalog.names('model'))}"))
    preset = cell("preset")
    known = catalog.names("gpu") if kind == "gpu" else catalog.names("system")
    if kind in KINDS and preset not in known:
        errors.append((f"{where}, column preset", f"unknown {kind} preset {preset!r}; known: {', '.join(known)}"))
    precs = []
    for col in ("weights", "kv", "activations"):
        try:
            precs.append(_precision(cell(col)))
        except ValueError:
            formats = ", ".join(p.value for p in Precision)
            errors.append((f"{where}, column {col}", f"expected a precision ({formats}), got {cell(col)!r}"))
    batch_text = cell("batch").lower()
    batch = None if batch_text == "max" else number("batch", whole=True)
    tensor = number("tensor", whole=True, optional=True) or 1
    pipeline = number("pipeline", whole=True, optional=True) or 1
    chips = number("chips", whole=True, optional=True)
    context = number("context", whole=True)
    reserve = number("reserve_tokens", whole=True, optional=True)
    if reserve is not None and kind == "spatial":
        errors.append((f"{where}, column reserve_tokens", "applies to GPU rows (a spatial row's KV is what its context holds)"))
    elif reserve is not None and context is not None and reserve < context:
        errors.append((f"{where}, column reserve_tokens", f"{reserve} is below the context {context}: a sequence holds at least its context"))
    prompt = number("prompt_tokens", whole=True, optional=True)
    output = number("output_tokens", whole=True, optional=True)
    if (prompt is None) != (output is None):
        errors.append(
            (f"{where}, columns prompt_tokens/output_tokens", "give both (offline throughput) or neither (decode only)")
        )
    published = number("published")
    target = number("target")
    low = number("guard_low", positive=False)
    high = number("guard_high", positive=False)
    if low is not None and high is not None and low > high:
        errors.append((f"{where}, columns guard_low/guard_high", f"guard_low {low} is above guard_high {high}"))
    if metric == "tokens_per_s_per_gpu" and kind != "gpu":
        errors.append((f"{where}, column metric", "tokens_per_s_per_gpu is a GPU metric"))
    kv_memory = cell("kv_memory")
    if kv_memory not in ("", "spare-sram", "preset"):
        errors.append((f"{where}, column kv_memory", f"expected spare-sram, preset or empty, got {kv_memory!r}"))
    if len(errors) > n0:
        return None
    return Row(
        id=cell("id"), system=cell("system"), kind=kind, preset=preset, model=model, metric=metric,
        published=published, precisions=Precisions(*precs), batch=batch, tensor=tensor, pipeline=pipeline,
        chips=chips, context=context, reserve_tokens=reserve or context, prompt_tokens=prompt, output_tokens=output, kv_memory=kv_memory or "preset",
        target=target, guard_low=low, guard_high=high, source=cell("source"), firmness=cell("firmness"),
        note=cell("knob_note"), date=cell("date"), software=cell("software"),
    )


# --- predicting ------------------------------------------------------------------------------


def gpu_system_for(row: Row) -> GpuSystem:
    gpu = catalog.gpu(row.preset)
    return GpuSystem(
        name=row.system,
        model=catalog.model(row.model),
        gpu=gpu,
        link=catalog.link(gpu.link),
        precisions=row.precisions,
        parallelism=Parallelism(tensor=row.tensor, pipeline=row.pipeline),
        workload=Workload(users=row.batch or 1, context_tokens=row.context, micro_batch=1),
    )


def spatial_system_for(row: Row) -> System:
    raw = dict(read_yaml(catalog.system_yaml(row.preset), f"catalog systems/{row.preset}.yaml"))
    raw["model"] = row.model
    p = row.precisions
    raw["precisions"] = {"weights": p.weights.value, "kv": p.kv.value, "activations": p.activations.value}
    raw["workload"] = {"users": row.batch or 1, "context": row.context, "micro_batch": 1}
    system = parse_system(raw, source=f"validation row {row.id}", default_name=row.preset)
    if row.chips is not None:
        # the published chip count: spread the weights evenly over exactly that many chips
        w = weight_bytes(system.model, system.precisions)
        frac = w / (row.chips * system.chip.sram_bytes) * (1.0 + 1e-9)
        if frac > 1.0:
            raise ValueError(f"row {row.id}: {w / 1e9:.4g} GB of weights do not fit in {row.chips} chips of "
                             f"{system.chip.sram_bytes / 1e9:.4g} GB SRAM")
        system = replace(system, mapping=replace(system.mapping, usable_sram_fraction=frac))
    if row.kv_memory == "spare-sram":
        system = replace(system, kv_memory=spare_sram_kv_memory(system))
    return system


def predict_row(row: Row) -> Prediction:
    if row.kind == "gpu":
        return _predict_gpu(row)
    return _predict_spatial(row)


def _predict_gpu(row: Row) -> Prediction:
    system = gpu_system_for(row)
    problems = fit_problems(system)
    if problems:
        raise ValueError(f"row {row.id}: " + "; ".join(f"{f}: {m}" for f, m in problems))
    shape = system_shape(system)
    inputs = gpu_inputs_from_system(system)
    users = row.batch
    if users is None:  # (V1) "max": as many sequences as the KV capacity holds, each holding reserve_tokens
        full = inputs.with_(users=1e12, context_tokens=row.reserve_tokens)
        users = int(evaluate_gpu(shape, full).perf.max_users_kv_capacity)
    r = evaluate_gpu(shape, inputs.with_(users=users))
    if row.prompt_tokens is not None and row.output_tokens is not None:
        x = float(offline_tokens_per_s(r, prefill_time_s(shape, inputs, row.prompt_tokens), row.output_tokens))
    else:
        x = float(r.perf.tokens_per_s)
    gpus = shape.gpus
    value = {
        "tokens_per_s": x,
        "tokens_per_s_per_gpu": x / gpus,
        "tokens_per_s_per_user": x / max(float(r.perf.users_in_flight), 1.0),
    }[row.metric]
    return Prediction(row, value, value / row.published - 1.0, str(r.detail_labels()), float(r.perf.users_in_flight), gpus)


LATENCY_BOUND = ("pipeline_depth", "kv_latency")  # limits under which per-user speed is 1 / latency


def _predict_spatial(row: Row) -> Prediction:
    system = spatial_system_for(row)
    r = evaluate_system(system)
    value = {
        "tokens_per_s": float(r.tokens_per_s),
        "tokens_per_s_per_user": float(r.tokens_per_s_per_user),
    }[row.metric]
    implied = None
    stage = float(r.comm_latency_s) / r.comm_stages_per_token if r.comm_stages_per_token else None
    if row.metric == "tokens_per_s_per_user" and str(r.binding_labels()) in LATENCY_BOUND and r.comm_stages_per_token:
        # (V2) latency = processing + communication: the mean latency per communication stage
        # that would give the published speed
        processing = float(r.latency_s) - float(r.comm_latency_s)
        implied = (1.0 / row.published - processing) / r.comm_stages_per_token
    return Prediction(
        row, value, value / row.published - 1.0, str(r.binding_labels()), float(r.users_in_flight), r.chips, implied,
        stage,
    )


def predict_all(rows: Sequence[Row]) -> list[Prediction]:
    return [predict_row(r) for r in rows]


@dataclass(frozen=True)
class GroupSummary:
    """The rows of one system, model, parallelism and weight precision (a column of a vendor table)."""

    system: str
    model: str
    tensor: int
    pipeline: int
    weights: str
    rows: int
    median_error: float  # signed: is the model optimistic (+) or pessimistic (-) here
    median_abs_error: float
    within_target: int


def group_summaries(preds: Sequence[Prediction]) -> list[GroupSummary]:
    """One summary per (system, model, tensor, pipeline, weights), in the rows' order."""
    groups: dict[tuple[str, str, int, int, str], list[Prediction]] = {}
    for p in preds:
        r = p.row
        groups.setdefault((r.system, r.model, r.tensor, r.pipeline, r.precisions.weights.value), []).append(p)
    return [
        GroupSummary(
            system=k[0], model=k[1], tensor=k[2], pipeline=k[3], weights=k[4], rows=len(g),
            median_error=float(statistics.median(p.error for p in g)), median_abs_error=median_abs_error(g),
            within_target=sum(p.within_target for p in g),
        )
        for k, g in groups.items()
    ]


def median_abs_error(preds: Sequence[Prediction]) -> float:
    return float(statistics.median(abs(p.error) for p in preds)) if preds else math.nan


def default_published_csv() -> Path:
    """``validation/published.csv`` of the working directory, else of the source checkout."""
    return _default("published.csv")


def default_measured_dir() -> Path:
    return _default("measured")


def _default(name: str) -> Path:
    here = Path.cwd() / "validation" / name
    if here.exists():
        return here
    return Path(__file__).resolve().parents[3] / "validation" / name


__all__ = [
    "METRICS", "GroupSummary", "Prediction", "Row", "ValidationDataError", "default_measured_dir", "default_published_csv",
    "gpu_system_for", "group_summaries", "median_abs_error", "parse_rows", "predict_all", "predict_row", "read_rows",
    "spatial_system_for",
]
