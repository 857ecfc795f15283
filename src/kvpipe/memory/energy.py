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

Nothing is printed, read or parsed here (the figures arrive in SI, :class:`EnergyInputs`);
``fail(path, message)`` collects problems.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from kvpipe.memory.organization import Organization, Timing

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


@dataclass(frozen=True)
class EnergyInputs:
    """The energy figures a device description states, in SI (``None``: not stated); the
    ``energy:`` section of a device file (docs/memory.md section 1)."""

    io_j_per_bit: float
    vdd_v: float | None = None
    act_pre_j: float | None = None
    act_pre_j_per_row_bit: float | None = None
    read_core_j_per_bit: float | None = None
    write_core_j_per_bit: float | None = None
    cell_j_per_bit: float | None = None
    datapath_mm: float | None = None
    wire_j_per_bit_mm: float | None = None
    tsv_j_per_bit: float | None = None
    background_w: float | None = None
    refresh_w: float | None = None
    refresh_per_ref_j: float | None = None
    idd: IddCurrents | None = None


def resolve_energy(given: EnergyInputs, org: Organization, timing: Timing, fail: Fail,
                   path: str) -> OpEnergy:
    """The per-operation energies from what a description states (see the module doc for
    precedence); a figure no statement gives, and currents that give a negative energy, are
    reported through ``fail`` (under ``path``)."""
    idd = given.idd
    if idd is not None:
        for key, message in idd_problems(idd):
            fail(f"{path}.idd.{key}", message)
    vdd = given.vdd_v if given.vdd_v is not None else VDD_REF_V
    how: dict[str, str] = {}

    act = _act_pre(given, org, timing, vdd, how)
    read = _read_core(given, org, vdd, how)
    write = _write_core(given, org, vdd, read, how)
    how["io_j_per_bit"] = "given"
    bg = _background(given, org, how)
    ref = _refresh(given, org, timing, how)
    if bg is None:
        fail(f"{path}.background", "missing: give background power or idd currents")
    if ref is None:
        fail(f"{path}.refresh", "missing: give refresh power, refresh_per_ref or idd currents")
    if read is None:
        fail(f"{path}.read_core", "missing: give read_core, datapath (geometry) or idd currents")
    return OpEnergy(act_pre_j=act, read_core_j_per_bit=read or 0.0,
                    write_core_j_per_bit=write if write is not None else (read or 0.0),
                    io_j_per_bit=given.io_j_per_bit, background_w=bg or 0.0, refresh_w=ref or 0.0,
                    derivation=MappingProxyType(how))


def idd_problems(c: IddCurrents) -> list[tuple[str, str]]:
    """Currents whose differences would give a negative energy: (current's key, message)."""
    out: list[tuple[str, str]] = []
    if c.idd3n_a < c.idd2n_a:
        out.append(("idd3n", "active standby (IDD3N) below precharge standby (IDD2N)"))
    for key, value in (("idd0", c.idd0_a), ("idd4r", c.idd4r_a), ("idd4w", c.idd4w_a), ("idd5b", c.idd5b_a)):
        if value < c.idd3n_a:
            out.append((key, f"{key.upper()} below IDD3N gives a negative energy"))
    return out


def _act_pre(g: EnergyInputs, org: Organization, t: Timing, vdd: float, how: dict[str, str]) -> float:
    idd = g.idd
    if (x := g.act_pre_j) is not None:
        how["act_pre_j"] = "given"
        return x
    if (x := g.act_pre_j_per_row_bit) is not None:
        how["act_pre_j"] = "act_pre_per_row_bit x row bits"
        return x * org.row_bytes * 8
    if idd is not None:
        how["act_pre_j"] = "IDD: VDD*(IDD0*tRC - IDD3N*tRAS - IDD2N*(tRC-tRAS))"
        return idd_act_pre_j(idd, t.t_rc_s, t.t_ras_s)
    how["act_pre_j"] = "geometry: row bits x 0.111 pJ x (VDD/1.2)^2"
    return geometry_act_pre_j(org.row_bytes, vdd)


def _geometry_core(g: EnergyInputs, vdd: float) -> float | None:
    if g.datapath_mm is None:
        return None
    return geometry_read_core_j_per_bit(
        g.datapath_mm, vdd, tsv_j_per_bit=g.tsv_j_per_bit or 0.0,
        cell_j_per_bit=g.cell_j_per_bit, wire_j_per_bit_mm=g.wire_j_per_bit_mm)


def _read_core(g: EnergyInputs, org: Organization, vdd: float, how: dict[str, str]) -> float | None:
    idd = g.idd
    if (x := g.read_core_j_per_bit) is not None:
        how["read_core_j_per_bit"] = "given"
        return x
    if (x := _geometry_core(g, vdd)) is not None:
        how["read_core_j_per_bit"] = "geometry: (cell + datapath x wire) x (VDD/1.2)^2 + tsv"
        return x
    if idd is not None:
        how["read_core_j_per_bit"] = "IDD: VDD*(IDD4R-IDD3N)/bit rate"
        return idd_column_j_per_bit(idd, idd.idd4r_a, org.io_width_bits, org.data_rate_bits_per_s)
    return None


def _write_core(g: EnergyInputs, org: Organization, vdd: float, read: float | None,
                how: dict[str, str]) -> float | None:
    idd = g.idd
    if (x := g.write_core_j_per_bit) is not None:
        how["write_core_j_per_bit"] = "given"
        return x
    if g.read_core_j_per_bit is None and (x := _geometry_core(g, vdd)) is not None:
        how["write_core_j_per_bit"] = "geometry (same path as reads)"
        return x
    if idd is not None and g.read_core_j_per_bit is None:
        how["write_core_j_per_bit"] = "IDD: VDD*(IDD4W-IDD3N)/bit rate"
        return idd_column_j_per_bit(idd, idd.idd4w_a, org.io_width_bits, org.data_rate_bits_per_s)
    how["write_core_j_per_bit"] = "same as read_core"
    return read


def _background(g: EnergyInputs, org: Organization, how: dict[str, str]) -> float | None:
    idd = g.idd
    if (x := g.background_w) is not None:
        how["background_w"] = "given"
        return x
    if idd is not None:
        how["background_w"] = "IDD: VDD*IDD3N x channels/scope"
        return idd_background_w(idd, org.channels)
    return None


def _refresh(g: EnergyInputs, org: Organization, t: Timing, how: dict[str, str]) -> float | None:
    idd = g.idd
    if (x := g.refresh_w) is not None:
        how["refresh_w"] = "given"
        return x
    if (x := g.refresh_per_ref_j) is not None:
        how["refresh_w"] = "refresh_per_ref x channels / tREFI"
        return x * org.channels / t.t_refi_s
    if idd is not None:
        how["refresh_w"] = "IDD: VDD*(IDD5B-IDD3N)*tRFC/tREFI x channels/scope"
        return idd_refresh_w(idd, t.t_rfc_s, t.t_refi_s, org.channels)
    if t.refresh == "none":
        how["refresh_w"] = "no refresh"
        return 0.0
    return None
