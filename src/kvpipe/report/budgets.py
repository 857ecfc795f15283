"""The report's physical budgets: a table of area, power, heat flux and efficiency per design
point (:mod:`kvpipe.explore.budgets`), the 3D-stack thermal limit with its source, and JSON."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from kvpipe.explore.budgets import STACK_THERMAL_LIMIT_SOURCE, STACK_THERMAL_LIMIT_W_PER_MM2, Budget
from kvpipe.report.format import fmt_count, fmt_mm2, fmt_number, fmt_rate, fmt_watts
from kvpipe.report.markup import render_table
from kvpipe.report.table import Table

SECTION_ID = "budgets"
COLUMNS = (
    "system", "KV memory", "users", "chips / GPUs", "tokens/s", "power", "tokens/s per W", "logic area", "DRAM area",
    "footprint", "tokens/s per mm²", "W per group / GPU", "logic W/mm²", "stack W/mm²",
)


def _flux(value: float) -> str:
    return f"{fmt_number(value)} W/mm²"


def _stack(b: Budget) -> str:
    if not b.dram_stacked:
        return "— (DRAM beside)"
    ok = "within" if b.within_thermal_limit else "OVER"
    return f"{_flux(b.stack_w_per_mm2)} ({ok} {STACK_THERMAL_LIMIT_W_PER_MM2:g})"


def budget_row(b: Budget) -> tuple[str, ...]:
    return (
        b.system, b.memory, fmt_count(b.users), fmt_count(b.devices), fmt_rate(b.tokens_per_s), fmt_watts(b.power_w),
        fmt_number(b.tokens_per_s_per_w), fmt_mm2(b.logic_area_mm2),
        fmt_mm2(b.dram_area_mm2) + (" (stacked)" if b.dram_stacked else ""), fmt_mm2(b.footprint_mm2),
        fmt_number(b.tokens_per_s_per_mm2), fmt_watts(b.power_w_per_group), _flux(b.logic_w_per_mm2), _stack(b),
    )


def budgets_table(bs: Sequence[Budget]) -> Table:
    return Table("Physical budgets at the operating point", COLUMNS, tuple(budget_row(b) for b in bs))


def budgets_json(bs: Sequence[Budget]) -> dict[str, Any]:
    rows = []
    for b in bs:
        d = {k: getattr(b, k) for k in b.__dataclass_fields__}
        for k in ("footprint_mm2", "tokens_per_s_per_w", "tokens_per_s_per_mm2", "within_thermal_limit"):
            d[k] = getattr(b, k)
        rows.append(d)
    return {
        "budgets": rows,
        "stack_thermal_limit_w_per_mm2": STACK_THERMAL_LIMIT_W_PER_MM2,
        "stack_thermal_limit_source": STACK_THERMAL_LIMIT_SOURCE,
    }


def budget_sentences(bs: Sequence[Budget]) -> list[str]:
    spatial = [b for b in bs if b.kind == "spatial"]
    gpus = [b for b in bs if b.kind == "gpu"]
    out = []
    if spatial:
        best = max(spatial, key=lambda b: b.tokens_per_s_per_w)
        out.append(
            f"The pipeline's {fmt_count(best.devices)} chips take {fmt_mm2(best.logic_area_mm2)} of logic; its most "
            f"efficient KV memory here is {best.memory} at {fmt_number(best.tokens_per_s_per_w)} tokens/s per W and "
            f"{fmt_number(best.tokens_per_s_per_mm2)} tokens/s per mm² of footprint."
        )
        over = [b.memory for b in spatial if b.within_thermal_limit is False]
        stacked = [b for b in spatial if b.dram_stacked]
        if stacked:
            out.append(
                "3D-stacked DRAM adds its power to the logic die's heat flux: "
                + "; ".join(f"{b.memory} {_flux(b.stack_w_per_mm2)}" for b in stacked)
                + f" against a limit of {STACK_THERMAL_LIMIT_W_PER_MM2:g} W/mm²"
                + (f" ({', '.join(over)} over it)." if over else " (within it).")
            )
    for g in gpus:
        out.append(
            f"{g.system} at the same {fmt_count(g.users)} users: {fmt_number(g.tokens_per_s_per_w)} tokens/s per W, "
            f"{fmt_number(g.tokens_per_s_per_mm2)} tokens/s per mm², {_flux(g.logic_w_per_mm2)} on its logic dies."
        )
    return out


def render_budgets_section(bs: Sequence[Budget]) -> str:
    e = html.escape
    return "\n".join([
        f'<h2 id="{SECTION_ID}">Physical budgets</h2>',
        "<p>Each design point at the pipeline's operating point (the users at 90 % speed, every memory "
        "technology provisioned for that KV demand) and the GPU servers serving the same users on the same "
        "model. Power is everything but the KV memory (J/token with the ideal memory × tokens/s) plus the "
        "provisioned KV memory's reads, writes and background; W per group is the most KV-demanding chip group "
        "(its chips at the average W per chip, plus its KV memory). Footprint counts DRAM beside the logic; "
        "3D DRAM sits on the logic dies, and its power then adds to the logic die's heat flux (stack W/mm²).</p>",
        '<div class="verdict">' + "".join(f"<p>{e(s)}</p>" for s in budget_sentences(bs)) + "</div>",
        render_table(budgets_table(bs)),
        f'<p class="small">Thermal limit of a logic die under stacked DRAM: {STACK_THERMAL_LIMIT_W_PER_MM2:g} W/mm² — '
        f"{e(STACK_THERMAL_LIMIT_SOURCE)}. GPU areas: catalog <code>gpus</code> (die area, HBM footprint).</p>",
    ])


__all__ = ["COLUMNS", "SECTION_ID", "budget_row", "budget_sentences", "budgets_json", "budgets_table", "render_budgets_section"]
