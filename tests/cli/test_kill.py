"""kill -9 at random moments of ``explore``, ``study`` and ``simulate``: afterwards each output
holds a complete earlier set or a complete new set (checked against its manifest, or for the
timeline file by parsing it), and the next run leaves no staging or lock file behind. Each run
is a process of its own (tests/forked_cli.py)."""

from __future__ import annotations

import json
import os
import random
import signal
import time
from pathlib import Path

from forked_cli import CliRun

from kvpipe.catalog import system_yaml
from kvpipe.report.files import MANIFEST_NAME, verify_output_dir

ROOT = Path(__file__).resolve().parents[2]
SEED = int.from_bytes(os.urandom(4), "little")  # printed with every failure


def _staging(target: Path) -> set[str]:
    return {p.name for p in target.parent.glob(f".{target.name}.tmp-*")}


def _start_when_staging(argv: list[str], target: Path) -> tuple[CliRun, float]:
    """Start a run; return it once its own staging path exists (its work has begun), with the time."""
    earlier = _staging(target)  # a killed run's, until this run removes it
    p = CliRun(argv)
    t0 = time.perf_counter()
    while not (_staging(target) - earlier) and p.poll() is None and time.perf_counter() - t0 < 60:
        time.sleep(0.005)
    return p, time.perf_counter()


def _run(argv: list[str], target: Path) -> float:
    """A whole run; returns how long its staging path existed (its work and the swap)."""
    p, t_staged = _start_when_staging(argv, target)
    done = p.wait(120)
    assert done.code == 0, done.err
    return time.perf_counter() - t_staged


def _kill_at(argv: list[str], target: Path, after_staging_s: float) -> None:
    p, _ = _start_when_staging(argv, target)
    time.sleep(after_staging_s)
    if p.poll() is None:
        os.kill(p.pid, signal.SIGKILL)
    p.wait(60)


def _dir_set(d: Path, keep: set[str]) -> str:
    """The run id of the one complete set in ``d``; fails on a partial or mixed set."""
    problems = verify_output_dir(d)
    assert problems == [], (SEED, problems)
    doc = json.loads((d / MANIFEST_NAME).read_text(encoding="utf-8"))
    present = {p.name for p in d.iterdir()}
    assert present == set(doc["files"]) | {MANIFEST_NAME} | keep, (SEED, present ^ (set(doc["files"]) | keep))
    return str(doc["run_id"])


def _file_set(path: Path) -> bytes:
    data = path.read_bytes()
    json.loads(data)  # whole: a cut-off JSON document does not parse
    return data


def _no_leftovers(parent: Path) -> None:
    left = [p.name for p in parent.iterdir() if ".tmp-" in p.name or p.name.endswith(".lock")]
    assert left == [], (SEED, left)


def _exercise(argv: list[str], check: dict[Path, bool], keep: dict[Path, set[str]], kills: int) -> None:
    """One full run (the earlier set); further runs killed at random moments between the start of
    their work (staging path made) and a little past the time a full run took to finish it (so
    some kills fall during or after the swap); then the next full run."""
    rng = random.Random(SEED)
    first = next(iter(check))
    work_s = _run(argv, first)
    for _ in range(kills):
        _kill_at(argv, first, rng.uniform(0.0, 1.1) * work_s)
        for p, is_dir in check.items():  # the earlier set, or a complete new one (each run's id differs)
            _dir_set(p, keep.get(p, set())) if is_dir else _file_set(p)
    _run(argv, first)
    for p, is_dir in check.items():
        _dir_set(p, keep.get(p, set())) if is_dir else _file_set(p)
        _no_leftovers(p.parent)


def _moe_system(tmp_path: Path) -> Path:
    moe = tmp_path / "moe.yaml"  # a MoE model: the study adds no second model
    moe.write_text(system_yaml("seed").replace("model: llama-3.1-70b", "model: qwen3-30b-a3b"), encoding="utf-8")
    return moe


def test_kill_9_explore(tmp_path: Path) -> None:
    # 1,200 grid points, every one streamed to points.npz; a file of the user's beside them
    ex = tmp_path / "explore"
    ex.mkdir()
    (ex / "notes.txt").write_text("mine", encoding="utf-8")
    _exercise(["explore", str(ROOT / "examples" / "explore" / "users-bandwidth.yaml"), "--out", str(ex), "--points"],
              {ex: True}, {ex: {"notes.txt"}}, kills=3)
    assert (ex / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_kill_9_study(tmp_path: Path) -> None:
    st = tmp_path / "study"
    _exercise(["study", "--config", str(_moe_system(tmp_path)), "--out", str(st)], {st: True}, {}, kills=1)


def test_kill_9_simulate(tmp_path: Path) -> None:
    # a timeline file and a plots directory
    tl, plots = tmp_path / "sim" / "timeline.json", tmp_path / "plots"
    _exercise(["simulate", str(_moe_system(tmp_path)), "--arrival-rate", "100", "--duration", "5 s", "--timeline", str(tl),
               "--plots", str(plots)], {tl: False, plots: True}, {}, kills=2)
