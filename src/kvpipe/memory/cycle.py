"""Cycle-level command-scheduling model of one DRAM unit.

Each channel is simulated on its own (channels share nothing): per-bank state machines
(open row, earliest ACT/PRE/column times), bank groups (tCCD_L, tRRD_L), the channel's
tRRD_S, four-activate window (tFAW), 32-activate window (t32AW, GDDR, where given), data-bus turnaround (tRTW, tWTR), and refresh
(all-bank REFab, or per-bank REFpb aimed at the idle bank used most recently). The
scheduler is FR-FCFS over the queue the :class:`Controller` describes (default: one shared
queue of 32 requests, open page): among commands that can issue earliest, row hits (column
commands) win, then the oldest request; a row is not closed while queued requests still hit
it (unless ``max_row_hits`` is reached with a conflict waiting; ``closed`` pages precharge
after the last queued hit). The queue is refilled in arrival order as soon as a request
leaves (a saturating source; with per-bank queues an arrival whose bank queue is full waits
and holds the ones behind it), so the time to serve the stream measures sustainable
bandwidth.

The hot loop is compiled with numba (a dependency of this module); without numba the same
code runs as plain Python, about 200x slower.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

try:
    from numba import njit
except ImportError:  # pragma: no cover - numba is a dependency; this keeps results, not speed

    def njit(*args: object, **kwargs: object):  # type: ignore[no-redef]
        if args and callable(args[0]):
            return args[0]
        return lambda f: f

from kvpipe.memory.device import Device
from kvpipe.memory.pattern import Controller, KVPattern
from kvpipe.memory.stream import RequestStream, decompose, kv_request_stream


def compiled(f: Callable[..., Any], jit: Callable[..., Any] = njit) -> Any:
    """``f`` compiled by numba with its machine code cached on disk, so that later processes
    load it instead of compiling again (numba keeps it in ``__pycache__`` beside this file,
    else in the user's cache directory, or where ``NUMBA_CACHE_DIR`` says). Where numba finds
    no writable cache directory, ``f`` is compiled in memory for this process only."""
    try:
        return jit(cache=True)(f)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        return jit(cache=False)(f)

_REFRESH_CODE = {"none": 0, "all_bank": 1, "per_bank": 2}

# indices into the timing vector handed to the kernel (all in clock cycles)
(RCD, RP, RAS, RC, CCDS, CCDL, RRDS, RRDL, FAW, WTR, RTW, CL, CWL, RTP, WR, BURST,
 RFC, REFI, RFCPB, AW32, REFMODE) = range(21)
# indices into the statistics vector the kernel returns
(S_END, S_ACT, S_PRE, S_RD, S_WR, S_REF) = range(6)


def cycles(t_s: float, t_ck_s: float) -> int:
    """A timing in whole clock cycles, rounded up (JEDEC rounding with 1 % guard)."""
    return max(int(math.ceil(t_s / t_ck_s - 0.01)), 0)


def timing_cycles(device: Device) -> np.ndarray:
    """The kernel's timing vector for ``device``."""
    t = device.timing
    ck = t.t_ck_s
    v = [t.t_rcd_s, t.t_rp_s, t.t_ras_s, t.t_rc_s, t.t_ccd_short_s, t.t_ccd_long_s,
         t.t_rrd_short_s, t.t_rrd_long_s, t.t_faw_s, t.t_wtr_s, t.t_rtw_s, t.t_cl_s, t.t_cwl_s,
         t.t_rtp_s, t.t_wr_s, device.organization.burst_time_s, t.t_rfc_s, t.t_refi_s,
         t.t_rfc_pb_s, t.t_32aw_s]
    out = np.array([cycles(x, ck) for x in v] + [_REFRESH_CODE[t.refresh]], dtype=np.int64)
    out[BURST] = max(int(round(device.organization.burst_time_s / ck)), 1)
    return out


@compiled
def _simulate_channel(bg: np.ndarray, bank: np.ndarray, row: np.ndarray, is_write: np.ndarray,
                      n_bg: int, n_banks: int, queue_depth: int, per_bank: bool, closed_page: bool,
                      max_hits: int, tm: np.ndarray) -> np.ndarray:
    n = bg.shape[0]
    never = -(1 << 60)
    open_row = np.full(n_banks, -1, np.int64)
    next_act = np.zeros(n_banks, np.int64)
    next_pre = np.zeros(n_banks, np.int64)
    next_col = np.zeros(n_banks, np.int64)
    last_use = np.full(n_banks, never, np.int64)
    pending = np.zeros(n_banks, np.int64)
    hits = np.zeros(n_banks, np.int64)
    refreshed = np.zeros(n_banks, np.int64)
    bg_act = np.zeros(n_bg, np.int64)
    bg_rd = np.zeros(n_bg, np.int64)
    bg_wr = np.zeros(n_bg, np.int64)
    faw = np.full(4, never, np.int64)
    faw_i = 0
    aw32 = np.full(32, never, np.int64)  # last 32 ACTs, for the 32-activate window
    aw32_i = 0
    aw32_t = tm[AW32] if tm[AW32] > 0 else never
    ch_act = 0
    ch_rd = 0
    ch_wr = 0
    row_bus = 0
    col_bus = 0
    capacity = queue_depth * n_banks if per_bank else queue_depth
    q = np.empty(capacity, np.int64)
    served_hits = np.zeros(n_banks, np.int64)  # column commands since the bank's last ACT
    skip_row = np.full(n_banks, -1, np.int64)  # row closed for a waiting conflict: not next
    q_len = 0
    nxt = 0
    now = 0
    data_end = 0
    served = 0
    n_act = 0
    n_pre = 0
    n_rd = 0
    n_wr = 0
    n_ref = 0
    mode = tm[REFMODE]
    refi = tm[REFI] if mode == 1 else tm[REFI] // n_banks
    if refi < 1:
        refi = 1
    ref_due = refi if mode != 0 else never
    round_count = 0
    served_since_ref = 1
    step_bus = max(tm[CCDS], tm[BURST])

    while served < n:
        while q_len < capacity and nxt < n:
            if per_bank and pending[bank[nxt]] >= queue_depth:
                break  # the next arrival waits at the door until its bank's queue has room
            q[q_len] = nxt
            q_len += 1
            b = bank[nxt]
            pending[b] += 1
            if open_row[b] == row[nxt]:
                hits[b] += 1
            nxt += 1

        # refresh when due; postponed until at least one request was served since the last
        # one, so that a device whose refresh overhead exceeds tREFI still makes progress
        due = now >= ref_due and served_since_ref > 0
        if mode == 1 and due:
            t_ref = now
            for b in range(n_banks):
                if open_row[b] >= 0:
                    t_ref = max(t_ref, next_pre[b] + tm[RP])
                else:
                    t_ref = max(t_ref, next_act[b])
            for b in range(n_banks):
                open_row[b] = -1
                hits[b] = 0
                next_act[b] = t_ref + tm[RFC]
            ref_due += refi
            n_ref += 1
            served_since_ref = 0
            continue
        if mode == 2 and due:
            pick = -1
            for b in range(n_banks):
                if refreshed[b] == 0 and pending[b] == 0:
                    if pick < 0 or last_use[b] > last_use[pick]:
                        pick = b
            if pick < 0:
                for b in range(n_banks):
                    if refreshed[b] == 0 and (pick < 0 or pending[b] < pending[pick]):
                        pick = b
            b = pick
            if open_row[b] >= 0:
                t_ref = max(now, next_pre[b]) + tm[RP]
            else:
                t_ref = max(now, next_act[b])
            open_row[b] = -1
            hits[b] = 0
            next_act[b] = t_ref + tm[RFCPB]
            refreshed[b] = 1
            round_count += 1
            if round_count == n_banks:
                round_count = 0
                for k in range(n_banks):
                    refreshed[k] = 0
            ref_due += refi
            n_ref += 1
            served_since_ref = 0
            continue

        best_hit = -1
        best_hit_t = 1 << 62
        best_oth = -1
        best_oth_t = 1 << 62
        oth_is_act = False
        for qi in range(q_len):
            r = q[qi]
            b = bank[r]
            g = bg[r]
            capped = max_hits > 0 and served_hits[b] >= max_hits and pending[b] > hits[b]
            if open_row[b] == row[r] and not capped:
                if is_write[r]:
                    t = max(next_col[b], bg_wr[g], ch_wr, col_bus)
                else:
                    t = max(next_col[b], bg_rd[g], ch_rd, col_bus)
                t = max(t, now)
                if t < best_hit_t:
                    best_hit_t = t
                    best_hit = qi
            elif open_row[b] < 0 and row[r] != skip_row[b]:
                t = max(next_act[b], bg_act[g], ch_act, faw[faw_i] + tm[FAW], row_bus, now)
                t = max(t, aw32[aw32_i] + aw32_t)
                if t < best_oth_t:
                    best_oth_t = t
                    best_oth = qi
                    oth_is_act = True
            elif open_row[b] >= 0 and open_row[b] != row[r] and (hits[b] == 0 or capped):
                t = max(next_pre[b], row_bus, now)
                if t < best_oth_t:
                    best_oth_t = t
                    best_oth = qi
                    oth_is_act = False

        if best_hit >= 0 and best_hit_t <= best_oth_t:
            t = best_hit_t
            r = q[best_hit]
            b = bank[r]
            g = bg[r]
            if is_write[r]:
                end = t + tm[CWL] + tm[BURST]
                next_pre[b] = max(next_pre[b], end + tm[WR])
                bg_wr[g] = t + tm[CCDL]
                bg_rd[g] = max(bg_rd[g], end + tm[WTR])
                ch_wr = t + step_bus
                ch_rd = max(ch_rd, end + tm[WTR])
                n_wr += 1
            else:
                end = t + tm[CL] + tm[BURST]
                next_pre[b] = max(next_pre[b], t + tm[RTP])
                bg_rd[g] = t + tm[CCDL]
                bg_wr[g] = max(bg_wr[g], t + tm[RTW])
                ch_rd = t + step_bus
                ch_wr = max(ch_wr, t + tm[RTW])
                n_rd += 1
            data_end = max(data_end, end)
            col_bus = t + 1
            last_use[b] = t
            pending[b] -= 1
            hits[b] -= 1
            served_hits[b] += 1
            if closed_page and hits[b] == 0:
                # auto-precharge: the row closes as soon as no queued request hits it
                open_row[b] = -1
                next_act[b] = max(next_act[b], max(next_pre[b], t + 1) + tm[RP])
                n_pre += 1
            for k in range(best_hit, q_len - 1):
                q[k] = q[k + 1]
            q_len -= 1
            served += 1
            served_since_ref += 1
            now = t
        elif best_oth >= 0:
            t = best_oth_t
            r = q[best_oth]
            b = bank[r]
            g = bg[r]
            if oth_is_act:
                open_row[b] = row[r]
                next_col[b] = t + tm[RCD]
                next_pre[b] = t + tm[RAS]
                next_act[b] = t + tm[RC]
                bg_act[g] = t + tm[RRDL]
                ch_act = t + tm[RRDS]
                faw[faw_i] = t
                faw_i = (faw_i + 1) % 4
                aw32[aw32_i] = t
                aw32_i = (aw32_i + 1) % 32
                cnt = 0
                for qi in range(q_len):
                    if bank[q[qi]] == b and row[q[qi]] == row[r]:
                        cnt += 1
                hits[b] = cnt
                served_hits[b] = 0
                skip_row[b] = -1
                n_act += 1
            else:
                if hits[b] > 0:  # closed by the hit cap: the waiting row goes first
                    skip_row[b] = open_row[b]
                open_row[b] = -1
                next_act[b] = max(next_act[b], t + tm[RP])
                hits[b] = 0
                n_pre += 1
            row_bus = t + 1
            now = t
        else:
            now += 1

    out = np.zeros(6, np.int64)
    out[S_END] = data_end
    out[S_ACT] = n_act
    out[S_PRE] = n_pre
    out[S_RD] = n_rd
    out[S_WR] = n_wr
    out[S_REF] = n_ref
    return out


@dataclass(frozen=True)
class CycleResult:
    """What the cycle model measured, scaled to the whole unit where marked."""

    requests: int
    channels_simulated: int
    cycles: int  # slowest simulated channel, until its last data beat
    time_s: float
    activations: int
    precharges: int
    reads: int
    writes: int
    refreshes: int
    effective_bw_bytes_per_s: float  # unit
    peak_bw_bytes_per_s: float  # unit
    row_hit_rate: float  # 1 - ACT / requests, at least 0 (refresh can force re-activations)
    act_j_per_bit: float
    core_j_per_bit: float
    io_j_per_bit: float
    background_j_per_bit: float
    refresh_j_per_bit: float

    @property
    def core_only_j_per_bit(self) -> float:
        """Activation share + cells to pins (what IDD-based figures describe)."""
        return self.act_j_per_bit + self.core_j_per_bit

    @property
    def access_path_j_per_bit(self) -> float:
        """Core + interface I/O and PHY: the whole access path."""
        return self.core_only_j_per_bit + self.io_j_per_bit

    @property
    def total_j_per_bit(self) -> float:
        """All-in: the access path + standby and refresh shares."""
        return self.access_path_j_per_bit + self.background_j_per_bit + self.refresh_j_per_bit

    @property
    def efficiency(self) -> float:
        return self.effective_bw_bytes_per_s / self.peak_bw_bytes_per_s


def simulate(device: Device, stream: RequestStream, controller: Controller = Controller(),
             channels: int | None = None) -> CycleResult:
    """Run the stream through the first ``channels`` channels (all by default)."""
    o = device.organization
    k = o.channels if channels is None else max(1, min(channels, o.channels))
    return _result(device, _run_channels(device, stream, controller, k), k)


def _run_channels(device: Device, stream: RequestStream, controller: Controller,
                  k: int) -> np.ndarray:
    o = device.organization
    a = decompose(device, stream.addr)
    tm = timing_cycles(device)
    order = np.argsort(a.channel, kind="stable")  # each channel's requests, arrival order
    ends = np.searchsorted(a.channel[order], np.arange(k + 1))
    bg = a.bank_group[order]
    bank = bg * o.banks_per_group + a.bank[order]
    row = a.row[order]
    write = np.ascontiguousarray(stream.is_write[order])
    stats = np.zeros((k, 6), np.int64)
    for ch in range(k):
        lo, hi = ends[ch], ends[ch + 1]
        stats[ch] = _simulate_channel(bg[lo:hi], bank[lo:hi], row[lo:hi], write[lo:hi],
                                      o.bank_groups, o.banks_per_channel,
                                      controller.queue_depth,
                                      controller.queue_structure == "per_bank",
                                      controller.row_policy == "closed", controller.max_row_hits, tm)
    return stats


def _result(device: Device, stats: np.ndarray, k: int) -> CycleResult:
    o, e = device.organization, device.energy
    cyc = int(stats[:, S_END].max())
    time_s = max(cyc, 1) * device.timing.t_ck_s
    rd, wr, act = (int(stats[:, i].sum()) for i in (S_RD, S_WR, S_ACT))
    bits = (rd + wr) * o.burst_bytes * 8.0
    unit_bw = (rd + wr) * o.burst_bytes / time_s * o.channels / k
    share = k / o.channels
    bits_safe = max(bits, 1.0)
    return CycleResult(
        requests=rd + wr, channels_simulated=k, cycles=cyc, time_s=time_s, activations=act,
        precharges=int(stats[:, S_PRE].sum()), reads=rd, writes=wr,
        refreshes=int(stats[:, S_REF].sum()), effective_bw_bytes_per_s=unit_bw,
        peak_bw_bytes_per_s=o.peak_bw_bytes_per_s,
        row_hit_rate=max(1.0 - act / max(rd + wr, 1), 0.0),
        act_j_per_bit=act * e.act_pre_j / bits_safe,
        core_j_per_bit=(rd * e.read_core_j_per_bit + wr * e.write_core_j_per_bit) * o.burst_bytes
        * 8.0 / bits_safe,
        io_j_per_bit=e.io_j_per_bit,
        background_j_per_bit=e.background_w * share * time_s / bits_safe,
        refresh_j_per_bit=e.refresh_w * share * time_s / bits_safe,
    )


def simulate_kv(device: Device, pattern: KVPattern, n_requests: int = 200_000,
                controller: Controller = Controller(), channels: int | None = None,
                seed: int = 0) -> CycleResult:
    """Generate the KV stream of a scalar ``pattern`` and simulate about ``n_requests``.

    The mapping spreads every run evenly over the channels, so each channel sees the same
    kind of stream: ``channels`` of them (default: enough for ~20,000 requests each) are
    simulated as a device of that many channels fed ``channels / C`` of each run, and the
    result is scaled back to the whole unit.
    """
    o = device.organization
    if channels is None:
        channels = max(1, n_requests // 20_000)
    k = int(min(o.channels, max(1, channels)))
    part = replace(device, organization=replace(o, channels=k))
    share = k / o.channels
    run_b, append_b, runs = (float(np.asarray(x)) for x in (pattern.run_bytes, pattern.append_bytes, pattern.concurrent_runs))
    stream = kv_request_stream(part, run_b * share, append_b * share, int(runs), max_requests=n_requests, seed=seed)
    return _result(device, _run_channels(part, stream, controller, k), k)
