"""write_seed_report: the files, their contents, and atomic replacement."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest

from kvpipe.explore.seed import Headline
from kvpipe.explore.seed_study import SeedStudy
from kvpipe.report import writer
from kvpipe.report.figures import FIGURE_NAMES, figure_key, figure_suffixes
from kvpipe.report.files import OutputPathError
from kvpipe.report.tables import RESULT_COLUMNS, headline_json
from kvpipe.report.writer import SeedReportFiles, write_seed_report

REQUIRED_KEYS = (
    "single_user_tokens_per_s_ideal_kv",
    "single_user_tokens_per_s",
    "users_at_90pct_speed",
    "users_multiplier",
    "joules_per_token_1_user",
    "joules_per_token_at_users_at_90pct_speed",
    "kv_bw_to_capacity_ratio_per_s",
    "hbm3e_bw_to_capacity_ratio_per_s",
    "required_kv_pj_per_bit",
    "required_kv_pj_per_bit_improvement_vs_hbm3e",
    "required_kv_bw_per_reticle_die_bytes_per_s",
    "required_kv_bw_per_reticle_die_vs_hbm3e",
)


def _strict_json(path: Path) -> dict:
    def no_constants(name: str) -> None:
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(path.read_text(encoding="utf-8"), parse_constant=no_constants)


def test_files_exist(written: SeedReportFiles, seed: SeedStudy) -> None:
    assert written.report_html.name == "report.html"
    expected = {figure_key(n, s) for s in figure_suffixes(seed) for n in FIGURE_NAMES}
    assert set(written.figures) == expected
    for p in written.all():
        assert p.is_file() and p.stat().st_size > 0, p
        assert p.parent == written.out_dir
    for key in FIGURE_NAMES:  # the primary study's four figures have plain names
        assert written.figures[key].name == f"{key}.png"
    # nothing temporary left beside the output
    assert not [p for p in written.out_dir.parent.iterdir() if p.name.startswith(".seed.tmp-")]


def test_headline_json(written: SeedReportFiles, seed: SeedStudy) -> None:
    data = _strict_json(written.headline_json)
    h = seed.primary.headline
    for key in REQUIRED_KEYS:
        assert key in data, key
        assert isinstance(data[key], (int, float)), key
    for f in Headline.__dataclass_fields__:
        assert f in data, f
    assert data["single_user_tokens_per_s"] == pytest.approx(h.single_user_tokens_per_s)
    assert data["users_at_90pct_speed"] == h.users_at_90pct_speed
    assert set(data["models"]) == {s.headline.model for s in seed.studies}
    for s in seed.studies:
        assert data["models"][s.headline.model]["users_at_90pct_speed"] == s.headline.users_at_90pct_speed
    techs = data["memory_technologies"]
    assert [t["name"] for t in techs] == [t.tech.name for t in seed.primary.techs]
    for t in techs:
        for key in ("units_per_group", "capacity_overprovision", "kv_effective_j_per_bit", "bw_per_reticle_die_bytes_per_s"):
            assert key in t


def test_headline_json_nan_becomes_null(seed: SeedStudy) -> None:
    s0 = seed.studies[0]
    h = replace(s0.headline, users_multiplier=math.nan, tokens_per_s_at_90pct=math.inf)
    data = headline_json(SeedStudy(studies=(replace(s0, headline=h),)))
    assert data["users_multiplier"] is None
    assert data["tokens_per_s_at_90pct"] is None
    json.dumps(data, allow_nan=False)  # serializable without NaN/inf


def test_results_csv(written: SeedReportFiles, seed: SeedStudy) -> None:
    with written.results_csv.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    expected = sum(2 * len(s.users) * len(s.contexts) for s in seed.studies)
    assert len(rows) == expected
    assert tuple(rows[0]) == RESULT_COLUMNS
    for col in (
        "model", "memory", "users", "context_tokens", "tokens_per_s_per_user", "tokens_per_s", "joules_per_token",
        "energy_static_j_per_token", "energy_kv_read_j_per_token", "binding_limit",
        "kv_capacity_demand_bytes_per_group", "kv_bw_demand_bytes_per_s_per_group",
        "kv_capacity_supply_bytes_per_group", "kv_bw_supply_bytes_per_s_per_group",
    ):
        assert col in rows[0], col
    assert {r["memory"] for r in rows} == {"ideal", "hbm3e"}
    assert {r["model"] for r in rows} == {s.headline.model for s in seed.studies}
    # energy components add up to J/token in every row
    comps = [c for c in RESULT_COLUMNS if c.startswith("energy_")]
    for r in rows[:: max(1, len(rows) // 50)]:
        assert sum(float(r[c]) for c in comps) == pytest.approx(float(r["joules_per_token"]), rel=1e-9)


def _snapshot(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_atomic_write_keeps_previous_report_when_rendering_fails(
    seed: SeedStudy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_figures: None
) -> None:
    out = tmp_path / "seed"
    write_seed_report(seed, out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    before = _snapshot(out)

    def boom(*args: object, **kwargs: object) -> str:
        raise RuntimeError("rendering failed")

    monkeypatch.setattr(writer, "render_seed_html", boom)
    with pytest.raises(RuntimeError, match="rendering failed"):
        write_seed_report(seed, out)
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed"]  # no temporary directory left


def test_atomic_write_fresh_dir_not_created_on_failure(
    seed: SeedStudy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("figures failed")

    monkeypatch.setattr(writer, "seed_figure_pngs", boom)
    with pytest.raises(RuntimeError):
        write_seed_report(seed, tmp_path / "new" / "seed")
    assert not (tmp_path / "new").exists()  # nor the parent the run had to create
    assert list(tmp_path.iterdir()) == []


def test_rewrite_replaces_outputs_and_keeps_other_files(seed: SeedStudy, tmp_path: Path, fake_figures: None) -> None:
    out = tmp_path / "seed"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "report.html").write_text("old report", encoding="utf-8")
    files = write_seed_report(seed, out)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert files.report_html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert files.figures["kv_demand"].read_bytes() == b"\x89PNG fake kv_demand"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed"]


def test_out_dir_that_is_a_file_is_an_error(seed: SeedStudy, tmp_path: Path) -> None:
    target = tmp_path / "seed"
    target.write_text("not a dir", encoding="utf-8")
    with pytest.raises(OutputPathError, match="--out: .*seed: exists and is not a directory"):
        write_seed_report(seed, target)
    assert target.read_text(encoding="utf-8") == "not a dir"
