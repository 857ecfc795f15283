"""The seed study's figures, as matplotlib :class:`~matplotlib.figure.Figure` objects.

Figures are built with the object API (``Figure`` + Agg canvas), never through pyplot, so
nothing here touches global plotting state or needs a display. :func:`render_png` turns a
figure into PNG bytes; :func:`seed_figure_pngs` renders every figure of a study.

* :func:`fig_energy_vs_users` — J/token vs users, breakdown; static-power amortization.
* :func:`fig_throughput_vs_users` — tokens/s per user and aggregate vs users, binding limit.
* :func:`fig_kv_demand` — KV bandwidth vs capacity demand per group, with technology lines.
* :func:`fig_memory_techs` — technologies at the operating point vs the requirements.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import matplotlib

matplotlib.use("Agg", force=False)  # harmless if a backend is already chosen; we never use pyplot

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import EngFormatter, LogLocator, NullFormatter

from kvpipe.explore.provision import KV_ENERGY_SHARE, TechAtOperatingPoint
from kvpipe.explore.seed import ModelStudy
from kvpipe.explore.seed_study import SeedStudy
from kvpipe.hardware.parts import MemoryTech
from kvpipe.perf.result import Limit, PerfResult
from kvpipe.report.format import (
    fmt_bw,
    fmt_bytes,
    fmt_count,
    fmt_factor,
    fmt_joules,
    fmt_number,
    fmt_pj_per_bit,
    fmt_rate,
    fmt_tokens,
)
from kvpipe.report.plots import DPI, new_figure, render_png, render_png_and_clear, users_axis

FIGURE_NAMES: tuple[str, ...] = ("energy_vs_users", "throughput_vs_users", "kv_demand", "memory_techs")
FIGURE_TITLES: dict[str, str] = {
    "energy_vs_users": "Energy per token vs users (static-power amortization)",
    "throughput_vs_users": "Tokens/s per user and aggregate vs users, with the binding limit",
    "kv_demand": "KV bandwidth demand vs KV capacity demand per chip group",
    "memory_techs": "Memory technologies at the operating point",
}

ENERGY_COLORS: dict[str, str] = {
    "static": "#d62728",
    "weight_reads": "#1f77b4",
    "compute": "#2ca02c",
    "kv_read": "#ff7f0e",
    "kv_write": "#e6b800",
    "memory_background": "#9467bd",
    "links": "#8c564b",
}
ENERGY_NAMES: dict[str, str] = {
    "static": "static power",
    "weight_reads": "weight reads (SRAM or HBM)",
    "compute": "compute (MACs, attention)",
    "kv_read": "KV DRAM reads",
    "kv_write": "KV DRAM writes",
    "memory_background": "DRAM background",
    "links": "links",
}
LIMIT_COLORS: dict[str, str] = {
    Limit.PIPELINE_DEPTH.label: "#1f77b4",
    Limit.KV_CAPACITY.label: "#d62728",
    Limit.KV_BANDWIDTH.label: "#ff7f0e",
    Limit.COMPUTE.label: "#2ca02c",
    Limit.LINKS.label: "#9467bd",
    Limit.KV_LATENCY.label: "#e377c2",
}
TECH_COLORS = ("#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f",
               "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173", "#e6550d", "#3182bd")


def _tech_color(k: int) -> str:
    return TECH_COLORS[k % len(TECH_COLORS)]


# --- helpers ----------------------------------------------------------------------------


def _context_index(study: ModelStudy) -> int:
    ctx = study.system.workload.context_tokens
    return study.contexts.index(ctx) if ctx in study.contexts else len(study.contexts) // 2


def _col(arr: np.ndarray, shape: tuple[int, int], j: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(arr, dtype=np.float64), shape)[:, j]


def _memory_name(study: ModelStudy) -> str:
    mem = study.system.kv_memory
    return f"{mem.tech.name} × {mem.units_per_group:g} {mem.tech.unit}{'' if mem.units_per_group == 1 else 's'}/group"


def _title(study: ModelStudy, what: str) -> str:
    h = study.headline
    return f"{h.model} · {fmt_tokens(study.system.workload.context_tokens)} of context\n{what}"


def _mark_u90(ax, study: ModelStudy, label: bool = True) -> None:
    u90 = study.headline.users_at_90pct_speed
    ax.axvline(u90, color="black", ls=":", lw=1.3, zorder=1)
    if label:
        ax.annotate(
            f"90 % speed:\n{fmt_count(u90)} users",
            xy=(u90, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(-4, -4),
            textcoords="offset points",
            ha="right",
            va="top",
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.7", "alpha": 0.9},
        )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "model"


# --- figures ------------------------------------------------------------------------------


def fig_energy_vs_users(study: ModelStudy) -> Figure:
    """J/token vs users at the system's context: breakdown (configured memory) and totals."""
    r = study.configured
    shape = (len(study.users), len(study.contexts))
    j = _context_index(study)
    users = study.users
    parts = {k: _col(v, shape, j) for k, v in r.energy.as_dict().items()}
    total = _col(r.joules_per_token, shape, j)
    ideal_total = _col(study.ideal.joules_per_token, shape, j)
    h = study.headline

    fig = new_figure(13.5, 5.4)
    ax, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.35, 1.0]})

    positive = [k for k, v in parts.items() if np.any(v > 0)]
    for k in positive:
        ax.plot(users, np.where(parts[k] > 0, parts[k], np.nan), color=ENERGY_COLORS.get(k), lw=1.6, label=ENERGY_NAMES.get(k, k))
    ax.plot(users, total, color="black", lw=2.6, label=f"total, {_memory_name(study)}")
    ax.plot(
        users, ideal_total, color="0.45", lw=2.2, ls="--",
        label=(
            f"total, ideal KV memory (free, unbounded):\n  1 user {fmt_joules(h.joules_per_token_1_user)}, "
            f"{fmt_count(h.users_at_90pct_speed)} users {fmt_joules(h.joules_per_token_at_users_at_90pct_speed)}"
        ),
    )
    ax.plot(
        [1, h.users_at_90pct_speed], [h.joules_per_token_1_user, h.joules_per_token_at_users_at_90pct_speed],
        "o", color="0.45", ms=7, zorder=5,
    )
    users_axis(ax, users)
    ax.set_yscale("log")
    finite = np.concatenate([total[np.isfinite(total)], ideal_total[np.isfinite(ideal_total)]])
    lo = min(float(np.min(v[v > 0])) for v in [*(parts[k] for k in positive), finite] if np.any(v > 0))
    hi = float(np.max(finite)) if finite.size else 1.0
    ax.set_ylim(max(lo, hi * 1e-7) / 1.5, hi * 2.0)
    ax.yaxis.set_major_formatter(EngFormatter(unit="J"))
    ax.set_ylabel("energy per decoded token [J/token]")
    _mark_u90(ax, study)
    ax.legend(fontsize=8.5, loc="lower left", framealpha=0.9)
    ax.set_title("J/token by component (log-log)", fontsize=11)

    # right: share of J/token, stacked (configured memory)
    with np.errstate(invalid="ignore", divide="ignore"):
        shares = [np.where(total > 0, parts[k] / total * 100.0, 0.0) for k in positive]
    ax2.stackplot(users, *shares, colors=[ENERGY_COLORS.get(k) for k in positive], labels=[ENERGY_NAMES.get(k, k) for k in positive], alpha=0.9)
    users_axis(ax2, users)
    ax2.set_ylim(0, 100)
    ax2.set_ylabel(f"share of J/token [%], {_memory_name(study)}")
    _mark_u90(ax2, study, label=False)
    ax2.set_title("where the energy goes", fontsize=11)
    ax2.legend(fontsize=8, loc="lower left", framealpha=0.9)
    fig.suptitle(_title(study, "energy per token vs users: static power is shared by more tokens"), fontsize=12)
    return fig


