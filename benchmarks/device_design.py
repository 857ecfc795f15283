"""Speed of the inverse design search (``kvpipe memory design``).

The whole default grid (102,400 candidate DRAM stacks) is turned into devices and evaluated by
the closed-form memory model in one vectorized call; this prints the median time of the search
(grid, devices, model, limits, Pareto set) over several runs, candidates per second, and the
ratio to evaluating the same candidates one at a time (a Python loop over 1,000 of them).

Run: ``.venv/bin/python benchmarks/device_design.py``
"""

from __future__ import annotations

import statistics
import time

from kvpipe.config.devices import parse_device
from kvpipe.explore.device_design import DesignSpace, DesignTarget, Technology, evaluate_candidates, grid, search
from kvpipe.memory import device_arrays, fgdram_like, kv_pattern

TARGET = DesignTarget(35.7e12, 1.15e-12, 4.3e9, 0.358, 0.5)  # the seed's talk targets (docs/memory.md)
PATTERN = kv_pattern(8192, 4096)


def main(repeats: int = 5, loop_points: int = 1000) -> None:
    base = device_arrays(parse_device(fgdram_like(name="base", attach="3d")))
    space, tech = DesignSpace(), Technology()
    search(space, tech, TARGET, base, PATTERN)  # warm up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        search(space, tech, TARGET, base, PATTERN)
        times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    knobs = grid(space)
    t0 = time.perf_counter()
    for i in range(loop_points):
        evaluate_candidates({k: v[i:i + 1] for k, v in knobs.items()}, tech, TARGET, base, PATTERN)
    per_point_loop = (time.perf_counter() - t0) / loop_points
    n = space.n_points
    print(f"search of {n:,} candidates: median {med * 1e3:.0f} ms over {repeats} runs "
          f"({n / med / 1e6:.2f} M candidates/s)")
    print(f"one candidate at a time: {per_point_loop * 1e6:.0f} us each -> {per_point_loop * n:.1f} s for the grid; "
          f"vectorized is {per_point_loop * n / med:,.0f}x faster")


if __name__ == "__main__":
    main()
