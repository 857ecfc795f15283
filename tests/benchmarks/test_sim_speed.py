"""benchmarks/sim_speed.py --baseline on a tiny trace: it runs the simulator of a commit and of
this checkout in separate processes and finds their results the same bit for bit (against
HEAD: the same code, so this also checks that a run does not depend on the process, e.g. on
hash randomization)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "sim_speed.py"


def _in_git_checkout() -> bool:
    if shutil.which("git") is None:
        return False
    p = subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=ROOT, capture_output=True, check=False)
    return p.returncode == 0


@pytest.mark.skipif(not _in_git_checkout(), reason="needs git and a commit to compare with")
def test_baseline_run_reports_identical_results() -> None:
    env = {**os.environ, "PYTHONHASHSEED": "random"}
    p = subprocess.run(
        [sys.executable, str(SCRIPT), "--baseline", "HEAD", "--requests", "400", "--hours", "0.01", "--repeats", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert any(line.startswith("run 1 baseline:") for line in lines)
    assert any(line.startswith("run 1 this") for line in lines)
    assert any(line.startswith("this / baseline: wall ") for line in lines)
    (verdict,) = [line for line in lines if line.startswith("results: ")]
    assert verdict.startswith("results: identical (fingerprints "), p.stdout
