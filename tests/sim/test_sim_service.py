"""The simulator's service times come from the perf model: perf/service.py and the pass
profiles reproduce P4..P10 and E2..E4 of ``evaluate`` and F6/F7 of ``evaluate_prefill``."""

from dataclasses import replace

import numpy as np
import pytest
from sim_toys import toy_moe_system
from toy import toy_system

from kvpipe.mapping import place
from kvpipe.perf import evaluate_system, inputs_from_system
from kvpipe.perf.prefill import evaluate_prefill_system
from kvpipe.perf.service import pass_energy, pass_energy_total, pass_times, service_table, window_context
from kvpipe.sim.seats import lone_train_profile, lone_train_profiles, pass_profile

SYSTEMS = {
    "dense": lambda u, c, b: toy_system(users=u, context=c, micro_batch=b),
    "moe": lambda u, c, b: toy_moe_system(users=u, context=c, micro_batch=b),
    # weights reach the matrix units at a hundredth of the SRAM bandwidth (docs/model.md P12)
    "operand-bound": lambda u, c, b: _operand_bound(toy_system(users=u, context=c, micro_batch=b)),
}


def _operand_bound(s):
    return replace(s, chip=replace(s.chip, matrix_operand_bw_bytes_per_s=s.chip.sram_bw_bytes_per_s / 100))


def _table(s):
    return service_table(place(s.model, s.precisions, s.chip, s.mapping), inputs_from_system(s))


@pytest.mark.parametrize("kind", ["dense", "moe", "operand-bound"])
@pytest.mark.parametrize(("users", "context", "batch"), [(1, 1000, 1), (8, 10, 4), (64, 300, 8), (3, 5000, 2)])
def test_uniform_micro_batch_pass_is_p4_and_e2_e4(kind, users, context, batch):
    s = SYSTEMS[kind](users, context, batch)
    r = evaluate_system(s)
    t = _table(s)
    b = float(min(batch, users))
    ctx = window_context(t.windows, np.array([float(context)])) * b
    pt = pass_times(t, np.array([b]), ctx, ctx)
    assert float(pt.latency_s[0] @ t.counts) == pytest.approx(float(r.latency_s), rel=1e-12)
    x_proc = np.min(b / pt.proc_s[0])
    assert x_proc == pytest.approx(min(float(r.max_tokens_per_s_compute), float(r.max_tokens_per_s_kv_bandwidth)), rel=1e-12)
    assert np.min(b / pt.link_s[0]) == pytest.approx(float(r.max_tokens_per_s_links), rel=1e-12)
    e = pass_energy(t, np.array([b]), ctx, ctx)
    dyn = r.energy
    for name in ("weight_reads", "compute", "kv_read", "kv_write", "links"):
        assert float(getattr(e, name)[0] @ t.counts) / b == pytest.approx(float(getattr(dyn, name)), rel=1e-12), name
    total = float(pass_energy_total(t, np.array([b]), ctx, ctx)[0])
    assert total == pytest.approx(float(e.total()[0] @ t.counts), rel=1e-12)


def test_static_power_matches_e1():
    s = toy_system()
    r = evaluate_system(s)
    t = _table(s)
    x = float(r.tokens_per_s)
    assert (t.static_w + t.background_w) / x == pytest.approx(float(r.energy.static + r.energy.memory_background), rel=1e-12)


@pytest.mark.parametrize("kind", ["dense", "moe"])
@pytest.mark.parametrize(("prompt", "chunk"), [(1000, None), (1000, 500), (777, 64), (37, 5)])
def test_train_profiles_are_the_prefill_entry_point(kind, prompt, chunk):
    s = SYSTEMS[kind](1, 100, 1)
    t = _table(s)
    pre = evaluate_prefill_system(s, prompt, chunk)
    prof = lone_train_profile(t, prompt, chunk)
    assert prof.latency_s == pytest.approx(float(pre.latency_s), rel=1e-12)
    assert prof.energy_j == pytest.approx(float(pre.joules), rel=1e-12)
    assert prof.chunks == int(pre.chunks)
    assert max(prof.p_sum) == pytest.approx(float(pre.group_busy_s), rel=1e-12)


def test_one_token_profile_is_the_decode_latency():
    s = toy_system(context=1234)
    t = _table(s)
    ctx = window_context(t.windows, np.array([1234.0]))
    prof = pass_profile(t, np.array([1.0]), ctx, ctx)
    assert prof.latency_s == pytest.approx(float(evaluate_system(s).latency_s), rel=1e-12)


def test_sram_table_extrapolates_past_expert_saturation():
    # P8 with b tokens: dense bytes once, each distinct expert once (P2), embedding rows per
    # token; beyond the table the experts are all hit and the cost grows by the rows only.
    s = replace(toy_moe_system(), name="m")
    t = _table(s)
    n = t.sram_s.shape[1]
    big = np.array([n - 1.0, n + 99.0])
    z = np.zeros((2, len(t.windows)))
    pt = pass_times(t, big, z, z)
    # the embedding class reads 128 B rows: 100 more tokens, 100 more rows over 0.128 x 1e12 B/s
    assert pt.sram_s[1, 0] - pt.sram_s[0, 0] == pytest.approx(100 * 128 / 0.128e12, rel=1e-9)
    np.testing.assert_allclose(pt.sram_s[1, 1:], pt.sram_s[0, 1:], rtol=1e-9)


def test_lone_trains_computed_together_equal_those_computed_one_by_one():
    # the fast mode computes the trains of a run's known prompts in batches of equal chunk
    # counts; every figure must be the one the per-prompt path gives, to the bit
    t = _table(toy_system())
    prompts = [17, 32, 33, 40, 47, 48, 100, 5, 16, 40]
    batch = lone_train_profiles(t, prompts, 16)
    assert sorted(batch) == [17, 32, 33, 40, 47, 48, 100]  # one-chunk prompts are not trains
    for p, prof in batch.items():
        assert prof == lone_train_profile(t, p, 16), p