def _plot_by_limit(ax, x: np.ndarray, y: np.ndarray, labels: np.ndarray, ls: str, lw: float) -> list[tuple[int, str]]:
    """Plot y(x) in segments coloured by binding limit; return (index, label) where it changes."""
    changes: list[tuple[int, str]] = []
    start = 0
    n = len(x)
    for i in range(1, n + 1):
        if i == n or labels[i] != labels[start]:
            seg = slice(start, min(i + 1, n))
            ax.plot(x[seg], y[seg], color=LIMIT_COLORS.get(str(labels[start]), "0.3"), ls=ls, lw=lw, solid_capstyle="butt")
            if i < n:
                changes.append((i, str(labels[i])))
            start = i
    return changes


def _keep_labels_inside(ax) -> None:
    """Keep the limit-change labels inside the axes: one hung below a point in the lowest fifth
    of the (log) y range goes above it, one written rightwards from the right fifth of the x
    range goes leftwards."""
    ax.autoscale_view()
    lo, hi = (np.log10(v) for v in ax.get_ylim())
    x_lo, x_hi = (np.log10(v) for v in ax.get_xlim())
    for t in ax.texts:
        if not t.get_text().startswith("→"):
            continue
        if (np.log10(t.xy[1]) - lo) < 0.2 * (hi - lo):
            t.xyann = (t.xyann[0], 8)
            t.set_va("bottom")
        if t.get_ha() == "left" and (np.log10(t.xy[0]) - x_lo) > 0.8 * (x_hi - x_lo):
            t.xyann = (-abs(t.xyann[0]), t.xyann[1])
            t.set_ha("right")


