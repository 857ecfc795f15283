"""Simulated requests and tokens per second of wall time, fast mode, one core.

    taskset -c 0 .venv/bin/python benchmarks/sim_speed.py [--requests N] [--hours H] [--repeats R]

A synthetic trace of ~100,000 requests over one hour (Poisson arrivals; prompts lognormal,
median 1024 tokens; outputs lognormal, median 256 tokens; sigma 1, capped at 16K / 4K) on
the seed system (Llama-3.1-70B on the default spatial chip, its users as slots). Prints the
median wall and CPU (process) time over the repeats; on a shared machine the CPU time is the
figure that does not depend on the other jobs. Target: the hour simulated in <= 15 s (goal
5 s, 20,000 requests per second).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

from kvpipe.config import seed_system  # noqa: E402
from kvpipe.sim import LogNormal, SimConfig, open_loop, simulate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=100_000, help="expected requests in the trace")
    ap.add_argument("--hours", type=float, default=1.0, help="simulated time")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    system = seed_system()
    duration = 3600.0 * args.hours
    reqs = open_loop(
        args.requests / duration, duration, LogNormal(1024, 1.0, high=16384), LogNormal(256, 1.0, high=4096),
        seed=args.seed,
    )
    tokens = reqs.total_output_tokens
    walls, cpus = [], []
    result = None
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = simulate(system, reqs, SimConfig(), seed=args.seed)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    assert result is not None
    wall = statistics.median(walls)
    m = result.metrics
    print(f"system: {system.name} ({system.model.name}), {result.slots} slots, micro-batch {result.micro_batch}")
    print(f"trace: {len(reqs):,} requests, {tokens:,} output tokens over {duration:,.0f} s simulated")
    print(f"run: {result.events:,} events; TTFT p50 {m.ttft_s.p50 * 1e3:.3g} ms, TPOT p50 {m.tpot_s.p50 * 1e6:.3g} us, "
          f"{m.tokens_per_s:,.0f} tokens/s, {m.joules_per_token:.3g} J/token")
    print(f"wall: median {wall:.2f} s over {args.repeats} runs (min {min(walls):.2f}, max {max(walls):.2f})")
    print(f"cpu:  median {statistics.median(cpus):.2f} s (min {min(cpus):.2f}, max {max(cpus):.2f})")
    print(f"simulated requests per wall second: {len(reqs) / wall:,.0f}")
    print(f"simulated tokens per wall second:   {tokens / wall:,.0f}")
    target, goal = 15 * args.hours, 5 * args.hours
    print(f"target: {duration:,.0f} simulated s in <= {target:g} s -> {'met' if wall <= target else 'NOT met'}; "
          f"goal {goal:g} s -> {'met' if wall <= goal else 'not met'}")


if __name__ == "__main__":
    main()
