"""Simulated requests and tokens per second of wall time, fast mode, one core.

    taskset -c 0 .venv/bin/python benchmarks/sim_speed.py [--requests N] [--hours H] [--repeats R]
    taskset -c 0 .venv/bin/python benchmarks/sim_speed.py --baseline COMMIT [--repeats R]

A synthetic trace of ~100,000 requests over one hour (Poisson arrivals; prompts lognormal,
median 1024 tokens; outputs lognormal, median 256 tokens; sigma 1, capped at 16K / 4K) on
the seed system (Llama-3.1-70B on the default spatial chip, its users as slots). Prints the
median wall and CPU (process) time over the repeats; on a shared machine the CPU time is the
figure that does not depend on the other jobs. Target: the hour simulated in <= 15 s (goal
5 s, 20,000 requests per second).

``--baseline COMMIT`` measures before against after, back to back: each repeat runs the
simulation once with the commit's code (its tree from ``git archive``, on ``PYTHONPATH``) and
once with this checkout's, each in a fresh process, alternating; it prints both medians, the
ratio, and whether the two results are bit for bit the same (a SHA-256 over the metrics' JSON
and every request's times, the fingerprint below).
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from suite_time import baseline_tree  # noqa: E402

from kvpipe.config import seed_system  # noqa: E402
from kvpipe.sim import LogNormal, Requests, SimConfig, SimResult, open_loop, simulate  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def fingerprint(result: SimResult) -> str:
    """SHA-256 of a run's metrics (JSON, floats by ``repr``) and of every request's times:
    equal for two runs exactly when their outputs are the same bit for bit."""
    h = hashlib.sha256(json.dumps(result.to_json(), sort_keys=True, default=repr).encode())
    r = result.requests
    for column in (r.arrival_s, r.admit_s, r.first_token_s, r.finish_s, r.preemptions, r.rejected):
        h.update(column.tobytes())
    return h.hexdigest()


def trace(args: argparse.Namespace) -> tuple[Requests, float]:
    duration = 3600.0 * args.hours
    reqs = open_loop(
        args.requests / duration, duration, LogNormal(1024, 1.0, high=16384), LogNormal(256, 1.0, high=4096),
        seed=args.seed,
    )
    return reqs, duration


def timed_runs(args: argparse.Namespace, repeats: int) -> tuple[list[float], list[float], SimResult]:
    system = seed_system()
    reqs, _ = trace(args)
    walls, cpus = [], []
    result = None
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        result = simulate(system, reqs, SimConfig(), seed=args.seed)
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    assert result is not None
    return walls, cpus, result


def one_run(args: argparse.Namespace) -> None:
    """``--one-run``: one timed simulation; prints a JSON line (the ``--baseline`` children)."""
    import kvpipe

    walls, cpus, result = timed_runs(args, 1)
    print(json.dumps({"wall_s": walls[0], "cpu_s": cpus[0], "fingerprint": fingerprint(result), "code": kvpipe.__file__}))


def against_baseline(args: argparse.Namespace) -> None:
    child = [sys.executable, __file__, "--one-run", "--requests", str(args.requests), "--hours", str(args.hours),
             "--seed", str(args.seed)]
    runs: dict[str, list[dict[str, float | str]]] = {"baseline": [], "this": []}
    with tempfile.TemporaryDirectory(prefix="kvpipe-baseline-") as tmp:
        trees = {"baseline": baseline_tree(args.baseline, Path(tmp)), "this": ROOT}
        for i in range(args.repeats):
            for name, tree in trees.items():
                env = {**os.environ, "PYTHONPATH": str(tree / "src")}
                out = subprocess.run(child, env=env, capture_output=True, text=True, check=True).stdout
                run = json.loads(out.strip().splitlines()[-1])
                if not Path(str(run["code"])).resolve().is_relative_to(tree.resolve()):
                    raise SystemExit(f"the {name} run imported kvpipe from {run['code']}, not from {tree}")
                runs[name].append(run)
                print(f"run {i + 1} {name:8}: wall {run['wall_s']:6.2f} s   cpu {run['cpu_s']:6.2f} s")
    medians = {}
    for name, rs in runs.items():
        wall, cpu = statistics.median(float(r["wall_s"]) for r in rs), statistics.median(float(r["cpu_s"]) for r in rs)
        medians[name] = (wall, cpu)
        print(f"{name} median: wall {wall:6.2f} s   cpu {cpu:6.2f} s")
    (wb, cb), (wt, ct) = medians["baseline"], medians["this"]
    print(f"this / baseline: wall {wt / wb:.3f}, cpu {ct / cb:.3f}")
    prints = {str(r["fingerprint"]) for rs in runs.values() for r in rs}
    print(f"results: {'identical' if len(prints) == 1 else 'DIFFERENT'} (fingerprints {', '.join(sorted(p[:16] for p in prints))})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=100_000, help="expected requests in the trace")
    ap.add_argument("--hours", type=float, default=1.0, help="simulated time")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--baseline", metavar="COMMIT", help="alternate with the simulator of this older commit")
    ap.add_argument("--one-run", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one_run:
        one_run(args)
        return
    if args.baseline:
        against_baseline(args)
        return

    reqs, duration = trace(args)
    tokens = reqs.total_output_tokens
    walls, cpus, result = timed_runs(args, args.repeats)
    system = seed_system()
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
    print(f"fingerprint: {fingerprint(result)[:16]}")
    target, goal = 15 * args.hours, 5 * args.hours
    print(f"target: {duration:,.0f} simulated s in <= {target:g} s -> {'met' if wall <= target else 'NOT met'}; "
          f"goal {goal:g} s -> {'met' if wall <= goal else 'not met'}")


if __name__ == "__main__":
    main()
