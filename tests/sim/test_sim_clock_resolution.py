"""Arrival times far from t = 0: traces are rebased to their first row; a clock too coarse
for a pipeline cycle stops the fast mode with an error instead of spinning."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from forked_cli import run_cli
from toy import toy_system

from kvpipe.sim import Requests, SimConfig, SimulationError, simulate

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seed-hbm4.yaml"


def test_absolute_numeric_csv_timestamps_simulate_promptly(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n3000000,100,5\n3000001,200,5\n")
    # in a process of its own with a timeout: a regression of a hang must fail, not stall the suite
    r = run_cli("simulate", str(SEED), "--trace", str(p), "--json", timeout_s=60)
    assert r.code == 0, r.err
    d = json.loads(r.out)
    assert d["requests_completed"] == 2
    assert d["window_s"] < 10  # the run starts at the first row, not at t = 3e6 s


def test_fast_mode_raises_instead_of_spinning_when_the_clock_stalls(tmp_path):
    # JSONL arrival_s are used as they are: at 3e6 s a step is below the clock's resolution
    p = tmp_path / "t.jsonl"
    p.write_text('{"arrival_s": 3000000, "prompt_tokens": 100, "output_tokens": 5}\n'
                 '{"arrival_s": 3000001, "prompt_tokens": 200, "output_tokens": 5}\n')
    r = run_cli("simulate", str(SEED), "--trace", str(p), timeout_s=60)
    assert r.code == 2
    assert "stopped advancing" in r.err and "Traceback" not in r.err


def test_stalled_clock_is_a_simulation_error_in_the_library():
    reqs = Requests.of([3e6, 3e6 + 1], [100, 200], [5, 5])
    with pytest.raises(SimulationError, match="stopped advancing"):
        simulate(toy_system(users=2), reqs, SimConfig(chunk_tokens=None))
