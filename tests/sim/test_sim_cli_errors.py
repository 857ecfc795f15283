"""``kvpipe simulate`` refuses bad flags and non-spatial systems with exit 2, naming the flag."""

from __future__ import annotations

import pytest
from toy import ROOT, run_cli

SEED = ROOT / "examples" / "seed-hbm4.yaml"
H200 = ROOT / "src" / "kvpipe" / "catalog" / "data" / "systems" / "h200-x8.yaml"


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
    code, _, err = run_cli(capsys, "simulate", SEED, *argv)
    assert code == 2
    assert f"{flag}:" in err and form in err
    assert "Traceback" not in err
    for internal in ("slots must", "chunk_tokens", "duration_s", "warmup_s", "invalid literal"):
        assert internal not in err


def test_all_flag_errors_at_once(capsys):
    code, _, err = run_cli(capsys, "simulate", SEED, "--arrival-rate", "inf", "--cv", "-1", "--slots", "0")
    assert code == 2 and "--arrival-rate:" in err and "--cv:" in err and "--slots:" in err


def test_gpu_system_is_refused_with_a_plain_message(capsys):
    code, _, err = run_cli(capsys, "simulate", H200, "--arrival-rate", "1")
    assert code == 2
    assert "kvpipe simulate models spatial pipelines only" in err
    assert "describes a GPU system (gpu: h200)" in err
    assert "load_any_system" not in err and "Traceback" not in err
