"""The schema of a user's system YAML (and of the catalog's part entries), in pydantic v2.

Specs hold parsed SI floats but stay close to what the user wrote: every part field is
optional here, because an inline part may name a ``base`` catalog entry and override only
some fields. Which fields a part *without* a base must give is :data:`REQUIRED`; the loader
checks that. The builders at the bottom turn a spec (plus an optional base part) into the
immutable domain objects of :mod:`kvpipe.hardware.parts`.

Config keys vs. part fields (the config takes unit strings, so its keys carry no unit):

=================  ==========================  =====================================
config key         part field                  kind
=================  ==========================  =====================================
chip.sram          Chip.sram_bytes             bytes, > 0
chip.sram_bw       Chip.sram_bw_bytes_per_s    bytes/s, > 0
chip.sram_read_energy  Chip.sram_read_j_per_bit  J/bit, >= 0
chip.peak_flops    Chip.peak_flop_per_s        {precision: FLOP/s > 0}
chip.energy_per_flop  Chip.energy_j_per_flop   {precision: J/FLOP >= 0}
chip.static_power  Chip.static_power_w         W, >= 0
chip.die_area      Chip.die_area_mm2           mm^2, > 0
link.hop_latency   Link.hop_latency_s          s, >= 0
link.bandwidth     Link.bw_bytes_per_s         bytes/s, > 0
link.energy        Link.energy_j_per_bit       J/bit, >= 0
link.collective    Link.collective             "none", "ring", "tree" or "one-shot" (optional)
link.<L>_chips     Link.<L>_chips              chips per unit of level L (package, card,
                                               server, rack), > 0 (optional)
link.<L>_latency   Link.<L>_latency_s          s, >= 0: leaving a unit of level L (optional)
chip.mesh_cores    Chip.mesh_cores             cores of the chip's mesh, > 0 (optional)
chip.mesh_hop_latency  Chip.mesh_hop_latency_s  s, >= 0 (optional)
chip.op_overhead   Chip.op_overhead_s          s, >= 0 (optional)
chip.matrix_operand_bw  Chip.matrix_operand_bw_bytes_per_s  bytes/s, > 0 (optional)
tech.unit          MemoryTech.unit             word ("stack", "die", "package", ...)
tech.capacity      MemoryTech.capacity_bytes   bytes, > 0
tech.bandwidth     MemoryTech.bw_bytes_per_s   bytes/s, > 0
tech.read_energy   MemoryTech.read_j_per_bit   J/bit, >= 0
tech.write_energy  MemoryTech.write_j_per_bit  J/bit, >= 0
tech.background_power  MemoryTech.background_w  W, >= 0
tech.footprint     MemoryTech.footprint_mm2    mm^2, >= 0
tech.attach        MemoryTech.attach           "2.5d" or "3d"
tech.shoreline     MemoryTech.shoreline_mm     mm, >= 0 (optional, default 0)
gpu.hbm            Gpu.hbm_bytes               bytes, > 0
gpu.hbm_bw         Gpu.hbm_bw_bytes_per_s      bytes/s, > 0
gpu.hbm_bw_fraction  Gpu.hbm_bw_fraction       fraction in (0, 1]
gpu.peak_flops     Gpu.peak_flop_per_s         {precision: FLOP/s > 0} (dense)
gpu.flop_fraction  Gpu.flop_fraction           fraction in (0, 1]
gpu.tdp            Gpu.tdp_w                   W, >= 0
gpu.idle_power     Gpu.idle_power_w            W, >= 0
gpu.link           Gpu.link                    catalog link name
gpu.die_area       Gpu.die_area_mm2            mm^2, >= 0 (optional: logic area, all dies)
gpu.hbm_footprint  Gpu.hbm_footprint_mm2       mm^2, >= 0 (optional: all HBM stacks)
=================  ==========================  =====================================
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Annotated, Any, TypeVar, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, StrictBool, ValidationError, model_validator
from pydantic_core import PydanticCustomError

from kvpipe.config.limits import MAX_USERS, brief, out_of_bounds
from kvpipe.config.units import EXPECTED, Kind, UnitError, parse_quantity
from kvpipe.hardware.gpu import Gpu
from kvpipe.hardware.parts import BOUNDARY_LEVELS, Chip, Collective, Link, MemoryTech
from kvpipe.system import MappingOptions, Workload
from kvpipe.workload.precision import Precision, Precisions

# --- field validators ------------------------------------------------------------------


def _fail(message: str) -> PydanticCustomError:
    return PydanticCustomError("config", "{reason}", {"reason": message})


def _quantity(kind: Kind, positive: bool) -> Callable[[object], float]:
    def check(value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise _fail(f"expected {EXPECTED[kind]}, got {brief(value)}")
        try:
            x = parse_quantity(value, kind, positive=positive)
        except UnitError as e:
            raise _fail(e.message) from None
        problem = out_of_bounds(x, kind, positive)
        if problem:
            raise _fail(f"{problem}, got {brief(value)}")
        return x

    return check


def _precision(value: object) -> Precision:
    if isinstance(value, Precision):
        return value
    if isinstance(value, str):
        try:
            return Precision(value.strip().lower())
        except ValueError:
            pass
    known = ", ".join(p.value for p in Precision)
    raise _fail(f"expected a precision, one of {known}; got {brief(value)}")


def _whole(minimum: int, maximum: int = 2**31) -> Callable[[object], int]:
    def check(value: object) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(f"expected a whole number >= {minimum}, got {brief(value)}")
        if value < minimum:
            raise _fail(f"must be >= {minimum}, got {value}")
        if value > maximum:
            raise _fail(f"must be at most {maximum:,} (kvpipe's bound), got {value:,}")
        return value

    return check


MIN_UNITS_PER_GROUP, MAX_UNITS_PER_GROUP = 1e-6, 1_000_000  # memory units per chip group (may be fractional)


def _positive_number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(f"expected a number > 0, got {brief(value)}")
    if not value > 0 or value == float("inf"):
        raise _fail(f"must be a finite number > 0, got {value!r}")
    if not MIN_UNITS_PER_GROUP <= value <= MAX_UNITS_PER_GROUP:
        raise _fail(f"must be between {MIN_UNITS_PER_GROUP:g} and {MAX_UNITS_PER_GROUP:,} (kvpipe's bound), got {value!r}")
    return float(value)


_COUNT_TEXT = re.compile(r"^\s*([0-9][0-9,]*\.?[0-9]*(?:e[0-9]+)?)\s*[a-z ]*$", re.IGNORECASE)


def _amount(value: object) -> float:
    """A count of things, > 0: a number or a string that starts with one ("893,064 cores")."""
    if isinstance(value, str) and (m := _COUNT_TEXT.match(value)):
        value = float(m.group(1).replace(",", ""))
    return _positive_number(value)


def _unit_chips(value: object) -> float:
    """Chips one unit of a boundary level holds: a count >= 1 (a unit holds at least one chip)."""
    n = _amount(value)
    if n < 1:
        raise _fail(f"a unit holds at least one chip, got {n:g}")
    return n


_PERCENT = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*%\s*$")


def _fraction(value: object) -> float:
    if isinstance(value, str) and (m := _PERCENT.match(value)):
        value = float(m.group(1)) / 100.0
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(f'expected a fraction in (0, 1] such as 0.8 or "80 %", got {brief(value)}')
    if not 0.0 < value <= 1.0:
        raise _fail(f"must be in (0, 1], got {value!r}")
    return float(value)


def _word(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"expected a non-empty name, got {brief(value)}")
    return value.strip()


def _attach(value: object) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (2.5, 3):
        value = f"{value:g}d"
    if isinstance(value, str) and value.strip().lower() in ("2.5d", "3d"):
        return value.strip().lower()
    raise _fail(f'expected "2.5d" (beside the die) or "3d" (stacked on it), got {brief(value)}')


def _collective(value: object) -> str:
    known = [c.value for c in Collective]
    if isinstance(value, str) and value.strip().lower() in known:
        return value.strip().lower()
    raise _fail(f"expected one of {', '.join(known)}, got {brief(value)}")


def _path(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(f"expected a path to a Hugging Face config.json, got {brief(value)}")
    return value


def _q(kind: Kind, positive: bool = False) -> BeforeValidator:
    return BeforeValidator(_quantity(kind, positive))


def unit_field(kind: Kind, positive: bool = False) -> Any:
    """The field type of a quantity of ``kind`` written with its unit ("3.35 TB/s"), in SI."""
    return Annotated[float, _q(kind, positive)]


field_error = _fail  # what a spec's own validator raises: the message is shown under the field path
quantity_check = _quantity  # the check behind unit_field, for a validator that reads a quantity itself


# quantities parsed from unit strings (">= 0" unless named positive)
Size = Annotated[float, _q(Kind.BYTES, positive=True)]
Bandwidth = Annotated[float, _q(Kind.BYTES_PER_S, positive=True)]
Latency = Annotated[float, _q(Kind.SECONDS)]
EnergyPerBit = Annotated[float, _q(Kind.J_PER_BIT)]
EnergyPerFlop = Annotated[float, _q(Kind.J_PER_FLOP)]
FlopRate = Annotated[float, _q(Kind.FLOP_PER_S, positive=True)]
Power = Annotated[float, _q(Kind.WATTS)]
Area = Annotated[float, _q(Kind.AREA_MM2)]
PositiveArea = Annotated[float, _q(Kind.AREA_MM2, positive=True)]
Length = Annotated[float, _q(Kind.LENGTH_MM)]
PositiveLength = Annotated[float, _q(Kind.LENGTH_MM, positive=True)]
PositiveEnergyPerBit = Annotated[float, _q(Kind.J_PER_BIT, positive=True)]


def _non_empty_table(value: dict[Precision, float]) -> dict[Precision, float]:
    if not value:
        raise _fail('expected at least one precision, e.g. {bf16: "1 PFLOP/s"}')
    return value


Name = Annotated[str, BeforeValidator(_word)]
PrecisionField = Annotated[Precision, BeforeValidator(_precision)]
Count = Annotated[int, BeforeValidator(_whole(1))]
WholeNumber = Annotated[int, BeforeValidator(_whole(0))]
UserCount = Annotated[int, BeforeValidator(_whole(1, MAX_USERS))]
Fraction = Annotated[float, BeforeValidator(_fraction)]
PositiveNumber = Annotated[float, BeforeValidator(_positive_number)]
Amount = Annotated[float, BeforeValidator(_amount)]
UnitChips = Annotated[float, BeforeValidator(_unit_chips)]
Attach = Annotated[str, BeforeValidator(_attach)]
CollectiveName = Annotated[str, BeforeValidator(_collective)]
ConfigPath = Annotated[str, BeforeValidator(_path)]


class Spec(BaseModel):
    """Base of every spec: unknown keys are errors, specs are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --- parts ------------------------------------------------------------------------------


