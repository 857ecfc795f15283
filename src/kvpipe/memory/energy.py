"""Per-operation DRAM energies, given directly, derived from IDD currents, or from geometry.

Three ways to state each figure, in this order of precedence:

1. **per operation** — ``act_pre`` (J per activate+precharge), ``read_core`` / ``write_core``
   (J per bit moved between the cells and the device pins: *core-only*), ``io`` (J per bit
   on the interface, I/O and PHY: core + io is the *whole access path*), ``background`` (W
   per unit), ``refresh`` (average W per unit).
2. **IDD/VDD datasheet currents** (``idd:``), converted with the usual Micron formulas
   (Micron TN-41-01 "Calculating Memory System Power for DDR3"):

   * ``E_act = VDD * (IDD0*tRC - (IDD3N*tRAS + IDD2N*(tRC - tRAS)))``
   * ``E_rd/bit = VDD * (IDD4R - IDD3N) / (bits per second of the scope)``, same for IDD4W
   * ``P_bg = VDD * IDD3N`` (active standby: a streaming device keeps rows open)
   * ``P_ref = VDD * (IDD5B - IDD3N) * tRFC / tREFI``

   Currents are for a *scope* of ``channels_per_scope`` channels (an HBM2 legacy channel
   is two pseudo-channels); unit figures multiply by ``channels / channels_per_scope``.
3. **geometry** (the read path of O'Connor et al., "Fine-Grained DRAM", MICRO 2017, Table 3,
   for HBM2 at 1.2 V): ``read_core = (cell + datapath_mm * wire) * (VDD/1.2)^2 + tsv`` and
   ``act_pre = row_bits * 0.111 pJ * (VDD/1.2)^2``. The on-die datapath (column decoder ->
   bank-group mux -> global I/O, 1.01 + 1.23 pJ/bit in HBM2) is turned into a wire energy
   per mm by an assumed 7 mm mean bank-to-TSV distance on an HBM2 die.

Nothing is printed or read here; ``fail(path, message)`` collects problems.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kvpipe import units
from kvpipe.memory.organization import Organization, Timing
from kvpipe.units import Kind

VDD_REF_V = 1.2
ACT_J_PER_ROW_BIT_REF = 0.909e-9 / 8192  # O'Connor 2017 Table 3: 0.909 nJ per 1 KiB HBM2 row
CELL_J_PER_BIT_REF = 0.44e-12  # O'Connor 2017 Table 3: cell (RD/WR)
DATAPATH_J_PER_BIT_REF = (1.01 + 1.23) * 1e-12  # O'Connor 2017 Table 3: col-dec->BG mux->GIO
HBM2_DATAPATH_MM_REF = 7.0  # assumption: mean bank-to-TSV data wire on an ~8 x 12 mm HBM2 die
WIRE_J_PER_BIT_MM_REF = DATAPATH_J_PER_BIT_REF / HBM2_DATAPATH_MM_REF  # 0.32 pJ/bit/mm

Fail = Callable[[str, str], None]


@dataclass(frozen=True)
class OpEnergy:
    """Energies per DRAM operation for one unit; ``derivation`` says how each was obtained."""

    act_pre_j: float
    read_core_j_per_bit: float
    write_core_j_per_bit: float
    io_j_per_bit: float
    background_w: float
    refresh_w: float
    derivation: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class IddCurrents:
    """Datasheet currents (A) on one supply (V) for ``channels_per_scope`` channels."""

    vdd_v: float
    idd0_a: float
    idd2n_a: float
    idd3n_a: float
    idd4r_a: float
    idd4w_a: float
    idd5b_a: float
    channels_per_scope: int = 1


def idd_act_pre_j(c: IddCurrents, t_rc_s: float, t_ras_s: float) -> float:
    """Energy of one ACT+PRE pair: IDD0 over tRC minus the standby share (Micron TN-41-01)."""
    return c.vdd_v * (c.idd0_a * t_rc_s - (c.idd3n_a * t_ras_s + c.idd2n_a * (t_rc_s - t_ras_s)))


def idd_column_j_per_bit(c: IddCurrents, idd4_a: float, io_width_bits: int,
                         data_rate_bits_per_s: float) -> float:
    """Read (IDD4R) or write (IDD4W) energy per bit above active standby."""
    scope_bits_per_s = io_width_bits * c.channels_per_scope * data_rate_bits_per_s
    return c.vdd_v * (idd4_a - c.idd3n_a) / scope_bits_per_s


def idd_background_w(c: IddCurrents, channels: int) -> float:
    """Active-standby power of the whole unit."""
    return c.vdd_v * c.idd3n_a * channels / c.channels_per_scope


def idd_refresh_w(c: IddCurrents, t_rfc_s: float, t_refi_s: float, channels: int) -> float:
    """Average refresh power of the whole unit (one REFab per scope every tREFI)."""
    return c.vdd_v * (c.idd5b_a - c.idd3n_a) * t_rfc_s / t_refi_s * channels / c.channels_per_scope


def voltage_scale(vdd_v: float) -> float:
    """Dynamic energy scales with the square of the supply: (VDD / 1.2 V)^2."""
    return (vdd_v / VDD_REF_V) ** 2


def geometry_read_core_j_per_bit(datapath_mm: float, vdd_v: float, tsv_j_per_bit: float = 0.0,
                                 cell_j_per_bit: float | None = None,
                                 wire_j_per_bit_mm: float | None = None) -> float:
    """Cell + on-die wires (scaled by VDD^2) + TSV, per bit read or written."""
    s = voltage_scale(vdd_v)
    cell = CELL_J_PER_BIT_REF * s if cell_j_per_bit is None else cell_j_per_bit
    wire = WIRE_J_PER_BIT_MM_REF * s if wire_j_per_bit_mm is None else wire_j_per_bit_mm
    return cell + datapath_mm * wire + tsv_j_per_bit


def geometry_act_pre_j(row_bytes: int, vdd_v: float) -> float:
    """Activate+precharge of one row: charge every bitline of the row (HBM2 figure, VDD^2)."""
    return row_bytes * 8 * ACT_J_PER_ROW_BIT_REF * voltage_scale(vdd_v)


_ENERGY_KEYS = {"vdd", "act_pre", "act_pre_per_row_bit", "read_core", "write_core", "cell",
                "datapath", "wire", "tsv", "io", "background", "refresh", "refresh_per_ref", "idd"}
_IDD_KEYS = {"vdd", "idd0", "idd2n", "idd3n", "idd4r", "idd4w", "idd5b", "channels_per_scope"}


def resolve_energy(e: Mapping[str, Any], org: Organization, timing: Timing, fail: Fail,
                   path: str) -> OpEnergy:
    """Turn an ``energy:`` mapping into :class:`OpEnergy` (see the module doc for precedence)."""
    for key in e:
        if key not in _ENERGY_KEYS:
            fail(f"{path}.{key}", f"unknown field (expected one of {sorted(_ENERGY_KEYS)})")
    q = _Quantities(e, fail, path)
    idd = _idd(e.get("idd"), fail, f"{path}.idd")
    vdd = q.get("vdd", Kind.VOLTS) or VDD_REF_V
    how: dict[str, str] = {}

    act = _act_pre(q, org, timing, idd, vdd, how)
    read = _read_core(q, org, idd, vdd, how)
    write = _write_core(q, org, idd, vdd, read, how)
    io = q.get("io", Kind.J_PER_BIT)
    if io is None:
        fail(f"{path}.io", "missing (interface energy per bit is not in IDD figures)")
        io = 0.0
    how["io_j_per_bit"] = "given"
    bg = _background(q, org, idd, how)
    ref = _refresh(q, org, timing, idd, how)
    if bg is None:
        fail(f"{path}.background", "missing: give background power or idd currents")
    if ref is None:
        fail(f"{path}.refresh", "missing: give refresh power, refresh_per_ref or idd currents")
    if read is None:
        fail(f"{path}.read_core", "missing: give read_core, datapath (geometry) or idd currents")
    return OpEnergy(act_pre_j=act, read_core_j_per_bit=read or 0.0,
                    write_core_j_per_bit=write if write is not None else (read or 0.0),
                    io_j_per_bit=io, background_w=bg or 0.0, refresh_w=ref or 0.0,
                    derivation=MappingProxyType(how))


class _Quantities:
    def __init__(self, e: Mapping[str, Any], fail: Fail, path: str) -> None:
        self.e, self.fail, self.path = e, fail, path

    def get(self, key: str, kind: Kind) -> float | None:
        if key not in self.e:
            return None
        if kind == Kind.LENGTH_MM and not units.has_unit(self.e[key]) and self.e[key] not in (0, "0"):
            self.fail(f"{self.path}.{key}", f"{self.e[key]!r} needs a unit here, e.g. '{self.e[key]} mm'")
            return None
        try:
            x = units.parse_quantity(self.e[key], kind)
        except units.UnitError as err:
            self.fail(f"{self.path}.{key}", str(err))
            return None
        if x < 0:
            self.fail(f"{self.path}.{key}", f"must not be negative, got {x:g}")
            return None
        return x


def _idd(raw: Any, fail: Fail, path: str) -> IddCurrents | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping):
        fail(path, "expected a mapping of currents")
        return None
    for key in raw:
        if key not in _IDD_KEYS:
            fail(f"{path}.{key}", f"unknown field (expected one of {sorted(_IDD_KEYS)})")
    q = _Quantities(raw, fail, path)
    got = {k: q.get(k, Kind.AMPERES) for k in ("idd0", "idd2n", "idd3n", "idd4r", "idd4w", "idd5b")}
    vdd = q.get("vdd", Kind.VOLTS)
    missing = [k for k, v in got.items() if v is None] + ([] if vdd else ["vdd"])
    for k in missing:
        if k not in raw:
            fail(f"{path}.{k}", "missing")
    if missing or vdd is None:
        return None
    vals = {k: v for k, v in got.items() if v is not None}
    cps = raw.get("channels_per_scope", 1)
    try:
        cps = units.parse_count(cps)
    except units.UnitError as err:
        fail(f"{path}.channels_per_scope", str(err))
        cps = 1
    c = IddCurrents(vdd_v=vdd, idd0_a=vals["idd0"], idd2n_a=vals["idd2n"], idd3n_a=vals["idd3n"],
                    idd4r_a=vals["idd4r"], idd4w_a=vals["idd4w"], idd5b_a=vals["idd5b"],
                    channels_per_scope=max(cps, 1))
    if c.idd3n_a < c.idd2n_a:
        fail(f"{path}.idd3n", "active standby (IDD3N) below precharge standby (IDD2N)")
    for k in ("idd0", "idd4r", "idd4w", "idd5b"):
        if vals[k] < c.idd3n_a:
            fail(f"{path}.{k}", f"{k.upper()} below IDD3N gives a negative energy")
    return c


def _act_pre(q: _Quantities, org: Organization, t: Timing, idd: IddCurrents | None,
             vdd: float, how: dict[str, str]) -> float:
    if (x := q.get("act_pre", Kind.JOULES)) is not None:
        how["act_pre_j"] = "given"
        return x
    if (x := q.get("act_pre_per_row_bit", Kind.J_PER_BIT)) is not None:
        how["act_pre_j"] = "act_pre_per_row_bit x row bits"
        return x * org.row_bytes * 8
    if idd is not None:
        how["act_pre_j"] = "IDD: VDD*(IDD0*tRC - IDD3N*tRAS - IDD2N*(tRC-tRAS))"
        return idd_act_pre_j(idd, t.t_rc_s, t.t_ras_s)
    how["act_pre_j"] = "geometry: row bits x 0.111 pJ x (VDD/1.2)^2"
    return geometry_act_pre_j(org.row_bytes, vdd)


def _geometry_core(q: _Quantities, vdd: float) -> float | None:
    datapath = q.get("datapath", Kind.LENGTH_MM)
    if datapath is None:
        return None
    return geometry_read_core_j_per_bit(
        datapath, vdd, tsv_j_per_bit=q.get("tsv", Kind.J_PER_BIT) or 0.0,
        cell_j_per_bit=q.get("cell", Kind.J_PER_BIT),
        wire_j_per_bit_mm=q.get("wire", Kind.J_PER_BIT_MM))


def _read_core(q: _Quantities, org: Organization, idd: IddCurrents | None, vdd: float,
               how: dict[str, str]) -> float | None:
    if (x := q.get("read_core", Kind.J_PER_BIT)) is not None:
        how["read_core_j_per_bit"] = "given"
        return x
    if (x := _geometry_core(q, vdd)) is not None:
        how["read_core_j_per_bit"] = "geometry: (cell + datapath x wire) x (VDD/1.2)^2 + tsv"
        return x
    if idd is not None:
        how["read_core_j_per_bit"] = "IDD: VDD*(IDD4R-IDD3N)/bit rate"
        return idd_column_j_per_bit(idd, idd.idd4r_a, org.io_width_bits, org.data_rate_bits_per_s)
    return None


def _write_core(q: _Quantities, org: Organization, idd: IddCurrents | None, vdd: float,
                read: float | None, how: dict[str, str]) -> float | None:
    if (x := q.get("write_core", Kind.J_PER_BIT)) is not None:
        how["write_core_j_per_bit"] = "given"
        return x
    if "read_core" not in q.e and (x := _geometry_core(q, vdd)) is not None:
        how["write_core_j_per_bit"] = "geometry (same path as reads)"
        return x
    if idd is not None and "read_core" not in q.e:
        how["write_core_j_per_bit"] = "IDD: VDD*(IDD4W-IDD3N)/bit rate"
        return idd_column_j_per_bit(idd, idd.idd4w_a, org.io_width_bits, org.data_rate_bits_per_s)
    how["write_core_j_per_bit"] = "same as read_core"
    return read


def _background(q: _Quantities, org: Organization, idd: IddCurrents | None,
                how: dict[str, str]) -> float | None:
    if (x := q.get("background", Kind.WATTS)) is not None:
        how["background_w"] = "given"
        return x
    if idd is not None:
        how["background_w"] = "IDD: VDD*IDD3N x channels/scope"
        return idd_background_w(idd, org.channels)
    return None


def _refresh(q: _Quantities, org: Organization, t: Timing, idd: IddCurrents | None,
             how: dict[str, str]) -> float | None:
    if (x := q.get("refresh", Kind.WATTS)) is not None:
        how["refresh_w"] = "given"
        return x
    if (x := q.get("refresh_per_ref", Kind.JOULES)) is not None:
        how["refresh_w"] = "refresh_per_ref x channels / tREFI"
        return x * org.channels / t.t_refi_s
    if idd is not None:
        how["refresh_w"] = "IDD: VDD*(IDD5B-IDD3N)*tRFC/tREFI x channels/scope"
        return idd_refresh_w(idd, t.t_rfc_s, t.t_refi_s, org.channels)
    if t.refresh == "none":
        how["refresh_w"] = "no refresh"
        return 0.0
    return None
