"""The seed report's comparison of three designs (GPU only, attention-FFN split, the spatial
pipeline with stacked KV DRAM): an HTML section, and the same table as JSON-ready records
and CSV rows, all from one :class:`~kvpipe.explore.designs.DesignComparison`."""

from __future__ import annotations

import csv
import html
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kvpipe.explore.designs import DesignComparison, DesignPoint
from kvpipe.explore.seed import SPEED_FRACTION
from kvpipe.report.format import fmt_count, fmt_joules, fmt_percent, fmt_rate, fmt_tokens
from kvpipe.report.markup import render_table
from kvpipe.report.table import Table

SECTION_ID = "designs"
CSV_NAME = "designs.csv"
DESIGN_COLUMNS: tuple[str, ...] = tuple(DesignPoint.__dataclass_fields__)
TABLE_COLUMNS = (
    "design", "system", "devices", "KV lives in", "1 user: tokens/s", "users at 90 % speed", "J/token at 90 %",
    "tokens/s per user", "J/token", "bound by", "A2E/E2A share of token time",
)


def design_records(cmp: DesignComparison) -> list[dict[str, Any]]:
    """One JSON-ready record per design (SI units; ``None`` where a design has no A2E link)."""
    return [asdict(d) for d in cmp.designs]


def designs_json(cmp: DesignComparison) -> dict[str, Any]:
    """The ``designs`` object of ``headline.json``."""
    return {"model": cmp.model, "context_tokens": cmp.context_tokens, "users": cmp.users,
            "speed_fraction": SPEED_FRACTION, "designs": design_records(cmp)}


def write_designs_csv(cmp: DesignComparison, path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(DESIGN_COLUMNS))
        w.writeheader()
        for rec in design_records(cmp):
            w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else v) for k, v in rec.items()})


def design_rows(cmp: DesignComparison) -> list[tuple[str, ...]]:
    return [
        (
            d.design, d.system, d.devices, d.kv_location, fmt_rate(d.single_user_tokens_per_s),
            fmt_count(d.users_at_90pct_speed), fmt_joules(d.joules_per_token_at_90pct_speed),
            fmt_rate(d.tokens_per_s_per_user), fmt_joules(d.joules_per_token), d.binding_limit.replace("_", " "),
            "none (no A2E link)" if d.a2e_share_of_token_time is None else fmt_percent(d.a2e_share_of_token_time),
        )
        for d in cmp.designs
    ]


def render_designs_section(cmp: DesignComparison) -> str:
    e = html.escape
    pct = f"{SPEED_FRACTION * 100:g}"
    parts = [f'<h2 id="{SECTION_ID}">Three designs for the same model and users</h2>']
    parts.append(
        f"<p>{e(cmp.model)} at {e(fmt_tokens(cmp.context_tokens))} of context, with the seed system's precisions, "
        f"on three designs: a GPU-only Vera Rubin NVL72 rack; a Groq 3 LPX rack running the FFN beside the NVL72 "
        f"running attention with the KV cache in its HBM4 (attention-FFN split, <code>docs/afd.md</code>); and the "
        f"talk's deep spatial pipeline with a stacked (hybrid-bonded 3D) KV DRAM on each chip group, provisioned "
        f"as in the memory table above. Per-user speed, throughput and J/token are at the seed's {e(fmt_count(cmp.users))} "
        f"users; users at {e(pct)} % is the largest number of users each design serves at ≥ {e(pct)} % of its "
        f"one-user speed, with its own memory. The A2E/E2A share is the part of one token's latency spent "
        f"crossing between the GPUs and the LPUs (2 crossings per layer).</p>"
    )
    table = Table(title="Designs compared", columns=TABLE_COLUMNS, rows=tuple(design_rows(cmp)))
    parts.append(render_table(table, numeric_from=4))
    parts.append(
        f'<p class="small">The same rows: <code>{CSV_NAME}</code> and <code>headline.json</code> '
        "(<code>designs</code>). Rubin, LP30 and LPX-link figures are preliminary vendor figures and "
        "assumptions, each with its source (<code>kvpipe catalog gpus / chips / links</code>).</p>"
    )
    return "\n".join(parts)


__all__ = [
    "CSV_NAME", "DESIGN_COLUMNS", "SECTION_ID", "design_records", "design_rows", "designs_json",
    "render_designs_section", "write_designs_csv",
]
