"""kill -9 at random moments of ``explore``, ``study`` and ``simulate``: afterwards each output
holds a complete earlier set or a complete new set (checked against its manifest, or for the
timeline file by parsing it), and the next run leaves no staging or lock file behind.

Each run is a process of its own running the CLI's ``main``, forked from a server that has
imported the CLI once: a fresh interpreter would spend about half a second of every run
importing numpy, matplotlib and pydantic before the work the kills are aimed at begins."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import sys
import tempfile
import time
from multiprocessing.process import BaseProcess
from pathlib import Path

from kvpipe.catalog import system_yaml
from kvpipe.report.files import MANIFEST_NAME, verify_output_dir

ROOT = Path(__file__).resolve().parents[2]
SEED = int.from_bytes(os.urandom(4), "little")  # printed with every failure

_SERVER = multiprocessing.get_context("forkserver")
# the CLI and what its explore, study and simulate commands import when they run
_SERVER.set_forkserver_preload(["kvpipe.cli.main", "kvpipe.cli.run", "kvpipe.report.explore", "kvpipe.sim",
                                "kvpipe.report.sim_figures"])


def _cli(argv: list[str], err_path: str) -> None:
    """A run (in the forked process): ``kvpipe ARGV``, stdout discarded, stderr to ``err_path``."""
    from kvpipe.cli.main import main

    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    os.dup2(os.open(err_path, os.O_WRONLY | os.O_TRUNC), 2)
    sys.exit(main(argv))


class _Run:
    """One run of the CLI in a process of its own, with its stderr kept in a file."""

    def __init__(self, argv: list[str]) -> None:
        fd, self.err_path = tempfile.mkstemp(prefix="kvpipe-kill-", suffix=".stderr")
        os.close(fd)
        self.process: BaseProcess = _SERVER.Process(target=_cli, args=(argv, self.err_path), daemon=True)
        self.process.start()

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid

    def poll(self) -> int | None:
        return self.process.exitcode

    def wait(self, timeout_s: float) -> tuple[int, str]:
        """The exit code (negative: the signal) and what the run wrote to stderr."""
        self.process.join(timeout_s)
        code = self.process.exitcode
        assert code is not None, f"still running after {timeout_s} s"
        err = Path(self.err_path).read_text(encoding="utf-8", errors="replace")
        os.unlink(self.err_path)
        return code, err


def _staging(target: Path) -> set[str]:
    return {p.name for p in target.parent.glob(f".{target.name}.tmp-*")}


def _start_when_staging(argv: list[str], target: Path) -> tuple[_Run, float]:
    """Start a run; return it once its own staging path exists (its work has begun), with the time."""
    earlier = _staging(target)  # a killed run's, until this run removes it
    p = _Run(argv)
    t0 = time.perf_counter()
    while not (_staging(target) - earlier) and p.poll() is None and time.perf_counter() - t0 < 60:
        time.sleep(0.005)
    return p, time.perf_counter()


def _run(argv: list[str], target: Path) -> float:
    """A whole run; returns how long its staging path existed (its work and the swap)."""
    p, t_staged = _start_when_staging(argv, target)
    code, err = p.wait(120)
    assert code == 0, err
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
