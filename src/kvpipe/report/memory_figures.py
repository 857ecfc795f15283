"""The figure of ``kvpipe memory compare``: what one reticle-size die can attach, and what
the pipeline's operating points ask of it."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from kvpipe.config.units import Kind, format_quantity
from kvpipe.explore.memory_compare import DeviceStudy
from kvpipe.report.markup import img
from kvpipe.report.plots import new_figure

FIGURE_KEY = "memory_compare"
# the device table's columns, in the report and in `kvpipe memory compare`: "KV" marks the device
# model's figures at the KV pattern (effective bandwidth), unmarked ones are the catalog's
DEVICE_COLUMNS = ("memory", "device", "capacity", "peak BW", "pJ/bit", "KV BW", "row hits", "KV pJ/bit core",
                  "KV pJ/bit path", "KV pJ/bit all-in", "KV BW / capacity", "units per die", "KV BW per die",
                  "capacity per die")


def _label_offsets(ax: Any, points: Sequence[tuple[float, float]], texts: Sequence[str],
                   fontsize: float) -> list[tuple[float, float, str, str]]:
    """Offset (points) and alignment of each point's label, beside its own point and off the
    other points and the labels placed before it: right, left, above-right or below-right, the
    first that is free (estimated text boxes in display coordinates, so the axes' scales and
    limits must be set). Returns (dx, dy, ha, va) per point."""
    px_per_pt = ax.figure.dpi / 72.0
    height, char = fontsize * px_per_pt * 1.2, fontsize * px_per_pt * 0.6
    dots = [tuple(ax.transData.transform(p)) for p in points]
    r = 5.0  # a marker's half size in pixels
    taken = [(x - r, y - r, x + r, y + r) for x, y in dots]
    out: list[tuple[float, float, str, str]] = []
    for (xd, yd), text in zip(dots, texts, strict=True):
        width = len(text) * char
        choice = None
        for dx, dy, ha, va in ((6, 0, "left", "center"), (-6, 0, "right", "center"),
                               (6, 6, "left", "bottom"), (6, -6, "left", "top")):
            x0 = xd + dx * px_per_pt - (width if ha == "right" else 0.0)
            y0 = yd + dy * px_per_pt - {"center": height / 2, "bottom": 0.0, "top": height}[va]
            box = (x0, y0, x0 + width, y0 + height)
            if not any(box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken):
                choice = (dx, dy, ha, va, box)
                break
        if choice is None:  # crowded everywhere: beside the point, to the right
            choice = (6, 0, "left", "center", (xd, yd - height / 2, xd + width, yd + height / 2))
        taken.append(choice[4])
        out.append(choice[:4])
    return out


def fig_memory_compare(study: DeviceStudy) -> Figure:
    rows, demands, context_tokens = study.rows, study.demands, study.context_tokens
    fig = new_figure(9.5, 7.0)
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
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo_c, hi_c)
    ax.set_ylim(lo_b, hi_b)
    # highest bandwidth first: each label takes the first side its neighbours left free
    ordered = sorted(rows, key=lambda r: -r.bw_per_reticle_die_bytes_per_s)
    texts = [f"{r.name} ({r.units_per_reticle_die} x {r.unit})" for r in ordered]
    points = [(r.capacity_per_reticle_die_bytes, r.bw_per_reticle_die_bytes_per_s) for r in ordered]
    for r, text, xy, (dx, dy, ha, va) in zip(ordered, texts, points, _label_offsets(ax, points, texts, 8),
                                             strict=True):
        ax.scatter(*xy, marker="s" if r.attach == "3d" else "o", s=50, zorder=3)
        ax.annotate(text, xy, textcoords="offset points", xytext=(dx, dy), ha=ha, va=va, fontsize=8)
    for d in demands:
        ax.scatter(d.capacity_per_reticle_die_bytes, d.bw_per_reticle_die_bytes_per_s, marker="*", s=220,
                   color="gold", edgecolor="black", zorder=4)
        ax.annotate(d.label, (d.capacity_per_reticle_die_bytes, d.bw_per_reticle_die_bytes_per_s),
                    textcoords="offset points", xytext=(8, 6), fontsize=9, weight="bold")
    ax.set_xlabel("KV capacity per reticle-size logic die [bytes]")
    ax.set_ylabel("effective KV bandwidth per reticle-size logic die [bytes/s]")
    ax.set_title(
        f"What a reticle die can attach (o 2.5D, s 3D; effective bandwidth for {context_tokens:,}-token KV runs)\n"
        "vs what the pipeline's operating points need (*); grey: bandwidth/capacity = tokens/s per user",
        fontsize=10,
    )
    ax.grid(True, which="both", alpha=0.3)
    return fig


def render_device_section(study: DeviceStudy, figure_pngs: Mapping[str, bytes], used: set[str]) -> str:
    """The report's section on DRAM devices at the study's KV access pattern."""
    e = html.escape
    head = DEVICE_COLUMNS
    rows = []
    for r in study.rows:
        cells = (
            r.name, r.device, capacity_text(r, r.capacity_bytes),
            format_quantity(r.peak_bw_bytes_per_s, Kind.BYTES_PER_S), f"{r.read_j_per_bit * 1e12:.2f}",
            format_quantity(r.effective_bw_bytes_per_s, Kind.BYTES_PER_S), f"{r.row_hit_rate:.1%}",
            f"{r.core_j_per_bit * 1e12:.2f}", f"{r.access_path_j_per_bit * 1e12:.2f}",
            f"{r.effective_j_per_bit * 1e12:.2f}", f"{r.bw_to_capacity_per_s:,.0f} /s",
            f"{r.units_per_reticle_die} x {r.unit} ({r.attach})",
            format_quantity(r.bw_per_reticle_die_bytes_per_s, Kind.BYTES_PER_S),
            capacity_text(r, r.capacity_per_reticle_die_bytes),
        )
        rows.append("<tr>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    need = "; ".join(
        f"{d.label}: {format_quantity(d.bw_per_reticle_die_bytes_per_s, Kind.BYTES_PER_S)} and "
        f"{format_quantity(d.capacity_per_reticle_die_bytes, Kind.BYTES)} per reticle die"
        for d in study.demands
    )
    parts = [
        '<h2 id="memory-devices">Memory devices at the KV access pattern</h2>',
        "<p>Each catalog memory with its DRAM device description (organization, timings, energies; "
        "<code>kvpipe.memory</code>, docs/memory.md): capacity, peak bandwidth and pJ/bit are the catalog's "
        "own (pJ/bit: whole access path), as in the technology tables; the KV columns are the device "
        "evaluated by the closed-form KV model for runs of "
        f"{study.context_tokens:,} tokens x {e(format_quantity(study.kv_bytes_per_token_layer, Kind.BYTES))} "
        f"per user and layer, {study.interleaved} run(s) at a time: effective bandwidth (peak x the device's "
        "efficiency) and energy per bit, core-only (activation, cells to pins), whole access path (+ I/O and "
        "PHY) and all-in (+ standby and refresh). Per reticle die: the units the packaging rule fits. "
        "The requirement: " + e(need) + "."
        + (f" No device description, so no row (catalog figures only, as in the technology tables): "
           f"{e(', '.join(study.without_device))}." if study.without_device else "") + "</p>",
        "<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead><tbody>"
        + "".join(rows) + "</tbody></table>",
    ]
    if FIGURE_KEY in figure_pngs:
        used.add(FIGURE_KEY)
        parts.append(f'<figure>{img(figure_pngs[FIGURE_KEY], "memory devices per reticle die")}'
                     "<figcaption>Capacity and effective KV bandwidth one reticle-size die can attach, "
                     "and what the operating points need.</figcaption></figure>")
    return "\n".join(parts)


def capacity_text(row: Any, value: float) -> str:
    """Bytes in the unit they were computed in: GiB for a device's binary geometry, else GB."""
    from kvpipe.units import format_bytes_binary

    return format_bytes_binary(value) if row.capacity_binary else format_quantity(value, Kind.BYTES)