class ChipSpec(Spec):
    base: Name | None = None
    name: Name | None = None
    sram: Size | None = None
    sram_bw: Bandwidth | None = None
    sram_read_energy: EnergyPerBit | None = None
    peak_flops: Annotated[dict[PrecisionField, FlopRate], AfterValidator(_non_empty_table)] | None = None
    energy_per_flop: Annotated[dict[PrecisionField, EnergyPerFlop], AfterValidator(_non_empty_table)] | None = None
    static_power: Power | None = None
    die_area: PositiveArea | None = None
    mesh_cores: Amount | None = None
    mesh_hop_latency: Latency | None = None
    op_overhead: Latency | None = None
    matrix_operand_bw: Bandwidth | None = None


class LinkSpec(Spec):
    base: Name | None = None
    name: Name | None = None
    hop_latency: Latency | None = None
    bandwidth: Bandwidth | None = None
    energy: EnergyPerBit | None = None
    collective: CollectiveName | None = None
    package_chips: UnitChips | None = None
    package_latency: Latency | None = None
    card_chips: UnitChips | None = None
    card_latency: Latency | None = None
    server_chips: UnitChips | None = None
    server_latency: Latency | None = None
    rack_chips: UnitChips | None = None
    rack_latency: Latency | None = None

    @model_validator(mode="after")
    def _levels_have_a_size(self) -> LinkSpec:
        # a level's crossing latency means nothing without the chips one unit holds: give both
        # together (also over a base, so that a level the base lacks is never silently ignored)
        lonely = [lv for lv in BOUNDARY_LEVELS if getattr(self, f"{lv}_latency") is not None
                  and getattr(self, f"{lv}_chips") is None]
        if lonely:
            raise _fail(f"{lonely[0]}_latency needs {lonely[0]}_chips next to it (how many chips one {lonely[0]} holds)")
        return self