def fig_throughput_vs_users(study: ModelStudy) -> Figure:
    """Tokens/s per user (left) and aggregate (right) vs users, coloured by the binding limit."""
    shape = (len(study.users), len(study.contexts))
    j = _context_index(study)
    users = study.users
    h = study.headline
    fig = new_figure(13.5, 5.4)
    axes = fig.subplots(1, 2)
    series: list[tuple[str, PerfResult, str, float]] = [
        ("ideal KV memory", study.ideal, "--", 2.0),
        (_memory_name(study), study.configured, "-", 2.8),
    ]
    seen_limits: set[str] = set()
    for ax, field, ylabel in (
        (axes[0], "tokens_per_s_per_user", "tokens/s per user [tokens/s]"),
        (axes[1], "tokens_per_s", "aggregate tokens/s [tokens/s]"),
    ):
        for name, r, ls, lw in series:
            y = _col(getattr(r, field), shape, j)
            labels = np.broadcast_to(r.binding_labels(), shape)[:, j]
            seen_limits.update(str(v) for v in labels)
            changes = _plot_by_limit(ax, users, y, labels, ls, lw)
            if r is study.configured:
                for i, lab in changes:
                    ax.plot(users[i], y[i], "o", color=LIMIT_COLORS.get(lab, "0.3"), ms=7, mec="black", zorder=5)
                    ax.annotate(
                        # the limit changes between two grid points, not at the second one
                        f"→ {lab.replace('_', ' ')}\n@ {fmt_count(users[i - 1])}-{fmt_count(users[i])} users",
                        xy=(users[i], y[i]),
                        xytext=(-8, -8) if field == "tokens_per_s_per_user" else (6, -8),
                        textcoords="offset points",
                        ha="right" if field == "tokens_per_s_per_user" else "left",
                        va="top",
                        fontsize=8.5,
                        color=LIMIT_COLORS.get(lab, "0.3"),
                    )
        users_axis(ax, users)
        ax.set_yscale("log")
        ax.set_ylabel(ylabel)
        _keep_labels_inside(ax)
        _mark_u90(ax, study, label=(field == "tokens_per_s"))
    axes[0].axhline(0.9 * h.single_user_tokens_per_s_ideal_kv, color="0.4", lw=1.0, ls="-.")
    axes[0].annotate(
        f"90 % of 1 user: {fmt_rate(0.9 * h.single_user_tokens_per_s_ideal_kv)}",
        xy=(users[-1], 0.9 * h.single_user_tokens_per_s_ideal_kv), xytext=(-4, 4), textcoords="offset points",
        ha="right", va="bottom", fontsize=9,
    )
    axes[0].set_title(f"per user (1 user: {fmt_rate(h.single_user_tokens_per_s_ideal_kv)})", fontsize=11)
    axes[1].set_title(f"aggregate ({fmt_rate(h.tokens_per_s_at_90pct)} at {fmt_count(h.users_at_90pct_speed)} users, ideal memory)", fontsize=11)
    handles = [
        Line2D([], [], color="0.2", ls="-", lw=2.8, label=_memory_name(study)),
        Line2D([], [], color="0.2", ls="--", lw=2.0, label="ideal KV memory"),
    ] + [
        Line2D([], [], color=LIMIT_COLORS[lim.label], lw=5, label=f"bound: {lim.label.replace('_', ' ')}")
        for lim in Limit
        if lim.label in seen_limits
    ]
    axes[0].legend(handles=handles, fontsize=8.5, loc="lower left", framealpha=0.9)
    fig.suptitle(_title(study, "decode speed vs users; colour = what bounds aggregate throughput"), fontsize=12)
    return fig


