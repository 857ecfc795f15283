"""report: figures, tables, the HTML report and the files of a study (may do file I/O).

The core packages never import this one.

The names below are loaded from their modules on first use, so that a module that needs no
figure (``report.files``, ``report.format``: ``kvpipe evaluate`` and the like) does not import
matplotlib.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvpipe._lazy import lazy_names

if TYPE_CHECKING:
    from kvpipe.report.figures import (
        fig_energy_vs_users,
        fig_kv_demand,
        fig_memory_techs,
        fig_throughput_vs_users,
        render_png,
        seed_figure_pngs,
    )
    from kvpipe.report.html import render_seed_html
    from kvpipe.report.tables import (
        Table,
        assumptions_table,
        headline_json,
        headline_table,
        memory_tech_table,
        result_records,
    )
    from kvpipe.report.verdict import Verdict, verdict
    from kvpipe.report.writer import SeedReportFiles, write_seed_report

_HOME: dict[str, str] = {
    "fig_energy_vs_users": "figures", "fig_kv_demand": "figures", "fig_memory_techs": "figures",
    "fig_throughput_vs_users": "figures", "render_png": "figures", "seed_figure_pngs": "figures",
    "render_seed_html": "html",
    "Table": "tables", "assumptions_table": "tables", "headline_json": "tables", "headline_table": "tables",
    "memory_tech_table": "tables", "result_records": "tables",
    "Verdict": "verdict", "verdict": "verdict",
    "SeedReportFiles": "writer", "write_seed_report": "writer",
}

__all__ = [
    "SeedReportFiles",
    "Table",
    "Verdict",
    "assumptions_table",
    "fig_energy_vs_users",
    "fig_kv_demand",
    "fig_memory_techs",
    "fig_throughput_vs_users",
    "headline_json",
    "headline_table",
    "memory_tech_table",
    "render_png",
    "render_seed_html",
    "result_records",
    "seed_figure_pngs",
    "verdict",
    "write_seed_report",
]

__getattr__, __dir__ = lazy_names(__name__, _HOME)