class MemorySpec(Spec):
    base: Name | None = None
    name: Name | None = None
    unit: Name | None = None
    capacity: Size | None = None
    bandwidth: Bandwidth | None = None
    read_energy: EnergyPerBit | None = None
    write_energy: EnergyPerBit | None = None
    background_power: Power | None = None
    footprint: Area | None = None
    attach: Attach | None = None
    shoreline: Length | None = None
    device: Name | None = None  # the DRAM device description of this part (catalog devices)


class GpuSpec(Spec):
    base: Name | None = None
    name: Name | None = None
    hbm: Size | None = None
    hbm_bw: Bandwidth | None = None
    hbm_bw_fraction: Fraction | None = None
    peak_flops: Annotated[dict[PrecisionField, FlopRate], AfterValidator(_non_empty_table)] | None = None
    flop_fraction: Fraction | None = None
    tdp: Power | None = None
    idle_power: Power | None = None
    link: Name | None = None
    die_area: Area | None = None
    hbm_footprint: Area | None = None


PartSpec = ChipSpec | LinkSpec | MemorySpec | GpuSpec

# config key -> part field, per part kind (the single place this mapping lives)
CHIP_FIELDS: Mapping[str, str] = MappingProxyType({
    "sram": "sram_bytes",
    "sram_bw": "sram_bw_bytes_per_s",
    "sram_read_energy": "sram_read_j_per_bit",
    "peak_flops": "peak_flop_per_s",
    "energy_per_flop": "energy_j_per_flop",
    "static_power": "static_power_w",
    "die_area": "die_area_mm2",
    "mesh_cores": "mesh_cores",
    "mesh_hop_latency": "mesh_hop_latency_s",
    "op_overhead": "op_overhead_s",
    "matrix_operand_bw": "matrix_operand_bw_bytes_per_s",
})
_CHIP_OPTIONAL = frozenset({"mesh_cores", "mesh_hop_latency", "op_overhead", "matrix_operand_bw"})
LINK_FIELDS: Mapping[str, str] = MappingProxyType({
    "hop_latency": "hop_latency_s",
    "bandwidth": "bw_bytes_per_s",
    "energy": "energy_j_per_bit",
    "collective": "collective",
    **{f"{lv}_chips": f"{lv}_chips" for lv in BOUNDARY_LEVELS},
    **{f"{lv}_latency": f"{lv}_latency_s" for lv in BOUNDARY_LEVELS},
})
_LINK_OPTIONAL = frozenset(LINK_FIELDS) - {"hop_latency", "bandwidth", "energy"}
MEMORY_FIELDS: Mapping[str, str] = MappingProxyType({
    "unit": "unit",
    "capacity": "capacity_bytes",
    "bandwidth": "bw_bytes_per_s",
    "read_energy": "read_j_per_bit",
    "write_energy": "write_j_per_bit",
    "background_power": "background_w",
    "footprint": "footprint_mm2",
    "attach": "attach",
    "shoreline": "shoreline_mm",
    "device": "device",
})
GPU_FIELDS: Mapping[str, str] = MappingProxyType({
    "hbm": "hbm_bytes",
    "hbm_bw": "hbm_bw_bytes_per_s",
    "hbm_bw_fraction": "hbm_bw_fraction",
    "peak_flops": "peak_flop_per_s",
    "flop_fraction": "flop_fraction",
    "tdp": "tdp_w",
    "idle_power": "idle_power_w",
    "link": "link",
    "die_area": "die_area_mm2",
    "hbm_footprint": "hbm_footprint_mm2",
})
PER_PRECISION: frozenset[str] = frozenset({"peak_flops", "energy_per_flop"})
NON_NUMERIC: frozenset[str] = frozenset({"unit", "attach", "link", "collective", "device"})

