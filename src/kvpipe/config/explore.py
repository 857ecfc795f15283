"""The sweep file of ``kvpipe explore``: which system, which axes, how sampled, which objectives.

Validated as system files are: pydantic specs (:class:`SweepFileSpec`, one :class:`AxisBody`
per axis, its value type set by the axis's quantity) checked with ``validate_spec``, then the
rules that tie fields together, then a factory building the :class:`ExploreSpec`. Every
mistake is reported at once, each with its field path. Layout and meaning: docs/explore.md.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BeforeValidator, Field, model_validator

from kvpipe.config.gpu import load_any_system
from kvpipe.config.limits import MAX_USERS, brief
from kvpipe.config.loader import ConfigError, context_errors, read_user_file, read_yaml
from kvpipe.config.schema import (
    Count,
    ErrorList,
    Fraction,
    Name,
    Spec,
    WholeNumber,
    field_error,
    in_document_order,
    unit_field,
    validate_spec,
)
from kvpipe.config.units import Kind
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
# the most a whole-number axis may reach (the same bounds as a system file's)
_COUNT_LIMITS = {"users": MAX_USERS, "context": MAX_CONTEXT_TOKENS, "micro_batch": MAX_USERS, "layers_per_group": MAX_LAYERS}
_MISSING_HINT = {
    "system": "required: a shipped system name (e.g. seed) or a system YAML path",
    "axes": f"required: a mapping of one or more axes ({', '.join(AXES)})",
}


# --- specs ----------------------------------------------------------------------------------


def _method(value: object) -> str:
    if value not in METHODS:
        raise field_error(f"expected one of {', '.join(METHODS)}, got {brief(value)}")
    return str(value)


def _sense(value: object) -> bool:
    if value not in ("max", "min"):
        raise field_error(f"expected max or min, got {brief(value)}")
    return value == "max"


def _scale(value: object) -> bool:
    if value not in ("linear", "log"):
        raise field_error(f"expected linear or log, got {brief(value)}")
    return value == "log"


def _non_empty(what: str) -> BeforeValidator:
    def check(value: object) -> object:
        if not isinstance(value, Mapping) or not value:
            raise field_error(f"expected a mapping of one or more {what}")
        return value

    return BeforeValidator(check)


def _count_up_to(limit: int) -> BeforeValidator:
    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 1 <= value <= limit:
            raise field_error(f"expected a number from 1 to {limit:,}, got {brief(value)}")
        return float(value)

    return BeforeValidator(check)


class SweepFileSpec(Spec):
    """A sweep file; each axis body is checked against its own axis (:data:`AXIS_SPECS`)."""

    system: Name
    method: Annotated[str, BeforeValidator(_method)] = "grid"
    samples: Count | None = None
    seed: WholeNumber = 0
    axes: Annotated[dict[str, Any], _non_empty(f"axes ({', '.join(AXES)})")]
    objectives: Annotated[dict[str, Annotated[bool, BeforeValidator(_sense)]],
                          _non_empty("names to max or min")] = Field(default_factory=lambda: {
                              k: v == "max" for k, v in DEFAULT_OBJECTIVES.items()})


V = TypeVar("V")


class AxisBody(Spec, Generic[V]):
    """One axis: a list of values (``values``, written as a bare list) or a range."""

    values: list[V] | None = None
    low: V | None = Field(None, alias="from")
    to: V | None = None
    scale: Annotated[bool, BeforeValidator(_scale)] = False  # log
    steps: Count | None = None

    @model_validator(mode="before")
    @classmethod
    def _list_or_range(cls, value: object) -> object:
        if isinstance(value, list):
            return {"values": value}
        if not isinstance(value, Mapping):
            raise field_error("expected a list of values or a mapping with from, to (and scale, steps)")
        return value


def _value_type(name: str) -> Any:
    q = AXES[name].quantity
    if q is Quantity.FRACTION:
        return Fraction
    if q is Quantity.COUNT:
        return Annotated[float, _count_up_to(_COUNT_LIMITS.get(name, MAX_USERS))]
    return unit_field(_KINDS[q], positive=True)


AXIS_SPECS: dict[str, type[AxisBody[Any]]] = {name: AxisBody[_value_type(name)] for name in AXES}  # type: ignore[misc]


# --- loading ----------------------------------------------------------------------------------


def load_explore(path: str | os.PathLike[str]) -> ExploreSpec:
    p = Path(path)
    return parse_explore(read_yaml(read_user_file(p), str(p)), p.parent, str(p))


def parse_explore(raw: Any, base_dir: Path, source: str = "sweep file") -> ExploreSpec:
    if not isinstance(raw, Mapping):
        raise ConfigError([("", "expected a mapping with system, axes and (optionally) method, samples, seed, objectives")],
                          source)
    errors: ErrorList = []
    spec = validate_spec(SweepFileSpec, dict(raw), errors, _MISSING_HINT)
    method = spec.method if spec is not None else raw.get("method", "grid")
    method = method if method in METHODS else None  # a wrong method is reported; the rules below need one
    errors += _samples_errors(raw, method)
    axes = _axes(raw.get("axes"), method, errors)
    errors += _objective_errors(raw.get("objectives"), set(axes))
    system = system_field(raw["system"], base_dir, errors) if isinstance(raw.get("system"), str) and raw["system"] else None
    if system is not None:
        errors += _context_errors(system, list(axes.values()))
    if errors:
        raise ConfigError(in_document_order(errors, raw, SweepFileSpec), source)
    assert spec is not None and system is not None
    return build_explore(spec, system, tuple(axes.values()), source)


def build_explore(spec: SweepFileSpec, system: System, axes: tuple[AxisSpec, ...], source: str) -> ExploreSpec:
    """The sweep from its validated parts; refused past :data:`MAX_POINTS`."""
    built = ExploreSpec(system, spec.method, spec.samples, spec.seed, axes, tuple(spec.objectives.items()))
    if built.n_points > MAX_POINTS:
        raise ConfigError([("axes" if spec.method == "grid" else "samples",
                            f"{built.n_points:,} points exceed the {MAX_POINTS:,} a sweep may hold; split it")], source)
    return built


def _samples_errors(raw: Mapping[str, Any], method: str | None) -> ErrorList:
    if method == "grid" and "samples" in raw:
        return [("samples", "a grid has the points of its axes: give steps or values per axis instead")]
    if method not in (None, "grid") and "samples" not in raw:
        return [("samples", f"required for method {method}")]
    return []


def _axes(raw: Any, method: str | None, errors: ErrorList) -> dict[str, AxisSpec]:
    """Each axis body validated against its axis's spec, then the rules tying it to the method."""
    if not isinstance(raw, Mapping):
        return {}  # reported by the file's spec
    out = {}
    for name, body in raw.items():
        where = f"axes.{name}"
        if name not in AXES:
            errors.append((where, f"unknown axis (expected one of {', '.join(AXES)})"))
            continue
        found: ErrorList = []
        axis = validate_spec(AXIS_SPECS[name], body, found, {})
        errors += [(_under(where, path), message) for path, message in found]
        rules = _axis_rules(axis, body, method, where) if axis is not None and method is not None else []
        errors += rules
        if axis is not None and method is not None and not rules:
            out[str(name)] = _axis(str(name), axis, method)
    return out


