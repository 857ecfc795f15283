"""Wall and CPU time of the whole test suite as ``make test`` runs it.

    .venv/bin/python benchmarks/suite_time.py [--runs N] [--baseline COMMIT]

Runs ``make test`` N times (default 3) in this checkout and prints each run's wall time and
CPU time (user + sys of make and every process under it: the pytest workers, the CLI processes
they start, and on Linux also the kill tests' CLI server and the runs it forks, which this
script adopts as a child subreaper when their parents end before them), then the medians.
The wall time is the figure of merit; on a shared machine compare the CPU times.

``--baseline COMMIT`` alternates each run with one of an older suite: the commit's tree is
taken with ``git archive`` into a temporary folder and its tests run against its own code
(``PYTHONPATH``) in this checkout's virtual environment, as ``MPLBACKEND=Agg python -m pytest``
(the ``make test`` of the suites before xdist). The speed target (README, "Benchmarks") is 25 %
under the suite of commit ef35195, measured this way.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


def _adopt_orphans() -> None:
    """Become the child subreaper (Linux): a process under ``make test`` whose parent ends first
    (the kill tests' CLI server, which reaps its forked runs) becomes this process' child, so
    that its CPU time is counted once :func:`_reap_orphans` waits for it."""
    if sys.platform == "linux":
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _reap_orphans(timeout_s: float = 5.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.02)


def _children_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed_run(argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """One run of the suite: wall seconds, CPU seconds and pytest's summary line."""
    cpu0, t0 = _children_cpu_s(), time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    _reap_orphans()
    cpu = _children_cpu_s() - cpu0
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({p.returncode}) in {cwd}:\n" + "\n".join(lines[-20:]) + p.stderr)
    return wall, cpu, lines[-1] if lines else ""


def baseline_tree(commit: str, into: Path) -> Path:
    """The files of ``commit`` (``git archive``) in ``into``."""
    archive = subprocess.run(["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def _report(name: str, walls: list[float], cpus: list[float]) -> None:
    print(f"{name} median: wall {statistics.median(walls):6.1f} s   cpu {statistics.median(cpus):6.1f} s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--baseline", metavar="COMMIT", help="alternate with the suite of this older commit")
    args = ap.parse_args()
    _adopt_orphans()
    runs: dict[str, tuple[list[float], list[float]]] = {"this": ([], [])}
    with tempfile.TemporaryDirectory(prefix="kvpipe-baseline-") as tmp:
        suites: list[tuple[str, list[str], Path, dict[str, str] | None]] = [("this", ["make", "--no-print-directory", "test"], ROOT, None)]
        if args.baseline:
            old = baseline_tree(args.baseline, Path(tmp))
            env = {**os.environ, "PYTHONPATH": str(old / "src"), "MPLBACKEND": "Agg"}
            suites.insert(0, ("baseline", [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"], old, env))
            runs["baseline"] = ([], [])
        for i in range(args.runs):
            for name, argv, cwd, run_env in suites:
                wall, cpu, summary = timed_run(argv, cwd, run_env)
                runs[name][0].append(wall)
                runs[name][1].append(cpu)
                print(f"run {i + 1} {name:8}: wall {wall:6.1f} s   cpu {cpu:6.1f} s   {summary}")
    for name, (walls, cpus) in runs.items():
        _report(name, walls, cpus)
    if args.baseline:
        ratio = statistics.median(runs["this"][0]) / statistics.median(runs["baseline"][0])
        print(f"this suite's median wall time is {100 * (1 - ratio):.0f} % under the baseline's")


if __name__ == "__main__":
    main()