SPECS: Mapping[str, type[Spec]] = MappingProxyType(
    {"chip": ChipSpec, "link": LinkSpec, "memory": MemorySpec, "gpu": GpuSpec}
)
FIELDS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"chip": CHIP_FIELDS, "link": LINK_FIELDS, "memory": MEMORY_FIELDS, "gpu": GPU_FIELDS}
)
REQUIRED: Mapping[str, frozenset[str]] = MappingProxyType({
    "chip": frozenset(CHIP_FIELDS) - _CHIP_OPTIONAL,
    "link": frozenset(LINK_FIELDS) - _LINK_OPTIONAL,
    "memory": frozenset(MEMORY_FIELDS) - {"shoreline", "device"},
    "gpu": frozenset(GPU_FIELDS) - {"die_area", "hbm_footprint"},
})


# --- the rest of a system ---------------------------------------------------------------


class ModelSpec(Spec):
    """A catalog model (``catalog``) or a Hugging Face config.json (``config``, relative to the YAML)."""

    catalog: Name | None = None
    config: ConfigPath | None = None
    name: Name | None = None


class KVMemorySpec(Spec):
    tech: MemorySpec
    units_per_group: PositiveNumber


class PrecisionsSpec(Spec):
    weights: PrecisionField = Precisions().weights
    kv: PrecisionField = Precisions().kv
    activations: PrecisionField = Precisions().activations

    def to_precisions(self) -> Precisions:
        return Precisions(weights=self.weights, kv=self.kv, activations=self.activations)


