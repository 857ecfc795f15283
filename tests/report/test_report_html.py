"""The HTML report is one self-contained, escaped page carrying every headline number."""

from __future__ import annotations

import html
import re
from dataclasses import replace

from kvpipe.explore.seed_study import SeedStudy
from kvpipe.report.figures import FIGURE_NAMES
from kvpipe.report.html import render_seed_html
from kvpipe.report.markup import DENSE_COLUMNS
from kvpipe.report.tables import headline_rows
from kvpipe.report.writer import SeedReportFiles

# a 1x1 transparent PNG
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def _page(written: SeedReportFiles) -> str:
    return written.report_html.read_text(encoding="utf-8")


def test_self_contained(written: SeedReportFiles, seed: SeedStudy) -> None:
    page = _page(written)
    assert page.startswith("<!DOCTYPE html>")
    # no external resources of any kind
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page
    assert "url(" not in page
    # every figure of every model embedded as a PNG data URI
    assert page.count('src="data:image/png;base64,') == len(FIGURE_NAMES) * len(seed.studies)


# a headline with round numbers, and the text each must appear as (worked out by hand from the
# formatting rules of report/format.py: >= 100 grouped to an integer, else 3 significant
# digits; bytes and bytes/s with decimal prefixes; J/token with an engineering prefix)
HAND_HEADLINE = {
    "model": "hand-llama",
    "context_tokens": 8192,  # "8,192 tokens"
    "chips": 89,
    "stages": 82,
    "comm_stages_per_token": 482,
    "single_user_tokens_per_s_ideal_kv": 6000.0,  # "6,000 tokens/s"
    "single_user_binding_limit_ideal_kv": "pipeline_depth",
    "single_user_tokens_per_s": 5357.6,  # "5,358 tokens/s"
    "single_user_binding_limit": "kv_bandwidth",
    "kv_memory": "hbm3e",
    "users_at_90pct_speed": 1234,  # "1,234"
    "users_multiplier": 1234.0,  # "1,234×"
    "tokens_per_s_at_90pct": 6.0e6,  # "6,000,000 tokens/s"
    "joules_per_token_1_user": 1.03,  # "1.03 J/token"
    "joules_per_token_at_users_at_90pct_speed": 0.035,  # "35 mJ/token"; 1.03 / 0.035 = 29.43 -> "29.4×"
    "kv_capacity_demand_bytes_per_group": 8.59e9,  # "8.59 GB"
    "kv_bw_demand_bytes_per_s_per_group": 12e12,  # "12 TB/s"
    "kv_bw_to_capacity_ratio_per_s": 1396.8,  # "1,397 /s"
    "hbm3e_bw_to_capacity_ratio_per_s": 33.333,  # "33.3 /s"
    "kv_bits_per_token": 2.62e6,  # "2,620,000"
    "required_kv_pj_per_bit": 1.63,  # "1.63 pJ/bit"
    "hbm3e_pj_per_bit": 3.9,  # "3.9 pJ/bit"
    "required_kv_pj_per_bit_improvement_vs_hbm3e": 3.9 / 1.63,  # 2.393 -> "2.39×"
    "required_kv_bw_per_reticle_die_bytes_per_s": 36e12,  # "36 TB/s"
    "hbm3e_best_bw_per_reticle_die_bytes_per_s": 7.2e12,  # "7.2 TB/s"
    "required_kv_bw_per_reticle_die_vs_hbm3e": 5.0,  # "5×"
    "reticle_dies_per_group": 1.1125,  # "1.11"
}


def test_the_page_shows_each_headline_number_as_written_out_by_hand(seed: SeedStudy) -> None:
    s0 = seed.studies[0]
    study = replace(s0, headline=replace(s0.headline, **HAND_HEADLINE))
    page = html.unescape(render_seed_html(SeedStudy(studies=(study,)), {}))
    # the headline table: one cell per figure
    for cell in ("hand-llama", "8,192 tokens", "89", "82", "482", "6,000 tokens/s/user (bound by pipeline depth)",
                 "5,358 tokens/s/user (bound by kv bandwidth)", "1,234", "1,234×",
                 "6,000,000 tokens/s", "1.03 J/token", "35 mJ/token", "8.59 GB", "12 TB/s", "1,397 /s", "33.3 /s",
                 "2,620,000", "1.63 pJ/bit", "3.9 pJ/bit", "2.39×", "36 TB/s", "7.2 TB/s", "5×", "1.11"):
        assert re.search(f">{re.escape(cell)}</td>", page), cell
    # the verdict quotes the argument's numbers in words
    for text in (
        "hand-llama at 8,192 tokens of context runs on 89 chips in 82 pipeline stages (482 communication stages per token)",
        "With one user and an ideal KV memory the pipeline gives 6,000 tokens/s (bound by pipeline depth) at 1.03 J/token;"
        " on its own hbm3e KV memory one user gets 5,358 tokens/s (bound by kv bandwidth).",
        "1,234 users keep 90 % of the single-user speed (multiplier 1,234×) and J/token falls to 35 mJ/token (29.4× lower)",
        "Per chip group the KV then needs 8.59 GB at 12 TB/s, a bandwidth/capacity ratio of 1,397 /s against HBM3E's 33.3 /s.",
        "A KV memory must reach ≤ 1.63 pJ/bit (HBM3E: 3.9 pJ/bit, i.e. 2.39× better)",
        "and 36 TB/s per reticle die (HBM3E best attachment: 7.2 TB/s, i.e. 5× more).",
    ):
        assert text in page, text


