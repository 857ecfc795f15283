"""A DRAM device described by its parameters: organization, timings, energy, attachment.

``device_from_dict`` turns a plain (already loaded) dictionary into a frozen :class:`Device`,
reporting every problem at once in a :class:`DeviceError` whose ``errors`` is a list of
``(field path, message)``. Values may be numbers (SI) or strings with units ("14 ns",
"1 KiB", "6.4 Gb/s"); timings may also be written in clock cycles ("23 nCK").

One *unit* is what one countable part is (an HBM stack, a GDDR package, a DIMM, a 3D tile);
``channels`` are the independent command/data channels of one unit (pseudo-channels for
HBM, grains for a fine-grained DRAM).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kvpipe import units
from kvpipe.memory.energy import OpEnergy, resolve_energy
from kvpipe.memory.organization import Organization, Timing
from kvpipe.units import Kind

REFRESH_MODES = ("all_bank", "per_bank", "none")
__all__ = ["Attach2p5D", "Attach3D", "Device", "DeviceError", "Organization", "Timing",
           "device_from_dict"]


class DeviceError(ValueError):
    """A device description that cannot be modelled; ``errors`` lists (field, message)."""

    def __init__(self, errors: list[tuple[str, str]], name: str = "device") -> None:
        self.errors = list(errors)
        lines = "\n".join(f"  {f}: {m}" for f, m in self.errors)
        super().__init__(f"{name}: {len(self.errors)} problem(s)\n{lines}")


@dataclass(frozen=True)
class Attach2p5D:
    """Beside the logic die on an interposer: each unit takes die edge (shoreline)."""

    footprint_along_edge_mm: float  # unit's side parallel to the logic-die edge
    footprint_depth_mm: float
    shoreline_mm: float  # logic-die edge one unit's PHY needs
    board_fanout: bool = False  # units sit on a board/substrate away from the die: only PHY counts
    kind: str = "2.5d"

    @property
    def slot_mm(self) -> float:
        """Die edge one unit uses: its PHY, and its footprint when it sits at the edge."""
        if self.board_fanout:
            return self.shoreline_mm
        return max(self.shoreline_mm, self.footprint_along_edge_mm)

    @property
    def footprint_mm2(self) -> float:
        return self.footprint_along_edge_mm * self.footprint_depth_mm


@dataclass(frozen=True)
class Attach3D:
    """Hybrid-bonded on top of the logic die: bandwidth scales with the bonded area."""

    footprint_mm2: float  # logic-die area one unit covers
    bond_pitch_m: float
    data_bond_fraction: float  # fraction of bonds that carry data
    rate_per_bond_bits_per_s: float
    stack_height: int  # DRAM layers
    capacity_per_layer_bytes: float
    kind: str = "3d"

    @property
    def bonds(self) -> float:
        return self.footprint_mm2 * 1e-6 / self.bond_pitch_m**2

    @property
    def bond_bw_bytes_per_s(self) -> float:
        return self.bonds * self.data_bond_fraction * self.rate_per_bond_bits_per_s / 8.0


@dataclass(frozen=True)
class Device:
    name: str
    family: str
    unit: str
    organization: Organization
    timing: Timing
    energy: OpEnergy
    attachment: Attach2p5D | Attach3D
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def capacity_bytes(self) -> float:
        return self.organization.capacity_bytes

    @property
    def peak_bw_bytes_per_s(self) -> float:
        return self.organization.peak_bw_bytes_per_s


class _Reader:
    """Reads typed values out of nested dicts, collecting (field, message) errors."""

    def __init__(self) -> None:
        self.errors: list[tuple[str, str]] = []

    def fail(self, path: str, message: str) -> None:
        self.errors.append((path, message))

    def section(self, d: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
        value = d.get(key)
        if value is None:
            self.fail(_join(path, key), "missing section")
            return {}
        if not isinstance(value, Mapping):
            self.fail(_join(path, key), "expected a mapping")
            return {}
        return value

    def unknown(self, d: Mapping[str, Any], allowed: set[str], path: str) -> None:
        for key in d:
            if key not in allowed:
                self.fail(_join(path, str(key)),
                          f"unknown field (expected one of {sorted(allowed)})")

    def count(self, d: Mapping[str, Any], key: str, path: str, default: int | None = None,
              minimum: int = 1) -> int:
        p = _join(path, key)
        if key not in d:
            if default is None:
                self.fail(p, "missing")
                return minimum
            return default
        try:
            n = units.parse_count(d[key])
        except units.UnitError as e:
            self.fail(p, str(e))
            return minimum
        if n < minimum:
            self.fail(p, f"must be >= {minimum}, got {n}")
            return minimum
        return n

    def quantity(self, d: Mapping[str, Any], key: str, kind: Kind, path: str,
                 default: float | None = None, positive: bool = True) -> float:
        p = _join(path, key)
        if key not in d:
            if default is None:
                self.fail(p, "missing")
                return 1.0
            return default
        raw = d[key]
        if kind in _UNIT_REQUIRED and not units.has_unit(raw) and raw not in (0, "0"):
            # system files read bare lengths as mm (their keys carry the unit); the field names
            # here carry none, so ask for the unit rather than guess
            self.fail(p, f"{raw!r} needs a unit here, e.g. '{raw} mm'")
            return 1.0
        try:
            x = units.parse_quantity(raw, kind)
        except units.UnitError as e:
            self.fail(p, str(e))
            return 1.0
        return self._sign(p, x, positive)

    def timing(self, d: Mapping[str, Any], key: str, path: str, t_ck_s: float | None,
               default: float | None = None) -> float:
        p = _join(path, key)
        if key not in d:
            if default is None:
                self.fail(p, "missing")
                return 1e-9
            return default
        raw = d[key]
        try:
            x = units.parse_time_or_cycles(raw, t_ck_s)
        except units.UnitError as e:
            self.fail(p, str(e))
            return 1e-9
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and x >= 1e-3:
            self.fail(p, f"{raw!r} seconds is not a DRAM timing; write the unit, e.g. '{raw} ns'")
        return self._sign(p, x, True)

    def _sign(self, path: str, x: float, positive: bool) -> float:
        if positive and not x > 0:
            self.fail(path, f"must be > 0, got {x:g}")
            return 1.0
        if x < 0:
            self.fail(path, f"must not be negative, got {x:g}")
            return 0.0
        return x


_UNIT_REQUIRED = (Kind.LENGTH_MM, Kind.AREA_MM2)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


_ORG_KEYS = {"channels", "bank_groups", "banks_per_group", "rows_per_bank", "row_bytes",
             "io_width_bits", "burst_length", "data_rate", "dies", "capacity"}
_TIMING_KEYS = {"tCK", "tRCD", "tRP", "tRAS", "tRC", "tCCD_S", "tCCD_L", "tRRD_S", "tRRD_L",
                "tFAW", "tWTR", "tRTW", "tRFC", "tREFI", "tCL", "tCWL", "tRTP", "tWR",
                "refresh", "tRFCpb", "t32AW"}
_TOP_KEYS = {"name", "family", "unit", "organization", "timing", "energy", "attachment",
             "sources", "notes"}


def device_from_dict(d: Mapping[str, Any]) -> Device:
    """Validate a device description and build the :class:`Device`; raise :class:`DeviceError`."""
    r = _Reader()
    if not isinstance(d, Mapping):
        raise DeviceError([("", "expected a mapping")])
    r.unknown(d, _TOP_KEYS, "")
    name = str(d.get("name", "")) or "device"
    if "name" not in d:
        r.fail("name", "missing")
    org = _organization(r, r.section(d, "organization", ""))
    timing = _timing(r, r.section(d, "timing", ""), org)
    energy_raw = r.section(d, "energy", "")
    energy = resolve_energy(energy_raw, org, timing, r.fail, "energy")
    attachment = _attachment(r, r.section(d, "attachment", ""), org)
    sources = d.get("sources", {})
    if not isinstance(sources, Mapping):
        r.fail("sources", "expected a mapping of field path -> source")
        sources = {}
    if r.errors:
        raise DeviceError(r.errors, name)
    return Device(
        name=name,
        family=str(d.get("family", name)),
        unit=str(d.get("unit", "die")),
        organization=org,
        timing=timing,
        energy=energy,
        attachment=attachment,
        sources=MappingProxyType({str(k): str(v) for k, v in sources.items()}),
    )


def _organization(r: _Reader, o: Mapping[str, Any]) -> Organization:
    p = "organization"
    r.unknown(o, _ORG_KEYS, p)
    org = Organization(
        channels=r.count(o, "channels", p),
        bank_groups=r.count(o, "bank_groups", p, default=1),
        banks_per_group=r.count(o, "banks_per_group", p),
        rows_per_bank=r.count(o, "rows_per_bank", p),
        row_bytes=int(r.quantity(o, "row_bytes", Kind.BYTES, p)),
        io_width_bits=r.count(o, "io_width_bits", p),
        burst_length=r.count(o, "burst_length", p),
        data_rate_bits_per_s=r.quantity(o, "data_rate", Kind.BITS_PER_S, p),
        dies=r.count(o, "dies", p, default=1),
    )
    _check_geometry(r, o, org)
    return org


def _check_geometry(r: _Reader, o: Mapping[str, Any], org: Organization) -> None:
    p = "organization"
    bits = org.io_width_bits * org.burst_length
    if bits % 8:
        r.fail(f"{p}.burst_length",
               f"io_width_bits x burst_length = {bits} bits is not whole bytes")
        return
    if org.row_bytes < 1:
        r.fail(f"{p}.row_bytes", "must be at least one byte")
        return
    if org.row_bytes % org.burst_bytes:
        r.fail(f"{p}.row_bytes", f"impossible geometry: a row of {org.row_bytes} B is not a whole "
               f"number of {org.burst_bytes} B bursts (io_width_bits x burst_length / 8)")
    if "capacity" in o:
        cap = r.quantity(o, "capacity", Kind.BYTES, p)
        geo = org.capacity_bytes
        if abs(cap - geo) > 0.01 * cap:
            r.fail(f"{p}.capacity", f"impossible geometry: {cap:.4g} B stated but channels x banks "
                   f"x rows_per_bank x row_bytes = {geo:.4g} B")


def _timing(r: _Reader, t: Mapping[str, Any], org: Organization) -> Timing:
    p = "timing"
    r.unknown(t, _TIMING_KEYS, p)
    ck = r.timing(t, "tCK", p, None)  # cycles need a tCK, so "5 nCK" is rejected here
    g = {k: r.timing(t, k, p, ck) for k in ("tRCD", "tRP", "tRAS", "tFAW", "tRFC", "tREFI")}
    ccd_s = r.timing(t, "tCCD_S", p, ck)
    rrd_s = r.timing(t, "tRRD_S", p, ck)
    refresh = str(t.get("refresh", "all_bank"))
    if refresh not in REFRESH_MODES:
        r.fail(f"{p}.refresh", f"must be one of {REFRESH_MODES}, got {refresh!r}")
    burst_s = org.burst_time_s if org.data_rate_bits_per_s > 0 else ck
    timing = Timing(
        t_ck_s=ck, t_rcd_s=g["tRCD"], t_rp_s=g["tRP"], t_ras_s=g["tRAS"],
        t_rc_s=r.timing(t, "tRC", p, ck, default=g["tRAS"] + g["tRP"]),
        t_ccd_short_s=ccd_s, t_ccd_long_s=r.timing(t, "tCCD_L", p, ck, default=ccd_s),
        t_rrd_short_s=rrd_s, t_rrd_long_s=r.timing(t, "tRRD_L", p, ck, default=rrd_s),
        t_faw_s=g["tFAW"], t_wtr_s=r.timing(t, "tWTR", p, ck), t_rtw_s=r.timing(t, "tRTW", p, ck),
        t_rfc_s=g["tRFC"], t_refi_s=g["tREFI"],
        t_cl_s=r.timing(t, "tCL", p, ck, default=g["tRCD"]),
        t_cwl_s=r.timing(t, "tCWL", p, ck, default=g["tRCD"] / 2),
        t_rtp_s=r.timing(t, "tRTP", p, ck, default=max(burst_s, 4 * ck)),
        t_wr_s=r.timing(t, "tWR", p, ck, default=15e-9),
        refresh=refresh,
        t_rfc_pb_s=r.timing(t, "tRFCpb", p, ck, default=g["tRFC"] / 2),
        t_32aw_s=r.timing(t, "t32AW", p, ck, default=0.0),
    )
    _check_timing(r, timing, org)
    return timing


def _check_timing(r: _Reader, t: Timing, org: Organization) -> None:
    p = "timing"
    if t.t_ras_s < t.t_rcd_s:
        r.fail(f"{p}.tRAS", f"tRAS ({t.t_ras_s * 1e9:g} ns) < tRCD ({t.t_rcd_s * 1e9:g} ns): "
               "a row must stay open at least until it can be read")
    if t.t_rc_s < t.t_ras_s + t.t_rp_s - t.t_ck_s - 1e-12:
        r.fail(f"{p}.tRC", "tRC must be >= tRAS + tRP (within one tCK of rounding)")
    if t.t_ccd_long_s < t.t_ccd_short_s:
        r.fail(f"{p}.tCCD_L", "tCCD_L must be >= tCCD_S")
    if t.t_rrd_long_s < t.t_rrd_short_s:
        r.fail(f"{p}.tRRD_L", "tRRD_L must be >= tRRD_S")
    if t.t_faw_s < t.t_rrd_short_s:
        r.fail(f"{p}.tFAW", "tFAW must be >= tRRD_S")
    if 0 < t.t_32aw_s < t.t_faw_s:
        r.fail(f"{p}.t32AW", "t32AW (32-activate window) must be >= tFAW")
    if t.t_ck_s > t.t_rcd_s:
        r.fail(f"{p}.tCK", "tCK longer than tRCD")
    if t.refresh != "none" and t.t_refi_s <= t.t_rfc_s:
        r.fail(f"{p}.tREFI", "tREFI must be longer than tRFC (the device would only refresh)")
    if t.refresh == "per_bank" and t.t_rfc_pb_s >= t.t_refi_s:
        r.fail(f"{p}.tRFCpb", "tRFCpb must be shorter than tREFI")


def _attachment(r: _Reader, a: Mapping[str, Any], org: Organization) -> Attach2p5D | Attach3D:
    p = "attachment"
    kind = str(a.get("type", "")).lower()
    if kind == "2.5d":
        r.unknown(a, {"type", "footprint_along_edge", "footprint_depth", "shoreline",
                      "board_fanout"}, p)
        fanout = a.get("board_fanout", False)
        if not isinstance(fanout, bool):
            r.fail(f"{p}.board_fanout", "expected true or false")
            fanout = False
        return Attach2p5D(
            footprint_along_edge_mm=r.quantity(a, "footprint_along_edge", Kind.LENGTH_MM, p),
            footprint_depth_mm=r.quantity(a, "footprint_depth", Kind.LENGTH_MM, p),
            shoreline_mm=r.quantity(a, "shoreline", Kind.LENGTH_MM, p),
            board_fanout=fanout,
        )
    if kind == "3d":
        r.unknown(a, {"type", "footprint", "bond_pitch", "data_bond_fraction", "rate_per_bond",
                      "stack_height", "capacity_per_layer"}, p)
        att = Attach3D(
            footprint_mm2=r.quantity(a, "footprint", Kind.AREA_MM2, p),
            bond_pitch_m=r.quantity(a, "bond_pitch", Kind.LENGTH_MM, p) * 1e-3,
            data_bond_fraction=r.quantity(a, "data_bond_fraction", Kind.FRACTION, p),
            rate_per_bond_bits_per_s=r.quantity(a, "rate_per_bond", Kind.BITS_PER_S, p),
            stack_height=r.count(a, "stack_height", p),
            capacity_per_layer_bytes=r.quantity(a, "capacity_per_layer", Kind.BYTES, p),
        )
        if att.data_bond_fraction > 1:
            r.fail(f"{p}.data_bond_fraction", "must be a fraction in (0, 1]")
        cap = att.capacity_per_layer_bytes * att.stack_height
        if abs(cap - org.capacity_bytes) > 0.01 * cap:
            r.fail(f"{p}.capacity_per_layer",
                   f"impossible geometry: stack_height x capacity_per_layer = {cap:.4g} B but the "
                   f"organization holds {org.capacity_bytes:.4g} B")
        return att
    r.fail(f"{p}.type", f"must be '2.5d' or '3d', got {a.get('type')!r}")
    return Attach2p5D(1.0, 1.0, 1.0)