class MappingSpec(Spec):
    usable_sram_fraction: Fraction = MappingOptions().usable_sram_fraction
    layers_per_group: Count = MappingOptions().layers_per_group
    comm_stages_per_layer: Count | None = None
    max_chips: Count | None = None
    balance_compute: StrictBool = False  # give compute-heavy groups more chips, at the workload's context

    def to_options(self, context_tokens: int) -> MappingOptions:
        return MappingOptions(
            usable_sram_fraction=self.usable_sram_fraction,
            layers_per_group=self.layers_per_group,
            comm_stages_per_layer=self.comm_stages_per_layer,
            max_chips=self.max_chips,
            balance_context_tokens=context_tokens if self.balance_compute else None,
        )


class WorkloadSpec(Spec):
    users: UserCount = Workload().users
    context: Count = Workload().context_tokens
    micro_batch: Count = Workload().micro_batch
    beyond_model_context: StrictBool = False  # allow a context past the model's max_position_embeddings

    def to_workload(self) -> Workload:
        return Workload(users=self.users, context_tokens=self.context, micro_batch=self.micro_batch,
                        beyond_model_context=self.beyond_model_context)


class SystemSpec(Spec):
    """A whole system file. ``chip`` and ``link`` default to the catalog's default parts."""

    name: Name | None = None
    model: ModelSpec
    precisions: PrecisionsSpec = PrecisionsSpec()
    chip: ChipSpec | None = None
    link: LinkSpec | None = None
    kv_memory: KVMemorySpec
    mapping: MappingSpec = MappingSpec()
    workload: WorkloadSpec = WorkloadSpec()


# --- building parts ---------------------------------------------------------------------


def given_fields(spec: Spec) -> dict[str, Any]:
    """The part fields a spec sets (config keys), without ``base`` and ``name``."""
    return {k: v for k, v in spec if v is not None and k not in ("base", "name")}


def build_chip(spec: ChipSpec, name: str, sources: Mapping[str, str], base: Chip | None = None) -> Chip:
    values = _merged("chip", spec, base)
    return Chip(
        name=name,
        sram_bytes=values["sram"],
        sram_bw_bytes_per_s=values["sram_bw"],
        sram_read_j_per_bit=values["sram_read_energy"],
        peak_flop_per_s=MappingProxyType(dict(values["peak_flops"])),
        energy_j_per_flop=MappingProxyType(dict(values["energy_per_flop"])),
        static_power_w=values["static_power"],
        die_area_mm2=values["die_area"],
        sources=MappingProxyType(dict(sources)),
        mesh_cores=values.get("mesh_cores", 0.0),
        mesh_hop_latency_s=values.get("mesh_hop_latency", 0.0),
        op_overhead_s=values.get("op_overhead", 0.0),
        matrix_operand_bw_bytes_per_s=values.get("matrix_operand_bw", 0.0),
    )


