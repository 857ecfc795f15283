"""DRAM device files (docs/memory.md section 1): the pydantic spec and the factory that builds
a :class:`~kvpipe.memory.Device`.

One path for the catalog's devices (``catalog/data/devices/*.yaml``), a user's ``--device``
file (:mod:`kvpipe.config.devices`) and the designs of ``kvpipe memory design``, the path of
every other file (docs/architecture.md, "Config files: one validation path"):

1. :class:`DeviceFileSpec` checked with ``validate_spec``: unknown keys, types, unit strings
   (the one grammar of :mod:`kvpipe.units`; timings also in cycles of tCK, ``"23 nCK"``),
   ranges; and the rule of the attachment (which fields its ``type`` takes);
2. :func:`build_device`: timings in cycles resolved with tCK, the defaults and the energy
   derivation of the device model (``memory.complete_timing``, ``memory.energy.resolve_energy``),
   and what the device model finds impossible (``memory.organization_problems``,
   ``timing_problems``, ``attachment_problems``: geometry, the order of timings, a 3D stack's
   layers) -- in every section valid on its own, even while another section has mistakes.

Every mistake comes back at once, in document order, as (field path, message).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any

from pydantic import BeforeValidator, TypeAdapter, ValidationError

from kvpipe.config.limits import brief, out_of_bounds
from kvpipe.config.schema import (
    Attach,
    EnergyPerBit,
    ErrorList,
    Fraction,
    Name,
    Power,
    Size,
    Spec,
    SpecT,
    field_error,
    in_document_order,
    quantity_check,
    validate_spec,
)
from kvpipe.config.units import Kind, UnitError, format_quantity
from kvpipe.memory import (
    Attach2p5D,
    Attach3D,
    Device,
    EnergyInputs,
    IddCurrents,
    OpEnergy,
    Organization,
    Timing,
    attachment_problems,
    complete_timing,
    organization_problems,
    timing_problems,
)
from kvpipe.memory.device import REFRESH_MODES
from kvpipe.memory.energy import resolve_energy
from kvpipe.units import has_unit, parse_count, parse_cycles

MAX_COUNT = 2**31  # channels, banks, rows ...: far beyond any device, and their product stays finite
MAX_BARE_TIMING_S = 1e-3  # a bare number this large is a timing written without its unit ("14" for 14 ns)

# --- field types ----------------------------------------------------------------------------


def _count(value: object) -> int:
    try:
        n = parse_count(value)
    except UnitError as e:
        raise field_error(e.message) from None
    if n < 1:
        raise field_error(f"must be >= 1, got {n}")
    if n > MAX_COUNT:
        raise field_error(f"must be at most {MAX_COUNT:,} (kvpipe's bound), got {n:,}")
    return n


_EXAMPLE_UNIT = {Kind.LENGTH_MM: "mm", Kind.AREA_MM2: "mm2"}


def _quantity(kind: Kind, positive: bool = False) -> BeforeValidator:
    """A quantity of ``kind`` in SI (lengths in mm, areas in mm^2); a length or an area must
    name its unit: system files read bare lengths as mm, the keys here carry no unit."""
    parse = quantity_check(kind, positive)

    def check(value: object) -> float:
        if kind in _EXAMPLE_UNIT and not has_unit(value) and value not in (0, "0"):
            raise field_error(f'{brief(value)} needs a unit here, e.g. "{value} {_EXAMPLE_UNIT[kind]}"')
        return parse(value)

    return BeforeValidator(check)


@dataclass(frozen=True)
class Clocked:
    """A timing as the file writes it: seconds, or clock cycles of tCK (``"23 nCK"``)."""

    amount: float
    in_cycles: bool = False

    def seconds(self, t_ck_s: float) -> float:
        return self.amount * t_ck_s if self.in_cycles else self.amount


_seconds = quantity_check(Kind.SECONDS, positive=True)


def _clock_period(value: object) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= MAX_BARE_TIMING_S:
        raise field_error(f"{value!r} seconds is not a DRAM timing; write the unit, e.g. \"{value} ns\"")
    return _seconds(value)


def _timing(value: object) -> Clocked:
    try:
        cycles = parse_cycles(value)
    except UnitError as e:
        raise field_error(e.message) from None
    if cycles is None:
        return Clocked(_clock_period(value))
    if not cycles > 0:
        raise field_error(f"must be greater than zero, got {brief(value)}")
    return Clocked(cycles, in_cycles=True)


_bytes = quantity_check(Kind.BYTES, positive=True)


def _whole_bytes(value: object) -> int:
    n = _bytes(value)
    if not n.is_integer():
        raise field_error(f"must be a whole number of bytes, got {brief(value)} = {n:g} B")
    return int(n)


def _refresh(value: object) -> str:
    if value not in REFRESH_MODES:
        raise field_error(f"expected one of {', '.join(REFRESH_MODES)}, got {brief(value)}")
    return str(value)


def _flag(value: object) -> bool:
    if not isinstance(value, bool):
        raise field_error(f"expected true or false, got {brief(value)}")
    return value


def _source_text(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise field_error(f"expected the source of the figure (a paper, datasheet or assumption), got {brief(value)}")
    return value


Count = Annotated[int, BeforeValidator(_count)]
WholeBytes = Annotated[int, BeforeValidator(_whole_bytes)]
PinRate = Annotated[float, _quantity(Kind.BITS_PER_S, positive=True)]
PositiveLength = Annotated[float, _quantity(Kind.LENGTH_MM, positive=True)]
Length = Annotated[float, _quantity(Kind.LENGTH_MM)]
PositiveArea = Annotated[float, _quantity(Kind.AREA_MM2, positive=True)]
Energy = Annotated[float, _quantity(Kind.JOULES)]
WireEnergy = Annotated[float, _quantity(Kind.J_PER_BIT_MM)]
Current = Annotated[float, _quantity(Kind.AMPERES)]
Voltage = Annotated[float, _quantity(Kind.VOLTS, positive=True)]
ClockPeriod = Annotated[float, BeforeValidator(_clock_period)]
TimingValue = Annotated[Clocked, BeforeValidator(_timing)]
RefreshMode = Annotated[str, BeforeValidator(_refresh)]
SourceText = Annotated[str, BeforeValidator(_source_text)]
Flag = Annotated[bool, BeforeValidator(_flag)]

# --- specs ----------------------------------------------------------------------------------


class OrganizationSpec(Spec):
    """One unit's storage: channels x bank groups x banks x rows x row bytes, and its pins."""

    channels: Count
    bank_groups: Count = 1
    banks_per_group: Count
    rows_per_bank: Count
    row_bytes: WholeBytes
    io_width_bits: Count
    burst_length: Count
    data_rate: PinRate  # per data pin
    dies: Count = 1
    capacity: Size | None = None  # a cross-check of the geometry


