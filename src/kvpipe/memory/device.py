"""A DRAM device described by its parameters: organization, timings, energy, attachment.

The frozen :class:`Device` and what the device model itself knows about one: the defaults of
the timings a description may leave out (:func:`complete_timing`) and what makes a description
physically impossible (:func:`organization_problems`, :func:`timing_problems`,
:func:`attachment_problems`: geometry, the order of timings, a 3D stack's layers). Device
files are read at the edge (``kvpipe.config.device_spec``: a pydantic spec, then a factory
that builds these objects); nothing here parses text.

One *unit* is what one countable part is (an HBM stack, a GDDR package, a DIMM, a 3D tile);
``channels`` are the independent command/data channels of one unit (pseudo-channels for
HBM, grains for a fine-grained DRAM).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from kvpipe.memory.energy import OpEnergy
from kvpipe.memory.organization import Organization, Timing

REFRESH_MODES = ("all_bank", "per_bank", "none")
__all__ = ["REFRESH_MODES", "Attach2p5D", "Attach3D", "Device", "Organization", "Timing", "attachment_problems",
           "complete_timing", "organization_problems", "timing_problems"]


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


def complete_timing(burst_time_s: float, *, t_ck_s: float, t_rcd_s: float, t_rp_s: float, t_ras_s: float,
                    t_ccd_short_s: float, t_rrd_short_s: float, t_faw_s: float, t_wtr_s: float,
                    t_rtw_s: float, t_rfc_s: float, t_refi_s: float, refresh: str = "all_bank",
                    t_rc_s: float | None = None, t_ccd_long_s: float | None = None,
                    t_rrd_long_s: float | None = None, t_cl_s: float | None = None,
                    t_cwl_s: float | None = None, t_rtp_s: float | None = None, t_wr_s: float | None = None,
                    t_rfc_pb_s: float | None = None, t_32aw_s: float | None = None) -> Timing:
    """The timings a description gives, and the defaults of those it may leave out: tRC =
    tRAS + tRP, tCCD_L = tCCD_S, tRRD_L = tRRD_S, tCL = tRCD, tCWL = tRCD / 2, tRTP = the
    longer of one burst (``Organization.burst_time_s``) and 4 tCK, tWR = 15 ns, tRFCpb =
    tRFC / 2, no 32-activate window."""

    def given(value: float | None, default: float) -> float:
        return default if value is None else value

    return Timing(
        t_ck_s=t_ck_s, t_rcd_s=t_rcd_s, t_rp_s=t_rp_s, t_ras_s=t_ras_s,
        t_rc_s=given(t_rc_s, t_ras_s + t_rp_s),
        t_ccd_short_s=t_ccd_short_s, t_ccd_long_s=given(t_ccd_long_s, t_ccd_short_s),
        t_rrd_short_s=t_rrd_short_s, t_rrd_long_s=given(t_rrd_long_s, t_rrd_short_s),
        t_faw_s=t_faw_s, t_wtr_s=t_wtr_s, t_rtw_s=t_rtw_s, t_rfc_s=t_rfc_s, t_refi_s=t_refi_s,
        t_cl_s=given(t_cl_s, t_rcd_s), t_cwl_s=given(t_cwl_s, t_rcd_s / 2),
        t_rtp_s=given(t_rtp_s, max(burst_time_s, 4 * t_ck_s)), t_wr_s=given(t_wr_s, 15e-9),
        refresh=refresh, t_rfc_pb_s=given(t_rfc_pb_s, t_rfc_s / 2), t_32aw_s=given(t_32aw_s, 0.0),
    )


def organization_problems(org: Organization, stated_capacity_bytes: float | None = None) -> list[tuple[str, str]]:
    """What makes an organization impossible, as (field path of its description, message):
    bursts that are not whole bytes, rows that are not whole bursts, a stated capacity the
    geometry does not hold."""
    p = "organization"
    bits = org.io_width_bits * org.burst_length
    if bits % 8:
        return [(f"{p}.burst_length", f"io_width_bits x burst_length = {bits} bits is not whole bytes")]
    if org.row_bytes < 1:
        return [(f"{p}.row_bytes", "must be at least one byte")]
    out: list[tuple[str, str]] = []
    if org.row_bytes % org.burst_bytes:
        out.append((f"{p}.row_bytes", f"impossible geometry: a row of {org.row_bytes} B is not a whole "
                    f"number of {org.burst_bytes} B bursts (io_width_bits x burst_length / 8)"))
    cap, geo = stated_capacity_bytes, org.capacity_bytes
    if cap is not None and abs(cap - geo) > 0.01 * cap:
        out.append((f"{p}.capacity", f"impossible geometry: {cap:.4g} B stated but channels x banks "
                    f"x rows_per_bank x row_bytes = {geo:.4g} B"))
    return out


def timing_problems(t: Timing) -> list[tuple[str, str]]:
    """Timings out of order (tRAS < tRCD, tRC < tRAS + tRP, ...), as (field path, message)."""
    p = "timing"
    checks = (
        ("tRAS", t.t_ras_s < t.t_rcd_s, f"tRAS ({t.t_ras_s * 1e9:g} ns) < tRCD ({t.t_rcd_s * 1e9:g} ns): "
                                        "a row must stay open at least until it can be read"),
        ("tRC", t.t_rc_s < t.t_ras_s + t.t_rp_s - t.t_ck_s - 1e-12, "tRC must be >= tRAS + tRP (within one tCK of rounding)"),
        ("tCCD_L", t.t_ccd_long_s < t.t_ccd_short_s, "tCCD_L must be >= tCCD_S"),
        ("tRRD_L", t.t_rrd_long_s < t.t_rrd_short_s, "tRRD_L must be >= tRRD_S"),
        ("tFAW", t.t_faw_s < t.t_rrd_short_s, "tFAW must be >= tRRD_S"),
        ("t32AW", 0 < t.t_32aw_s < t.t_faw_s, "t32AW (32-activate window) must be >= tFAW"),
        ("tCK", t.t_ck_s > t.t_rcd_s, "tCK longer than tRCD"),
        ("tREFI", t.refresh != "none" and t.t_refi_s <= t.t_rfc_s,
         "tREFI must be longer than tRFC (the device would only refresh)"),
        ("tRFCpb", t.refresh == "per_bank" and t.t_rfc_pb_s >= t.t_refi_s, "tRFCpb must be shorter than tREFI"),
    )
    return [(f"{p}.{key}", message) for key, failed, message in checks if failed]


def attachment_problems(a: Attach2p5D | Attach3D, org: Organization) -> list[tuple[str, str]]:
    """A 3D stack whose layers do not hold the organization's capacity, as (field path, message)."""
    if not isinstance(a, Attach3D):
        return []
    cap = a.capacity_per_layer_bytes * a.stack_height
    if abs(cap - org.capacity_bytes) > 0.01 * cap:
        return [("attachment.capacity_per_layer",
                 f"impossible geometry: stack_height x capacity_per_layer = {cap:.4g} B but the "
                 f"organization holds {org.capacity_bytes:.4g} B")]
    return []