def build_link(spec: LinkSpec, name: str, sources: Mapping[str, str], base: Link | None = None) -> Link:
    values = _merged("link", spec, base)
    levels: dict[str, float] = {}
    for lv in BOUNDARY_LEVELS:
        if f"{lv}_chips" in values:
            levels[f"{lv}_chips"] = values[f"{lv}_chips"]
        if f"{lv}_latency" in values:
            levels[f"{lv}_latency_s"] = values[f"{lv}_latency"]
    return Link(
        name=name,
        hop_latency_s=values["hop_latency"],
        bw_bytes_per_s=values["bandwidth"],
        energy_j_per_bit=values["energy"],
        sources=MappingProxyType(dict(sources)),
        collective=Collective(values.get("collective", Collective.NONE.value)),
        **levels,
    )


def build_memory(
    spec: MemorySpec, name: str, sources: Mapping[str, str], base: MemoryTech | None = None
) -> MemoryTech:
    values = _merged("memory", spec, base)
    return MemoryTech(
        name=name,
        unit=values["unit"],
        capacity_bytes=values["capacity"],
        bw_bytes_per_s=values["bandwidth"],
        read_j_per_bit=values["read_energy"],
        write_j_per_bit=values["write_energy"],
        background_w=values["background_power"],
        footprint_mm2=values["footprint"],
        attach=values["attach"],
        shoreline_mm=values.get("shoreline", 0.0),
        device=values.get("device") or "",
        sources=MappingProxyType(dict(sources)),
    )


def build_gpu(spec: GpuSpec, name: str, sources: Mapping[str, str], base: Gpu | None = None) -> Gpu:
    values = _merged("gpu", spec, base)
    return Gpu(
        name=name,
        hbm_bytes=values["hbm"],
        hbm_bw_bytes_per_s=values["hbm_bw"],
        hbm_bw_fraction=values["hbm_bw_fraction"],
        peak_flop_per_s=MappingProxyType(dict(values["peak_flops"])),
        flop_fraction=values["flop_fraction"],
        tdp_w=values["tdp"],
        idle_power_w=values["idle_power"],
        link=values["link"],
        sources=MappingProxyType(dict(sources)),
        die_area_mm2=values.get("die_area", 0.0),
        hbm_footprint_mm2=values.get("hbm_footprint", 0.0),
    )


def _merged(kind: str, spec: Spec, base: object | None) -> dict[str, Any]:
    """The base part's values (config keys) overridden by what the spec gives.

    Per-precision tables merge key by key: overriding ``peak_flops: {fp4: ...}`` keeps the
    base's other precisions.
    """
    values: dict[str, Any] = {}
    if base is not None:
        values = {key: getattr(base, attr) for key, attr in FIELDS[kind].items()}
    for key, value in given_fields(spec).items():
        if key in PER_PRECISION and key in values:
            value = {**values[key], **value}
        values[key] = value
    missing = REQUIRED[kind] - values.keys()
    if missing:
        raise ValueError(f"{kind} spec lacks {sorted(missing)}")  # the loader checks this first
    return values


def required_missing(kind: str, raw: Mapping[str, Any]) -> list[str]:
    """Required config keys a raw inline part without ``base`` leaves out, in schema order."""
    if "base" in raw:
        return []
    return [k for k in FIELDS[kind] if k in REQUIRED[kind] and k not in raw]


def config_keys(kind: str) -> tuple[str, ...]:
    """All keys an inline part of ``kind`` accepts."""
    return tuple(SPECS[kind].model_fields)


# --- validation: every pydantic error as (field path, message) ----------------------------

SpecT = TypeVar("SpecT", bound=BaseModel)
ErrorList = list[tuple[str, str]]


