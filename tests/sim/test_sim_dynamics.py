"""Little's law, fast mode against the token-level reference, determinism, admission policies."""

from dataclasses import replace

import numpy as np
import pytest
from toy import TOY_MEMORY, toy_system

from kvpipe.sim import ClosedLoop, Fixed, LogNormal, Requests, SimConfig, Uniform, open_loop, simulate


def _workload(rate=300.0, duration=3.0, seed=7):
    return open_loop(rate, duration, LogNormal(400, 0.8, high=3000), LogNormal(40, 0.8, high=300), seed=seed)


def test_littles_law_on_a_window_of_an_open_run():
    # Toy with 4 seats at ~65 % of its KV-bandwidth bound (contexts ~600 tokens: 1.28e-7 x 600
    # s per token per layer group, ~13,000 tokens/s, ~235 requests/s of ~55 tokens), requests
    # queueing for seats; the window excludes the first 2 s and ends with requests in flight.
    system = toy_system(users=4)
    reqs = _workload(rate=150.0, duration=40.0, seed=11)
    m = simulate(system, reqs, SimConfig(duration_s=40.0, warmup_s=2.0, drain=False, chunk_tokens=128), seed=11).metrics
    assert m.mean_requests_queued > 0.05  # there is queueing to speak of
    little = m.throughput_requests_per_s * m.mean_time_in_system_s
    assert m.mean_requests_in_system == pytest.approx(little, rel=0.02)


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_littles_law_exactly_when_the_run_drains(mode):
    # Sample-path Little's law: with every request finished, the time integral of requests in
    # the system equals the sum of their times in it.
    m = simulate(toy_system(users=4), _workload(rate=40.0, duration=2.0), SimConfig(mode=mode, chunk_tokens=128)).metrics
    assert m.littles_law_ratio == pytest.approx(1.0, rel=1e-9)


def test_fast_mode_matches_the_reference_on_latency_percentiles():
    # 4 seats, lognormal prompts and outputs, chunked prefill, arrivals at ~85 % of the
    # KV-bandwidth bound so that requests queue: every percentile within 2 %.
    system = toy_system(users=4)
    reqs = _workload(rate=280.0, duration=0.8, seed=5)
    cfg = SimConfig(chunk_tokens=128)
    fast = simulate(system, reqs, replace(cfg, mode="fast"), seed=5).metrics
    ref = simulate(system, reqs, replace(cfg, mode="reference"), seed=5).metrics
    assert ref.queueing_s.p90 > 0.01
    for name in ("ttft_s", "tpot_s", "e2e_s"):
        a, b = getattr(fast, name), getattr(ref, name)
        for p in ("p50", "p90", "p99"):
            assert getattr(a, p) == pytest.approx(getattr(b, p), rel=0.02), (name, p)
    assert fast.tokens_per_s == pytest.approx(ref.tokens_per_s, rel=0.02)
    assert fast.joules_per_token == pytest.approx(ref.joules_per_token, rel=0.02)


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_same_seed_same_result_bit_for_bit(mode):
    system = toy_system(users=3, micro_batch=2)
    traffic = ClosedLoop(clients=5, prompt=Uniform(50, 400), output=LogNormal(20, 0.5, high=80), think_s=0.002)
    cfg = SimConfig(mode=mode, duration_s=0.3, chunk_tokens=64)
    a = simulate(system, traffic, cfg, seed=42)
    b = simulate(system, traffic, cfg, seed=42)
    for field in ("arrival_s", "prompt_tokens", "output_tokens", "admit_s", "first_token_s", "finish_s"):
        np.testing.assert_array_equal(getattr(a.requests, field), getattr(b.requests, field))
    assert a.to_json() == b.to_json()
    c = simulate(system, traffic, cfg, seed=43)
    assert not np.array_equal(a.requests.prompt_tokens[:20], c.requests.prompt_tokens[:20])


