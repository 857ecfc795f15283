"""Physical budgets of the toy study worked out by hand, and of the seed against the GPUs."""

import pytest
from test_seed import HBM3E_LIKE
from toy import TOY_MEMORY, toy_system

from kvpipe import catalog
from kvpipe.config import seed_system
from kvpipe.explore.budgets import STACK_THERMAL_LIMIT_W_PER_MM2, budgets, gpu_budget, spatial_budgets
from kvpipe.explore.seed import study_model

X = 2.24379e6  # toy: compute-bound aggregate tokens/s at its 37 users (tests/explore/test_seed.py)


@pytest.fixture(scope="module")
def toy_budget():
    study = study_model(toy_system(context=1000), [HBM3E_LIKE, TOY_MEMORY])
    return {b.memory: b for b in spatial_budgets(study)}["toy-dram"]


def test_toy_areas(toy_budget):
    """2 chips of 100 mm^2. Per group the KV must stream X x (128,000 + 128) B = 2.8749e11 B/s:
    288 toy dies of 1e9 B/s (capacity 37 x 128,000 B needs 1); 2 KV groups x 288 x 10 mm^2 =
    5,760 mm^2 of DRAM, stacked (3D) on the logic, so the footprint is the logic's 200 mm^2."""
    b = toy_budget
    assert b.logic_area_mm2 == 200.0
    assert b.dram_area_mm2 == pytest.approx(5760.0)
    assert b.dram_stacked and b.footprint_mm2 == 200.0
    assert b.tokens_per_s_per_mm2 == pytest.approx(X / 200.0, rel=1e-5)


def test_toy_power_and_heat_flux(toy_budget):
    """Everything but KV, per token (tests/perf/test_golden.py's figures): static 20 W / X, SRAM
    161,024 B x 8 pJ, compute 672,256 pJ, links 2,304 B x 8 pJ -> 20 W + 1.97888e-6 J x X
    = 24.440 W, 12.220 W per chip, 0.12220 W/mm^2 of logic.
    KV: 2 x 128,128 B x 8 x 1 pJ = 2.05005e-6 J per token -> 4.5999 W, plus 576 dies x 1 W of
    background = 580.60 W, 290.30 W per group. The most demanding group spans 0.73984 chips, so
    its stack carries (12.220 + 290.30 / 0.73984) / 100 = 4.0460 W/mm^2, over the 0.5 W/mm^2
    limit; the group draws 12.220 x 0.73984 + 290.30 = 299.34 W."""
    b = toy_budget
    logic_w = 20.0 + 1.97888e-6 * X
    assert logic_w == pytest.approx(24.440, rel=1e-4)
    assert b.kv_dram_w == pytest.approx(580.60, rel=1e-4)
    assert b.power_w == pytest.approx(logic_w + 580.60, rel=1e-4)
    assert b.logic_w_per_mm2 == pytest.approx(0.12220, rel=1e-4)
    assert b.stack_w_per_mm2 == pytest.approx(4.0460, rel=1e-4)
    assert b.power_w_per_group == pytest.approx(299.34, rel=1e-4)
    assert b.within_thermal_limit is False and STACK_THERMAL_LIMIT_W_PER_MM2 == 0.5
    assert b.tokens_per_s_per_w == pytest.approx(X / (logic_w + 580.60), rel=1e-4)


def test_seed_budgets_against_the_gpus():
    from kvpipe.cli.run import gpu_baselines

    techs = [t for t in catalog.memories() if t.name != "ideal"]
    study = study_model(seed_system(), techs)
    bs = budgets(study, gpu_baselines())
    spatial = {b.memory: b for b in bs if b.kind == "spatial"}
    assert set(spatial) == {t.name for t in techs}
    hbm = spatial["hbm3e"]
    # 89 chips x 800 mm^2; HBM3E beside the dies: within no stack limit, its area counts
    assert hbm.logic_area_mm2 == 89 * 800.0 and not hbm.dram_stacked and hbm.within_thermal_limit is None
    assert hbm.footprint_mm2 == hbm.logic_area_mm2 + hbm.dram_area_mm2
    gpu = [b for b in bs if b.kind == "gpu"]
    assert [g.system for g in gpu] == ["h200-x8", "b200-x8"]
    h200 = gpu[0]
    # 8 H200: 8 x 814 mm^2 of logic and 8 x 6 HBM3E stacks of 121 mm^2 beside them
    assert h200.logic_area_mm2 == 8 * 814.0 and h200.dram_area_mm2 == 8 * 726.0
    assert h200.power_w <= 8 * 700.0 and h200.power_w_per_group == pytest.approx(h200.power_w / 8)
    direct = gpu_budget(gpu_baselines()[0], study, study.headline.users_at_90pct_speed)
    assert direct.tokens_per_s == h200.tokens_per_s