def _as_tech(t: MemoryTech | TechAtOperatingPoint) -> tuple[MemoryTech, TechAtOperatingPoint | None]:
    if isinstance(t, TechAtOperatingPoint):
        return t.tech, t
    return t, None


def fig_kv_demand(study: ModelStudy, techs: Sequence[MemoryTech | TechAtOperatingPoint] | None = None) -> Figure:
    """KV bandwidth vs capacity demand per chip group (ideal memory), with technology lines."""
    techs = study.techs if techs is None else techs
    r = study.ideal
    shape = (len(study.users), len(study.contexts))
    h = study.headline
    fig = new_figure(12.0, 9.0)
    ax = fig.subplots()
    cmap = matplotlib.colormaps["viridis"]
    xs: list[float] = []
    ys: list[float] = []
    for j, ctx in enumerate(study.contexts):
        x = _col(r.kv_capacity_demand_bytes_per_group, shape, j)
        y = _col(r.kv_bw_demand_bytes_per_s_per_group, shape, j)
        ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
        color = cmap(0.1 + 0.75 * j / max(1, len(study.contexts) - 1))
        ax.plot(x[ok], y[ok], "-", color=color, lw=3.0, zorder=3, label=f"demand, {fmt_tokens(ctx)} context, 1 → {fmt_count(study.users[-1])} users")
        if ok.any():
            ax.plot(x[ok][0], y[ok][0], "o", color=color, ms=4)
        xs += list(x[ok])
        ys += list(y[ok])
    provisioned: list[tuple[MemoryTech, TechAtOperatingPoint]] = []
    for t in techs:
        m, op = _as_tech(t)
        if op is not None:
            xs.append(op.units_per_group * m.capacity_bytes)
            ys.append(op.units_per_group * m.bw_bytes_per_s)
            provisioned.append((m, op))
    xs += [h.kv_capacity_demand_bytes_per_group]
    ys += [h.kv_bw_demand_bytes_per_s_per_group]
    xlo, xhi = min(xs) / 3, max(xs) * 3
    ylo, yhi = min(ys) / 3, max(ys) * 3
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(xlo, xhi)
    ax.set_ylim(ylo, yhi)

    # technology lines: bw = (bw/capacity) x capacity, labelled at staggered heights so that
    # lines with similar ratios (HBM3E, HBM4, GDDR7) keep readable labels
    xline = np.logspace(np.log10(xlo), np.log10(xhi), 50)
    tech_list = [_as_tech(t)[0] for t in techs]
    colors = {m.name: _tech_color(k) for k, m in enumerate(tech_list)}
    decades = np.log10(yhi / ylo)
    order = sorted(tech_list, key=lambda m: -m.bw_to_capacity_per_s)
    for rank, m in enumerate(order):
        ratio = m.bw_to_capacity_per_s
        ax.plot(xline, ratio * xline, color=colors[m.name], lw=1.3, alpha=0.9, zorder=2)
        step = min(0.075, 0.85 / max(1, len(order)))
        y_at = yhi * 10 ** (-(0.04 + step * rank) * decades)
        x_at = y_at / ratio
        if x_at > xhi:
            x_at, y_at = xhi, ratio * xhi
        if x_at <= xlo or y_at <= ylo:
            continue  # the line does not cross the plotted range
        ax.annotate(
            f"{m.name}: {fmt_number(ratio)} /s",
            xy=(x_at, y_at),
            xytext=(-5, 0),
            textcoords="offset points",
            ha="right",
            va="center",
            fontsize=9,
            color=colors[m.name],
            fontweight="bold",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            zorder=4,
        )
    for m, op in provisioned:
        px, py = op.units_per_group * m.capacity_bytes, op.units_per_group * m.bw_bytes_per_s
        ax.plot(px, py, "s", mfc="white", mec=colors.get(m.name, "0.3"), mew=2, ms=9, zorder=6)
    ax.plot(
        h.kv_capacity_demand_bytes_per_group, h.kv_bw_demand_bytes_per_s_per_group, "*",
        color="gold", mec="black", ms=20, zorder=7,
    )
    ax.annotate(
        f"★ operating point ({fmt_count(h.users_at_90pct_speed)} users):\n"
        f"{fmt_bytes(h.kv_capacity_demand_bytes_per_group)} at {fmt_bw(h.kv_bw_demand_bytes_per_s_per_group)}\n"
        f"BW/capacity {h.kv_bw_to_capacity_ratio_per_s:,.0f} /s "
        f"({fmt_factor(h.kv_bw_to_capacity_ratio_per_s / h.hbm3e_bw_to_capacity_ratio_per_s)} HBM3E's)",
        xy=(h.kv_capacity_demand_bytes_per_group, h.kv_bw_demand_bytes_per_s_per_group),
        xytext=(0.98, 0.03), textcoords="axes fraction", ha="right", va="bottom", fontsize=9.5,
        bbox={"boxstyle": "round,pad=0.3", "fc": "lightyellow", "ec": "0.5"},
        zorder=8,
    )
    ax.xaxis.set_major_locator(LogLocator(base=10.0))
    ax.yaxis.set_major_locator(LogLocator(base=10.0))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_minor_formatter(NullFormatter())
    ax.xaxis.set_major_formatter(EngFormatter(unit="B"))
    ax.yaxis.set_major_formatter(EngFormatter(unit="B/s"))
    ax.set_xlabel("KV capacity demand per chip group [bytes]  (users × KV bytes per user)")
    ax.set_ylabel("KV bandwidth demand per chip group [bytes/s]  (reads + writes)")
    ax.grid(True, which="major", alpha=0.35)
    handles, _ = ax.get_legend_handles_labels()
    handles += [
        Line2D([], [], color="none", label="thin lines: a technology's BW = (BW/capacity) × capacity"),
        Line2D([], [], ls="", marker="s", mfc="white", mec="0.3", mew=2, ms=9,
               label="technology provisioned for the operating point (units × capacity, units × BW)"),
        Line2D([], [], ls="", marker="*", color="gold", mec="black", ms=15, label="operating point (users at 90 % speed)"),
    ]
    fig.legend(handles=handles, fontsize=9, loc="outside lower center", ncols=2, framealpha=0.92)
    fig.suptitle(_title(study, "KV bandwidth demand >> capacity demand: demand/capacity = tokens/s per user"), fontsize=12)
    return fig


