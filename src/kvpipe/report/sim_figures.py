"""Figures of a serving simulation: latency distributions, and power / KV occupancy over time."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter

from kvpipe.sim import SimResult

LATENCIES: tuple[tuple[str, str], ...] = (
    ("ttft", "time to first token"),
    ("tpot", "time per output token"),
    ("e2e", "end to end"),
    ("queueing", "queueing delay"),
)


def fig_latency_cdf(result: SimResult) -> Figure:
    """Cumulative distribution of each latency over the finished requests (log time axis)."""
    fig = Figure(figsize=(12, 3.6), dpi=100, layout="constrained")
    axes = fig.subplots(1, len(LATENCIES), sharey=True)
    for ax, (key, title) in zip(axes, LATENCIES, strict=True):
        x_all, p_all = result.latency_cdf(key)
        positive = x_all > 0
        x, p = x_all[positive], p_all[positive]
        if len(x):
            ax.step(x, p, where="post")
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())
            for q in (0.5, 0.9, 0.99):
                ax.axhline(q, color="0.8", lw=0.7, zorder=0)
        else:
            note = "all 0 s" if len(x_all) else "no finished request"
            ax.text(0.5, 0.5, note, ha="center", transform=ax.transAxes)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("seconds [s]")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("fraction of requests")
    fig.suptitle(f"{result.system_name}: latency distributions ({result.metrics.requests_completed:,} requests)")
    return fig


def fig_power_and_occupancy(result: SimResult) -> Figure:
    """Power, token rate, KV occupancy of the fullest chip group and requests in the system over time."""
    s = result.metrics.series
    t = np.asarray(s.time_s) + s.bin_s / 2
    fig = Figure(figsize=(10, 7), dpi=100, layout="constrained")
    axes = fig.subplots(4, 1, sharex=True)
    panels = (
        (s.power_w, "power [W]"),
        (s.tokens_per_s, "output tokens/s"),
        (np.asarray(s.kv_occupancy) * 100.0, "KV occupancy,\nfullest group [%]"),
        (s.in_system, "requests in\nthe system"),
    )
    for ax, (y, label) in zip(axes, panels, strict=True):
        ax.plot(t, y, lw=1.2)
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    axes[2].set_ylim(0, 105)
    axes[-1].set_xlabel("simulated time [s]")
    fig.suptitle(f"{result.system_name}: power and occupancy over time (bins of {s.bin_s:.3g} s)")
    return fig
