"""The sweep file of ``kvpipe explore``: which system, which axes, how sampled, which objectives.

Every mistake is reported at once, each with its field path (as system files are). Layout and
meaning: docs/explore.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kvpipe.config.gpu import load_any_system
from kvpipe.config.limits import MAX_USERS, InputLimitError, brief, out_of_bounds, read_user_text
from kvpipe.config.loader import ConfigError, ErrorList, context_errors, read_yaml
from kvpipe.config.units import Kind, UnitError, parse_quantity
from kvpipe.explore.space import AxisSpec, ExploreSpec
from kvpipe.explore.sweep import AXES, METRICS, Quantity, Range
from kvpipe.system import System
from kvpipe.workload.arch import MAX_CONTEXT_TOKENS, MAX_LAYERS

METHODS = ("grid", "random", "lhs")
MAX_POINTS = 20_000_000  # one sweep; beyond it the arrays outgrow a laptop's memory
DEFAULT_OBJECTIVES = {"tokens_per_s_per_user": "max", "joules_per_token": "min"}
_KINDS = {
    Quantity.BYTES: Kind.BYTES, Quantity.BYTES_PER_S: Kind.BYTES_PER_S, Quantity.SECONDS: Kind.SECONDS,
    Quantity.J_PER_BIT: Kind.J_PER_BIT, Quantity.FLOP_PER_S: Kind.FLOP_PER_S, Quantity.WATTS: Kind.WATTS,
}
_TOP_KEYS = {"system", "method", "samples", "seed", "axes", "objectives"}


def load_explore(path: str | os.PathLike[str]) -> ExploreSpec:
    p = Path(path)
    try:
        text = read_user_text(p)
    except InputLimitError as e:
        raise ConfigError([("", e.message)], source=str(p)) from None
    except OSError as e:
        raise ConfigError([("", f"cannot read {p}: {e.strerror or e}")], source=str(p)) from None
    except UnicodeDecodeError as e:
        raise ConfigError([("", f"{p} is not UTF-8 text: {e.reason}")], source=str(p)) from None
    return parse_explore(read_yaml(text, str(p)), p.parent, str(p))


def parse_explore(raw: Any, base_dir: Path, source: str = "sweep file") -> ExploreSpec:
    errors: ErrorList = []
    if not isinstance(raw, Mapping):
        raise ConfigError([("", "expected a mapping with system, axes and (optionally) method, samples, seed, objectives")],
                          source)
    for key in raw:
        if key not in _TOP_KEYS:
            errors.append((str(key), f"unknown field (expected one of {', '.join(sorted(_TOP_KEYS))})"))
    method = raw.get("method", "grid")
    if method not in METHODS:
        errors.append(("method", f"expected one of {', '.join(METHODS)}, got {method!r}"))
    samples = _samples(raw, method, errors)
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        errors.append(("seed", f"expected a whole number >= 0, got {seed!r}"))
    axes = _axes(raw.get("axes"), method, errors)
    objectives = _objectives(raw.get("objectives", DEFAULT_OBJECTIVES), {a.name for a in axes}, errors)
    system = system_field(raw.get("system"), base_dir, errors)
    if system is not None:
        errors += _context_errors(system, axes)
    if errors:
        raise ConfigError(errors, source)
    assert system is not None
    spec = ExploreSpec(system, str(method), samples, int(seed), tuple(axes), tuple(objectives))
    if spec.n_points > MAX_POINTS:
        raise ConfigError([("axes" if method == "grid" else "samples",
                            f"{spec.n_points:,} points exceed the {MAX_POINTS:,} a sweep may hold; split it")], source)
    return spec


def _samples(raw: Mapping[str, Any], method: Any, errors: ErrorList) -> int | None:
    samples = raw.get("samples")
    if method == "grid":
        if samples is not None:
            errors.append(("samples", "a grid has the points of its axes: give steps or values per axis instead"))
        return None
    if samples is None:
        errors.append(("samples", f"required for method {method}"))
        return None
    if isinstance(samples, bool) or not isinstance(samples, int) or samples < 1:
        errors.append(("samples", f"expected a whole number >= 1, got {samples!r}"))
        return None
    return samples


# the most a whole-number axis may reach (the same bounds as a system file's)
_COUNT_LIMITS = {"users": MAX_USERS, "context": MAX_CONTEXT_TOKENS, "micro_batch": MAX_USERS, "layers_per_group": MAX_LAYERS}


def _value(v: Any, quantity: Quantity, where: str, errors: ErrorList, axis: str = "") -> float | None:
    if quantity is Quantity.FRACTION:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v <= 1:
            errors.append((where, f"expected a fraction in (0, 1], got {v!r}"))
            return None
        return float(v)
    if quantity is Quantity.COUNT:
        limit = _COUNT_LIMITS.get(axis, MAX_USERS)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 1 <= v <= limit:
            errors.append((where, f"expected a number from 1 to {limit:,}, got {brief(v)}"))
            return None
        return float(v)
    try:
        x = parse_quantity(v, _KINDS[quantity], positive=True)
    except UnitError as e:
        errors.append((where, e.message))
        return None
    problem = out_of_bounds(x, _KINDS[quantity], positive=True)
    if problem:
        errors.append((where, f"{problem}, got {brief(v)}"))
        return None
    return x


def _axes(raw: Any, method: Any, errors: ErrorList) -> list[AxisSpec]:
    if not isinstance(raw, Mapping) or not raw:
        errors.append(("axes", f"expected a mapping of one or more axes ({', '.join(AXES)})"))
        return []
    out = []
    for name, body in raw.items():
        where = f"axes.{name}"
        if name not in AXES:
            errors.append((where, f"unknown axis (expected one of {', '.join(AXES)})"))
            continue
        q = AXES[name].quantity
        if isinstance(body, list):
            if method != "grid":
                errors.append((where, f"a list of values is for method grid; give from/to for {method}"))
                continue
            vals = [_value(v, q, f"{where}[{i}]", errors, name) for i, v in enumerate(body)]
            if not body:
                errors.append((where, "an empty list"))
            if body and all(v is not None for v in vals):
                out.append(AxisSpec(name, tuple(v for v in vals if v is not None), None, None))
            continue
        if not isinstance(body, Mapping):
            errors.append((where, "expected a list of values or a mapping with from, to (and scale, steps)"))
            continue
        axis = _range_axis(name, body, method, where, errors)
        if axis is not None:
            out.append(axis)
    return out


def _range_axis(name: str, body: Mapping[str, Any], method: Any, where: str, errors: ErrorList) -> AxisSpec | None:
    n0 = len(errors)
    for key in body:
        if key not in ("from", "to", "scale", "steps"):
            errors.append((f"{where}.{key}", "unknown field (expected from, to, scale, steps)"))
    q = AXES[name].quantity
    lo = _value(body.get("from"), q, f"{where}.from", errors, name) if "from" in body else None
    hi = _value(body.get("to"), q, f"{where}.to", errors, name) if "to" in body else None
    errors.extend((f"{where}.{key}", "required") for key in ("from", "to") if key not in body)
    if lo is not None and hi is not None and lo > hi:
        errors.append((f"{where}.to", "below from"))
    scale = body.get("scale", "linear")
    if scale not in ("linear", "log"):
        errors.append((f"{where}.scale", f"expected linear or log, got {scale!r}"))
    steps = body.get("steps")
    if method == "grid":
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            errors.append((f"{where}.steps", f"a grid axis needs a whole number of steps >= 1, got {steps!r}"))
    elif steps is not None:
        errors.append((f"{where}.steps", f"steps are for method grid; {method} draws its samples"))
    if len(errors) > n0 or lo is None or hi is None:
        return None
    return AxisSpec(name, None, Range(lo, hi, scale == "log"), steps if method == "grid" else None)


def _context_errors(system: System, axes: list[AxisSpec]) -> ErrorList:
    """A context axis obeys the model's maximum as the system file's context does."""
    for axis in axes:
        if axis.name == "context":
            top = max(axis.values) if axis.values else (axis.range.high if axis.range else 0.0)
            return context_errors(system.model, int(top), system.workload.beyond_model_context, "axes.context")
    return []


def _objectives(raw: Any, axis_names: set[str], errors: ErrorList) -> list[tuple[str, bool]]:
    if not isinstance(raw, Mapping) or not raw:
        errors.append(("objectives", "expected a mapping of one or more names to max or min"))
        return []
    out = []
    for name, sense in raw.items():
        where = f"objectives.{name}"
        if name not in METRICS and name not in axis_names:
            errors.append((where, f"unknown (a figure of merit: {', '.join(METRICS)}; or an axis of this sweep)"))
        elif sense not in ("max", "min"):
            errors.append((where, f"expected max or min, got {sense!r}"))
        else:
            out.append((str(name), sense == "max"))
    return out


def system_field(raw: Any, base_dir: Path, errors: ErrorList,
                 not_spatial: str = "explore sweeps spatial pipelines; GPU systems are evaluated with kvpipe evaluate") -> System | None:
    """The ``system`` field of a file: a shipped system name or a system YAML path relative to the file."""
    if not isinstance(raw, str) or not raw:
        errors.append(("system", "required: a shipped system name (e.g. seed) or a system YAML path"))
        return None
    path = Path(raw) if Path(raw).is_absolute() else base_dir / raw
    try:
        system = load_any_system(path if path.exists() else raw)
    except ConfigError as e:
        errors.extend((f"system ({raw}): {p}" if p else f"system ({raw})", m) for p, m in e.errors)
        return None
    except ValueError as e:  # the model does not fit its chips, ...
        errors.append((f"system ({raw})", str(e)))
        return None
    if not isinstance(system, System):
        errors.append(("system", not_spatial))
        return None
    return system


__all__ = ["DEFAULT_OBJECTIVES", "MAX_POINTS", "METHODS", "load_explore", "parse_explore", "system_field"]