class TimingSpec(Spec):
    """JEDEC timings, in time or in cycles of tCK; those with a default may be left out."""

    tCK: ClockPeriod
    tRCD: TimingValue
    tRP: TimingValue
    tRAS: TimingValue
    tRC: TimingValue | None = None
    tCCD_S: TimingValue
    tCCD_L: TimingValue | None = None
    tRRD_S: TimingValue
    tRRD_L: TimingValue | None = None
    tFAW: TimingValue
    tWTR: TimingValue
    tRTW: TimingValue
    tRFC: TimingValue
    tREFI: TimingValue
    tCL: TimingValue | None = None
    tCWL: TimingValue | None = None
    tRTP: TimingValue | None = None
    tWR: TimingValue | None = None
    refresh: RefreshMode = "all_bank"
    tRFCpb: TimingValue | None = None
    t32AW: TimingValue | None = None


class IddSpec(Spec):
    """Datasheet currents on one supply, for ``channels_per_scope`` channels."""

    vdd: Voltage
    idd0: Current
    idd2n: Current
    idd3n: Current
    idd4r: Current
    idd4w: Current
    idd5b: Current
    channels_per_scope: Count = 1


class EnergySpec(Spec):
    """Per-operation energies given directly, or the IDD currents or geometry they derive from."""

    vdd: Voltage | None = None
    act_pre: Energy | None = None
    act_pre_per_row_bit: EnergyPerBit | None = None
    read_core: EnergyPerBit | None = None
    write_core: EnergyPerBit | None = None
    cell: EnergyPerBit | None = None
    datapath: Length | None = None
    wire: WireEnergy | None = None
    tsv: EnergyPerBit | None = None
    io: EnergyPerBit
    background: Power | None = None
    refresh: Power | None = None
    refresh_per_ref: Energy | None = None
    idd: IddSpec | None = None


