"""The README's seed-study table quotes what the study computes today (make demo prints the
same numbers); a change of model or catalog that moves them must update the README too."""

from dataclasses import replace
from pathlib import Path

import pytest

from kvpipe import catalog
from kvpipe.config import seed_system
from kvpipe.explore.seed import headline
from kvpipe.mapping import place
from kvpipe.report.format import fmt_count

README = Path(__file__).parents[2] / "README.md"


def _row(label_start: str) -> list[str]:
    for line in README.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"| {label_start}"):
            return [c.strip() for c in line.strip("|").split("|")][1:]
    raise AssertionError(f"no README row starting {label_start!r}")


@pytest.fixture(scope="module")
def headlines():
    techs = [t for t in catalog.memories() if t.name != "ideal"]
    out = []
    for model in ("llama-3.1-70b", "deepseek-v3"):
        s = replace(seed_system(), model=catalog.model(model))
        out.append(headline(s, place(s.model, s.precisions, s.chip, s.mapping), techs))
    return out


def test_readme_seed_table(headlines):
    llama, ds = headlines
    assert _row("chips / communication stages") == [
        f"{h.chips} / {h.comm_stages_per_token}" for h in headlines
    ]
    assert _row("single-user tokens/s, ideal KV") == [fmt_count(h.single_user_tokens_per_s_ideal_kv) for h in headlines]
    assert _row("single-user tokens/s on its own HBM3E") == [fmt_count(h.single_user_tokens_per_s) for h in headlines]
    assert _row("users at 90 %") == [fmt_count(h.users_at_90pct_speed) for h in headlines]
    assert _row("J/token (ideal KV memory)") == [
        f"{h.joules_per_token_1_user:.3g} → {h.joules_per_token_at_users_at_90pct_speed:.2g}" for h in headlines
    ]
    ratio = _row("KV bandwidth / capacity demand")
    assert ratio[0].startswith(f"{fmt_count(llama.kv_bw_to_capacity_ratio_per_s)} /s (HBM3E: "
                               f"{llama.hbm3e_bw_to_capacity_ratio_per_s:.0f} /s)")
    assert ratio[1] == f"{fmt_count(ds.kv_bw_to_capacity_ratio_per_s)} /s"
    energy = _row("required KV energy")
    assert energy[0].startswith(f"{llama.required_kv_pj_per_bit:.3g} pJ/bit: HBM3E must be "
                                f"{llama.required_kv_pj_per_bit_improvement_vs_hbm3e:.2g}x better")
    assert energy[1].startswith(f"{ds.required_kv_pj_per_bit:.3g} pJ/bit: HBM3E suffices")
    assert ds.required_kv_pj_per_bit_improvement_vs_hbm3e < 1
    die = _row("required KV bandwidth per reticle die")
    assert die[0].startswith(f"{llama.required_kv_bw_per_reticle_die_bytes_per_s / 1e12:.2g} TB/s: "
                             f"{llama.required_kv_bw_per_reticle_die_vs_hbm3e:.3g}x HBM3E's best")
    assert die[1] == f"{ds.required_kv_bw_per_reticle_die_bytes_per_s / 1e12:.2g} TB/s"
