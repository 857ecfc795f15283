"""Metrics of a simulated run (docs/sim.md, M1..M8), as a frozen dataclass with stable JSON keys."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from kvpipe.sim.records import REJECT_REASONS, Counters, RequestRecords

if TYPE_CHECKING:
    from kvpipe.perf.service import ServiceTable
    from kvpipe.sim.config import SimConfig


@dataclass(frozen=True)
class LatencyStats:
    mean: float
    p50: float
    p90: float
    p99: float
    count: int

    @classmethod
    def of(cls, x: np.ndarray) -> LatencyStats:
        x = np.asarray(x, dtype=np.float64)
        x = x[~np.isnan(x)]
        if x.size == 0:
            return cls(math.nan, math.nan, math.nan, math.nan, 0)
        p50, p90, p99 = np.percentile(x, [50, 90, 99])
        return cls(float(x.mean()), float(p50), float(p90), float(p99), int(x.size))

    def to_json(self) -> dict[str, float | None]:
        return {k: _num(getattr(self, k)) for k in ("mean", "p50", "p90", "p99")}


@dataclass(frozen=True)
class Utilization:
    """Busy fractions over the window, per group class (pipeline order of first appearance)."""

    group_counts: tuple[int, ...]
    processing: tuple[float, ...]  # compute / SRAM / KV overlapped (the P4 max) of one group
    links: tuple[float, ...]
    kv_bandwidth: tuple[float, ...]  # time the group's KV DRAM moves data
    kv_capacity: tuple[float, ...]  # mean KV bytes held / capacity

    def to_json(self) -> dict[str, Any]:
        return {
            "group_counts": list(self.group_counts),
            "processing": [_num(x) for x in self.processing],
            "links": [_num(x) for x in self.links],
            "kv_bandwidth": [_num(x) for x in self.kv_bandwidth],
            "kv_capacity": [_num(x) for x in self.kv_capacity],
        }


@dataclass(frozen=True)
class TimeSeries:
    """Per time bin: average power, output tokens/s, KV occupancy of the fullest group, and
    requests in the system."""

    time_s: tuple[float, ...]  # bin starts
    bin_s: float
    power_w: tuple[float, ...]
    tokens_per_s: tuple[float, ...]
    kv_occupancy: tuple[float, ...]
    in_system: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "time_s": list(self.time_s),
            "bin_s": self.bin_s,
            "power_w": [_num(x) for x in self.power_w],
            "tokens_per_s": [_num(x) for x in self.tokens_per_s],
            "kv_occupancy": [_num(x) for x in self.kv_occupancy],
            "in_system": [_num(x) for x in self.in_system],
        }


@dataclass(frozen=True)
class SimMetrics:
    window_start_s: float
    window_s: float
    ttft_s: LatencyStats
    tpot_s: LatencyStats
    e2e_s: LatencyStats
    queueing_s: LatencyStats
    tokens_per_s: float  # (M1) output tokens in the window / window
    joules_per_token: float  # (M2) all energy in the window / output tokens in it
    energy_j: float
    mean_power_w: float
    requests_arrived: int
    requests_completed: int
    requests_rejected: int
    requests_preempted: int
    throughput_requests_per_s: float
    goodput_requests_per_s: float  # (M3) completed within the SLOs / window
    slo_ttft_s: float | None
    slo_tpot_s: float | None
    mean_requests_in_system: float  # (M4) time average over the window
    mean_requests_queued: float
    mean_requests_running: float
    mean_time_in_system_s: float  # mean end-to-end latency of the requests finishing in the window
    utilization: Utilization
    series: TimeSeries
    # requests_rejected split by why (keys of kvpipe.sim.records.REJECT_REASONS)
    requests_rejected_by_reason: dict[str, int] = field(default_factory=dict)

    @property
    def littles_law_ratio(self) -> float:
        """(M5) mean in system / (throughput x mean time in system); 1 when Little's law holds."""
        return self.mean_requests_in_system / (self.throughput_requests_per_s * self.mean_time_in_system_s)

    def to_json(self, series: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "ttft_s": self.ttft_s.to_json(),
            "tpot_s": self.tpot_s.to_json(),
            "e2e_s": self.e2e_s.to_json(),
            "queueing_s": self.queueing_s.to_json(),
            "tokens_per_s": _num(self.tokens_per_s),
            "joules_per_token": _num(self.joules_per_token),
            "goodput_requests_per_s": _num(self.goodput_requests_per_s),
            "requests_completed": self.requests_completed,
            "requests_rejected": self.requests_rejected,
            "requests_rejected_by_reason": dict(self.requests_rejected_by_reason),
            "requests_arrived": self.requests_arrived,
            "requests_preempted": self.requests_preempted,
            "throughput_requests_per_s": _num(self.throughput_requests_per_s),
            "slo_ttft_s": self.slo_ttft_s,
            "slo_tpot_s": self.slo_tpot_s,
            "energy_j": _num(self.energy_j),
            "mean_power_w": _num(self.mean_power_w),
            "mean_requests_in_system": _num(self.mean_requests_in_system),
            "mean_requests_queued": _num(self.mean_requests_queued),
            "mean_requests_running": _num(self.mean_requests_running),
            "mean_time_in_system_s": _num(self.mean_time_in_system_s),
            "window_start_s": self.window_start_s,
            "window_s": self.window_s,
            "utilization": self.utilization.to_json(),
        }
        if series:
            out["series"] = self.series.to_json()
        return out