class AttachmentSpec(Spec):
    """Beside the logic die (``type: 2.5d``) or hybrid-bonded on it (``type: 3d``); which of the
    other fields a type takes is :data:`ATTACHMENT_FIELDS`."""

    type: Attach
    footprint_along_edge: PositiveLength | None = None
    footprint_depth: PositiveLength | None = None
    shoreline: PositiveLength | None = None
    board_fanout: Flag = False  # units on a board or substrate away from the die: only their PHY takes die edge
    footprint: PositiveArea | None = None
    bond_pitch: PositiveLength | None = None
    data_bond_fraction: Fraction | None = None
    rate_per_bond: PinRate | None = None
    stack_height: Count | None = None
    capacity_per_layer: Size | None = None


class DeviceFileSpec(Spec):
    name: Name
    family: Name | None = None  # default: the name
    unit: Name = "die"  # what one countable part is: stack, package, DIMM channel, 3D tile
    organization: OrganizationSpec
    timing: TimingSpec
    energy: EnergySpec
    attachment: AttachmentSpec
    sources: dict[str, SourceText] = {}  # field path -> where its figure comes from
    notes: Any = None


# attachment type -> (the fields it needs, the fields it may give)
ATTACHMENT_FIELDS: Mapping[str, tuple[tuple[str, ...], tuple[str, ...]]] = MappingProxyType({
    "2.5d": (("footprint_along_edge", "footprint_depth", "shoreline"), ("board_fanout",)),
    "3d": (("footprint", "bond_pitch", "data_bond_fraction", "rate_per_bond", "stack_height", "capacity_per_layer"), ()),
})

_MISSING_HINT = {
    "name": "required: the device's name (how the catalog and the tables call it)",
    "energy.io": "required: the interface (I/O and PHY) energy per bit; IDD currents do not give it",
    "attachment.type": 'required: "2.5d" (beside the logic die) or "3d" (hybrid-bonded on it)',
}
_ATTACH = TypeAdapter(Attach)

# --- the one path -----------------------------------------------------------------------------


def device_from_document(raw: object, errors: ErrorList) -> Device | None:
    """The :class:`Device` a loaded device file describes, or ``None`` with every mistake
    appended to ``errors`` (field path, message) in document order. What the device model
    finds impossible is checked in every section that is valid on its own, so that a file with
    mistakes in one section also hears of the impossible timings of another."""
    if not isinstance(raw, Mapping):
        errors.append(("", "expected a mapping of device fields (name, organization, timing, energy, attachment)"))
        return None
    found: ErrorList = []
    spec = validate_spec(DeviceFileSpec, dict(raw), found, _MISSING_HINT)
    attachment_rule = attachment_errors(raw)
    found += attachment_rule
    if spec is not None and not found:
        device = build_device(spec, found)
    else:
        device = None
        attachment = _section(AttachmentSpec, raw, "attachment") if not attachment_rule else None
        timing = _section(TimingSpec, raw, "timing")
        _parts(_section(OrganizationSpec, raw, "organization"), timing, _section(EnergySpec, raw, "energy"),
               attachment, found)
        if timing is None and isinstance(raw.get("timing"), Mapping):
            _checked_timing(_given_timings(raw["timing"]), math.nan, found)
    errors += in_document_order(found, raw, DeviceFileSpec)
    return device


def attachment_errors(raw: Mapping[str, Any]) -> ErrorList:
    """The rule of the attachment: each field its ``type`` needs is given, and none of the other type's."""
    a = raw.get("attachment")
    if not isinstance(a, Mapping):
        return []
    try:
        kind = _ATTACH.validate_python(a.get("type"))
    except ValidationError:
        return []  # the spec reports the type
    needs, may = ATTACHMENT_FIELDS[kind]
    errors = [(f"attachment.{key}", f"required for a {kind} attachment") for key in needs if key not in a]
    for other, (o_needs, o_may) in ATTACHMENT_FIELDS.items():
        if other != kind:
            errors += [(f"attachment.{key}", f"a field of a {other} attachment; a {kind} one takes "
                                             f"{', '.join(('type', *needs, *may))}") for key in (*o_needs, *o_may) if key in a]
    return errors


