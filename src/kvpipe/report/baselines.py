"""The seed report's comparison with GPU servers: a figure, a table and where each system wins,
in words, all from one :class:`~kvpipe.explore.baselines.GpuComparison`."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.figure import Figure

from kvpipe.explore.baselines import COMPARISON_USERS, GpuComparison
from kvpipe.report.format import fmt_count, fmt_factor, fmt_joules, fmt_rate, fmt_tokens
from kvpipe.report.markup import escape, figure, render_table
from kvpipe.report.plots import new_figure, users_axis
from kvpipe.report.table import Table

FIGURE_KEY = "gpu_comparison"
SECTION_ID = "gpu-comparison"
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd")
_METRICS = (
    ("tokens_per_s_per_user", "tokens/s per user", True),
    ("tokens_per_s", "aggregate tokens/s", True),
    ("joules_per_token", "J/token", False),
)
_AXIS_LABELS = {  # y-axis labels with units, as the seed figures have them
    "tokens_per_s_per_user": "tokens/s per user [tokens/s]",
    "tokens_per_s": "aggregate tokens/s [tokens/s]",
    "joules_per_token": "energy per decoded token [J/token]",
}


def fig_gpu_comparison(cmp: GpuComparison) -> Figure:
    """Per-user tokens/s, aggregate tokens/s and J/token vs users, one line per system."""
    fig = new_figure(16.0, 5.6)
    axes = fig.subplots(1, 3)
    for ax, (field, label, _) in zip(axes, _METRICS, strict=True):
        for k, s in enumerate(cmp.sweeps):
            y = np.asarray(getattr(s, field), dtype=float)
            ok = np.isfinite(y) & (y > 0)
            ax.plot(s.users[ok], y[ok], color=_COLORS[k % len(_COLORS)], lw=2.4 if s.kind == "spatial" else 1.9,
                    ls="-" if s.kind == "spatial" else "--", label=f"{s.name}: {s.description}")
            cap = s.users_in_flight < s.users
            if cap.any():
                i = int(np.argmax(cap))
                ax.plot(s.users[i], y[i], "x", color=_COLORS[k % len(_COLORS)], ms=9, mew=2)
        users_axis(ax, cmp.spatial.users)
        ax.set_xlabel("users in flight (GPU: batch)")
        ax.set_yscale("log")
        ax.set_ylabel(_AXIS_LABELS[field])
        ax.set_title(label, fontsize=11)
    # below the panels: inside, it hid where the GPU curves meet the pipeline's
    handles, _ = axes[0].get_legend_handles_labels()
    fig.legend(handles=handles, fontsize=9, loc="outside lower center", ncols=3, framealpha=0.92)
    fig.suptitle(
        f"{cmp.model} · {fmt_tokens(cmp.context_tokens)} of context · {cmp.precisions}\n"
        "spatial pipeline (solid) vs GPU servers (dashed); x: KV capacity reached, more users wait",
        fontsize=12,
    )
    return fig


def comparison_rows(cmp: GpuComparison, users: tuple[int, ...] = COMPARISON_USERS) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for u in users:
        for s in cmp.sweeps:
            i = s.at(u)
            jpt = float(s.joules_per_token[i])
            rows.append((
                fmt_count(u), s.name, str(s.devices), fmt_count(float(s.users_in_flight[i])),
                fmt_rate(float(s.tokens_per_s_per_user[i])), fmt_rate(float(s.tokens_per_s[i])),
                fmt_joules(jpt) if np.isfinite(jpt) else "none: no sequence fits", str(s.binding[i]).replace("_", " "),
            ))
    return rows


COMPARISON_COLUMNS = ("users", "system", "chips / GPUs", "in flight", "tokens/s per user", "aggregate tokens/s",
                      "J/token", "bound by")


def _best(cmp: GpuComparison, field: str, higher: bool) -> np.ndarray:
    vals = np.stack([np.asarray(getattr(s, field), dtype=float) for s in cmp.sweeps])
    vals = np.where(np.isfinite(vals), vals, -np.inf if higher else np.inf)
    return vals.argmax(axis=0) if higher else vals.argmin(axis=0)


def _ranges(users: np.ndarray, winner: np.ndarray) -> list[tuple[int, float, float]]:
    out: list[tuple[int, float, float]] = []
    start = 0
    for i in range(1, len(users) + 1):
        if i == len(users) or winner[i] != winner[start]:
            out.append((int(winner[start]), float(users[start]), float(users[i - 1])))
            start = i
    return out


def where_each_wins(cmp: GpuComparison) -> list[str]:
    """Sentences saying which system wins each metric over which range of users, by how much at
    one user and at the largest load, and per device."""
    users = cmp.spatial.users
    sp, gpus = cmp.spatial, cmp.gpus
    out = []
    verbs = {
        "tokens_per_s_per_user": ("is {f} faster per user than", "is {f} slower per user than"),
        "tokens_per_s": ("delivers {f} more aggregate tokens/s than", "delivers {f} fewer aggregate tokens/s than"),
        "joules_per_token": ("uses {f} less energy per token than", "uses {f} more energy per token than"),
    }
    for field, label, higher in _METRICS:
        winner = _best(cmp, field, higher)
        parts = []
        for k, lo, hi in _ranges(users, winner):
            span = f"{fmt_count(lo)} user{'s' if lo != 1 else ''}" if lo == hi else f"{fmt_count(lo)} to {fmt_count(hi)} users"
            parts.append(f"{cmp.sweeps[k].name} ({span})")
        sentence = f"{label[0].upper()}{label[1:]}: best is " + "; ".join(parts) + "."
        for where, i in (("one user", 0), (f"{fmt_count(users[-1])} users", len(users) - 1)):
            v = float(getattr(sp, field)[i])
            g = max(gpus, key=lambda s: float(getattr(s, field)[i]) * (1 if higher else -1))
            gv = float(getattr(g, field)[i])
            if not (np.isfinite(v) and np.isfinite(gv)) or v <= 0 or gv <= 0:
                continue
            ratio = v / gv if higher else gv / v
            good, bad = verbs[field]
            word, f = (good, ratio) if ratio >= 1 else (bad, 1.0 / ratio)
            sentence += f" At {where} the spatial pipeline {word.format(f=fmt_factor(f))} the best GPU server ({g.name})."
        out.append(sentence)
    last = len(users) - 1
    per_device = [f"{sp.name} {fmt_rate(float(sp.tokens_per_s[last]) / sp.devices)} per chip"]
    per_device += [f"{g.name} {fmt_rate(float(g.tokens_per_s[last]) / g.devices)} per GPU" for g in gpus]
    cap = ", ".join(f"{g.name} {fmt_count(float(np.max(g.users_in_flight)))}" for g in gpus)
    out.append(
        f"Per device at the largest load: {', '.join(per_device)}; the spatial pipeline spends {sp.devices} "
        f"reticle-size chips against {', '.join(f'{g.devices} GPUs ({g.name})' for g in gpus)} "
        "(the GPU servers win on device count and on what fits in one box). "
        f"Users whose KV fits at {fmt_tokens(cmp.context_tokens)} of context: {sp.name} "
        f"{fmt_count(float(np.max(sp.users_in_flight)))}, {cap}."
    )
    return out


def render_comparison_section(cmp: GpuComparison, figure_pngs: Mapping[str, bytes], used: set[str]) -> str:
    e = escape
    parts = [f'<h2 id="{SECTION_ID}">The spatial pipeline against GPU servers</h2>']
    parts.append(
        f"<p>The same model ({e(cmp.model)}), context ({e(fmt_tokens(cmp.context_tokens))}) and precisions "
        f"({e(cmp.precisions)}) on the seed's spatial pipeline and on GPU servers with HBM, evaluated by the GPU "
        "model of <code>docs/gpu.md</code> (weights read once per step, every sequence's KV read, compute and "
        "tensor-parallel all-reduces, documented efficiency factors; J/token from TDP, idle power and utilisation). "
        "A GPU server's users are its batch.</p>"
    )
    parts.append('<div class="verdict">' + "".join(f"<p>{e(s)}</p>" for s in where_each_wins(cmp)) + "</div>")
    if FIGURE_KEY in figure_pngs:
        used.add(FIGURE_KEY)
        title = "Tokens/s per user, aggregate tokens/s and J/token vs users: spatial pipeline vs GPU servers"
        parts.append(figure(figure_pngs[FIGURE_KEY], title, FIGURE_KEY))
    table = Table(title="At selected loads", columns=COMPARISON_COLUMNS, rows=tuple(comparison_rows(cmp)))
    parts.append(render_table(table))
    parts.append(
        '<p class="small">GPU figures: catalog <code>gpus</code> (datasheet values and two efficiency factors, '
        "each with its source). How well the GPU model reproduces published results: <code>kvpipe validate</code> "
        "and <code>docs/validation.md</code>. Against NVIDIA's TensorRT-LLM throughput tables it lands within 25 % "
        "for dense models on one or two GPUs but is 45-98 % optimistic for 8-way tensor parallelism, MoE and fp4 "
        "weights, the regime of these 8-GPU servers: the GPU figures here lean in the GPUs' favour.</p>"
    )
    return "\n".join(parts)


__all__ = [
    "COMPARISON_COLUMNS", "FIGURE_KEY", "SECTION_ID", "comparison_rows", "fig_gpu_comparison",
    "render_comparison_section", "where_each_wins",
]
