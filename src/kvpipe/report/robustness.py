"""How firm the verdict is: the report's sensitivity (tornado), uncertainty bands and the
verdict over context and model, from :mod:`kvpipe.explore.uncertainty` results."""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from kvpipe.explore.uncertainty import CLAIM_TARGETS, UncertainInput, Uncertainty
from kvpipe.report.format import (
    fmt_bw,
    fmt_factor,
    fmt_flop_per_s,
    fmt_j_per_bit,
    fmt_j_per_flop,
    fmt_mm2,
    fmt_number,
    fmt_percent,
    fmt_seconds,
    fmt_tokens,
    fmt_watts,
)
from kvpipe.report.markup import figure, render_table
from kvpipe.report.plots import new_figure
from kvpipe.report.table import Table

TORNADO_KEY = "claim_tornado"
MAP_KEY = "verdict_over_context_and_model"
SECTION_ID = "uncertainty"
MAP_SECTION_ID = "context-and-model"
# the claims the figures show, with a short name (the users claim needs no memory)
SHOWN: Mapping[str, str] = {
    "users_multiplier": "users multiplier",
    "pj_per_bit": "pJ/bit factor vs HBM3E",
    "bw_per_die": "BW per reticle die vs HBM3E",
}
CLAIM_NAMES: Mapping[str, str] = {
    "users_multiplier": "> 100× more users",
    "bw_to_capacity": "KV BW/capacity ≥ 10× HBM3E's",
    "pj_per_bit": "> 3× better pJ/bit",
    "bw_per_die": "> 5× BW per reticle die",
}
TABLE_CONTEXTS = (1024, 8192, 32768, 131072)
_FIELD_NAMES = {
    "die_area_mm2": "die area",
    "sram_bw_bytes_per_s": "SRAM bandwidth",
    "matrix_operand_bw_bytes_per_s": "matrix operand bandwidth",
    "sram_read_j_per_bit": "SRAM read energy",
    "peak_flop_per_s": "peak FLOP/s",
    "energy_j_per_flop": "energy per FLOP",
    "static_power_w": "static power",
    "hop_latency_s": "hop latency",
    "bw_bytes_per_s": "bandwidth",
    "energy_j_per_bit": "energy",
    "read_j_per_bit": "read energy",
}
_FORMATS: tuple[tuple[str, Callable[[float], str]], ...] = (
    ("flop_per_s", fmt_flop_per_s),
    ("j_per_flop", fmt_j_per_flop),
    ("bytes_per_s", fmt_bw),
    ("j_per_bit", fmt_j_per_bit),
    ("_mm2", fmt_mm2),
    ("_w", fmt_watts),
    ("_s", fmt_seconds),
)
_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


def input_label(inp: UncertainInput) -> str:
    """``link.hop_latency_s`` -> ``"link hop latency"``; per-precision: ``"chip peak FLOP/s (fp8)"``."""
    kind, _, key = inp.key.partition(".")
    name, _, precision = key.partition(".")
    text = f"{kind} {_FIELD_NAMES.get(name, name.replace('_', ' '))}"
    return f"{text} ({precision})" if precision else text


def fmt_input(inp: UncertainInput, value: float) -> str:
    name = inp.key.split(".")[1]
    for suffix, fmt in _FORMATS:
        if name.endswith(suffix):
            return fmt(value)
    return fmt_number(value)


# --- words -----------------------------------------------------------------------------------


def hold_sentence(u: Uncertainty) -> str:
    """"holds in N % of the uncertainty box", for every claim, in one sentence."""
    parts = [f"{CLAIM_NAMES[c]} holds in {fmt_percent(u.hold_fraction(c))}" for c in CLAIM_TARGETS]
    both = u.all_hold_fraction(("pj_per_bit", "bw_per_die"))
    return (
        f"Uncertainty box ({u.samples:,} samples, log-uniform over the stated ranges of {len(u.inputs)} uncertain or "
        f"assumed inputs, {u.model} at {fmt_tokens(u.context_tokens)}): " + "; ".join(parts)
        + f" of the uncertainty box; both memory targets together in {fmt_percent(both)}, all four claims in "
        f"{fmt_percent(u.all_hold_fraction())}."
    )


