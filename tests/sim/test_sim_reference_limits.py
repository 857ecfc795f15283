"""Reference-mode runs too long to simulate are refused before they start."""

from __future__ import annotations

import pytest
from toy import ROOT, run_cli, toy_system

from kvpipe.sim import Requests, SimConfig, SimulationError, simulate

SEED = ROOT / "examples" / "seed-hbm4.yaml"


def test_reference_mode_refuses_a_run_too_long_up_front(capsys):
    import time

    t0 = time.perf_counter()
    code, _, err = run_cli(capsys, "simulate", SEED, "--mode", "reference", "--arrival-rate", "28", "--duration", "60 s")
    assert time.perf_counter() - t0 < 30
    assert code == 2
    assert "events" in err and "--mode fast" in err and "--duration" in err and "Traceback" not in err


def test_reference_estimate_is_a_lower_bound_on_the_events():
    reqs = Requests.of([0.0, 0.001, 0.002], [30, 20, 5], [6, 4, 3])
    r = simulate(toy_system(users=2), reqs, SimConfig(mode="reference"))
    from kvpipe.sim import Simulation

    est = Simulation(toy_system(users=2), reqs, SimConfig(mode="reference")).reference_events_estimate(1)
    assert 0 < est <= r.events
    with pytest.raises(SimulationError, match="needs at least"):
        simulate(toy_system(users=2), reqs, SimConfig(mode="reference", max_events=est - 1))