def fig_memory_techs(study: ModelStudy) -> Figure:
    """Per technology at the operating point: units for BW vs capacity, pJ/bit and BW per die.

    Horizontal bars (one row per technology, the same order in every panel) so that a long
    catalog stays readable; the required values are vertical dashed lines.
    """
    h = study.headline
    techs = study.techs
    n = len(techs)
    names = [t.tech.name for t in techs]
    y = np.arange(n)[::-1]  # first technology on top
    fig = new_figure(16.0, max(4.8, 1.9 + 0.42 * n))
    ax1, ax2, ax3 = fig.subplots(1, 3, sharey=True)

    def value_label(ax, x: float, yy: float, text: str) -> None:
        ax.annotate(
            text, xy=(x, yy), xytext=(4, 0), textcoords="offset points", va="center", fontsize=8.5,
            bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75}, zorder=5,
        )

    hb = 0.38
    n_bw = np.array([t.units_for_bandwidth for t in techs], dtype=float)
    n_cap = np.array([t.units_for_capacity for t in techs], dtype=float)
    ax1.barh(y + hb / 2, n_bw, hb, color="#ff7f0e", label="units needed for bandwidth")
    ax1.barh(y - hb / 2, n_cap, hb, color="#1f77b4", label="units needed for capacity")
    for i, t in enumerate(techs):
        value_label(
            ax1, max(n_bw[i], n_cap[i], 1.0), y[i],
            f"{t.units_per_group:,} {t.tech.unit}{'' if t.units_per_group == 1 else 's'}, "
            f"{fmt_factor(t.capacity_overprovision)} capacity",
        )
    ax1.set_xscale("log")
    top = max(1.0, float(np.max(np.concatenate([n_bw, n_cap])))) if n else 1.0
    ax1.set_xlim(0.5, top * 300)
    ax1.set_xlabel("units per chip group [count of dies / stacks / packages]")
    ax1.set_title("units per group for bandwidth vs for capacity\n(label: units fitted, capacity over-provisioning)", fontsize=10.5)
    ax1.legend(fontsize=8.5, loc="lower right", framealpha=0.92)

    req_pj = h.required_kv_pj_per_bit
    eff = np.array([t.kv_effective_j_per_bit * 1e12 for t in techs])
    ax2.barh(y, eff, 0.6, color=["#2ca02c" if v <= req_pj else "#8c8c8c" for v in eff])
    ax2.axvline(req_pj, color="#d62728", lw=2, ls="--")
    ax2.annotate(
        f"required ≤ {fmt_pj_per_bit(req_pj)}", xy=(req_pj, 1.0), xycoords=("data", "axes fraction"),
        xytext=(4, -4), textcoords="offset points", ha="left", va="top", fontsize=9, color="#d62728",
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
    )
    for i, v in enumerate(eff):
        value_label(ax2, v, y[i], fmt_pj_per_bit(v))
    ax2.set_xscale("log")
    vals = [v for v in [*eff, req_pj] if v > 0]
    if vals:
        ax2.set_xlim(min(vals) / 2, max(vals) * 6)
    ax2.set_xlabel("KV energy per bit moved [pJ/bit] (reads + writes + background)")
    ax2.set_title(
        f"KV energy per bit vs required (KV ≤ {KV_ENERGY_SHARE * 100:g} % of J/token)\n"
        f"HBM3E needs {fmt_factor(h.required_kv_pj_per_bit_improvement_vs_hbm3e)} better; green: meets it",
        fontsize=10.5,
    )

    req_bw = h.required_kv_bw_per_reticle_die_bytes_per_s
    bw = np.array([t.bw_per_reticle_die_bytes_per_s for t in techs])
    ax3.barh(y, np.where(bw > 0, bw, np.nan), 0.6, color=["#2ca02c" if v >= req_bw else "#8c8c8c" for v in bw])
    ax3.axvline(req_bw, color="#d62728", lw=2, ls="--")
    ax3.annotate(
        f"required {fmt_bw(req_bw)}", xy=(req_bw, 1.0), xycoords=("data", "axes fraction"),
        xytext=(4, -4), textcoords="offset points", ha="left", va="top", fontsize=9, color="#d62728",
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
    )
    for i, (v, t) in enumerate(zip(bw, techs, strict=True)):
        k = t.max_units_per_reticle_die
        value_label(ax3, v if v > 0 else req_bw, y[i], f"{fmt_bw(v)} ({k} {t.tech.unit}{'' if k == 1 else 's'}, {t.tech.attach})")
    ax3.set_xscale("log")
    vals = [v for v in [*bw, req_bw] if v > 0]
    if vals:
        ax3.set_xlim(min(vals) / 2, max(vals) * 30)
    ax3.xaxis.set_major_formatter(EngFormatter(unit="B/s"))
    ax3.set_xlabel("KV bandwidth one reticle-size die can attach [bytes/s]")
    ax3.set_title(
        f"bandwidth per reticle die vs required\nHBM3E needs {fmt_factor(h.required_kv_bw_per_reticle_die_vs_hbm3e)}; green: meets it",
        fontsize=10.5,
    )

    ax1.set_yticks(y, names)
    ax1.set_ylabel("memory technology")
    ax1.set_ylim(-0.7, n - 0.3)
    for ax in (ax1, ax2, ax3):
        ax.grid(True, axis="x", which="major", alpha=0.35)
    fig.suptitle(
        _title(
            study,
            f"memory technologies at the operating point: {fmt_count(h.users_at_90pct_speed)} users, "
            f"{fmt_bytes(h.kv_capacity_demand_bytes_per_group)} at {fmt_bw(h.kv_bw_demand_bytes_per_s_per_group)} per group",
        ),
        fontsize=12,
    )
    return fig