def _swing(u: Uncertainty, claim: str) -> np.ndarray:
    return np.abs(u.tornado_high.factor(claim) - u.tornado_low.factor(claim))


def top_drivers(u: Uncertainty, claim: str, n: int = 3) -> list[str]:
    """The inputs that move a claim factor most, each with its low-high effect."""
    order = np.argsort(-_swing(u, claim))[:n]
    out = []
    for i in order:
        inp = u.inputs[int(i)]
        lo, hi = float(u.tornado_low.factor(claim)[i]), float(u.tornado_high.factor(claim)[i])
        if lo != hi:
            out.append(f"{input_label(inp)} ({fmt_input(inp, inp.low)}–{fmt_input(inp, inp.high)}: "
                       f"{fmt_factor(lo)}–{fmt_factor(hi)})")
    return out


# --- figures ---------------------------------------------------------------------------------


def _factor_axis(axis: Any) -> None:
    fmt = FuncFormatter(lambda v, _: f"{v:g}×")
    axis.set_major_formatter(fmt)
    axis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}×" if f"{v:.1g}"[0] in "25" else ""))


def fig_tornado(u: Uncertainty) -> Figure:
    """Each claim factor with one input at its low / high bound and the rest nominal."""
    n = len(u.inputs)
    fig = new_figure(17.0, 1.2 + 0.42 * max(n, 4))
    axes = fig.subplots(1, len(SHOWN), sharey=False)
    for ax, (claim, name) in zip(axes, SHOWN.items(), strict=True):
        nominal = float(u.nominal.factor(claim))
        lo, hi = u.tornado_low.factor(claim), u.tornado_high.factor(claim)
        order = np.argsort(_swing(u, claim))  # biggest on top
        for row, i in enumerate(order):
            for v, color in ((lo[i], "#4c78a8"), (hi[i], "#e45756")):
                ax.barh(row, float(v) - nominal, left=nominal, color=color, height=0.7)
        ax.set_yticks(range(n), [f"{input_label(u.inputs[i])}\n{fmt_input(u.inputs[i], u.inputs[i].low)} – "
                                 f"{fmt_input(u.inputs[i], u.inputs[i].high)}" for i in order], fontsize=7)
        ax.axvline(nominal, color="0.2", lw=1.0)
        ax.axvline(CLAIM_TARGETS[claim], color="#b42318", lw=1.4, ls="--")
        ax.set_title(f"{name}: {fmt_factor(nominal)} (target {CLAIM_TARGETS[claim]:g}×, dashed)", fontsize=10)
        ax.grid(True, axis="x", which="both", alpha=0.3)
        _factor_axis(ax.xaxis)
    handles = [Patch(color="#4c78a8", label="input at its low bound"), Patch(color="#e45756", label="input at its high bound")]
    axes[0].legend(handles=handles, fontsize=8, loc="lower right")
    fig.suptitle(f"Sensitivity of the claim factors: {u.model}, {fmt_tokens(u.context_tokens)} of context "
                 "(one input at a time at its catalog range's bound)", fontsize=12)
    return fig


def fig_verdict_map(us: Sequence[Uncertainty]) -> Figure:
    """Claim factors over context, one line per model (nominal) with its 5-95 % uncertainty band."""
    fig = new_figure(17.0, 5.4)
    axes = fig.subplots(1, len(SHOWN))
    for ax, (claim, name) in zip(axes, SHOWN.items(), strict=True):
        for k, u in enumerate(us):
            color = _COLORS[k % len(_COLORS)]
            x = np.asarray(u.contexts, dtype=float)
            band = u.band(claim)
            ax.fill_between(x, band[0], band[2], color=color, alpha=0.15, lw=0)
            ax.plot(x, u.over_context.factor(claim), color=color, lw=2.0, marker="o", ms=3,
                    label=f"{u.model} ({u.chips} chips)")
        ax.axhline(CLAIM_TARGETS[claim], color="#b42318", lw=1.4, ls="--")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ticks = list(us[0].contexts)
        ax.set_xticks(ticks, [f"{t / 1024:g}K" if t >= 1024 else str(t) for t in ticks], fontsize=8)
        _factor_axis(ax.yaxis)
        ax.set_xlabel("context (tokens)")
        ax.set_title(f"{name} (target {CLAIM_TARGETS[claim]:g}×, dashed)", fontsize=10)
        ax.grid(True, which="major", alpha=0.35)
    axes[0].legend(fontsize=8, loc="lower left")
    fig.suptitle("The verdict over context and model: nominal (line) and 5-95 % of the uncertainty box (band)",
                 fontsize=12)
    return fig


