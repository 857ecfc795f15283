"""The seed study's sensitivity and Monte Carlo (kvpipe/explore/uncertainty.py), timed on one core.

    .venv/bin/python benchmarks/uncertainty_speed.py [--samples N] [--repeats R]

Tornado plus N Monte Carlo samples (default 4,000, the study's) at 8 contexts, for the seed
system alone and for the whole verdict map (4 models); then the same Monte Carlo one sample at a
time through the headline's scan over users, on a few samples, for the speed-up of the vectorized
bisection. Prints medians over the repeats with the fastest and slowest run.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import replace  # noqa: E402

from kvpipe import catalog  # noqa: E402
from kvpipe.catalog.ranges import stated_ranges  # noqa: E402
from kvpipe.config import seed_system  # noqa: E402
from kvpipe.explore.seed import headline  # noqa: E402
from kvpipe.explore.uncertainty import VERDICT_MODELS, sample_box, study_uncertainty, verdict_map  # noqa: E402
from kvpipe.mapping import place  # noqa: E402


def _median(xs: list[float], unit: str) -> str:
    return f"median {statistics.median(xs):.3g} {unit}  (min {min(xs):.3g}, max {max(xs):.3g})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=4000)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()

    s = seed_system()
    techs = [t for t in catalog.memories() if t.name != "ideal"]
    stated = stated_ranges(s)
    placement = place(s.model, s.precisions, s.chip, s.mapping)
    models = [catalog.model(m) for m in VERDICT_MODELS]
    one, four = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        u = study_uncertainty(s, placement, techs, stated, samples=args.samples)
        t1 = time.perf_counter()
        verdict_map(s, techs, stated, models, samples=args.samples)
        t2 = time.perf_counter()
        one.append(t1 - t0)
        four.append(t2 - t1)
    points = args.samples * len(u.contexts)
    print(f"{len(u.inputs)} inputs, {args.samples:,} samples x {len(u.contexts)} contexts = {points:,} design points")
    print(f"seed system, tornado + Monte Carlo:   {_median(one, 's')}")
    print(f"verdict map, {len(models)} models:           {_median(four, 's')}")

    few = 5  # the headline's way: one full scan over 100,000 user counts per sample, one context
    box = sample_box(u.inputs, few, 0)
    t0 = time.perf_counter()
    for k in range(few):
        chip, link = s.chip, s.link
        for inp in u.inputs:
            kind, _, key = inp.key.partition(".")
            if kind == "link" and "." not in key:
                link = replace(link, **{key: float(box[inp.key][k])})
            elif kind == "chip" and "." not in key:
                chip = replace(chip, **{key: float(box[inp.key][k])})
        headline(replace(s, chip=chip, link=link), placement, techs)
    per_sample_scan = (time.perf_counter() - t0) / few
    per_point_vectorized = statistics.median(one) / points
    print(f"per design point: scan {per_sample_scan * 1e3:.3g} ms, vectorized bisection {per_point_vectorized * 1e6:.3g} us "
          f"(ratio {per_sample_scan / per_point_vectorized:,.0f})")


if __name__ == "__main__":
    main()
