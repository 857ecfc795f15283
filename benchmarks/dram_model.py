"""Speed of the two DRAM models.

* cycle-level model: simulated requests per second on one core (median of several runs of
  ``simulate_kv``, stream generation included, numba compilation excluded);
* closed-form model: design points evaluated per second (one vectorized call over a grid
  of devices x contexts x concurrent users).

Run: ``.venv/bin/python benchmarks/dram_model.py``
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from kvpipe import catalog
from kvpipe.memory import analytic, device_arrays, kv_pattern, outer, simulate_kv

KV_BYTES = 4096  # K and V of one token in one layer: 8 KV heads x 128 x 2 x 2 B


def cycle_requests_per_s(name: str, context: int, users: int, n_requests: int = 1_000_000,
                         repeats: int = 5) -> tuple[float, float]:
    d = catalog.device(name)
    p = kv_pattern(context, KV_BYTES, users)
    simulate_kv(d, p, n_requests=2_000)  # compile
    rates, eff = [], 0.0
    for seed in range(repeats):
        t0 = time.perf_counter()
        r = simulate_kv(d, p, n_requests=n_requests, seed=seed)
        rates.append(r.requests / (time.perf_counter() - t0))
        eff = r.efficiency
    return statistics.median(rates), eff


def analytic_points_per_s(repeats: int = 5) -> tuple[float, int]:
    names = catalog.device_names()
    d = outer(device_arrays([catalog.device(n) for n in names]), 2)
    ctx = np.geomspace(16, 131072, 64)[:, None]
    users = np.geomspace(1, 1024, 16)[None, :]
    pattern = kv_pattern(ctx, KV_BYTES, users)
    n = len(names) * ctx.size * users.size
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        analytic(d, pattern)
        times.append(time.perf_counter() - t0)
    return n / statistics.median(times), n


def main() -> None:
    print("cycle-level model (simulate_kv, 1,000,000 requests per run, median of 5):")
    for name, context, users in (("HBM3E", 8192, 1), ("HBM3", 8192, 4), ("GDDR7", 2048, 1),
                                 ("FGDRAM", 8192, 1)):
        rate, eff = cycle_requests_per_s(name, context, users)
        print(f"  {name:7s} context {context:5d} users {users:2d}: {rate:12,.0f} requests/s"
              f"   (bandwidth efficiency {eff:.3f})")
    pts, n = analytic_points_per_s()
    print(f"closed-form model: {pts:12,.0f} design points/s ({n} points per vectorized call)")


if __name__ == "__main__":
    main()
