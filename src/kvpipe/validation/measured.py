"""Comparing the GPU model with decode step times measured by ``benchmarks/gpu_decode.py``.

Every ``*.csv`` in ``validation/measured/`` is one run on one device. Columns (written by the
benchmark): ``device, gpu_preset, dtype, hidden_size, intermediate_size, num_hidden_layers,
num_attention_heads, num_key_value_heads, vocab_size, batch, context, step_time_s`` (more
columns are ignored). Each row is predicted on one GPU (tensor = pipeline = 1) of the preset
named in ``gpu_preset`` (or recognised in ``device``): the model's decode step time (GS6)
against the measured one. Rows whose device maps to no preset, or whose dtype the preset has
no FLOP/s for, are skipped with the reason.
"""

from __future__ import annotations

import csv
import math
import statistics
from dataclasses import dataclass
from pathlib import Path

from kvpipe import catalog
from kvpipe.perf.gpu import evaluate_gpu_system
from kvpipe.system import GpuSystem, Parallelism, Workload
from kvpipe.validation.published import ValidationDataError
from kvpipe.workload import Precision, Precisions, build_model, parse_arch

MEASURED_COLUMNS = (
    "device", "dtype", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "vocab_size", "batch", "context", "step_time_s",
)
_DEVICE_HINTS = (("h200", "h200"), ("h100", "h100-sxm"), ("b200", "b200"), ("mi300x", "mi300x"))
_DTYPES = {
    "bfloat16": "bf16", "bf16": "bf16", "float16": "fp16", "fp16": "fp16", "half": "fp16", "float32": "fp32", "fp32": "fp32",
}


@dataclass(frozen=True)
class MeasuredPrediction:
    file: str
    device: str
    preset: str
    dtype: str
    batch: int
    context: int
    measured_s: float
    predicted_s: float

    @property
    def error(self) -> float:
        return self.predicted_s / self.measured_s - 1.0


@dataclass(frozen=True)
class MeasuredReport:
    rows: tuple[MeasuredPrediction, ...]
    skipped: tuple[tuple[str, str], ...]  # (file:line, reason)

    @property
    def median_abs_error(self) -> float:
        return float(statistics.median(abs(r.error) for r in self.rows)) if self.rows else math.nan


def preset_for_device(device: str, given: str = "") -> str | None:
    if given and given in catalog.names("gpu"):
        return given
    d = device.lower().replace(" ", "")
    for hint, preset in _DEVICE_HINTS:
        if hint in d:
            return preset
    return None


def compare_measured(folder: str | Path) -> MeasuredReport:
    """Predict every row of every CSV in ``folder`` (none: an empty report)."""
    rows: list[MeasuredPrediction] = []
    skipped: list[tuple[str, str]] = []
    p = Path(folder)
    files = sorted(p.glob("*.csv")) if p.is_dir() else []
    for f in files:
        r, s = compare_file(f)
        rows += r
        skipped += s
    return MeasuredReport(tuple(rows), tuple(skipped))


def compare_file(path: str | Path) -> tuple[list[MeasuredPrediction], list[tuple[str, str]]]:
    p = Path(path)
    try:
        with p.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in MEASURED_COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise ValidationDataError([("header", f"missing columns: {', '.join(missing)}")], str(p))
            records = list(reader)
    except OSError as e:
        raise ValidationDataError([("file", f"cannot read {p}: {e.strerror or e}")], str(p)) from None
    except UnicodeDecodeError as e:
        raise ValidationDataError([("file", f"{p} is not UTF-8 text ({e.reason} at byte {e.start})")], str(p)) from None
    out: list[MeasuredPrediction] = []
    skipped: list[tuple[str, str]] = []
    cache: dict[tuple[str, ...], GpuSystem] = {}
    for n, rec in enumerate(records, start=2):
        where = f"{p.name}:{n}"
        preset = preset_for_device(rec.get("device", ""), (rec.get("gpu_preset") or "").strip())
        if preset is None:
            skipped.append((where, f"device {rec.get('device')!r} matches no GPU preset ({', '.join(catalog.names('gpu'))})"))
            continue
        dtype = _DTYPES.get((rec.get("dtype") or "").strip().lower().removeprefix("torch."))
        if dtype is None:
            skipped.append((where, f"unknown dtype {rec.get('dtype')!r}"))
            continue
        try:
            arch = {k: int(float(rec[k])) for k in MEASURED_COLUMNS[2:8]}
            batch, context = int(float(rec["batch"])), int(float(rec["context"]))
            measured = float(rec["step_time_s"])
        except (TypeError, ValueError) as e:
            raise ValidationDataError([(where, f"not a number: {e}")], str(p)) from None
        gpu = catalog.gpu(preset)
        if not _has_rate(gpu, Precision(dtype)):
            skipped.append((where, f"{preset} has no peak FLOP/s for {dtype}"))
            continue
        key = (preset, dtype, *map(str, arch.values()))
        base = cache.get(key)
        if base is None:
            cfg = {
                "architectures": ["LlamaForCausalLM"],
                "hidden_size": arch["hidden_size"],
                "intermediate_size": arch["intermediate_size"],
                "num_hidden_layers": arch["num_hidden_layers"],
                "num_attention_heads": arch["num_attention_heads"],
                "num_key_value_heads": arch["num_key_value_heads"],
                "vocab_size": arch["vocab_size"],
                "tie_word_embeddings": False,
            }
            pr = Precision(dtype)
            base = GpuSystem(
                name=f"measured-{preset}",
                model=build_model(parse_arch(cfg, name="benchmark-llama")),
                gpu=gpu,
                link=catalog.link(gpu.link),
                precisions=Precisions(pr, pr, pr),
                parallelism=Parallelism(1, 1, usable_hbm_fraction=1.0),
            )
            cache[key] = base
        system = GpuSystem(
            name=base.name, model=base.model, gpu=base.gpu, link=base.link, precisions=base.precisions,
            parallelism=base.parallelism, workload=Workload(users=batch, context_tokens=context),
        )
        r = evaluate_gpu_system(system)
        out.append(MeasuredPrediction(
            file=p.name, device=rec.get("device", ""), preset=preset, dtype=dtype, batch=batch, context=context,
            measured_s=measured, predicted_s=float(r.t_stage_s),
        ))
    return out, skipped


def _has_rate(gpu: object, p: Precision) -> bool:
    try:
        gpu.flop_rate(p)  # type: ignore[attr-defined]
    except KeyError:
        return False
    return True


__all__ = ["MEASURED_COLUMNS", "MeasuredPrediction", "MeasuredReport", "compare_file", "compare_measured", "preset_for_device"]
