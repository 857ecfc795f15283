"""Runs in which no request finishes: the window is the duration, powered the whole time."""

from __future__ import annotations

import json
import math

import pytest
from toy import ROOT, run_cli, toy_system

from kvpipe.sim import Requests, SimConfig, simulate

GROQ = ROOT / "src" / "kvpipe" / "catalog" / "data" / "systems" / "groq-lpu.yaml"


def test_no_finished_request_measures_the_duration_with_static_power(capsys):
    code, out, _ = run_cli(capsys, "simulate", GROQ, "--arrival-rate", "1", "--duration", "1s")
    assert code == 0
    assert "0 s measured" not in out and "1 s measured" in out
    assert "inf" not in out and "mean power 0 W" not in out
    assert "no request finished" in out
    code, out, _ = run_cli(capsys, "simulate", GROQ, "--arrival-rate", "1", "--duration", "1s", "--json")
    d = json.loads(out)
    assert d["window_s"] == pytest.approx(1.0)
    assert d["joules_per_token"] is None and d["mean_power_w"] > 0
    assert "Infinity" not in out and "NaN" not in out


def test_empty_run_power_is_the_static_and_background_power():
    sys_ = toy_system(users=2)
    r = simulate(sys_, Requests.of([], [], []), SimConfig(duration_s=2.0))
    m = r.metrics
    assert m.window_s == pytest.approx(2.0)
    assert m.requests_completed == 0 and math.isnan(m.joules_per_token)
    assert m.mean_power_w > 0 and m.energy_j == pytest.approx(2.0 * m.mean_power_w)
    assert r.to_json()["joules_per_token"] is None