def figure_count(us: Sequence[Uncertainty]) -> int:
    """How many figures :func:`figure_pngs` draws: the tornado (when there are uncertain inputs) and the map."""
    return 2 if us[0].inputs else 1


def figure_pngs(us: Sequence[Uncertainty], render: Callable[[Figure], bytes]) -> dict[str, bytes]:
    out = {}
    figs = [(TORNADO_KEY, fig_tornado(us[0]))] if figure_count(us) == 2 else []
    for key, fig in (*figs, (MAP_KEY, fig_verdict_map(us))):
        out[key] = render(fig)
        fig.clear()
    return out


# --- tables and JSON -------------------------------------------------------------------------


def inputs_table(u: Uncertainty) -> Table:
    rows = tuple(
        (input_label(i), i.part, i.firmness, fmt_input(i, i.nominal), fmt_input(i, i.low), fmt_input(i, i.high), i.why)
        for i in u.inputs
    )
    return Table("The uncertainty box: uncertain (U) and assumed (A) inputs and their ranges",
                 ("input", "part", "firmness", "value", "low", "high", "why these bounds (catalog)"), rows)


def bands_table(u: Uncertainty) -> Table:
    j = u.context_index()
    rows = []
    for claim in CLAIM_TARGETS:
        p5, p50, p95 = (float(v) for v in u.band(claim)[:, j])
        rows.append((CLAIM_NAMES[claim], fmt_factor(float(u.nominal.factor(claim))), fmt_factor(p5), fmt_factor(p50),
                     fmt_factor(p95), fmt_percent(u.hold_fraction(claim))))
    for name, values, fmt in (
        ("required KV pJ/bit", u.monte_carlo.required_kv_pj_per_bit[:, j], lambda v: f"{v:.3g} pJ/bit"),
        ("required KV BW per reticle die", u.monte_carlo.required_kv_bw_per_reticle_die_bytes_per_s[:, j], fmt_bw),
    ):
        p5, p50, p95 = (float(v) for v in np.percentile(values, (5, 50, 95)))
        nominal = u.nominal.required_kv_pj_per_bit if "pJ" in name else u.nominal.required_kv_bw_per_reticle_die_bytes_per_s
        rows.append((name, fmt(float(nominal)), fmt(p5), fmt(p50), fmt(p95), ""))
    return Table(f"Monte Carlo bands at {fmt_tokens(u.context_tokens)} ({u.samples:,} samples, seed {u.seed})",
                 ("quantity", "nominal", "5 %", "median", "95 %", "claim holds in"), tuple(rows))


def verdict_map_table(us: Sequence[Uncertainty], contexts: Sequence[int] = TABLE_CONTEXTS) -> Table:
    rows = []
    for u in us:
        for c in contexts:
            if c not in u.contexts:
                continue
            j = u.contexts.index(c)
            cells = []
            for claim in SHOWN:
                v = float(u.over_context.factor(claim)[j])
                mark = "✓" if v >= CLAIM_TARGETS[claim] else "✗"
                cells.append(f"{fmt_factor(v)} {mark} ({fmt_percent(u.hold_fraction(claim, c))})")
            rows.append((u.model, fmt_tokens(c), *cells))
    return Table(
        "The verdict over context and model: nominal factor, met (✓) or not (✗), and in brackets the share of the "
        "uncertainty box in which it holds",
        ("model", "context", *(f"{n} (target {CLAIM_TARGETS[c]:g}×)" for c, n in SHOWN.items())),
        tuple(rows),
    )


