"""Known limit of the fast mode's preempt admission: with micro-batches and KV exactly full,
the newest request (a prompt in prefill, which does not grow) is preempted, readmitted at
the same instant into the room it just freed, and preempted again; the run stops with a
SimulationError instead of advancing. The reference mode runs the same case to the end."""

from __future__ import annotations

from dataclasses import replace

import pytest
from toy import TOY_MEMORY, toy_system

from kvpipe.sim import LogNormal, SimConfig, SimulationError, open_loop, simulate


def _case():
    mem = replace(TOY_MEMORY, capacity_bytes=128 * 3000.0)  # KV for 3,000 tokens per layer group
    system = replace(toy_system(users=6, micro_batch=2), kv_memory=replace(toy_system().kv_memory, tech=mem))
    return system, open_loop(30.0, 0.5, LogNormal(400, 0.8), LogNormal(150, 0.8), seed=9)


def test_reference_mode_preempts_and_finishes_every_request():
    system, reqs = _case()
    m = simulate(system, reqs, SimConfig(mode="reference", admission="preempt"), seed=1).metrics
    assert m.requests_completed == len(reqs) and m.requests_preempted > 0


@pytest.mark.xfail(raises=SimulationError, strict=True, reason="fast-mode preemption livelock at zero KV headroom")
def test_fast_mode_preempts_and_finishes_every_request():
    system, reqs = _case()
    m = simulate(system, reqs, SimConfig(mode="fast", admission="preempt"), seed=1).metrics
    assert m.requests_completed == len(reqs)