def validate_spec(
    cls: type[SpecT], raw: object, errors: ErrorList, hints: Mapping[str, str], key_notes: Mapping[str, str] | None = None
) -> SpecT | None:
    """Validate ``raw`` into ``cls``; every problem is appended to ``errors`` as (field path,
    message), with ``hints`` for missing fields and ``key_notes`` appended to an unknown key."""
    try:
        return cls.model_validate(raw)
    except ValidationError as e:
        errors += [_translate(err, cls, hints, key_notes or {}) for err in e.errors()]
        return None


def in_document_order(errors: ErrorList, raw: Mapping[str, Any], spec: type[BaseModel]) -> ErrorList:
    """Errors sorted as the user reads the file: unknown top-level keys first, then the spec's
    fields in order, each section's entries in the order the document gives them; the system
    (whose errors are long) last."""
    fields = [f.alias or n for n, f in spec.model_fields.items() if n != "system"]

    def key(error: tuple[str, str]) -> tuple[int, int]:
        top, _, rest = error[0].partition(".")
        top = top.split("[")[0]
        if top.startswith("system"):
            return len(fields) + 1, 0
        rank = fields.index(top) + 1 if top in fields else 0
        section = raw.get(top)
        entries = [str(k) for k in section] if isinstance(section, Mapping) else []
        entry = rest.split(".")[0].split("[")[0]
        if not entry:
            return rank, -1  # the section itself
        return rank, entries.index(entry) if entry in entries else len(entries)  # a missing entry after those given

    return sorted(errors, key=key)


def _translate(
    err: Mapping[str, Any], cls: type[BaseModel], hints: Mapping[str, str], key_notes: Mapping[str, str]
) -> tuple[str, str]:
    loc = [str(p) for p in err["loc"] if p != "[key]"]
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err["loc"] if p != "[key]").lstrip(".")
    kind = err["type"]
    if kind == "extra_forbidden":
        return path, _unknown_key(loc, cls, key_notes.get(path, ""))
    if kind == "missing":
        return path, hints.get(path, "required field is missing")
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return path, f"expected a mapping of key: value pairs, got {kind_of(err.get('input'))}"
    return path, str(err["msg"]).removeprefix("Value error, ")


def _unknown_key(loc: list[str], root: type[BaseModel], note: str = "") -> str:
    model = _model_at(loc[:-1], root)
    if model is None:
        return "unknown key"
    known = [f.alias or name for name, f in model.model_fields.items()]
    close = difflib.get_close_matches(loc[-1], known, n=1)
    hint = f' (did you mean "{close[0]}"?)' if close else ""
    return f"unknown key{hint}{note}; expected one of: {', '.join(known)}"


def _model_at(loc: list[str], root: type[BaseModel]) -> type[BaseModel] | None:
    cls: type[BaseModel] | None = root
    for part in loc:
        field = cls.model_fields.get(part) if cls is not None else None
        cls = _model_in(field.annotation) if field is not None else None
    return cls


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def kind_of(value: Any) -> str:
    """What ``value`` is, for an error message: "nothing", "the string ...", "a list", "int 3"."""
    if value is None:
        return "nothing"
    if isinstance(value, str):
        return f"the string {brief(value)}"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {brief(value)}"


__all__ = [
    "CHIP_FIELDS", "FIELDS", "GPU_FIELDS", "LINK_FIELDS", "MEMORY_FIELDS", "NON_NUMERIC", "PER_PRECISION", "REQUIRED",
    "SPECS", "ChipSpec", "UserCount", "GpuSpec", "KVMemorySpec", "LinkSpec", "MappingSpec", "MemorySpec", "ModelSpec", "PartSpec",
    "PrecisionsSpec", "Spec", "SystemSpec", "WorkloadSpec", "build_chip", "build_link", "build_memory",
    "build_gpu", "config_keys", "field_error", "quantity_check", "given_fields", "required_missing", "unit_field",
    "PositiveEnergyPerBit", "PositiveLength", "WholeNumber", "ErrorList", "in_document_order", "kind_of", "validate_spec",
]