def build_device(spec: DeviceFileSpec, errors: ErrorList) -> Device | None:
    """The :class:`Device` of a validated spec (one that passed :func:`attachment_errors`), or
    ``None`` with what the device model finds impossible appended to ``errors``."""
    found: ErrorList = []
    parts = _parts(spec.organization, spec.timing, spec.energy, spec.attachment, found)
    errors += found
    if found or parts.organization is None or parts.timing is None or parts.energy is None or parts.attachment is None:
        return None
    return Device(name=spec.name, family=spec.family or spec.name, unit=spec.unit, organization=parts.organization,
                  timing=parts.timing, energy=parts.energy, attachment=parts.attachment,
                  sources=MappingProxyType(dict(spec.sources)))


@dataclass(frozen=True)
class _Parts:
    """The core objects of the sections that could be built (all but the timings need the organization)."""

    organization: Organization | None = None
    timing: Timing | None = None
    energy: OpEnergy | None = None
    attachment: Attach2p5D | Attach3D | None = None


def _parts(o: OrganizationSpec | None, t: TimingSpec | None, e: EnergySpec | None, a: AttachmentSpec | None,
           errors: ErrorList) -> _Parts:
    """Build what the valid sections give, appending what the device model finds impossible."""
    org = _organization(o, errors) if o is not None else None
    timing = energy = attachment = None
    if t is not None:
        timing = _checked_timing(t, org.burst_time_s if org is not None else math.nan, errors)
    if org is None:
        return _Parts(None, timing)
    if timing is not None and e is not None:
        energy = resolve_energy(_energy_inputs(e), org, timing, lambda path, message: errors.append((path, message)), "energy")
    if a is not None:
        attachment = _attachment(a)
        errors += attachment_problems(attachment, org)
    return _Parts(org, timing, energy, attachment)


def _organization(o: OrganizationSpec, errors: ErrorList) -> Organization:
    org = Organization(channels=o.channels, bank_groups=o.bank_groups, banks_per_group=o.banks_per_group,
                       rows_per_bank=o.rows_per_bank, row_bytes=o.row_bytes, io_width_bits=o.io_width_bits,
                       burst_length=o.burst_length, data_rate_bits_per_s=o.data_rate, dies=o.dies)
    for what, value, kind in (("capacity", org.capacity_bytes, Kind.BYTES),
                              ("peak bandwidth", org.peak_bw_bytes_per_s, Kind.BYTES_PER_S)):
        problem = out_of_bounds(value, kind, positive=True)
        if problem:
            errors.append(("organization", f"the device's {what} {format_quantity(value, kind)} {problem}"))
    errors += organization_problems(org, o.capacity)
    return org


def _section(cls: type[SpecT], raw: Mapping[str, Any], key: str) -> SpecT | None:
    """One section of the file as its spec, if it is valid on its own (its errors are reported
    by the whole file's validation)."""
    try:
        return cls.model_validate(raw.get(key))
    except ValidationError:
        return None


def _given_timings(body: Mapping[str, Any]) -> TimingSpec:
    """The timings of a section with mistakes: those valid on their own, the others unknown
    (NaN), so that only the checks between known timings can fail."""
    unknown = Clocked(math.nan)
    values: dict[str, Any] = {k: unknown for k, f in TimingSpec.model_fields.items() if f.is_required()}
    values["tCK"] = math.nan
    for key, value in body.items():
        field = TimingSpec.model_fields.get(str(key))
        if field is None:
            continue
        try:
            kind = Annotated[field.annotation, *field.metadata] if field.metadata else field.annotation
            values[str(key)] = TypeAdapter(kind).validate_python(value)  # type: ignore[arg-type]
        except ValidationError:
            continue
    return TimingSpec.model_construct(**values)


def _checked_timing(t: TimingSpec, burst_time_s: float, errors: ErrorList) -> Timing:
    """The timings, appending to ``errors`` those in cycles that are out of kvpipe's bounds in
    seconds or, when all are in bounds, what the device model finds out of order (an unknown,
    NaN, timing fails no check)."""
    out_of_range: ErrorList = []
    timing = _timing_of(t, burst_time_s, out_of_range)
    errors += out_of_range or timing_problems(timing)
    return timing


