"""Requests turned away, counted by reason."""

from __future__ import annotations

import json

import numpy as np
import pytest
from toy import ROOT, run_cli, toy_system

from kvpipe.sim import Requests, SimConfig, simulate

SEED = ROOT / "examples" / "seed-hbm4.yaml"


def test_rejections_are_counted_by_reason(capsys):
    # one seat, a queue of one: the later arrivals of a burst find the queue full
    reqs = Requests.of([0.0, 0.0, 0.0, 0.0], [10, 10, 10, 10], [50, 50, 50, 50])
    m = simulate(toy_system(users=1), reqs, SimConfig(max_queue=1)).metrics
    assert m.requests_rejected == 2
    assert m.requests_rejected_by_reason == {"queue_full": 2, "kv_never_fits": 0}
    code, out, _ = run_cli(capsys, "simulate", SEED, "--arrival-rate", "200", "--duration", "1 s", "--slots", "4",
                        "--max-queue", "1", "--json")
    d = json.loads(out)
    assert sum(d["requests_rejected_by_reason"].values()) == d["requests_rejected"] > 0
    assert d["requests_rejected_by_reason"]["queue_full"] == d["requests_rejected"]


def test_kv_that_never_fits_is_its_own_reason(capsys, tmp_path):
    # a 100,000-token context (within Llama-3.1-70B's 131,072) holds 100,000 x 4 KiB = 410 MB of
    # KV per layer group; a thousandth of an HBM4 stack per group holds well under that
    system = tmp_path / "small-kv.yaml"
    system.write_text(SEED.read_text().replace("units_per_group: 6", "units_per_group: 0.001"))
    assert "units_per_group: 0.001" in system.read_text()
    code, out, _ = run_cli(capsys, "simulate", str(system), "--arrival-rate", "5", "--duration", "1 s",
                        "--fixed-context", "100000", "--json")
    d = json.loads(out)
    assert d["requests_rejected"] > 0
    assert d["requests_rejected_by_reason"] == {"queue_full": 0, "kv_never_fits": d["requests_rejected"]}


def test_reject_reasons_are_checked():
    from kvpipe.sim import Simulation

    sim = Simulation(toy_system(), Requests.of([0.0], [5], [5]), SimConfig())
    with pytest.raises(ValueError, match="unknown rejection reason"):
        sim.requests.reject(0, "because")
    assert np.all(sim.requests.records().reject_reason == "")