def uncertainty_json(us: Sequence[Uncertainty]) -> dict[str, Any]:
    """``headline.json`` keys: ``claims_hold_fraction`` (primary model) and ``uncertainty``."""
    u = us[0]

    def per_model(m: Uncertainty) -> dict[str, Any]:
        return {
            "chips": m.chips,
            "contexts": list(m.contexts),
            "nominal_over_context": {c: m.over_context.factor(c) for c in CLAIM_TARGETS},
            "band_p5_p50_p95_over_context": {c: m.band(c) for c in CLAIM_TARGETS},
            "claims_hold_fraction_over_context": {c: [m.hold_fraction(c, x) for x in m.contexts] for c in CLAIM_TARGETS},
        }

    return {
        "claims_hold_fraction": {c: u.hold_fraction(c) for c in CLAIM_TARGETS},
        "uncertainty": {
            "samples": u.samples,
            "seed": u.seed,
            "distribution": "log-uniform within each input's catalog range, inputs independent",
            "context_tokens": u.context_tokens,
            "claim_targets": dict(CLAIM_TARGETS),
            "all_claims_hold_fraction": u.all_hold_fraction(),
            "memory_targets_hold_fraction": u.all_hold_fraction(("pj_per_bit", "bw_per_die")),
            "inputs": [
                {"key": i.key, "part": i.part, "firmness": i.firmness, "value": i.nominal, "low": i.low,
                 "high": i.high, "why": i.why,
                 "tornado_low": {c: u.tornado_low.factor(c)[k] for c in CLAIM_TARGETS},
                 "tornado_high": {c: u.tornado_high.factor(c)[k] for c in CLAIM_TARGETS}}
                for k, i in enumerate(u.inputs)
            ],
            "models": {m.model: per_model(m) for m in us},
        },
    }


# --- HTML ------------------------------------------------------------------------------------


def _figure(pngs: Mapping[str, bytes], used: set[str], key: str, title: str) -> str:
    if key not in pngs:
        return ""
    used.add(key)
    return figure(pngs[key], title, key)


def render_uncertainty_sections(us: Sequence[Uncertainty], pngs: Mapping[str, bytes], used: set[str]) -> str:
    e = html.escape
    u = us[0]
    drivers = "".join(
        f"<li>{e(SHOWN[c])}: {e('; '.join(top_drivers(u, c)) or 'no input moves it')}</li>" for c in SHOWN
    )
    parts = [
        f'<h2 id="{SECTION_ID}">Sensitivity and uncertainty</h2>',
        "<p>The claim factors rest on inputs that are uncertain (U: a weak source) or assumed (A). Each such "
        "figure of the chip and the link, and HBM3E's read energy (the pJ/bit claim's reference), has a range in "
        "the catalog with the reason for its bounds. The tornado moves one input at a time to its bounds; the "
        "Monte Carlo draws all of them at once and repeats the study's steps 1-3 at every sample.</p>",
        f'<div class="verdict"><p class="conclusion">{e(hold_sentence(u))}</p></div>',
        f"<p>Largest effects:</p><ul>{drivers}</ul>",
        _figure(pngs, used, TORNADO_KEY, f"Sensitivity of the claim factors: {u.model}"),
        render_table(bands_table(u)),
        render_table(inputs_table(u)),
        f'<h2 id="{MAP_SECTION_ID}">The verdict over context and model</h2>',
        "<p>The same parts serving dense models of three sizes and an MoE, at contexts from 1K to 128K tokens. "
        "Longer contexts move more KV bits per token (the pJ/bit and bandwidth factors grow) and fewer users keep "
        "90 % speed; larger models spread over more dies (the bandwidth needed per die falls).</p>",
        _figure(pngs, used, MAP_KEY, "The verdict over context and model"),
        render_table(verdict_map_table(us)),
    ]
    return "\n".join(p for p in parts if p)


__all__ = [
    "CLAIM_NAMES", "MAP_KEY", "MAP_SECTION_ID", "SECTION_ID", "TORNADO_KEY", "bands_table", "fig_tornado",
    "fig_verdict_map", "figure_pngs", "hold_sentence", "input_label", "inputs_table", "render_uncertainty_sections",
    "top_drivers", "uncertainty_json", "verdict_map_table",
]
