"""The seed study as ONE self-contained HTML page: inline CSS, figures as base64 data URIs,
no scripts and no external resources, so it reads from disk or as an e-mail attachment.

All text is escaped with :func:`html.escape`; numbers come from :mod:`kvpipe.report.tables`
and :mod:`kvpipe.report.verdict`, so the page and ``headline.json`` cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from kvpipe.explore.budgets import STACK_THERMAL_LIMIT_W_PER_MM2, Budget
from kvpipe.explore.provision import KV_ENERGY_SHARE
from kvpipe.explore.seed import SPEED_FRACTION, ModelStudy
from kvpipe.explore.seed_study import SeedStudy
from kvpipe.report.figures import FIGURE_NAMES, FIGURE_TITLES, figure_key, figure_suffixes
from kvpipe.report.format import fmt_factor, fmt_number
from kvpipe.report.markup import escape as _e
from kvpipe.report.markup import figure, render_table
from kvpipe.report.markup import img as _img
from kvpipe.report.tables import assumptions_table, headline_table, memory_tech_table
from kvpipe.report.verdict import (
    TARGET_BW_PER_DIE_IMPROVEMENT,
    TARGET_PJ_PER_BIT_IMPROVEMENT,
    TARGET_RATIO_VS_HBM3E,
    TARGET_USERS_MULTIPLIER,
    Verdict,
    verdict,
)

CSS = """
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       max-width: 1680px; margin: 0 auto; padding: 1em 2em 3em; color: #1b1b1b; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-top: 1.5em; }
.subtitle { color: #555; margin-top: 0; }
.verdict { background: #f6f8fa; border-left: 5px solid #2f6fb0; padding: 0.8em 1.2em; margin: 1em 0; }
.verdict p { margin: 0.5em 0; }
.conclusion { font-weight: 600; }
table { border-collapse: collapse; margin: 0.8em 0 1.2em; font-size: 0.92em; }
th, td { border: 1px solid #d0d7de; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
tr:nth-child(even) td { background: #fafbfc; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
.wide { overflow-x: auto; }
table.dense { font-size: 0.84em; }
table.dense th, table.dense td { padding: 0.25em 0.4em; }
.ok { color: #1a7f37; font-weight: 600; }
.miss { color: #b42318; font-weight: 600; }
figure { margin: 1.2em 0 2em; }
figure img { max-width: 100%; height: auto; border: 1px solid #e5e5e5; }
figcaption { color: #444; font-size: 0.92em; margin-top: 0.3em; }
code, .formula { font-family: "SFMono-Regular", Consolas, "Liberation Mono", Menlo, monospace; font-size: 0.93em; }
ol.formulas li { margin: 0.45em 0; }
.formula { background: #f6f8fa; padding: 0.1em 0.35em; border-radius: 3px; }
nav ul { columns: 2; }
.small { color: #666; font-size: 0.88em; }
"""

def _anchor(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


def _figures(study: ModelStudy, suffix: str, pngs: Mapping[str, bytes], used: set[str]) -> str:
    h = study.headline
    parts = []
    for name in FIGURE_NAMES:
        key = figure_key(name, suffix)
        title = f"{FIGURE_TITLES[name]}: {h.model}, {h.context_tokens:,} tokens of context"
        if key in pngs:
            used.add(key)
            parts.append(figure(pngs[key], title, key))
        else:
            parts.append(f'<p class="small">Figure {_e(key)} was not rendered.</p>')
    return "\n".join(parts)


def _targets_table(verdicts: list[Verdict]) -> str:
    head = ["Claim (the talk)", "Target"] + [f"{v.model}" for v in verdicts]
    rows = []
    for k, check in enumerate(verdicts[0].checks):
        cells = [f"<td>{_e(check.claim)}</td>", f'<td class="num">≥ {_e(fmt_factor(check.target))}</td>']
        for v in verdicts:
            c = v.checks[k]
            mark = '<span class="ok">supported</span>' if c.met else '<span class="miss">not supported</span>'
            cells.append(f'<td class="num">{_e(fmt_factor(c.value))} — {mark}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return (
        '<div class="wide"><table><thead><tr>'
        + "".join(f"<th>{_e(c)}</th>" for c in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>"
    )


def _why_list(v: Verdict) -> str:
    items = []
    for c in v.checks:
        status = '<span class="ok">supported</span>' if c.met else '<span class="miss">not supported</span>'
        items.append(f"<li><b>{_e(c.claim)}</b> — {_e(fmt_factor(c.value))}, {status}. {_e(c.why)}</li>")
    return "<ul>" + "".join(items) + "</ul>"


FORMULAS: tuple[tuple[str, str, str], ...] = (
    (
        "Users in flight (P3)",
        "U_in = min(U, min over KV groups of floor(C_group / k_g(c)))",
        "k_g(c): KV bytes one user keeps in group g at context c (sum over windows of coefficient × min(c, window)).",
    ),
    (
        "Latency of one token through the pipeline (P4)",
        "L = Σ_groups ( max(b·t_comp, t_sram(b), b·t_kv) + b·t_link + C_g )",
        "b: micro-batch; t_comp, t_kv, t_link: per-token compute, KV-DRAM and link times of the group; "
        "t_sram(b): SRAM weight streaming of one micro-batch; C_g: the group's communication stages "
        "(s_g·t_hop: stages × hop latency, unless the chip or link describes its topology, docs/model.md C1..C6).",
    ),
    (
        "Throughput bound and binding limit (P5, P6)",
        "X = min( U_in / L,  X_kv_bw,  X_compute,  X_links );   x = X / U_in;   time per token = 1 / x",
        "X is aggregate tokens/s, x tokens/s per user; the argmin is the binding limit "
        "(pipeline_depth, or kv_latency when waiting for KV reads is most of L (P11); kv_capacity when "
        "users do not fit; kv_bandwidth; compute; links; a2e_link, the attention-FFN link of a split design, "
        "docs/afd.md).",
    ),
    (
        "Energy per token (E1..E4)",
        "J/token = (N_chips·P_static + N_groups·P_background) / X + E_sram + E_compute "
        "+ 8·(B_read·e_read + B_write·e_write) + 8·B_link·e_link",
        "Static and background power are shared by the aggregate tokens/s: more users, fewer joules per token.",
    ),
    (
        "KV demand identity (K1..K3)",
        "C_demand = U · k(c);   BW_read = X · k(c)   ⇒   BW_read / C_demand = X / U = tokens/s per user",
        "Every decoded token reads its user's whole KV once; the headline ratio is this value at the operating point.",
    ),
    (
        "Operating point",
        f"U_90 = max{{U : x(U) ≥ {SPEED_FRACTION:g} · x(1)}},   ideal (free, unbounded) KV memory",
        "users_multiplier = U_90 / 1; the KV demand per group is read at U_90.",
    ),
    (
        "Required KV energy per bit (S1)",
        f"e_req = s/(1−s) · J_ideal(U_90) / (8·(B_read + B_write)),   s = {KV_ENERGY_SHARE:g}",
        "KV memory may take at most the share s of J/token; improvement vs HBM3E = e_HBM3E / e_req.",
    ),
    (
        "Required KV bandwidth per reticle die",
        "BW_die = BW_demand_group / D_group;   HBM3E best = floor(2·long edge / shoreline per stack) · BW_stack",
        "D_group: reticle-die equivalents of logic in the most demanding KV group; 3D memory: floor(die area / footprint) units.",
    ),
    (
        "Provisioning a technology",
        "n = max( ceil(BW_demand / BW_unit), ceil(C_demand / C_unit) );   over-provision = n·C_unit / C_demand",
        "Energy of the provisioned system is re-evaluated at U_90 with n units per group.",
    ),
)


def _formulas() -> str:
    items = []
    for name, formula, note in FORMULAS:
        items.append(
            f'<li><b>{_e(name)}</b>: <span class="formula">{_e(formula)}</span><br>'
            f'<span class="small">{_e(note)}</span></li>'
        )
    return (
        '<p>The analytic model in brief; every equation, with its derivation and the code that computes it, '
        "is written out in <code>docs/model.md</code> (equation labels in brackets).</p>"
        f'<ol class="formulas">{"".join(items)}</ol>'
    )


def _nav(entries: Iterable[tuple[str, str]]) -> str:
    return "<nav><ul>" + "".join(f'<li><a href="#{_e(a)}">{_e(t)}</a></li>' for a, t in entries) + "</ul></nav>"


def _too_hot(model_study: ModelStudy, v: Verdict, budgets: Sequence[Budget]) -> str:
    """The physical-budget caveat on the technologies a verdict names: those whose stack, at the
    operating point, heats the logic die past the assumed thermal limit (the budgets section)."""
    hot = [b for b in budgets if b.system == model_study.system.name and b.memory in v.meeting_techs
           and b.dram_stacked and b.stack_w_per_mm2 > STACK_THERMAL_LIMIT_W_PER_MM2]
    if not hot:
        return ""
    return " At the operating point, " + "; ".join(
        f"{b.memory} stacked on the logic then carries {fmt_number(b.stack_w_per_mm2)} W/mm², over the "
        f"{STACK_THERMAL_LIMIT_W_PER_MM2:g} W/mm² assumed limit (Physical budgets)" for b in hot
    ) + "."


def render_seed_html(
    study: SeedStudy,
    figure_pngs: Mapping[str, bytes],
    *,
    model_sources: Mapping[str, str] | None = None,
    title: str = "KV-cache memory for LLM decode on deep spatial pipelines: the seed study",
) -> str:
    """The whole report as one HTML string.

    ``figure_pngs`` maps ``<figure name><suffix>`` (see :func:`~kvpipe.report.figures.figure_suffixes`)
    to PNG bytes, as :func:`~kvpipe.report.figures.seed_figure_pngs` returns them.
    """
    verdicts = [verdict(s) for s in study.studies]
    suffixes = figure_suffixes(study)
    used: set[str] = set()
    models = ", ".join(s.headline.model for s in study.studies)
    nav = [("verdict", "Verdict")]
    nav += [(f"model-{_anchor(s.headline.model)}-{i}", s.headline.model) for i, s in enumerate(study.studies)]
    if study.gpu_comparison is not None:
        nav += [("gpu-comparison", "Against GPU servers")]
    if study.designs is not None:
        nav += [("designs", "Three designs")]
    if study.device_study is not None:
        nav += [("memory-devices", "Memory devices")]
    if study.uncertainty:
        nav += [("uncertainty", "Sensitivity and uncertainty"), ("context-and-model", "Over context and model")]
    if study.budgets:
        nav += [("budgets", "Physical budgets")]
    nav += [("assumptions", "Assumptions and sources"), ("formulas", "Formulas")]

    body: list[str] = [
        f"<h1>{_e(title)}</h1>",
        f'<p class="subtitle">Models: {_e(models)}. Systems: '
        f"{_e(', '.join(s.system.name for s in study.studies))}. Operating point: the largest number of users "
        f"whose tokens/s per user stays ≥ {_e(f'{SPEED_FRACTION * 100:g}')} % of one user's, with an ideal KV memory; "
        f"each memory technology is then provisioned for that demand.</p>",
        _nav(nav),
        '<h2 id="verdict">Verdict</h2>',
    ]
    for s, v in zip(study.studies, verdicts, strict=True):
        body.append(
            f'<div class="verdict"><p>{_e(v.summary)}</p><p class="conclusion">{_e(v.conclusion)}'
            f"{_e(_too_hot(s, v, study.budgets))}</p></div>"
        )
    if study.uncertainty:
        from kvpipe.report.robustness import hold_sentence

        body.append(f'<div class="verdict"><p class="conclusion">{_e(hold_sentence(study.uncertainty[0]))}</p></div>')
    body.append(
        "<h3>The talk's targets against these numbers</h3>"
        f"<p>Talk: fill the pipeline with &gt;{_e(f'{TARGET_USERS_MULTIPLIER:g}')}× more users; KV bandwidth demand "
        f"≫ capacity demand (here: ≥ {_e(f'{TARGET_RATIO_VS_HBM3E:g}')}× HBM3E's bandwidth/capacity); a new DRAM "
        f"with &gt;{_e(f'{TARGET_PJ_PER_BIT_IMPROVEMENT:g}')}× better pJ/bit and "
        f"&gt;{_e(f'{TARGET_BW_PER_DIE_IMPROVEMENT:g}')}× more bandwidth per reticle die than HBM.</p>"
    )
    body.append(_targets_table(verdicts))
    for v in verdicts:
        body.append(f"<h3>Why — {_e(v.model)}</h3>")
        body.append(_why_list(v))

    for i, (s, suffix) in enumerate(zip(study.studies, suffixes, strict=True)):
        h = s.headline
        body.append(f'<h2 id="model-{_e(_anchor(h.model))}-{i}">{_e(h.model)}</h2>')
        body.append(render_table(headline_table(h)))
        body.append(_figures(s, suffix, figure_pngs, used))
        body.append(render_table(memory_tech_table(s)))
        body.append(
            '<p class="small">KV effective energy: reads, writes and background power of the provisioned units per '
            "KV bit moved. BW per reticle die: the most units of the technology one reticle-size logic die can "
            "attach (2.5D: along its two long edges; 3D: stacked over its area) times the bandwidth of one unit. "
            "Fits beside group: whether the group's own logic dies can attach the units it needs.</p>"
        )

    if study.gpu_comparison is not None:
        from kvpipe.report.baselines import render_comparison_section

        body.append(render_comparison_section(study.gpu_comparison, figure_pngs, used))

    if study.designs is not None:
        from kvpipe.report.designs import render_designs_section

        body.append(render_designs_section(study.designs))

    if study.device_study is not None:
        from kvpipe.report.memory_figures import render_device_section

        body.append(render_device_section(study.device_study, figure_pngs, used))

    if study.uncertainty:
        from kvpipe.report.robustness import render_uncertainty_sections

        body.append(render_uncertainty_sections(study.uncertainty, figure_pngs, used))

    if study.budgets:
        from kvpipe.report.budgets import render_budgets_section

        body.append(render_budgets_section(study.budgets))

    extra = [k for k in figure_pngs if k not in used]
    if extra:
        body.append("<h2>Other figures</h2>")
        for k in extra:
            body.append(f"<figure>{_img(figure_pngs[k], k)}<figcaption><code>{_e(k)}.png</code></figcaption></figure>")

    body.append('<h2 id="assumptions">Assumptions and sources</h2>')
    body.append(
        "<p>Every catalog figure this study used, with its value and where it comes from (a paper, a "
        "datasheet or an assumption with its reason).</p>"
    )
    body.append(render_table(assumptions_table(study, model_sources), caption=False, numeric_from=2))
    body.append('<h2 id="formulas">Formulas</h2>')
    body.append(_formulas())
    body.append(
        '<p class="small">Data: <code>headline.json</code> (headline figures, SI units) and '
        "<code>results.csv</code> (every evaluated point of both sweeps) sit beside this file.</p>"
    )
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{_e(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


__all__ = ["CSS", "FORMULAS", "render_seed_html", "render_table"]