def _under(where: str, path: str) -> str:
    path = path.removeprefix("values")  # a bare list is the spec's values
    return f"{where}.{path}" if path and not path.startswith("[") else where + path


def _axis_rules(axis: AxisBody[Any], body: Any, method: str, where: str) -> ErrorList:
    if axis.values is not None:
        if method != "grid":
            return [(where, f"a list of values is for method grid; give from/to for {method}")]
        return [] if axis.values else [(where, "an empty list")]
    errors = [(f"{where}.{key}", "required") for key in ("from", "to") if key not in body]
    if axis.low is not None and axis.to is not None and axis.low > axis.to:
        errors.append((f"{where}.to", "below from"))
    if method == "grid" and axis.steps is None:
        errors.append((f"{where}.steps", "a grid axis needs a whole number of steps >= 1"))
    elif method != "grid" and axis.steps is not None:
        errors.append((f"{where}.steps", f"steps are for method grid; {method} draws its samples"))
    return errors


def _axis(name: str, axis: AxisBody[Any], method: str) -> AxisSpec:
    if axis.values is not None:
        return AxisSpec(name, tuple(float(v) for v in axis.values), None, None)
    assert axis.low is not None and axis.to is not None  # _axis_rules required both
    return AxisSpec(name, None, Range(float(axis.low), float(axis.to), axis.scale), axis.steps if method == "grid" else None)


def _context_errors(system: System, axes: list[AxisSpec]) -> ErrorList:
    """A context axis obeys the model's maximum as the system file's context does."""
    for axis in axes:
        if axis.name == "context":
            top = max(axis.values) if axis.values else (axis.range.high if axis.range else 0.0)
            return context_errors(system.model, int(top), system.workload.beyond_model_context, "axes.context")
    return []


def _objective_errors(raw: Any, axis_names: set[str]) -> ErrorList:
    if not isinstance(raw, Mapping):
        return []  # the default, or reported by the file's spec
    return [(f"objectives.{name}", f"unknown (a figure of merit: {', '.join(METRICS)}; or an axis of this sweep)")
            for name in raw if name not in METRICS and name not in axis_names]


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


__all__ = ["AXIS_SPECS", "DEFAULT_OBJECTIVES", "MAX_POINTS", "METHODS", "AxisBody", "SweepFileSpec", "build_explore",
           "load_explore", "parse_explore", "system_field"]
