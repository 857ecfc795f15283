"""Closed-form effective bandwidth and energy of a DRAM device for the KV access pattern.

Pure numpy: every device parameter and every pattern field may be an array; results
broadcast. One call evaluates a grid of design points. Formulas are in ``docs/memory.md``
(section "Closed-form model"); each one lives in one function here.

The address mapping assumed (the cycle model and the trace export use the same) sends
consecutive bursts to consecutive channels, then bank groups, then columns of a row, then
banks, then rows (``mapping.decompose``). A run therefore streams ``run / (C*G)`` bytes
through each (channel, bank group), opening a new row every ``row_bytes`` of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvpipe.memory.device import Device
from kvpipe.memory.pattern import Controller, KVPattern

Arr = NDArray[np.float64]


@dataclass(frozen=True)
class DeviceArrays:
    """The device figures the closed form needs, as arrays (one entry per device)."""

    channels: Arr
    bank_groups: Arr
    banks_per_group: Arr
    row_bytes: Arr
    burst_bytes: Arr
    burst_time_s: Arr
    t_ccd_short_s: Arr
    t_ccd_long_s: Arr
    t_rrd_short_s: Arr
    t_rrd_long_s: Arr
    t_faw_s: Arr
    t_32aw_s: Arr  # 0: no 32-activate window
    t_rcd_s: Arr
    t_rp_s: Arr
    t_rc_s: Arr
    t_rtp_s: Arr
    t_rtw_s: Arr
    t_wtr_s: Arr
    t_cwl_s: Arr
    t_rfc_s: Arr
    t_refi_s: Arr
    t_rfc_pb_s: Arr
    refresh_all_bank: Arr  # 1 for all-bank refresh
    refresh_per_bank: Arr  # 1 for per-bank refresh
    peak_bw_bytes_per_s: Arr
    act_pre_j: Arr
    read_core_j_per_bit: Arr
    write_core_j_per_bit: Arr
    io_j_per_bit: Arr
    background_w: Arr
    refresh_w: Arr


def device_arrays(devices: Device | Sequence[Device]) -> DeviceArrays:
    """Stack devices into arrays of shape (n_devices,) (a single device gives shape ())."""
    single = isinstance(devices, Device)
    devs: list[Device] = [devices] if isinstance(devices, Device) else list(devices)

    def col(f) -> Arr:  # noqa: ANN001 - a getter
        a = np.array([float(f(d)) for d in devs])
        return a[0] if single else a

    return DeviceArrays(
        channels=col(lambda d: d.organization.channels),
        bank_groups=col(lambda d: d.organization.bank_groups),
        banks_per_group=col(lambda d: d.organization.banks_per_group),
        row_bytes=col(lambda d: d.organization.row_bytes),
        burst_bytes=col(lambda d: d.organization.burst_bytes),
        burst_time_s=col(lambda d: d.organization.burst_time_s),
        t_ccd_short_s=col(lambda d: d.timing.t_ccd_short_s),
        t_ccd_long_s=col(lambda d: d.timing.t_ccd_long_s),
        t_rrd_short_s=col(lambda d: d.timing.t_rrd_short_s),
        t_rrd_long_s=col(lambda d: d.timing.t_rrd_long_s),
        t_faw_s=col(lambda d: d.timing.t_faw_s),
        t_32aw_s=col(lambda d: d.timing.t_32aw_s),
        t_rcd_s=col(lambda d: d.timing.t_rcd_s),
        t_rp_s=col(lambda d: d.timing.t_rp_s),
        t_rc_s=col(lambda d: d.timing.t_rc_s),
        t_rtp_s=col(lambda d: d.timing.t_rtp_s),
        t_rtw_s=col(lambda d: d.timing.t_rtw_s),
        t_wtr_s=col(lambda d: d.timing.t_wtr_s),
        t_cwl_s=col(lambda d: d.timing.t_cwl_s),
        t_rfc_s=col(lambda d: d.timing.t_rfc_s),
        t_refi_s=col(lambda d: d.timing.t_refi_s),
        t_rfc_pb_s=col(lambda d: d.timing.t_rfc_pb_s),
        refresh_all_bank=col(lambda d: d.timing.refresh == "all_bank"),
        refresh_per_bank=col(lambda d: d.timing.refresh == "per_bank"),
        peak_bw_bytes_per_s=col(lambda d: d.peak_bw_bytes_per_s),
        act_pre_j=col(lambda d: d.energy.act_pre_j),
        read_core_j_per_bit=col(lambda d: d.energy.read_core_j_per_bit),
        write_core_j_per_bit=col(lambda d: d.energy.write_core_j_per_bit),
        io_j_per_bit=col(lambda d: d.energy.io_j_per_bit),
        background_w=col(lambda d: d.energy.background_w),
        refresh_w=col(lambda d: d.energy.refresh_w),
    )


def outer(d: DeviceArrays, ndim: int) -> DeviceArrays:
    """Add ``ndim`` trailing axes so devices broadcast against pattern arrays (grid use)."""
    shape = (...,) + (None,) * ndim
    return DeviceArrays(**{f.name: np.asarray(getattr(d, f.name))[shape] for f in fields(d)})


@dataclass(frozen=True)
class KVMemoryFigures:
    """Effective figures of one unit for the KV pattern (arrays broadcast over the inputs).

    Energies per bit moved, by what they cover: ``act_j_per_bit`` + ``core_j_per_bit`` are
    **core-only** (activation share, cells to pins; what IDD-based figures describe);
    ``io_j_per_bit`` adds the interface (I/O and PHY): ``access_path_j_per_bit`` is the
    **whole access path** (the kind of figure vendors publish as pJ/bit);
    ``total_j_per_bit`` adds the standby and refresh shares (all-in).

    Losses are fractions of the bandwidth left by the previous step, in this order:
    column (tCCD/burst), activation (tRRD/tFAW/tRC and per-bank row cycle, for a run
    alone), conflict (extra activations when concurrent runs share banks), lookahead (ACT
    latency the queue cannot hide), turnaround (read/write switches), refresh.
    """

    peak_bw_bytes_per_s: Arr
    effective_bw_bytes_per_s: Arr
    row_hit_rate: Arr
    bytes_per_activation: Arr
    column_loss: Arr
    activation_loss: Arr
    lookahead_loss: Arr
    turnaround_loss: Arr
    refresh_loss: Arr
    conflict_loss: Arr
    act_j_per_bit: Arr
    core_j_per_bit: Arr
    io_j_per_bit: Arr
    background_j_per_bit: Arr
    refresh_j_per_bit: Arr

    @property
    def core_only_j_per_bit(self) -> Arr:
        """Activation share + cells to pins: no interface, no standby."""
        return self.act_j_per_bit + self.core_j_per_bit

    @property
    def access_path_j_per_bit(self) -> Arr:
        """Core + interface I/O and PHY: the whole access path (dynamic energy)."""
        return self.core_only_j_per_bit + self.io_j_per_bit

    @property
    def total_j_per_bit(self) -> Arr:
        """All-in: the access path + standby and refresh shares."""
        return self.access_path_j_per_bit + self.background_j_per_bit + self.refresh_j_per_bit

    @property
    def efficiency(self) -> Arr:
        return self.effective_bw_bytes_per_s / self.peak_bw_bytes_per_s


# --------------------------------------------------------------------------- formulas


def column_time_s(d: DeviceArrays) -> Arr:
    """Data-bus time per burst when a stream alternates bank groups:
    ``max(t_burst, tCCD_S, tCCD_L / G)`` (one bank group: tCCD_L)."""
    g = d.bank_groups
    ccd = np.where(g > 1, d.t_ccd_short_s, d.t_ccd_long_s)
    return np.maximum(np.maximum(d.burst_time_s, ccd), d.t_ccd_long_s / g)


def segment_bytes(d: DeviceArrays, run_bytes: ArrayLike) -> Arr:
    """Bytes of one run in one (channel, bank group): ``max(run / (C*G), burst)``."""
    return np.maximum(np.asarray(run_bytes, float) / (d.channels * d.bank_groups), d.burst_bytes)


def rows_per_segment(d: DeviceArrays, seg_bytes: Arr) -> Arr:
    """Expected rows a burst-aligned segment touches when it starts anywhere in a row:
    ``(seg - burst) / row + 1``."""
    return (seg_bytes - d.burst_bytes) / d.row_bytes + 1.0


def activation_rate_per_s(d: DeviceArrays) -> Arr:
    """Most ACTs one channel accepts per second: ``min(1/tRRD, 4/tFAW, 32/t32AW)``
    (tRRD_S between bank groups, tRRD_L with one group; the 32-activate window of GDDR
    devices only where given)."""
    rrd = np.where(d.bank_groups > 1, d.t_rrd_short_s, d.t_rrd_long_s)
    aw32 = np.where(d.t_32aw_s > 0, 32.0 / np.where(d.t_32aw_s > 0, d.t_32aw_s, 1.0), np.inf)
    return np.minimum(np.minimum(1.0 / rrd, 4.0 / d.t_faw_s), aw32)


def bank_cycle_s(d: DeviceArrays, bursts_per_act: Arr, t_col_s: Arr) -> Arr:
    """Time a bank is tied up per row it serves, ACT to next ACT:
    ``max(tRC, tRCD + (n - 1) * G * t_col + tRTP + tRP)``."""
    busy = d.t_rcd_s + (bursts_per_act - 1.0) * d.bank_groups * t_col_s + d.t_rtp_s + d.t_rp_s
    return np.maximum(d.t_rc_s, busy)


def lookahead_exposure_s(d: DeviceArrays, t_col_s: Arr, queue_per_run: Arr) -> Arr:
    """ACT latency per row change the queue cannot hide: the next rows need PRE+ACT
    (``tRP + tRCD``) plus the ACT spacing of G groups, while the queue holds
    ``queue_per_run`` requests of the run, i.e. ``queue_per_run * t_col`` of lead."""
    spacing = (d.bank_groups - 1.0) * np.maximum(d.t_rrd_short_s - t_col_s, 0.0)
    return np.maximum(d.t_rp_s + d.t_rcd_s + spacing - queue_per_run * t_col_s, 0.0)


def turnaround_s(d: DeviceArrays, t_col_s: Arr) -> Arr:
    """Extra bus time of one read->write->read switch:
    ``(tRTW - t_col) + (tCWL + t_burst + tWTR - t_col)``."""
    rtw = np.maximum(d.t_rtw_s - t_col_s, 0.0)
    wtr = np.maximum(d.t_cwl_s + d.burst_time_s + d.t_wtr_s - t_col_s, 0.0)
    return rtw + wtr


def refresh_loss(d: DeviceArrays, stripe_s: Arr, bank_utilisation: Arr,
                 openings_in_view: Arr) -> Arr:
    """Fraction of time refresh takes from the access stream.

    All-bank: ``(tRP + tRFC + tRCD) / tREFI``. Per-bank: the controller refreshes an idle
    bank. Scattered openings (random access, many users, short runs) wait only for the one
    bank being refreshed, which is away ``(tRFCpb + tRP) / tREFI`` of the time: a loss in
    proportion to how busy the banks are, ``rho = bw / bank-limited bw``. One long run alone
    (``w`` infinite) needs the bank it just left again after ``B - 1`` stripes: each of the
    ``G*B`` refreshes per tREFI costs ``max(0, tRFCpb + tRP + tRCD - (B - 1) * stripe)``, or
    the scattered figure if smaller."""
    ab = (d.t_rp_s + d.t_rfc_s + d.t_rcd_s) / d.t_refi_s
    slack = (d.banks_per_group - 1.0) * stripe_s
    pb_cost = np.maximum(d.t_rfc_pb_s + d.t_rp_s + d.t_rcd_s - slack, 0.0)
    pb_stream = pb_cost * d.bank_groups * d.banks_per_group / d.t_refi_s
    pb_scattered = (d.t_rfc_pb_s + d.t_rp_s) / d.t_refi_s * np.clip(bank_utilisation, 0.0, 1.0)
    pb = np.where(np.isinf(openings_in_view), np.minimum(pb_stream, pb_scattered), pb_scattered)
    return np.clip(d.refresh_all_bank * ab + d.refresh_per_bank * pb, 0.0, 1.0)


def shared_bank_acts_per_burst(d: DeviceArrays, concurrent_runs: Arr, queue_depth: float,
                               bursts_per_act_alone: Arr) -> Arr:
    """Activations per burst when ``S`` runs stream at once.

    Runs start on uniformly random banks, so a run has its bank (in each group) to itself
    with probability ``P = (1 - 1/B)^(S-1)`` and then keeps the sequential ``1 / n`` ACTs
    per burst. Runs that share a bank make FR-FCFS alternate rows; each opening serves
    ``m = clip(2 x, 1, n)`` bursts of its run, ``x = Q / (G S)`` being the run's queued
    requests per bank group: the ``x`` queued when the row opens, and about ``x`` more that
    arrive while they are served (each served request admits the next arrival, and the run
    owns its ``1/S`` share of both)."""
    s = np.maximum(concurrent_runs, 1.0)
    p_alone = (1.0 - 1.0 / d.banks_per_group) ** (s - 1.0)
    x = queue_depth / (d.bank_groups * s)
    m = np.clip(2.0 * x, 1.0, bursts_per_act_alone)
    return p_alone / bursts_per_act_alone + (1.0 - p_alone) / m


def busy_banks(d: DeviceArrays, openings_in_view: Arr) -> Arr:
    """Banks of a group the scheduler can keep busy when ``w`` independent row openings, each
    on a uniformly random bank, are in its view: the expected number of distinct banks they
    fall on, ``B (1 - (1 - 1/B)^w)`` (bank-collision queueing: openings that land on a busy
    bank wait for it; ``B`` as ``w`` grows, one bank for a single opening)."""
    w = np.maximum(openings_in_view, 1.0)
    b = d.banks_per_group
    return b * (1.0 - (1.0 - 1.0 / b) ** w)


def openings_in_view(d: DeviceArrays, concurrent_runs: Arr, queue_depth: float,
                     seg_bytes: Arr) -> Arr:
    """Independent row openings per bank group in the scheduler's view, ``w``.

    ``min(S, Q/G)`` runs are in view, each with ``x = Q / (G S)`` queued requests per group
    (at least one). A short run (a segment of ``L / b < x`` bursts) is followed in the
    queue by the next runs of its user, each on its own random bank: ``x b / L`` openings.
    One long run alone moves through consecutive banks, not random ones: it never waits on
    itself (``w`` infinite, every bank usable)."""
    s = np.maximum(concurrent_runs, 1.0)
    per_group = queue_depth / d.bank_groups
    x = np.maximum(per_group / s, 1.0)
    seg_bursts = seg_bytes / d.burst_bytes
    w = np.minimum(s, per_group) * np.maximum(x / seg_bursts, 1.0)
    return np.where((s <= 1.0) & (seg_bursts >= x), np.inf, w)


# --------------------------------------------------------------------------- the model


def analytic(device: Device | DeviceArrays, pattern: KVPattern,
             controller: Controller = Controller()) -> KVMemoryFigures:
    """Effective bandwidth, row-hit rate, losses and pJ/bit for the KV pattern."""
    if not controller.is_default_structure:
        raise ValueError("the closed form models a shared FR-FCFS queue with open pages and no hit cap; "
                         "use the cycle model for per-bank queues, closed pages or max_row_hits")
    d = device if isinstance(device, DeviceArrays) else device_arrays(device)
    run = np.asarray(pattern.run_bytes, float)
    app = np.asarray(pattern.append_bytes, float)
    s = np.maximum(np.asarray(pattern.concurrent_runs, float), 1.0)

    t_col = column_time_s(d)
    bw_col = d.channels * d.burst_bytes / t_col
    seg = segment_bytes(d, run)
    alone_bytes_per_act = seg / rows_per_segment(d, seg)
    q = controller.queue_depth
    n_alone = alone_bytes_per_act / d.burst_bytes
    w = openings_in_view(d, s, q, seg)
    bw2_alone = _activation_limited_bw(d, alone_bytes_per_act, bw_col, t_col, w)
    acts_per_burst = shared_bank_acts_per_burst(d, s, q, n_alone)
    bytes_per_act = d.burst_bytes / acts_per_burst
    bw2 = _activation_limited_bw(d, bytes_per_act, bw_col, t_col, w)

    exposure = lookahead_exposure_s(d, t_col, controller.queue_depth / s) / s
    bw3 = 1.0 / (1.0 / bw2 + exposure / (d.channels * d.bank_groups * alone_bytes_per_act))

    run_total = run + app
    write_bursts = app / d.burst_bytes
    switches_per_channel = np.minimum(write_bursts / d.channels, 1.0)
    t_run = run_total / bw3 + switches_per_channel * turnaround_s(d, t_col)
    bw4 = run_total / t_run

    stripe_s = d.channels * d.bank_groups * alone_bytes_per_act / bw4
    rho = bw4 / _bank_limited_bw(d, bytes_per_act, t_col, w)
    ref = refresh_loss(d, stripe_s, rho, w)
    bw5 = bw4 * (1.0 - ref)

    read_share = run / run_total
    acts_per_byte = read_share / bytes_per_act
    bits_per_s = bw5 * 8.0
    zero = np.zeros_like(bw5)
    return KVMemoryFigures(
        peak_bw_bytes_per_s=d.peak_bw_bytes_per_s + zero,
        effective_bw_bytes_per_s=bw5,
        row_hit_rate=1.0 - acts_per_burst + zero,
        bytes_per_activation=bytes_per_act + zero,
        column_loss=1.0 - bw_col / d.peak_bw_bytes_per_s + zero,
        activation_loss=1.0 - bw2_alone / bw_col + zero,
        conflict_loss=1.0 - bw2 / bw2_alone + zero,
        lookahead_loss=1.0 - bw3 / bw2,
        turnaround_loss=1.0 - bw4 / bw3,
        refresh_loss=ref + zero,
        act_j_per_bit=d.act_pre_j * acts_per_byte / 8.0 + zero,
        core_j_per_bit=read_share * d.read_core_j_per_bit
        + (1.0 - read_share) * d.write_core_j_per_bit + zero,
        io_j_per_bit=d.io_j_per_bit + zero,
        background_j_per_bit=d.background_w / bits_per_s,
        refresh_j_per_bit=d.refresh_w / bits_per_s,
    )


def _activation_limited_bw(d: DeviceArrays, bytes_per_act: Arr, bw_col: Arr, t_col: Arr,
                           openings: Arr) -> Arr:
    """``min(column bw, ACT-rate bw, busy-bank bw)`` of one unit."""
    bw_act = d.channels * activation_rate_per_s(d) * bytes_per_act
    bw_banks = _bank_limited_bw(d, bytes_per_act, t_col, openings)
    return np.minimum(bw_col, np.minimum(bw_act, bw_banks))


def _bank_limited_bw(d: DeviceArrays, bytes_per_act: Arr, t_col: Arr, openings: Arr) -> Arr:
    """``C G B_w A / T``: the banks kept busy, each serving ``A`` bytes per bank cycle."""
    nbanks = d.bank_groups * busy_banks(d, openings)
    bursts = bytes_per_act / d.burst_bytes
    return d.channels * nbanks * bytes_per_act / bank_cycle_s(d, bursts, t_col)
