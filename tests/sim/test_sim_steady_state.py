"""Done-when: with fixed contexts and a saturating closed loop, the simulated steady state
agrees with the analytic model (``kvpipe evaluate``) within 2 % in tokens/s and J/token.

Setup: more clients than seats and no think time (every seat always busy), prefill off and
every decode step at the workload's context (the analytic model's assumptions), a warm-up
excluded from the window. Identical units make S5 reduce to P6 exactly, so the remaining
difference is the window's edges (a few cycles out of thousands).
"""

from dataclasses import replace

import pytest
from sim_toys import toy_moe_system
from toy import toy_system

from kvpipe.perf import evaluate_system
from kvpipe.sim import ClosedLoop, Fixed, SimConfig, simulate


def _steady(system, mode, cycles=400, output=40):
    r = evaluate_system(system)
    w = system.workload
    cycle = float(w.users / r.tokens_per_s)  # time between two tokens of one user
    cfg = SimConfig(
        mode=mode,
        prefill=False,
        fixed_context_tokens=w.context_tokens,
        duration_s=cycles * cycle,
        warmup_s=20 * cycle,
        drain=False,
    )
    traffic = ClosedLoop(clients=2 * w.users, prompt=Fixed(w.context_tokens), output=Fixed(output))
    return r, simulate(system, traffic, cfg, seed=3).metrics


CASES = [
    ("dense, pipeline depth", toy_system(users=2, context=1000), "reference"),
    ("dense, KV bandwidth", toy_system(users=3, context=1000), "reference"),
    ("dense, micro-batch 2", toy_system(users=6, context=300, micro_batch=2), "reference"),
    ("MoE, pipeline depth, micro-batch 4", toy_moe_system(users=8, context=10, micro_batch=4), "reference"),
    ("MoE, KV bandwidth", toy_moe_system(users=32, context=10, micro_batch=4), "reference"),
    ("dense, KV bandwidth", toy_system(users=3, context=1000), "fast"),
    ("MoE, pipeline depth, micro-batch 4", toy_moe_system(users=8, context=10, micro_batch=4), "fast"),
    ("MoE, KV bandwidth", toy_moe_system(users=32, context=10, micro_batch=4), "fast"),
]


@pytest.mark.parametrize(("what", "system", "mode"), CASES, ids=[f"{c[0]} ({c[2]})" for c in CASES])
def test_toy_steady_state_matches_the_analytic_model(what, system, mode):
    r, m = _steady(system, mode)
    assert m.tokens_per_s == pytest.approx(float(r.tokens_per_s), rel=0.02)
    assert m.joules_per_token == pytest.approx(float(r.joules_per_token), rel=0.02)
    assert m.requests_rejected == 0


def _catalog_systems():
    catalog = pytest.importorskip("kvpipe.catalog")
    seed = pytest.importorskip("kvpipe.config").seed_system()
    moe = replace(seed, name="seed / deepseek-v3", model=catalog.model("deepseek-v3"))
    return [seed, moe]


@pytest.mark.parametrize("index", [0, 1], ids=["llama-3.1-70b", "deepseek-v3"])
def test_catalog_steady_state_matches_the_analytic_model(index):
    system = _catalog_systems()[index]
    r, m = _steady(system, "fast", cycles=300, output=64)
    assert m.tokens_per_s == pytest.approx(float(r.tokens_per_s), rel=0.02)
    assert m.joules_per_token == pytest.approx(float(r.joules_per_token), rel=0.02)
    # KV occupancy: every seat holds one context's KV (P3, K1)
    u = m.utilization
    kv_groups = [i for i, c in enumerate(u.kv_capacity) if c > 0]
    demand = float(r.kv_capacity_demand_bytes_per_group) / float(r.kv_capacity_supply_bytes_per_group)
    assert max(u.kv_capacity[i] for i in kv_groups) == pytest.approx(demand, rel=0.02)
