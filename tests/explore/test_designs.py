"""The seed study's three designs: GPU only, attention-FFN split, spatial pipeline with stacked KV."""

from dataclasses import replace

import numpy as np
import pytest

from kvpipe import catalog
from kvpipe.config import parse_gpu_system, read_yaml, seed_system
from kvpipe.config.hetero import load_hetero_system
from kvpipe.explore.designs import DesignComparison, compare_designs
from kvpipe.perf.hetero import evaluate_hetero_system
from kvpipe.system import KVMemory, Workload


@pytest.fixture(scope="module")
def cmp() -> DesignComparison:
    gpu = parse_gpu_system(read_yaml(catalog.system_yaml("rubin-nvl72")))
    stacked = KVMemory(catalog.memory("hybrid-bonded-3d-dram"), 3)
    return compare_designs(seed_system(), stacked, gpu, load_hetero_system("groq3-lpx-rubin"))


def test_three_designs_on_the_seed_model_and_users(cmp: DesignComparison) -> None:
    seed = seed_system()
    assert cmp.model == seed.model.name and cmp.users == seed.workload.users
    assert [d.design for d in cmp.designs] == ["GPU only", "attention-FFN split", "spatial pipeline, stacked KV DRAM"]
    gpu, afd, spatial = cmp.designs
    # the two GPU designs name where their KV lives in one wording: their GPUs' own HBM
    assert gpu.kv_location == "HBM of the 72 rubin GPUs"
    assert afd.kv_location == "HBM of the 72 rubin attention GPUs"
    assert "hybrid-bonded-3d-dram" in spatial.kv_location
    # only the split design has an A2E/E2A link, and it takes part (not all) of a token's time
    assert gpu.a2e_share_of_token_time is None and spatial.a2e_share_of_token_time is None
    assert afd.a2e_share_of_token_time is not None and 0 < afd.a2e_share_of_token_time < 1
    for d in cmp.designs:
        assert d.users_at_90pct_speed >= 1 and d.tokens_per_s_per_user <= d.single_user_tokens_per_s * (1 + 1e-12)
        assert d.joules_per_token > 0


def test_users_at_90pct_is_where_the_split_design_keeps_90pct_of_its_one_user_speed(cmp: DesignComparison) -> None:
    afd = cmp.designs[1]
    seed = seed_system()
    s = replace(load_hetero_system("groq3-lpx-rubin"), model=seed.model, precisions=seed.precisions)

    def speed(users: int) -> float:
        w = Workload(users=users, context_tokens=seed.workload.context_tokens)
        return float(evaluate_hetero_system(replace(s, workload=w)).perf.tokens_per_s_per_user)

    one = speed(1)
    assert one == pytest.approx(afd.single_user_tokens_per_s, rel=1e-12)
    assert speed(afd.users_at_90pct_speed) >= 0.9 * one
    assert speed(afd.users_at_90pct_speed + 1) < 0.9 * one


def test_the_a2e_share_matches_the_split_design_at_the_study_users(cmp: DesignComparison) -> None:
    seed = seed_system()
    s = replace(load_hetero_system("groq3-lpx-rubin"), model=seed.model, precisions=seed.precisions,
                workload=Workload(users=seed.workload.users, context_tokens=seed.workload.context_tokens))
    r = evaluate_hetero_system(s)
    share = float(r.t_crossings_s / r.t_token_latency_s)
    assert cmp.designs[1].a2e_share_of_token_time == pytest.approx(share, rel=1e-12)
    assert np.isfinite(share)
