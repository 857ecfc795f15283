"""The figure of ``kvpipe memory compare``: what one reticle-size die can attach, and what
the pipeline's operating points ask of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from kvpipe.explore.memory_compare import DeviceComparison


@dataclass(frozen=True)
class DemandPoint:
    label: str
    capacity_per_reticle_die_bytes: float
    bw_per_reticle_die_bytes_per_s: float


def fig_memory_compare(rows: Sequence[DeviceComparison], demands: Sequence[DemandPoint], context_tokens: int) -> Figure:
    fig = Figure(figsize=(9.5, 7.0), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    caps = [r.capacity_per_reticle_die_bytes for r in rows] + [d.capacity_per_reticle_die_bytes for d in demands]
    bws = [r.bw_per_reticle_die_bytes_per_s for r in rows] + [d.bw_per_reticle_die_bytes_per_s for d in demands]
    lo_c, hi_c = min(caps) / 4, max(caps) * 4
    lo_b, hi_b = min(bws) / 4, max(bws) * 4
    # guide lines: bandwidth / capacity = tokens/s per user (K3), labelled where they cross the top third
    c = np.geomspace(lo_c, hi_c, 50)
    y_label = lo_b * (hi_b / lo_b) ** 0.8
    for ratio in (10.0, 100.0, 1_000.0, 10_000.0):
        ax.plot(c, c * ratio, color="0.85", lw=0.8, zorder=0)
        x_label = y_label / ratio
        if lo_c < x_label < hi_c / 3:
            ax.annotate(f"{ratio:,.0f} /s", (x_label, y_label), color="0.5", fontsize=8)
    for i, r in enumerate(sorted(rows, key=lambda r: (r.capacity_per_reticle_die_bytes, r.bw_per_reticle_die_bytes_per_s))):
        marker = "s" if r.attach == "3d" else "o"
        ax.scatter(r.capacity_per_reticle_die_bytes, r.bw_per_reticle_die_bytes_per_s, marker=marker, s=50, zorder=3)
        ax.annotate(
            f"{r.name} ({r.units_per_reticle_die} x {r.unit})",
            (r.capacity_per_reticle_die_bytes, r.bw_per_reticle_die_bytes_per_s),
            textcoords="offset points", xytext=(6, -9 if i % 2 else 2), fontsize=8,
        )
    for d in demands:
        ax.scatter(d.capacity_per_reticle_die_bytes, d.bw_per_reticle_die_bytes_per_s, marker="*", s=220,
                   color="gold", edgecolor="black", zorder=4)
        ax.annotate(d.label, (d.capacity_per_reticle_die_bytes, d.bw_per_reticle_die_bytes_per_s),
                    textcoords="offset points", xytext=(8, 6), fontsize=9, weight="bold")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo_c, hi_c)
    ax.set_ylim(lo_b, hi_b)
    ax.set_xlabel("KV capacity per reticle-size logic die [bytes]")
    ax.set_ylabel("effective KV bandwidth per reticle-size logic die [bytes/s]")
    ax.set_title(
        f"What a reticle die can attach (o 2.5D, s 3D; effective bandwidth for {context_tokens:,}-token KV runs)\n"
        "vs what the pipeline's operating points need (*); grey: bandwidth/capacity = tokens/s per user",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    return fig