def study_figures(study: ModelStudy) -> dict[str, Figure]:
    """The four figures of one model study, keyed by :data:`FIGURE_NAMES`."""
    return {
        "energy_vs_users": fig_energy_vs_users(study),
        "throughput_vs_users": fig_throughput_vs_users(study),
        "kv_demand": fig_kv_demand(study),
        "memory_techs": fig_memory_techs(study),
    }


def figure_suffixes(seed: SeedStudy) -> list[str]:
    """File-name suffix per study: "" for the primary, "-<model slug>" for the others (unique)."""
    out: list[str] = []
    for i, s in enumerate(seed.studies):
        if i == 0:
            out.append("")
            continue
        suffix = f"-{_slug(s.headline.model)}"
        while suffix in out:
            suffix += f"-{i}"
        out.append(suffix)
    return out


def figure_key(name: str, suffix: str) -> str:
    return f"{name}{suffix}"


def seed_figure_count(seed: SeedStudy) -> int:
    """How many figures :func:`seed_figure_pngs` draws."""
    from kvpipe.report import robustness

    n = len(FIGURE_NAMES) * len(seed.studies) + (seed.gpu_comparison is not None) + (seed.device_study is not None)
    return n + (robustness.figure_count(seed.uncertainty) if seed.uncertainty else 0)


