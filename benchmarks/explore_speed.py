"""Design points swept, and Pareto fronts found, per second (``kvpipe explore``'s engine), on one core.

    .venv/bin/python benchmarks/explore_speed.py [--points N] [--repeats R]

A Latin hypercube of N points (default 1,000,000) over users, KV bandwidth per group, KV energy
and hop latency on the seed system, evaluated in chunks by the analytic model; then the front
over (tokens/s per user max, J/token min) and over those plus KV energy (max). Prints medians
over the repeats with the fastest and slowest run.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from kvpipe.config import seed_system  # noqa: E402
from kvpipe.explore.sweep import Range, lhs_points, pareto_front, round_whole_axes, sweep  # noqa: E402
from kvpipe.mapping import place  # noqa: E402
from kvpipe.perf import inputs_from_system  # noqa: E402


def _median(xs: list[float]) -> str:
    return f"median {statistics.median(xs):,.0f}  (min {min(xs):,.0f}, max {max(xs):,.0f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    s = seed_system()
    placement = place(s.model, s.precisions, s.chip, s.mapping)
    base = inputs_from_system(s)
    ranges = {"users": Range(1, 10_000, True), "kv_bandwidth_per_group": Range(1e12, 1e14, True),
              "kv_energy": Range(0.5e-12, 10e-12, True), "hop_latency": Range(50e-9, 1e-6, True)}
    sweep_rates, front2_rates, front3_rates, sizes = [], [], [], []
    for rep in range(args.repeats):
        pts = round_whole_axes(lhs_points(ranges, args.points, seed=rep))
        t0 = time.perf_counter()
        r = sweep(placement, base, pts, s.chip.die_area_mm2)
        t1 = time.perf_counter()
        two = np.column_stack([r.metrics["tokens_per_s_per_user"], r.metrics["joules_per_token"]])
        f2 = pareto_front(two, [True, False])
        t2 = time.perf_counter()
        f3 = pareto_front(np.column_stack([two, r.axes["kv_energy"]]), [True, False, True])
        t3 = time.perf_counter()
        sweep_rates.append(args.points / (t1 - t0))
        front2_rates.append(args.points / (t2 - t1))
        front3_rates.append(args.points / (t3 - t2))
        sizes.append((f2.size, f3.size))
    print(f"system: {s.name} ({placement.chips} chips); {args.points:,} LHS points over {', '.join(ranges)}; {args.repeats} repeats")
    print(f"sweep (evaluate):     {_median(sweep_rates)} points/s")
    print(f"front, 2 objectives:  {_median(front2_rates)} points/s  (front sizes {sorted({a for a, _ in sizes})})")
    print(f"front, 3 objectives:  {_median(front3_rates)} points/s  (front sizes {min(b for _, b in sizes):,}..{max(b for _, b in sizes):,})")


if __name__ == "__main__":
    main()