def test_open_loop_generation_is_reproducible():
    a = _workload(seed=3)
    b = _workload(seed=3)
    np.testing.assert_array_equal(a.arrival_s, b.arrival_s)
    np.testing.assert_array_equal(a.prompt_tokens, b.prompt_tokens)


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_queue_bound_rejects_and_oversized_requests_are_rejected(mode):
    # one seat busy for ~1.2 ms, arrivals every 0.1 ms, at most 2 waiting: of 6 requests the
    # first runs, two wait, three are turned away; a 10M-token request never fits.
    reqs = Requests.of([0.0, 1e-4, 2e-4, 3e-4, 4e-4, 5e-4, 6e-4], [1000] * 6 + [10_000_000], [3] * 7)
    r = simulate(toy_system(users=1), reqs, SimConfig(mode=mode, max_queue=2, chunk_tokens=None))
    np.testing.assert_array_equal(r.requests.rejected, [False, False, False, True, True, True, True])
    assert r.metrics.requests_rejected == 4
    assert r.metrics.requests_completed == 3


@pytest.mark.parametrize("mode", ["fast", "reference"])
def test_preemption_recomputes_and_everyone_finishes(mode):
    # KV for 1,150 tokens per layer group: two 500-token prompts fit at admission but not
    # once both have grown by 100 tokens; the later one is preempted, recomputes, finishes.
    mem = replace(TOY_MEMORY, capacity_bytes=128 * 1150.0)
    system = replace(toy_system(users=2), kv_memory=replace(toy_system().kv_memory, tech=mem))
    reqs = Requests.of([0.0, 0.0], [500, 500], [200, 200])
    r = simulate(system, reqs, SimConfig(mode=mode, admission="preempt", chunk_tokens=None))
    q = r.requests
    assert np.all(q.finished)
    assert q.preemptions.sum() >= 1
    assert q.preemptions[1] >= 1  # the later admission is the victim
    # the same with reservation: the second waits for the first instead
    r2 = simulate(system, reqs, SimConfig(mode=mode, admission="reserve", chunk_tokens=None))
    assert r2.requests.preemptions.sum() == 0
    assert r2.requests.admit_s[1] == pytest.approx(r2.requests.finish_s[0])


def test_goodput_counts_requests_within_the_slos():
    system = toy_system(users=4)
    reqs = _workload(rate=60.0, duration=2.0)
    loose = simulate(system, reqs, SimConfig(slo_ttft_s=100.0, slo_tpot_s=1.0)).metrics
    assert loose.goodput_requests_per_s == pytest.approx(loose.throughput_requests_per_s)
    strict = simulate(system, reqs, SimConfig(slo_ttft_s=loose.ttft_s.p50)).metrics
    assert 0 < strict.goodput_requests_per_s < loose.goodput_requests_per_s


def test_metrics_json_has_the_stable_keys():
    m = simulate(toy_system(users=2), _workload(rate=30.0, duration=0.5), SimConfig()).to_json()
    for k in ("ttft_s", "tpot_s", "e2e_s"):
        assert set(m[k]) == {"mean", "p50", "p90", "p99"}
    for k in ("tokens_per_s", "joules_per_token", "goodput_requests_per_s", "requests_completed", "requests_rejected"):
        assert k in m
    s = m["series"]
    assert len(s["power_w"]) == len(s["time_s"]) == len(s["kv_occupancy"]) > 10
    assert all(p >= 20.0 * 0.999 for p in s["power_w"])  # at least the 2 chips' 10 W static power
    assert 0.0 <= max(s["kv_occupancy"]) <= 1.0


def test_bursty_arrivals_wait_longer_than_poisson_at_the_same_rate():
    system = toy_system(users=4)
    kw = dict(rate_per_s=50.0, duration_s=20.0, prompt=Fixed(300), output=Fixed(30), seed=2)
    poisson = simulate(system, open_loop(cv=1.0, **kw), SimConfig()).metrics
    bursty = simulate(system, open_loop(cv=4.0, **kw), SimConfig()).metrics
    assert bursty.queueing_s.mean > 1.5 * poisson.queueing_s.mean
