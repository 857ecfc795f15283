"""The target file of ``kvpipe memory design``: what the KV DRAM must supply, its budget, and
the device space to search. Every mistake is reported at once, each with its field path.

Layout (docs/memory.md, "Inverse design")::

    system: seed                  # optional: a shipped system or a system YAML (relative to this file)
    model: llama-3.1-405b         # optional, with system: another catalog model on the same parts
    users: 128                    # optional, with system: the load (default: the system's workload);
                                  # operating_point: the study's users at 90 % of single-user speed
    context: 8192
    tokens_per_s_per_user: 5000   # optional: default what the pipeline sustains
    joules_per_token: 0.1         # optional: default KV <= half of J/token
    reference: HBM3E              # the device the factors compare against (default HBM3E)
    better_than_reference: {pj_per_bit: 3, bw_per_reticle_die: 5}
    requirements: {bw_per_reticle_die: 40 TB/s, pj_per_bit: 1 pJ/bit, capacity_per_reticle_die: 8 GB}
    budget: {thermal_limit: 0.5 W/mm2, logic_power_density: 0.36 W/mm2}
    space: {channels_per_layer: [512, 1024], data_rate: [2 Gb/s, 4 Gb/s], bond_pitch: [3 um, 9 um], ...}
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kvpipe import catalog
from kvpipe.catalog.entry import unknown_name_message
from kvpipe.config.explore import system_field
from kvpipe.config.loader import ConfigError, ErrorList, context_errors, read_yaml
from kvpipe.config.units import Kind, UnitError, parse_quantity
from kvpipe.explore.budgets import STACK_THERMAL_LIMIT_W_PER_MM2
from kvpipe.explore.device_design import DesignSpace
from kvpipe.system import System
from kvpipe.workload import Model

OPERATING_POINT = "operating_point"
MAX_CANDIDATES = 2_000_000  # ~0.4 kB per candidate: one search stays under ~1 GB
_TOP_KEYS = {"system", "model", "users", "context", "tokens_per_s_per_user", "joules_per_token", "reference",
             "better_than_reference", "requirements", "budget", "space"}
_FACTOR_KEYS = {"pj_per_bit", "bw_per_reticle_die"}
_REQUIREMENT_KINDS = {"bw_per_reticle_die": Kind.BYTES_PER_S, "pj_per_bit": Kind.J_PER_BIT,
                      "capacity_per_reticle_die": Kind.BYTES}
_BUDGET_KEYS = {"thermal_limit", "logic_power_density"}
# space key -> (DesignSpace field, kind of each value or None for a whole count, factor to the field's unit)
_SPACE: dict[str, tuple[str, Kind | None, float]] = {
    "channels_per_layer": ("channels_per_layer", None, 1.0),
    "banks_per_channel": ("banks_per_channel", None, 1.0),
    "subarrays_per_bank": ("subarrays_per_bank", None, 1.0),
    "row_bytes": ("row_bytes", Kind.BYTES, 1.0),
    "io_width_bits": ("io_width_bits", None, 1.0),
    "data_rate": ("data_rate_bits_per_s", Kind.BYTES_PER_S, 8.0),  # "4 Gb/s" parses as bytes/s
    "bond_pitch": ("bond_pitch_m", Kind.LENGTH_MM, 1e-3),
    "stack_height": ("stack_height", None, 1.0),
}
_NOT_SPATIAL = "the design target needs a spatial pipeline system (its KV memory is what is designed)"
_FLUX = re.compile(r"^\s*(?P<power>.+?W)\s*/\s*mm(\^?2|²)\s*$")


@dataclass(frozen=True)
class DesignTargetSpec:
    system: System | None
    users: int | None
    users_at_operating_point: bool  # users: the study's operating point (users at 90 % of single-user speed)
    context_tokens: int | None
    tokens_per_s_per_user: float | None
    joules_per_token: float | None
    reference: str
    pj_factor: float | None  # the reference's pJ/bit over the design's must be at least this
    bw_factor: float | None  # the design's bandwidth per die over the reference's must be at least this
    bw_per_die_bytes_per_s: float | None
    max_j_per_bit: float | None
    capacity_per_die_bytes: float | None
    thermal_limit_w_per_mm2: float
    logic_w_per_mm2: float | None
    space: DesignSpace


def load_design_target(path: str | os.PathLike[str]) -> DesignTargetSpec:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError([("", f"cannot read {p}: {e.strerror or e}")], source=str(p)) from None
    except UnicodeDecodeError as e:
        raise ConfigError([("", f"{p} is not UTF-8 text: {e.reason}")], source=str(p)) from None
    return parse_design_target(read_yaml(text, str(p)), p.parent, str(p))


def parse_design_target(raw: Any, base_dir: Path, source: str = "target file") -> DesignTargetSpec:
    errors: ErrorList = []
    if not isinstance(raw, Mapping):
        raise ConfigError([("", "expected a mapping (system and/or requirements, budget, space)")], source)
    for key in raw:
        if key not in _TOP_KEYS:
            errors.append((str(key), f"unknown field (expected one of {', '.join(sorted(_TOP_KEYS))})"))
    system = system_field(raw.get("system"), base_dir, errors, _NOT_SPATIAL) if "system" in raw else None
    model = _model(raw, errors)
    if model is not None and system is not None:
        system = replace(system, model=model)
    at_operating_point = raw.get("users") == OPERATING_POINT
    load = {k: _positive_number(raw, k, errors, whole=k in ("users", "context"))
            for k in ("users", "context", "tokens_per_s_per_user", "joules_per_token") if not (k == "users" and at_operating_point)}
    if "system" not in raw:
        errors.extend((k, "needs a system to apply to") for k in (*load, "model") if k in raw)
    elif system is not None:  # the model's context limit, as for the system file's own context
        ctx = int(load["context"] or system.workload.context_tokens)
        errors.extend(context_errors(system.model, ctx, system.workload.beyond_model_context, "context"))
    reference = raw.get("reference", "HBM3E")
    if not isinstance(reference, str) or not reference:
        errors.append(("reference", f"expected a device name such as HBM3E, got {reference!r}"))
        reference = "HBM3E"
    factors = _section(raw, "better_than_reference", _FACTOR_KEYS, errors)
    pj_factor = _positive_number(factors, "pj_per_bit", errors, where="better_than_reference.pj_per_bit")
    bw_factor = _positive_number(factors, "bw_per_reticle_die", errors, where="better_than_reference.bw_per_reticle_die")
    reqs = _section(raw, "requirements", set(_REQUIREMENT_KINDS), errors)
    stated = {k: _quantity(reqs, k, kind, f"requirements.{k}", errors) for k, kind in _REQUIREMENT_KINDS.items()}
    budget = _section(raw, "budget", _BUDGET_KEYS, errors)
    thermal = _flux(budget, "thermal_limit", errors)
    logic = _flux(budget, "logic_power_density", errors, positive=False)
    space = _space(raw.get("space", {}), errors)
    if "system" not in raw:
        need = ("bw_per_reticle_die", "pj_per_bit", "capacity_per_reticle_die")
        errors.extend((f"requirements.{k}", "required without a system") for k in need if k not in reqs)
        if "logic_power_density" not in budget:
            errors.append(("budget.logic_power_density", "required without a system (the logic die's W/mm^2)"))
    if errors:
        raise ConfigError(errors, source)
    n = space.n_points
    if n > MAX_CANDIDATES:
        raise ConfigError([("space", f"{n:,} candidates exceed the {MAX_CANDIDATES:,} one search may hold; narrow it")],
                          source)
    return DesignTargetSpec(
        system=system, users=_int(load.get("users")), users_at_operating_point=at_operating_point,
        context_tokens=_int(load["context"]),
        tokens_per_s_per_user=load["tokens_per_s_per_user"], joules_per_token=load["joules_per_token"],
        reference=reference, pj_factor=pj_factor, bw_factor=bw_factor,
        bw_per_die_bytes_per_s=stated["bw_per_reticle_die"], max_j_per_bit=stated["pj_per_bit"],
        capacity_per_die_bytes=stated["capacity_per_reticle_die"],
        thermal_limit_w_per_mm2=thermal if thermal is not None else STACK_THERMAL_LIMIT_W_PER_MM2,
        logic_w_per_mm2=logic, space=space,
    )


def _model(raw: Mapping[str, Any], errors: ErrorList) -> Model | None:
    """``model``: a catalog model to put on the system (its chips are placed anew)."""
    if "model" not in raw:
        return None
    value, known = raw["model"], catalog.names("model")
    if not isinstance(value, str) or value not in known:
        errors.append(("model", unknown_name_message("model", str(value), known)))
        return None
    return catalog.model(value)


def _int(x: float | None) -> int | None:
    return None if x is None else int(x)


def _section(raw: Mapping[str, Any], key: str, allowed: set[str], errors: ErrorList) -> Mapping[str, Any]:
    body = raw.get(key, {})
    if not isinstance(body, Mapping):
        errors.append((key, f"expected a mapping of {', '.join(sorted(allowed))}"))
        return {}
    for k in body:
        if k not in allowed:
            errors.append((f"{key}.{k}", f"unknown field (expected one of {', '.join(sorted(allowed))})"))
    return body


def _positive_number(d: Mapping[str, Any], key: str, errors: ErrorList, whole: bool = False,
                     where: str | None = None) -> float | None:
    if key not in d:
        return None
    v = d[key]
    ok = not isinstance(v, bool) and isinstance(v, (int, float)) and v > 0 and (not whole or float(v).is_integer())
    if not ok:
        errors.append((where or key, f"expected a {'whole ' if whole else ''}number > 0, got {v!r}"))
        return None
    return float(v)


def _quantity(d: Mapping[str, Any], key: str, kind: Kind, where: str, errors: ErrorList) -> float | None:
    if key not in d:
        return None
    try:
        return parse_quantity(d[key], kind, positive=True)
    except UnitError as e:
        errors.append((where, e.message))
        return None


def _flux(budget: Mapping[str, Any], key: str, errors: ErrorList, positive: bool = True) -> float | None:
    """A heat flux such as "0.5 W/mm2" (a bare number is W/mm^2)."""
    if key not in budget:
        return None
    v, where = budget[key], f"budget.{key}"
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        x: float | None = float(v)
    else:
        m = _FLUX.match(str(v))
        try:
            x = parse_quantity(m.group("power"), Kind.WATTS) if m else None
        except UnitError:
            x = None
    if x is None or x < 0 or (positive and x == 0):
        errors.append((where, f"expected a heat flux such as \"0.5 W/mm2\"{' > 0' if positive else ''}, got {v!r}"))
        return None
    return x


def _space(raw: Any, errors: ErrorList) -> DesignSpace:
    if not isinstance(raw, Mapping):
        errors.append(("space", f"expected a mapping of axes ({', '.join(_SPACE)}) to lists of values"))
        return DesignSpace()
    changes: dict[str, Any] = {}
    for key, body in raw.items():
        where = f"space.{key}"
        if key not in _SPACE:
            errors.append((where, f"unknown axis (expected one of {', '.join(_SPACE)})"))
            continue
        if not isinstance(body, list) or not body:
            errors.append((where, "expected a non-empty list of values"))
            continue
        name, kind, factor = _SPACE[key]
        vals = [_axis_value(v, kind, factor, f"{where}[{i}]", errors) for i, v in enumerate(body)]
        if key == "io_width_bits":
            for i, v in enumerate(vals):
                if v is not None and 256 % v:
                    errors.append((f"{where}[{i}]", f"must divide the 256-bit (32 B) burst: 8, 16, 32, 64 ..., got {v}"))
                    vals[i] = None
        if all(v is not None for v in vals):
            changes[name] = tuple(sorted({v for v in vals if v is not None}))
    return replace(DesignSpace(), **changes)


def _axis_value(v: Any, kind: Kind | None, factor: float, where: str, errors: ErrorList) -> Any:
    if kind is None:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            errors.append((where, f"expected a whole number >= 1, got {v!r}"))
            return None
        return v
    try:
        x = parse_quantity(v, kind, positive=True) * factor
    except UnitError as e:
        errors.append((where, f'expected a pin rate such as "4 Gb/s", got {v!r}' if kind is Kind.BYTES_PER_S else e.message))
        return None
    if kind is Kind.BYTES:
        if not float(x).is_integer() or x < 32 or int(x) % 32:
            errors.append((where, f"a row must be a whole number of 32 B bursts, got {v!r}"))
            return None
        return int(x)
    return x


__all__ = ["MAX_CANDIDATES", "OPERATING_POINT", "DesignTargetSpec", "load_design_target",
           "parse_design_target"]
