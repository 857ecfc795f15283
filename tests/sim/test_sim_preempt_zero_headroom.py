"""Preemption with no KV headroom left: a preempted request is not readmitted at the instant
it was preempted (the room it freed goes to the requests growing into it). Without that rule
the fast mode, with micro-batches, preempted a prompt in prefill (which does not grow),
readmitted it into the room it had just freed and preempted it again, without end."""

from __future__ import annotations

from dataclasses import replace

import pytest
from toy import TOY_MEMORY, toy_system

from kvpipe.sim import LogNormal, SimConfig, open_loop, simulate


def test_fast_and_reference_preempt_alike_and_finish_every_request():
    mem = replace(TOY_MEMORY, capacity_bytes=128 * 3000.0)  # KV for 3,000 tokens per layer group
    system = replace(toy_system(users=6, micro_batch=2), kv_memory=replace(toy_system().kv_memory, tech=mem))
    reqs = open_loop(30.0, 3.0, LogNormal(400, 0.8), LogNormal(150, 0.8), seed=9)
    ref = simulate(system, reqs, SimConfig(mode="reference", admission="preempt"), seed=1).metrics
    fast = simulate(system, reqs, SimConfig(mode="fast", admission="preempt"), seed=1).metrics
    for m in (ref, fast):
        assert m.requests_completed == len(reqs) == 103
        assert m.requests_preempted > 10  # the memory is the bottleneck: many recomputes
    assert fast.requests_preempted == pytest.approx(ref.requests_preempted, rel=0.1)
    for f, r in ((fast.ttft_s.p50, ref.ttft_s.p50), (fast.ttft_s.p90, ref.ttft_s.p90), (fast.e2e_s.p50, ref.e2e_s.p50),
                 (fast.e2e_s.p90, ref.e2e_s.p90), (fast.tokens_per_s, ref.tokens_per_s),
                 (fast.joules_per_token, ref.joules_per_token)):
        assert f == pytest.approx(r, rel=0.02)