def test_sections_present(written: SeedReportFiles) -> None:
    page = html.unescape(_page(written))
    for heading in ("Verdict", "The talk's targets", "Assumptions and sources", "Formulas", "docs/model.md"):
        assert heading in page, heading
    # talk targets compared, with a judgement
    assert "supported" in page
    # sources of catalog figures are shown
    assert "assumption: test SRAM chip" in page
    assert "test datasheet: 1.2 TB/s per stack" in page
    assert "(no source given)" in page  # figures without a source say so


def test_text_is_escaped(seed: SeedStudy) -> None:
    evil = "<img src=x onerror=alert(1)>"
    s0 = seed.studies[0]
    bad = replace(s0, headline=replace(s0.headline, model=evil))
    page = render_seed_html(SeedStudy(studies=(bad,)), {})
    assert evil not in page
    assert html.escape(evil) in page


def test_missing_and_extra_figures(seed: SeedStudy) -> None:
    pngs = {"kv_demand": TINY_PNG, "something_else": TINY_PNG}
    page = render_seed_html(seed, pngs)
    assert page.count("data:image/png;base64,") == 2  # the known one and the extra one
    assert "was not rendered" in page


def test_headline_energy_rows_name_the_ideal_memory(seed: SeedStudy) -> None:
    # joules_per_token_1_user and _at_users_at_90pct_speed are evaluated with the ideal KV memory
    # (docs/model.md, seed study step 1); the GPU comparison's one-user J/token of the same
    # system is on its own KV memory and differs, so the headline labels must say which one
    labels = {key: quantity for study in seed.studies for quantity, _value, key in headline_rows(study.headline)}
    assert "ideal KV memory" in labels["joules_per_token_1_user"]
    assert "ideal KV memory" in labels["joules_per_token_at_users_at_90pct_speed"]


def test_formulas_explain_every_binding_limit_the_report_can_print() -> None:
    # the report says "bound by kv latency" (the seed's single user on HBM3E); the formulas
    # section listed pipeline depth, KV capacity and bandwidth, compute and links only
    from kvpipe.perf.result import Limit
    from kvpipe.report.html import FORMULAS

    text = " ".join(" ".join(f) for f in FORMULAS)
    for limit in Limit:
        assert limit.label in text, limit.label
    assert "n_g ×" not in text  # P4 sums the groups' latencies; n_g is a group's chip count (M4)


def test_verdict_names_a_recommended_stack_that_breaks_the_thermal_budget(seed: SeedStudy) -> None:
    # the verdict named hybrid-bonded-3d-dram as the one technology meeting both needs while the
    # physical budgets section put it over the 0.5 W/mm² limit; the verdict now says so itself
    from kvpipe.explore.budgets import Budget
    from kvpipe.report.html import _too_hot
    from kvpipe.report.verdict import verdict

    study = seed.primary
    v = replace(verdict(study), meeting_techs=("stack-a", "stack-b"))

    def budget(memory: str, flux: float) -> Budget:
        return Budget(study.system.name, "spatial", memory, 197, 89, 1e6, 4e4, 71200.0, 24000.0, True,
                      450.0, 0.467, flux, 2000.0)

    text = _too_hot(study, v, [budget("stack-a", 0.537), budget("stack-b", 0.45), budget("other", 0.9)])
    assert "stack-a stacked on the logic then carries 0.537 W/mm², over the 0.5 W/mm² assumed limit" in text
    assert "stack-b" not in text and "other" not in text  # under the limit; not named by the verdict
    assert _too_hot(study, v, [budget("stack-b", 0.45)]) == ""


def test_wide_tables_are_set_dense_to_fit_1400_px(written: SeedReportFiles, seed: SeedStudy) -> None:
    # the memory-technology (17 columns) and budget (14 columns) tables overflowed a 1400 px
    # window at the normal size (checked with headless Chromium); tables of more than
    # DENSE_COLUMNS columns get the smaller font and padding, the others keep the normal style
    page = _page(written)
    tables = re.findall(r"<table([^>]*)>.*?<thead><tr>(.*?)</tr></thead>", page, flags=re.S)
    assert tables
    for attrs, head in tables:
        columns = head.count("<th")
        assert ('class="dense"' in attrs) == (columns > DENSE_COLUMNS), (columns, attrs)
    assert sum('class="dense"' in a for a, _ in tables) >= len(seed.studies)  # each model's memory table
    assert "table.dense" in page
