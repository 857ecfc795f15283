"""Write the seed report to a directory, atomically.

Everything (figures, HTML, JSON, CSV) is rendered into a temporary sibling directory first.
Only when all of it exists does the output change:

* if ``out_dir`` does not exist, the temporary directory is renamed to it (one atomic rename);
* otherwise each of our files is moved over its old version with :func:`os.replace` (atomic
  per file, same file system). Files in ``out_dir`` that are not our outputs are left alone.

If anything raises while rendering, the temporary directory is removed and ``out_dir`` is
exactly as it was.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kvpipe.explore.seed import SeedStudy
from kvpipe.report.designs import CSV_NAME as DESIGNS_CSV
from kvpipe.report.designs import designs_json, write_designs_csv
from kvpipe.report.figures import seed_figure_pngs
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


def _render_into(seed: SeedStudy, tmp: Path, model_sources: Mapping[str, str] | None) -> dict[str, str]:
    """Render every output into ``tmp``; return figure key -> file name."""
    pngs = seed_figure_pngs(seed)
    figures: dict[str, str] = {}
    for key, png in pngs.items():
        name = f"{key}.png"
        (tmp / name).write_bytes(png)
        figures[key] = name
    write_headline_json(seed, tmp / HEADLINE_NAME)
    write_results_csv(seed, tmp / RESULTS_NAME)
    if seed.designs is not None:
        write_designs_csv(seed.designs, tmp / DESIGNS_CSV)
    (tmp / HTML_NAME).write_text(render_seed_html(seed, pngs, model_sources=model_sources), encoding="utf-8")
    return figures


def write_seed_report(
    study: SeedStudy, out_dir: Path, *, model_sources: Mapping[str, str] | None = None
) -> SeedReportFiles:
    """Write ``report.html``, the PNG figures, ``headline.json`` and ``results.csv`` to ``out_dir``."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise NotADirectoryError(f"report output {out_dir} exists and is not a directory")
    parent = out_dir.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=parent))
    try:
        figures = _render_into(study, tmp, model_sources)
        names = [HTML_NAME, HEADLINE_NAME, RESULTS_NAME, *figures.values()]
        if study.designs is not None:
            names.append(DESIGNS_CSV)
        if not out_dir.exists():
            tmp.chmod(0o755)  # mkdtemp makes 0700; a report directory is ordinary
            try:
                os.replace(tmp, out_dir)
            except OSError:  # created concurrently: fall back to per-file replacement
                out_dir.mkdir(parents=True, exist_ok=True)
                _replace_files(tmp, out_dir, names)
        else:
            _replace_files(tmp, out_dir, names)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return SeedReportFiles(
        out_dir=out_dir,
        report_html=out_dir / HTML_NAME,
        headline_json=out_dir / HEADLINE_NAME,
        results_csv=out_dir / RESULTS_NAME,
        figures={k: out_dir / v for k, v in figures.items()},
        designs_csv=out_dir / DESIGNS_CSV if study.designs is not None else None,
    )


def _replace_files(src: Path, dst: Path, names: list[str]) -> None:
    # data first, the page that points at them last
    for name in sorted(names, key=lambda n: n == HTML_NAME):
        os.replace(src / name, dst / name)


__all__ = ["HEADLINE_NAME", "HTML_NAME", "RESULTS_NAME", "SeedReportFiles", "write_seed_report"]