def _num(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _series(samples: list[Counters], t_end: float, points: int, cap: float, kv_mask: np.ndarray) -> TimeSeries:
    if t_end <= 0 or len(samples) < 2:
        return TimeSeries((), 0.0, (), (), (), ())
    t = np.array([c.time_s for c in samples])
    t, first = np.unique(t, return_index=True)
    pick = [samples[i] for i in first]
    edges = np.linspace(0.0, t_end, points + 1)
    dt = np.diff(edges)

    def per_bin(values: np.ndarray) -> np.ndarray:
        return np.diff(np.interp(edges, t, values)) / dt

    energy = per_bin(np.array([c.energy_j for c in pick]))
    tokens = per_bin(np.array([c.output_tokens for c in pick]))
    kv = np.array([c.kv_byte_s for c in pick])[:, kv_mask] if kv_mask.any() else np.zeros((len(pick), 1))
    kv_occ = np.max(np.stack([per_bin(kv[:, j]) for j in range(kv.shape[1])]), axis=0) / cap if cap > 0 else 0 * dt
    inside = per_bin(np.array([c.in_system_s for c in pick]))
    return TimeSeries(
        tuple(edges[:-1].tolist()), float(dt[0]), tuple(energy.tolist()), tuple(tokens.tolist()),
        tuple(np.asarray(kv_occ).tolist()), tuple(inside.tolist()),
    )


def _rejected_by_reason(rec: RequestRecords, arrived: np.ndarray) -> dict[str, int]:
    out = dict.fromkeys(REJECT_REASONS, 0)
    if rec.reject_reason is not None:
        for why in out:
            out[why] = int((rec.rejected & arrived & (rec.reject_reason == why)).sum())
    return out


def compute_metrics(
    cfg: SimConfig, table: ServiceTable, snapshots: dict[str, Counters], series: list[Counters], rec: RequestRecords
) -> SimMetrics:
    """The run's metrics from its counters at the ``warmup`` and ``end`` snapshots, its sampled
    counters (``series``) and its request records."""
    a = snapshots["warmup"]
    b = snapshots["end"]
    t0, t1 = a.time_s, b.time_s
    window = t1 - t0 if t1 > t0 else math.nan  # rates over an empty window are undefined (JSON null)
    tokens = b.output_tokens - a.output_tokens
    energy = b.energy_j - a.energy_j
    fin = rec.finished & (rec.finish_s > t0) & (rec.finish_s <= t1 + 1e-12)
    measured = fin & (rec.arrival_s >= t0)  # latency statistics: requests arriving in the window
    ttft, tpot, e2e = rec.ttft_s, rec.tpot_s, rec.e2e_s
    ok = measured.copy()
    if cfg.slo_ttft_s is not None:
        ok &= ttft <= cfg.slo_ttft_s
    if cfg.slo_tpot_s is not None:
        ok &= ~(tpot > cfg.slo_tpot_s)  # one-token requests have no TPOT and pass
    arrived = (rec.arrival_s >= t0) & (rec.arrival_s <= t1)
    cap = table.kv_capacity_bytes_per_group
    mask = table.has_kv
    kv_cap_util = np.where(mask, (b.kv_byte_s - a.kv_byte_s) / window / cap if cap > 0 else 0.0, 0.0)
    n_fin = int(fin.sum())
    util = Utilization(
        group_counts=tuple(int(c) for c in table.counts),
        processing=tuple(((b.busy_proc_s - a.busy_proc_s) / window).tolist()),
        links=tuple(((b.busy_link_s - a.busy_link_s) / window).tolist()),
        kv_bandwidth=tuple(((b.busy_kv_s - a.busy_kv_s) / window).tolist()),
        kv_capacity=tuple(kv_cap_util.tolist()),
    )
    return SimMetrics(
        window_start_s=t0,
        window_s=t1 - t0,
        ttft_s=LatencyStats.of(ttft[measured]),
        tpot_s=LatencyStats.of(tpot[measured]),
        e2e_s=LatencyStats.of(e2e[measured]),
        queueing_s=LatencyStats.of(rec.queueing_s[measured]),
        tokens_per_s=tokens / window,
        joules_per_token=energy / tokens if tokens > 0 else math.nan,  # undefined without output tokens
        energy_j=energy,
        mean_power_w=energy / window,
        requests_arrived=int(arrived.sum()),
        requests_completed=n_fin,
        requests_rejected=int((rec.rejected & arrived).sum()),
        requests_rejected_by_reason=_rejected_by_reason(rec, arrived),
        requests_preempted=int((rec.preemptions > 0).sum()),
        throughput_requests_per_s=n_fin / window,
        goodput_requests_per_s=float(ok.sum()) / window,
        slo_ttft_s=cfg.slo_ttft_s,
        slo_tpot_s=cfg.slo_tpot_s,
        mean_requests_in_system=(b.in_system_s - a.in_system_s) / window,
        mean_requests_queued=(b.queued_s - a.queued_s) / window,
        mean_requests_running=(b.running_s - a.running_s) / window,
        mean_time_in_system_s=float(np.mean(e2e[fin])) if fin.any() else math.nan,
        utilization=util,
        series=_series(series, t1, cfg.series_points, cap, mask),
    )