def _timing_of(t: TimingSpec, burst_time_s: float, errors: ErrorList) -> Timing:
    ck = t.tCK
    for key in TimingSpec.model_fields:
        value = getattr(t, key)
        if isinstance(value, Clocked) and value.in_cycles:
            problem = out_of_bounds(value.seconds(ck), Kind.SECONDS, positive=True)
            if problem:
                errors.append((f"timing.{key}", f"{value.amount:g} cycles of tCK {problem}"))

    def opt(value: Clocked | None) -> float | None:
        return None if value is None else value.seconds(ck)

    return complete_timing(
        burst_time_s, t_ck_s=ck, t_rcd_s=t.tRCD.seconds(ck), t_rp_s=t.tRP.seconds(ck), t_ras_s=t.tRAS.seconds(ck),
        t_ccd_short_s=t.tCCD_S.seconds(ck), t_rrd_short_s=t.tRRD_S.seconds(ck), t_faw_s=t.tFAW.seconds(ck),
        t_wtr_s=t.tWTR.seconds(ck), t_rtw_s=t.tRTW.seconds(ck), t_rfc_s=t.tRFC.seconds(ck),
        t_refi_s=t.tREFI.seconds(ck), refresh=t.refresh, t_rc_s=opt(t.tRC), t_ccd_long_s=opt(t.tCCD_L),
        t_rrd_long_s=opt(t.tRRD_L), t_cl_s=opt(t.tCL), t_cwl_s=opt(t.tCWL), t_rtp_s=opt(t.tRTP),
        t_wr_s=opt(t.tWR), t_rfc_pb_s=opt(t.tRFCpb), t_32aw_s=opt(t.t32AW),
    )


def _energy_inputs(e: EnergySpec) -> EnergyInputs:
    idd = None
    if e.idd is not None:
        c = e.idd
        idd = IddCurrents(vdd_v=c.vdd, idd0_a=c.idd0, idd2n_a=c.idd2n, idd3n_a=c.idd3n, idd4r_a=c.idd4r,
                          idd4w_a=c.idd4w, idd5b_a=c.idd5b, channels_per_scope=c.channels_per_scope)
    return EnergyInputs(
        io_j_per_bit=e.io, vdd_v=e.vdd, act_pre_j=e.act_pre, act_pre_j_per_row_bit=e.act_pre_per_row_bit,
        read_core_j_per_bit=e.read_core, write_core_j_per_bit=e.write_core, cell_j_per_bit=e.cell,
        datapath_mm=e.datapath, wire_j_per_bit_mm=e.wire, tsv_j_per_bit=e.tsv, background_w=e.background,
        refresh_w=e.refresh, refresh_per_ref_j=e.refresh_per_ref, idd=idd,
    )


def _attachment(a: AttachmentSpec) -> Attach2p5D | Attach3D:
    """The attachment of a spec that passed :func:`attachment_errors` (every field of its type given)."""
    if a.type == "2.5d":
        assert a.footprint_along_edge is not None and a.footprint_depth is not None and a.shoreline is not None
        return Attach2p5D(footprint_along_edge_mm=a.footprint_along_edge, footprint_depth_mm=a.footprint_depth,
                          shoreline_mm=a.shoreline, board_fanout=a.board_fanout)
    assert (a.footprint is not None and a.bond_pitch is not None and a.data_bond_fraction is not None
            and a.rate_per_bond is not None and a.stack_height is not None and a.capacity_per_layer is not None)
    return Attach3D(footprint_mm2=a.footprint, bond_pitch_m=a.bond_pitch * 1e-3, data_bond_fraction=a.data_bond_fraction,
                    rate_per_bond_bits_per_s=a.rate_per_bond, stack_height=a.stack_height,
                    capacity_per_layer_bytes=a.capacity_per_layer)


__all__ = ["ATTACHMENT_FIELDS", "AttachmentSpec", "Clocked", "DeviceFileSpec", "EnergySpec", "IddSpec",
           "OrganizationSpec", "TimingSpec", "attachment_errors", "build_device", "device_from_document"]
