"""The seed report's three-design section and its table in headline.json and designs.csv."""

import csv
import json
from dataclasses import replace
from pathlib import Path

import pytest

from kvpipe import catalog
from kvpipe.config import parse_gpu_system, read_yaml, seed_system
from kvpipe.config.hetero import load_hetero_system
from kvpipe.explore.designs import compare_designs
from kvpipe.explore.seed_study import SeedStudy
from kvpipe.report.designs import DESIGN_COLUMNS, SECTION_ID
from kvpipe.report.writer import write_seed_report
from kvpipe.system import KVMemory


def test_report_has_the_designs_section_and_tables(seed: SeedStudy, tmp_path: Path, fake_figures: None) -> None:
    # the designs change no figure: placeholder PNGs (the drawn ones are those of `written`)
    gpu = parse_gpu_system(read_yaml(catalog.system_yaml("rubin-nvl72")))
    cmp = compare_designs(seed_system(), KVMemory(catalog.memory("hybrid-bonded-3d-dram"), 3), gpu,
                          load_hetero_system("groq3-lpx-rubin"))
    files = write_seed_report(replace(seed, designs=cmp), tmp_path / "out")
    page = files.report_html.read_text(encoding="utf-8")
    assert f'id="{SECTION_ID}"' in page and "A2E/E2A share of token time" in page
    assert "groq3-lpx-rubin" in page and "none (no A2E link)" in page
    assert files.designs_csv == files.out_dir / "designs.csv" and files.designs_csv in files.all()
    rows = list(csv.DictReader(files.designs_csv.open(encoding="utf-8")))
    assert [r["system"] for r in rows] == ["rubin-nvl72", "groq3-lpx-rubin", "seed + hybrid-bonded-3d-dram"]
    assert set(rows[0]) == set(DESIGN_COLUMNS) and rows[0]["a2e_share_of_token_time"] == ""
    assert float(rows[1]["a2e_share_of_token_time"]) == pytest.approx(cmp.designs[1].a2e_share_of_token_time)
    data = json.loads(files.headline_json.read_text(encoding="utf-8"))["designs"]
    assert data["users"] == cmp.users and len(data["designs"]) == 3
    assert data["designs"][2]["users_at_90pct_speed"] == cmp.designs[2].users_at_90pct_speed


def test_report_without_designs_writes_no_designs_csv(written) -> None:
    assert not (written.out_dir / "designs.csv").exists() and written.designs_csv is None
