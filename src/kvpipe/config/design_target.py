"""The target file of ``kvpipe memory design``: what the KV DRAM must supply, its budget, and
the device space to search. Validated as system files are: a pydantic spec
(:class:`TargetFileSpec`) checked with ``validate_spec``, the rules that tie fields together,
then a factory building the :class:`DesignTargetSpec`. Every mistake is reported at once, each
with its field path.

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
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator

from kvpipe import catalog
from kvpipe.catalog.entry import unknown_name_message
from kvpipe.config.explore import system_field
from kvpipe.config.limits import brief
from kvpipe.config.loader import (
    ConfigError,
    context_errors,
    read_user_file,
    read_yaml,
)
from kvpipe.config.schema import (
    Bandwidth,
    Count,
    ErrorList,
    Name,
    PositiveEnergyPerBit,
    PositiveLength,
    Size,
    Spec,
    field_error,
    in_document_order,
    validate_spec,
)
from kvpipe.config.units import Kind, UnitError, parse_quantity
from kvpipe.explore.budgets import STACK_THERMAL_LIMIT_W_PER_MM2
from kvpipe.explore.device_design import DesignSpace
from kvpipe.system import System

OPERATING_POINT = "operating_point"
MAX_CANDIDATES = 2_000_000  # ~0.4 kB per candidate: one search stays under ~1 GB
_NOT_SPATIAL = "the design target needs a spatial pipeline system (its KV memory is what is designed)"
_FLUX = re.compile(r"^\s*(?P<power>.+?W)\s*/\s*mm(\^?2|²)\s*$")


# --- field validators ---------------------------------------------------------------------------


def _positive(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or value == float("inf"):
        raise field_error(f"expected a number > 0, got {brief(value)}")
    return float(value)


def _users(value: object) -> int | str:
    if value == OPERATING_POINT:
        return OPERATING_POINT
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or not float(value).is_integer():
        raise field_error(f"expected a whole number > 0 or {OPERATING_POINT}, got {brief(value)}")
    return int(value)


def _flux(positive: bool) -> BeforeValidator:
    """A heat flux such as "0.5 W/mm2" (a bare number is W/mm^2)."""

    def check(value: object) -> float:
        x: float | None = None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            x = float(value)
        elif isinstance(value, str) and (m := _FLUX.match(value)):
            try:
                x = parse_quantity(m.group("power"), Kind.WATTS)
            except UnitError:
                x = None
        if x is None or not x >= 0 or x == float("inf") or (positive and x == 0):
            raise field_error(f"expected a heat flux such as \"0.5 W/mm2\"{' > 0' if positive else ''}, got {brief(value)}")
        return x

    return BeforeValidator(check)


def _pin_rate(value: object) -> float:
    """A pin rate such as "4 Gb/s", in bits/s ("4 Gb/s" parses as bytes/s)."""
    try:
        return parse_quantity(value, Kind.BYTES_PER_S, positive=True) * 8.0
    except (UnitError, TypeError):
        raise field_error(f'expected a pin rate such as "4 Gb/s", got {brief(value)}') from None


def _row(value: float) -> int:
    if not float(value).is_integer() or value < 32 or int(value) % 32:
        raise field_error(f"a row must be a whole number of 32 B bursts, got {value:g} B")
    return int(value)


def _burst_divisor(value: int) -> int:
    if 256 % value:
        raise field_error(f"must divide the 256-bit (32 B) burst: 8, 16, 32, 64 ..., got {value}")
    return value


def _non_empty(values: list[Any]) -> list[Any]:
    if not values:
        raise field_error("expected a non-empty list of values")
    return values


def _mm_to_m(mm: float) -> float:
    return mm * 1e-3


Positive = Annotated[float, BeforeValidator(_positive)]


# --- specs ------------------------------------------------------------------------------------


class FactorsSpec(Spec):
    pj_per_bit: Positive | None = None  # the reference's pJ/bit over the design's must be at least this
    bw_per_reticle_die: Positive | None = None  # the design's bandwidth per die over the reference's


class RequirementsSpec(Spec):
    bw_per_reticle_die: Bandwidth | None = None
    pj_per_bit: PositiveEnergyPerBit | None = None
    capacity_per_reticle_die: Size | None = None


class BudgetSpec(Spec):
    thermal_limit: Annotated[float, _flux(positive=True)] = STACK_THERMAL_LIMIT_W_PER_MM2
    logic_power_density: Annotated[float, _flux(positive=False)] | None = None


class SpaceSpec(Spec):
    """The device knobs to search: a list of values each (SI after validation)."""

    channels_per_layer: Annotated[list[Count], AfterValidator(_non_empty)] | None = None
    banks_per_channel: Annotated[list[Count], AfterValidator(_non_empty)] | None = None
    subarrays_per_bank: Annotated[list[Count], AfterValidator(_non_empty)] | None = None
    row_bytes: Annotated[list[Annotated[Size, AfterValidator(_row)]], AfterValidator(_non_empty)] | None = None
    io_width_bits: Annotated[list[Annotated[Count, AfterValidator(_burst_divisor)]], AfterValidator(_non_empty)] | None = None
    data_rate: Annotated[list[Annotated[float, BeforeValidator(_pin_rate)]], AfterValidator(_non_empty)] | None = None
    bond_pitch: Annotated[list[Annotated[PositiveLength, AfterValidator(_mm_to_m)]], AfterValidator(_non_empty)] | None = None
    stack_height: Annotated[list[Count], AfterValidator(_non_empty)] | None = None


# space key -> DesignSpace field, where they differ (the spec holds bits/s and metres)
_SPACE_FIELDS = {"data_rate": "data_rate_bits_per_s", "bond_pitch": "bond_pitch_m"}


class TargetFileSpec(Spec):
    system: Name | None = None
    model: Name | None = None
    users: Annotated[int | str, BeforeValidator(_users)] | None = None
    context: Count | None = None
    tokens_per_s_per_user: Positive | None = None
    joules_per_token: Positive | None = None
    reference: Name = "HBM3E"
    better_than_reference: FactorsSpec = FactorsSpec()
    requirements: RequirementsSpec = RequirementsSpec()
    budget: BudgetSpec = BudgetSpec()
    space: SpaceSpec = SpaceSpec()


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
    return parse_design_target(read_yaml(read_user_file(p), str(p)), p.parent, str(p))


def parse_design_target(raw: Any, base_dir: Path, source: str = "target file") -> DesignTargetSpec:
    if not isinstance(raw, Mapping):
        raise ConfigError([("", "expected a mapping (system and/or requirements, budget, space)")], source)
    errors: ErrorList = []
    spec = validate_spec(TargetFileSpec, dict(raw), errors, {})
    system = _system(raw, base_dir, errors)
    errors += _rule_errors(raw, system)
    if errors:
        raise ConfigError(in_document_order(errors, raw, TargetFileSpec), source)
    assert spec is not None
    return build_design_target(spec, system, source)


def _system(raw: Mapping[str, Any], base_dir: Path, errors: ErrorList) -> System | None:
    """The system, with ``model`` (a catalog model, its chips placed anew) put on it."""
    if "system" in raw:
        system = system_field(raw["system"], base_dir, errors, _NOT_SPATIAL)
    else:
        system = None
    if "model" not in raw:
        return system
    value, known = raw["model"], catalog.names("model")
    if not isinstance(value, str) or value not in known:
        errors.append(("model", unknown_name_message("model", str(value), known)))
        return None
    return replace(system, model=catalog.model(value)) if system is not None else None


def _rule_errors(raw: Mapping[str, Any], system: System | None) -> ErrorList:
    """What ties fields together: a load needs a system; without one, the requirements are stated."""
    if "system" not in raw:
        errors = [(k, "needs a system to apply to") for k in
                  ("users", "context", "tokens_per_s_per_user", "joules_per_token", "model") if k in raw]
        reqs, budget = (_section(raw, k) for k in ("requirements", "budget"))
        errors += [(f"requirements.{k}", "required without a system") for k in RequirementsSpec.model_fields if k not in reqs]
        if "logic_power_density" not in budget:
            errors.append(("budget.logic_power_density", "required without a system (the logic die's W/mm^2)"))
        return errors
    if system is None:
        return []
    # the model's context limit, as for the system file's own context
    context = raw.get("context")
    ctx = context if isinstance(context, int) and not isinstance(context, bool) and context > 0 else system.workload.context_tokens
    return context_errors(system.model, ctx, system.workload.beyond_model_context, "context")


def _section(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    body = raw.get(key)
    return body if isinstance(body, Mapping) else {}


def build_design_target(spec: TargetFileSpec, system: System | None, source: str) -> DesignTargetSpec:
    """The design target from its validated spec; refused past :data:`MAX_CANDIDATES`."""
    space = _space(spec.space)
    if space.n_points > MAX_CANDIDATES:
        raise ConfigError([("space", f"{space.n_points:,} candidates exceed the {MAX_CANDIDATES:,} one search may hold; "
                                     "narrow it")], source)
    at_operating_point = spec.users == OPERATING_POINT
    return DesignTargetSpec(
        system=system, users=None if at_operating_point or spec.users is None else int(spec.users),
        users_at_operating_point=at_operating_point, context_tokens=spec.context,
        tokens_per_s_per_user=spec.tokens_per_s_per_user, joules_per_token=spec.joules_per_token,
        reference=spec.reference, pj_factor=spec.better_than_reference.pj_per_bit,
        bw_factor=spec.better_than_reference.bw_per_reticle_die,
        bw_per_die_bytes_per_s=spec.requirements.bw_per_reticle_die, max_j_per_bit=spec.requirements.pj_per_bit,
        capacity_per_die_bytes=spec.requirements.capacity_per_reticle_die,
        thermal_limit_w_per_mm2=spec.budget.thermal_limit, logic_w_per_mm2=spec.budget.logic_power_density, space=space,
    )


def _space(spec: SpaceSpec) -> DesignSpace:
    changes: dict[str, Any] = {}
    for key, values in spec:
        if values is not None:
            changes[_SPACE_FIELDS.get(key, key)] = tuple(sorted(set(values)))
    return replace(DesignSpace(), **changes)


__all__ = ["MAX_CANDIDATES", "OPERATING_POINT", "DesignTargetSpec", "TargetFileSpec", "build_design_target",
           "load_design_target", "parse_design_target"]
