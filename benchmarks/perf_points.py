"""Analytic design points evaluated per second, on one core.

    .venv/bin/python benchmarks/perf_points.py [--points N] [--repeats R]

Evaluates the seed system (Llama-3.1-70B on the default spatial chip) over a users x context
x KV-bandwidth grid in ONE call of ``kvpipe.perf.evaluate`` and prints the median rate over
the repeats, plus the fastest and slowest run as a spread. Target: >= 1,000,000 points/s.
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
from kvpipe.mapping import place  # noqa: E402
from kvpipe.perf import evaluate, inputs_from_system  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=1_000_000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    system = seed_system()
    placement = place(system.model, system.precisions, system.chip, system.mapping)
    n_side = max(2, round((args.points / 10) ** 0.5))
    users = np.arange(1, n_side + 1, dtype=float)[:, None, None]
    context = np.geomspace(256, 131_072, n_side)[None, :, None]
    kv_bw = np.geomspace(1e12, 1e14, 10)[None, None, :]
    inputs = inputs_from_system(system).with_(users=users, context_tokens=context, kv_bw_bytes_per_s_per_group=kv_bw)
    n = n_side * n_side * 10

    evaluate(placement, inputs)  # warm-up
    rates = []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        evaluate(placement, inputs)
        rates.append(n / (time.perf_counter() - t0))
    print(f"system: {system.name} ({placement.model_name}, {placement.chips} chips, {len(placement.classes)} group classes)")
    print(f"grid: {n:,} design points per call (users x context x KV bandwidth), {args.repeats} repeats")
    print(f"median: {statistics.median(rates):,.0f} points/s  (min {min(rates):,.0f}, max {max(rates):,.0f})")
    print(f"target: 1,000,000 points/s -> ratio {statistics.median(rates) / 1e6:.2f}x")


if __name__ == "__main__":
    main()
