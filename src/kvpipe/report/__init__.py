"""report: figures, tables, the HTML report and the files of a study (may do file I/O).

The core packages never import this one.
"""

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
