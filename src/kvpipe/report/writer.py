"""Write the seed report to a directory, whole or not at all.

Everything (figures, HTML, JSON, CSV) is rendered into a private staging directory; only when
all of it exists is it swapped in as one set, with a ``manifest.json``
(:func:`kvpipe.report.files.staged_output`). Files in ``out_dir`` that are not report outputs
are left alone; if anything raises, ``out_dir`` is exactly as it was.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from kvpipe.explore.seed_study import SeedStudy
from kvpipe.report.designs import CSV_NAME as DESIGNS_CSV
from kvpipe.report.designs import designs_json, write_designs_csv
from kvpipe.report.figures import FIGURE_NAMES, seed_figure_pngs
from kvpipe.report.files import staged_output
from kvpipe.report.html import render_seed_html
from kvpipe.report.tables import RESULT_COLUMNS, headline_json, result_records

HTML_NAME = "report.html"
HEADLINE_NAME = "headline.json"
RESULTS_NAME = "results.csv"


@dataclass(frozen=True)
class SeedReportFiles:
    """Where the report's files were written."""

    out_dir: Path
    report_html: Path
    headline_json: Path
    results_csv: Path
    figures: Mapping[str, Path]  # figure key (e.g. "kv_demand") -> PNG path
    designs_csv: Path | None = None  # the three designs' table, when the study compared them

    @property
    def html(self) -> Path:
        """Alias of :attr:`report_html`."""
        return self.report_html

    def all(self) -> tuple[Path, ...]:
        designs = (self.designs_csv,) if self.designs_csv is not None else ()
        return (self.report_html, self.headline_json, self.results_csv, *designs, *self.figures.values())


def write_headline_json(seed: SeedStudy, path: Path) -> None:
    data = headline_json(seed)
    if seed.designs is not None:
        data["designs"] = designs_json(seed.designs)
    path.write_text(json.dumps(data, indent=2, allow_nan=False) + "\n", encoding="utf-8")


def write_results_csv(seed: SeedStudy, path: Path) -> int:
    """Write every evaluated point; return the number of data rows."""
    n = 0
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(RESULT_COLUMNS))
        w.writeheader()
        for rec in result_records(seed):
            w.writerow({k: (repr(v) if isinstance(v, float) else v) for k, v in rec.items()})
            n += 1
    return n


def render_seed_report(
    seed: SeedStudy, directory: Path, model_sources: Mapping[str, str] | None = None,
    on_figure: Callable[[str], None] | None = None,
) -> dict[str, str]:
    """Render every output into ``directory``; return figure key -> file name. ``on_figure(key)``
    is called before each figure is drawn (progress)."""
    pngs = seed_figure_pngs(seed, on_figure=on_figure)
    figures: dict[str, str] = {}
    for key, png in pngs.items():
        name = f"{key}.png"
        (directory / name).write_bytes(png)
        figures[key] = name
    write_headline_json(seed, directory / HEADLINE_NAME)
    write_results_csv(seed, directory / RESULTS_NAME)
    if seed.designs is not None:
        write_designs_csv(seed.designs, directory / DESIGNS_CSV)
    (directory / HTML_NAME).write_text(render_seed_html(seed, pngs, model_sources=model_sources), encoding="utf-8")
    return figures


# the primary study's names; a second model's figures and others the manifest lists
REPORT_NAMES = (HTML_NAME, HEADLINE_NAME, RESULTS_NAME, DESIGNS_CSV, *(f"{n}.png" for n in FIGURE_NAMES))


def seed_report_files(out_dir: Path, study: SeedStudy, figures: Mapping[str, str]) -> SeedReportFiles:
    return SeedReportFiles(
        out_dir=out_dir,
        report_html=out_dir / HTML_NAME,
        headline_json=out_dir / HEADLINE_NAME,
        results_csv=out_dir / RESULTS_NAME,
        figures={k: out_dir / v for k, v in figures.items()},
        designs_csv=out_dir / DESIGNS_CSV if study.designs is not None else None,
    )


def write_seed_report(
    study: SeedStudy, out_dir: Path, *, model_sources: Mapping[str, str] | None = None, flag: str = "--out"
) -> SeedReportFiles:
    """Write ``report.html``, the PNG figures, ``headline.json`` and ``results.csv`` to ``out_dir``
    as one set; a path that cannot be written raises
    :class:`~kvpipe.report.files.OutputPathError` naming ``flag``."""
    out_dir = Path(out_dir)
    with staged_output(out_dir, flag, command="study", owns=REPORT_NAMES) as stage:
        figures = render_seed_report(study, stage.path, model_sources)
    return seed_report_files(out_dir, study, figures)


__all__ = [
    "HEADLINE_NAME", "HTML_NAME", "REPORT_NAMES", "RESULTS_NAME", "SeedReportFiles", "render_seed_report", "seed_report_files",
    "write_seed_report",
]
