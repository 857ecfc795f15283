"""Formatting helpers, tables, result records and the verdict."""

from __future__ import annotations

import math

import pytest

from kvpipe.explore.seed_study import SeedStudy
from kvpipe.report.format import (
    fmt_bw,
    fmt_bytes,
    fmt_count,
    fmt_factor,
    fmt_j_per_bit,
    fmt_joules,
    fmt_mm2,
    fmt_per_s,
    fmt_percent,
    fmt_pj_per_bit,
    fmt_rate,
    fmt_seconds,
    si,
)
from kvpipe.report.tables import (
    MEMORY_TECH_COLUMNS,
    NO_SOURCE,
    assumptions_table,
    headline_table,
    memory_tech_table,
    result_records,
    sweep_size,
)
from kvpipe.report.verdict import verdict


def test_formatting() -> None:
    assert fmt_bw(3.35e12) == "3.35 TB/s"
    assert fmt_j_per_bit(1.63e-12) == "1.63 pJ/bit"
    assert fmt_pj_per_bit(3.9) == "3.9 pJ/bit"
    assert fmt_bytes(80e9) == "80 GB"
    assert fmt_seconds(200e-9) == "200 ns"
    assert fmt_joules(0.035) == "35 mJ/token"
    assert fmt_joules(1.03) == "1.03 J/token"
    assert fmt_rate(5357.6) == "5,358 tokens/s"
    assert fmt_per_s(33.333) == "33.3 /s"
    assert fmt_per_s(4830.0) == "4,830 /s"
    assert fmt_factor(2.394) == "2.39×"
    assert fmt_count(1234.0) == "1,234"
    assert fmt_mm2(71200.0) == "71,200 mm²"  # 89 chips x 800 mm^2; it printed "71200 mm^2"
    assert fmt_mm2(800.0) == "800 mm²" and fmt_mm2(92.5) == "92.5 mm²"
    assert fmt_percent(0.5) == "50 %"
    assert si(999.96, "J") == "1 kJ"
    for bad in (None, math.nan):
        assert fmt_bw(bad) == "n/a"
        assert fmt_rate(bad) == "n/a tokens/s"
    assert fmt_bw(math.inf) == "inf"


def test_headline_table(seed: SeedStudy) -> None:
    t = headline_table(seed.primary.headline)
    keys = [row[2] for row in t.rows]
    assert "single_user_tokens_per_s" in keys and "required_kv_bw_per_reticle_die_vs_hbm3e" in keys
    assert all(len(row) == len(t.columns) for row in t.rows)


def test_memory_tech_table(seed: SeedStudy) -> None:
    t = memory_tech_table(seed.primary)
    assert t.columns == MEMORY_TECH_COLUMNS
    assert [row[0] for row in t.rows] == [x.tech.name for x in seed.primary.techs]
    assert all(len(row) == len(t.columns) for row in t.rows)


def test_assumptions_table_lists_every_part_with_sources(seed: SeedStudy) -> None:
    t = assumptions_table(seed, model_sources={"tiny-llama": "hand-written test config"})
    parts = {row[0] for row in t.rows}
    assert "chip test-chip" in parts and "link test-link" in parts
    for tech in ("hbm3e", "lpddr5x", "3d-dram"):
        assert f"memory {tech}" in parts
    assert "model tiny-llama" in parts and "model tiny-moe" in parts
    by_figure = {(row[0], row[1]): (row[2], row[3]) for row in t.rows}
    assert by_figure[("chip test-chip", "SRAM per chip")] == ("50 MB", "assumption: test SRAM chip")
    assert by_figure[("link test-link", "hop latency")] == ("200 ns", "assumption: test link")  # "all" source
    assert by_figure[("memory hbm3e", "bandwidth per stack")] == ("1.2 TB/s", "test datasheet: 1.2 TB/s per stack")
    assert by_figure[("memory hbm3e", "read energy")][1] == NO_SOURCE
    assert by_figure[("model tiny-llama", "architecture")][1] == "hand-written test config"
    assert "not a catalog model" in by_figure[("model tiny-moe", "architecture")][1]
    # parts shared by both studies are listed once
    assert sum(1 for row in t.rows if row[:2] == ("chip test-chip", "SRAM per chip")) == 1


def test_result_records_cover_every_point(seed: SeedStudy) -> None:
    recs = list(result_records(seed))
    assert len(recs) == sum(2 * sweep_size(s) for s in seed.studies)
    users = {r["users"] for r in recs}
    assert min(users) == 1 and max(users) == 10_000


def test_verdict_consistent_with_headline(seed: SeedStudy) -> None:
    for s in seed.studies:
        v = verdict(s)
        h = s.headline
        checks = {c.key: c for c in v.checks}
        assert set(checks) == {"users_multiplier", "bw_to_capacity", "pj_per_bit", "bw_per_die"}
        assert checks["users_multiplier"].value == pytest.approx(h.users_multiplier)
        assert checks["pj_per_bit"].value == pytest.approx(h.required_kv_pj_per_bit_improvement_vs_hbm3e)
        assert checks["bw_per_die"].value == pytest.approx(h.required_kv_bw_per_reticle_die_vs_hbm3e)
        for c in v.checks:
            assert c.met == (c.value >= c.target)
            assert c.why
        assert ("do not support" in v.conclusion) == (not all(c.met for c in v.checks))


def test_catalog_model_source() -> None:
    from kvpipe.report.tables import catalog_model_source

    src = catalog_model_source("llama-3.1-70b")
    assert src is not None and "Llama-3.1-70B" in src
    assert catalog_model_source("no-such-model") is None
