"""Review findings on ``kvpipe simulate`` and kvpipe.sim: each test failed before its fix."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from toy import toy_system

from kvpipe.cli.main import main
from kvpipe.mapping import place
from kvpipe.sim import Requests, SimConfig, SimulationError, simulate
from kvpipe.sim.result import class_name, class_names

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "examples" / "seed-hbm4.yaml"
GROQ = ROOT / "src" / "kvpipe" / "catalog" / "data" / "systems" / "groq-lpu.yaml"
H200 = ROOT / "src" / "kvpipe" / "catalog" / "data" / "systems" / "h200-x8.yaml"


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _kvpipe(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """In a subprocess with a timeout: a regression of a hang must fail, not stall the suite."""
    return subprocess.run([sys.executable, "-m", "kvpipe.cli", *argv], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT)


# ---- 1: absolute numeric timestamps ----------------------------------------------------


def test_absolute_numeric_csv_timestamps_simulate_promptly(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n3000000,100,5\n3000001,200,5\n")
    r = _kvpipe("simulate", str(SEED), "--trace", str(p), "--json", timeout=60)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["requests_completed"] == 2
    assert d["window_s"] < 10  # the run starts at the first row, not at t = 3e6 s


def test_fast_mode_raises_instead_of_spinning_when_the_clock_stalls(tmp_path):
    # JSONL arrival_s are used as they are: at 3e6 s a step is below the clock's resolution
    p = tmp_path / "t.jsonl"
    p.write_text('{"arrival_s": 3000000, "prompt_tokens": 100, "output_tokens": 5}\n'
                 '{"arrival_s": 3000001, "prompt_tokens": 200, "output_tokens": 5}\n')
    r = _kvpipe("simulate", str(SEED), "--trace", str(p), timeout=60)
    assert r.returncode == 2
    assert "stopped advancing" in r.stderr and "Traceback" not in r.stderr


def test_stalled_clock_is_a_simulation_error_in_the_library():
    reqs = Requests.of([3e6, 3e6 + 1], [100, 200], [5, 5])
    with pytest.raises(SimulationError, match="stopped advancing"):
        simulate(toy_system(users=2), reqs, SimConfig(chunk_tokens=None))


# ---- 2, 3: flags are validated and named -----------------------------------------------


@pytest.mark.parametrize(
    ("argv", "flag", "form"),
    [
        (["--arrival-rate", "inf"], "--arrival-rate", "finite"),
        (["--arrival-rate", "nan"], "--arrival-rate", "finite"),
        (["--arrival-rate", "5", "--cv", "nan"], "--cv", ">= 0"),
        (["--arrival-rate", "5", "--cv", "inf"], "--cv", ">= 0"),
        (["--arrival-rate", "5", "--slots", "0"], "--slots", "integer >= 1"),
        (["--arrival-rate", "5", "--chunk", "-3"], "--chunk", "integer >= 0"),
        (["--arrival-rate", "5", "--fixed-context", "0"], "--fixed-context", "integer >= 1"),
        (["--arrival-rate", "5", "--max-queue", "-1"], "--max-queue", "integer >= 0"),
        (["--arrival-rate", "5", "--duration", "0 s"], "--duration", "time > 0"),
        (["--arrival-rate", "5", "--duration", "2 s", "--warmup", "3 s"], "--warmup", "shorter than the run"),
        (["--arrival-rate", "5", "--slo-tpot", "0 s"], "--slo-tpot", "time > 0"),
        (["--arrival-rate", "5", "--prompt", "foo"], "--prompt", "uniform:LO:HI"),
        (["--arrival-rate", "5", "--output", "uniform:9:2"], "--output", "LO <= HI"),
        (["--arrival-rate", "5", "--output", "lognormal:nan:1"], "--output", "lognormal:MEDIAN:SIGMA"),
    ],
)
def test_bad_flags_exit_2_naming_the_flag_and_its_form(capsys, argv, flag, form):
    code, _, err = _run(capsys, "simulate", SEED, *argv)
    assert code == 2
    assert f"{flag}:" in err and form in err
    assert "Traceback" not in err
    for internal in ("slots must", "chunk_tokens", "duration_s", "warmup_s", "invalid literal"):
        assert internal not in err


def test_all_flag_errors_at_once(capsys):
    code, _, err = _run(capsys, "simulate", SEED, "--arrival-rate", "inf", "--cv", "-1", "--slots", "0")
    assert code == 2 and "--arrival-rate:" in err and "--cv:" in err and "--slots:" in err


# ---- 4: a run in which no request finishes ----------------------------------------------


def test_no_finished_request_measures_the_duration_with_static_power(capsys):
    code, out, _ = _run(capsys, "simulate", GROQ, "--arrival-rate", "1", "--duration", "1s")
    assert code == 0
    assert "0 s measured" not in out and "1 s measured" in out
    assert "inf" not in out and "mean power 0 W" not in out
    assert "no request finished" in out
    code, out, _ = _run(capsys, "simulate", GROQ, "--arrival-rate", "1", "--duration", "1s", "--json")
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


# ---- 5: reference runs too long to simulate are refused up front ---------------------------


def test_reference_mode_refuses_a_run_too_long_up_front(capsys):
    import time

    t0 = time.perf_counter()
    code, _, err = _run(capsys, "simulate", SEED, "--mode", "reference", "--arrival-rate", "28", "--duration", "60 s")
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


# ---- 6: rejections by reason ----------------------------------------------------------


def test_rejections_are_counted_by_reason(capsys):
    # one seat, a queue of one: the later arrivals of a burst find the queue full
    reqs = Requests.of([0.0, 0.0, 0.0, 0.0], [10, 10, 10, 10], [50, 50, 50, 50])
    m = simulate(toy_system(users=1), reqs, SimConfig(max_queue=1)).metrics
    assert m.requests_rejected == 2
    assert m.requests_rejected_by_reason == {"queue_full": 2, "kv_never_fits": 0}
    code, out, _ = _run(capsys, "simulate", SEED, "--arrival-rate", "200", "--duration", "1 s", "--slots", "4",
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
    code, out, _ = _run(capsys, "simulate", str(system), "--arrival-rate", "5", "--duration", "1 s",
                        "--fixed-context", "100000", "--json")
    d = json.loads(out)
    assert d["requests_rejected"] > 0
    assert d["requests_rejected_by_reason"] == {"queue_full": 0, "kv_never_fits": d["requests_rejected"]}


# ---- 7: group classes named by what they hold --------------------------------------------


def test_group_classes_are_named_by_what_they_hold(capsys):
    from kvpipe.config import load_system

    s = load_system(SEED)
    p = place(s.model, s.precisions, s.chip, s.mapping)
    assert class_names(p.classes) == ("embedding", "decoder-layer groups", "LM head")
    assert class_name(p.classes[1]) == "decoder-layer groups"
    code, out, _ = _run(capsys, "simulate", SEED, "--arrival-rate", "20", "--duration", "1 s")
    assert "busiest: decoder-layer groups (x80)" in out and "group class" not in out
    code, out, _ = _run(capsys, "simulate", SEED, "--arrival-rate", "20", "--duration", "1 s", "--json")
    assert json.loads(out)["utilization"]["group_names"] == ["embedding", "decoder-layer groups", "LM head"]


# ---- 9: a GPU system given to simulate ---------------------------------------------------


def test_gpu_system_is_refused_with_a_plain_message(capsys):
    code, _, err = _run(capsys, "simulate", H200, "--arrival-rate", "1")
    assert code == 2
    assert "kvpipe simulate models spatial pipelines only" in err
    assert "describes a GPU system (gpu: h200)" in err
    assert "load_any_system" not in err and "Traceback" not in err


def test_reject_reasons_are_checked():
    from kvpipe.sim import Simulation

    sim = Simulation(toy_system(), Requests.of([0.0], [5], [5]), SimConfig())
    with pytest.raises(ValueError, match="unknown rejection reason"):
        sim.requests.reject(0, "because")
    assert np.all(sim.requests.records().reject_reason == "")


# ---- 12: docs/sim.md examples name files that exist --------------------------------------


def test_sim_doc_examples_name_existing_system_files():
    import re

    text = (ROOT / "docs" / "sim.md").read_text(encoding="utf-8")
    files = re.findall(r"kvpipe simulate (\S+\.yaml)", text)
    assert files
    for f in files:
        assert (ROOT / f).is_file(), f