def seed_figure_pngs(seed: SeedStudy, dpi: int = DPI, on_figure: Callable[[str], None] | None = None) -> dict[str, bytes]:
    """PNG bytes of every figure of every study: keys ``<name><suffix>`` (primary: no suffix).
    ``on_figure(key)`` is called before each figure is drawn (progress)."""
    out: dict[str, bytes] = {}

    def draw(key: str, fig: Figure) -> None:
        if on_figure is not None:
            on_figure(key)
        out[key] = render_png_and_clear(fig, dpi)

    for s, suffix in zip(seed.studies, figure_suffixes(seed), strict=True):
        for name, fig in study_figures(s).items():
            draw(figure_key(name, suffix), fig)
    if seed.gpu_comparison is not None:
        from kvpipe.report.baselines import FIGURE_KEY, fig_gpu_comparison

        draw(FIGURE_KEY, fig_gpu_comparison(seed.gpu_comparison))
    if seed.device_study is not None:
        from kvpipe.report import memory_figures

        draw(memory_figures.FIGURE_KEY, memory_figures.fig_memory_compare(seed.device_study))
    if seed.uncertainty:
        from kvpipe.report import robustness

        def render_counted(fig: Figure) -> bytes:
            if on_figure is not None:
                on_figure("uncertainty")
            return render_png(fig, dpi)

        out.update(robustness.figure_pngs(seed.uncertainty, render_counted))
    return out


__all__ = [
    "DPI",
    "FIGURE_NAMES",
    "seed_figure_count",
    "FIGURE_TITLES",
    "fig_energy_vs_users",
    "fig_kv_demand",
    "fig_memory_techs",
    "fig_throughput_vs_users",
    "figure_key",
    "figure_suffixes",
    "new_figure",
    "render_png",
    "render_png_and_clear",
    "seed_figure_pngs",
    "study_figures",
]
