"""Wall and CPU time of the whole test suite as ``make test`` runs it.

    .venv/bin/python benchmarks/suite_time.py [--runs N]

Runs ``make test`` N times (default 3) in this checkout and prints each run's wall time and
CPU time (user + sys of make and every process under it: the pytest workers, the CLI processes
they start, and on Linux also the kill tests' CLI server and the runs it forks, which this
script adopts as a child subreaper when their parents end before them), then the medians.
The wall time is the figure of merit; on a shared machine compare the CPU times. Aim on the
2-core development machine: 25 % under the 740-test suite's 29.6-30.0 s, i.e. at most ~22 s
(README, "Benchmarks").
"""

from __future__ import annotations

import argparse
import ctypes
import os
import resource
import statistics
import subprocess
import sys
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


def timed_run() -> tuple[float, float, str]:
    """One ``make test``: wall seconds, CPU seconds and pytest's summary line."""
    cpu0, t0 = _children_cpu_s(), time.perf_counter()
    p = subprocess.run(["make", "--no-print-directory", "test"], cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    _reap_orphans()
    cpu = _children_cpu_s() - cpu0
    lines = p.stdout.strip().splitlines()
    if p.returncode != 0:
        raise SystemExit(f"make test failed ({p.returncode}):\n" + "\n".join(lines[-20:]) + p.stderr)
    return wall, cpu, lines[-1] if lines else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    _adopt_orphans()
    walls, cpus = [], []
    for i in range(args.runs):
        wall, cpu, summary = timed_run()
        walls.append(wall)
        cpus.append(cpu)
        print(f"run {i + 1}: wall {wall:6.1f} s   cpu {cpu:6.1f} s   {summary}")
    print(f"median: wall {statistics.median(walls):6.1f} s   cpu {statistics.median(cpus):6.1f} s")


if __name__ == "__main__":
    main()
