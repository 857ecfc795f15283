"""kvpipe's DRAM models against other DRAM simulators' figures (``validation/dram-peers.csv``).

For each row: the peer's bandwidth, row-hit rate and pJ/bit, and kvpipe's closed form and
cycle model (1,000,000 requests, as the peer runs) on the same device and pattern, with the
differences and the targets (cycle <= 10 % and <= 0.05 hit rate, closed form <= 15 %,
pJ/bit <= 10 %).

``--multi-user`` prints instead the FG-3D and HBM3 multi-user table of docs/memory.md §6
(cycle model: mean of 2 seeds of 200,000 requests); ``--controller`` the controller table of
docs/memory.md §5 (HBM2 and HBM3, a few interleaved users, cycle model, 200,000 requests);
``--agreement`` the closed form against the cycle model over 234 cases (9 devices, contexts 16
and 1024, queue depths 16/32/64, 1-32 users; 40,000 requests each), docs/memory.md §4.

Run: ``.venv/bin/python benchmarks/dram_peers.py [--requests N] [--multi-user | --controller | --agreement]``
"""

from __future__ import annotations

import argparse
import statistics

from kvpipe import catalog
from kvpipe.memory import Controller, analytic, kv_pattern, simulate_kv
from kvpipe.validation.dram_peers import compare_peers


def peers(n_requests: int) -> None:
    print("| device | pattern | peer GB/s | cycle | closed | peer hits | cycle hits "
          "| peer pJ/bit | cycle pJ/bit | closed pJ/bit | targets |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    errs = []
    for c in compare_peers(n_requests=n_requests):
        r = c.row
        ok = (abs(c.bw_error(c.cycle)) <= 0.10 and abs(c.bw_error(c.closed)) <= 0.15
              and abs(c.cycle.row_hit_rate - r.peer_row_hit_rate) <= 0.05
              and abs(c.energy_error(c.cycle)) <= 0.10 and abs(c.energy_error(c.closed)) <= 0.10)
        errs.append(abs(c.bw_error(c.cycle)))
        print(f"| {r.device} | {r.pattern} | {r.peer_bw_bytes_per_s / 1e9:.1f} "
              f"| {c.cycle.bw_bytes_per_s / 1e9:.1f} ({c.bw_error(c.cycle):+.1%}) "
              f"| {c.closed.bw_bytes_per_s / 1e9:.1f} ({c.bw_error(c.closed):+.1%}) "
              f"| {r.peer_row_hit_rate:.3f} | {c.cycle.row_hit_rate:.3f} "
              f"| {r.peer_j_per_bit * 1e12:.2f} | {c.cycle.j_per_bit * 1e12:.2f} "
              f"| {c.closed.j_per_bit * 1e12:.2f} | {'met' if ok else 'MISSED'} |")
    print(f"median |cycle bandwidth difference|: {statistics.median(errs):.1%}")


def multi_user() -> None:
    print("| device | context | users | cycle GB/s | row hits | closed form GB/s | row hits |")
    print("|---|---|---|---|---|---|---|")
    for name in ("FG-3D", "HBM3"):
        d = catalog.device(name)
        for ctx in (16, 1024, 8192):
            for users in (1, 8, 32):
                p = kv_pattern(ctx, 4096, users)
                f = analytic(d, p)
                runs = [simulate_kv(d, p, n_requests=200_000, seed=s) for s in range(2)]
                bw = statistics.mean(r.effective_bw_bytes_per_s for r in runs)
                hit = statistics.mean(r.row_hit_rate for r in runs)
                print(f"| {name} | {ctx} | {users} | {bw / 1e9:,.0f} | {hit:.2f} "
                      f"| {float(f.effective_bw_bytes_per_s) / 1e9:,.0f} | {float(f.row_hit_rate):.2f} |")


CONTROLLERS = (
    ("shared, Q 16", Controller(16)), ("shared, Q 32 (default)", Controller(32)),
    ("shared, Q 64", Controller(64)), ("shared, Q 128", Controller(128)),
    ("per bank, 4 each", Controller(4, queue_structure="per_bank")),
    ("per bank, 8 each", Controller(8, queue_structure="per_bank")),
    ("shared, Q 32, closed page", Controller(32, row_policy="closed")),
    ("shared, Q 32, <= 4 hits per opening", Controller(32, max_row_hits=4)),
)


def controllers() -> None:
    cases = [("HBM2", 1024, 4), ("HBM2", 1024, 8), ("HBM3", 1024, 8)]
    print("| controller | " + " | ".join(f"{n}, {u} users, ctx {c}" for n, c, u in cases) + " |")
    print("|---|" + "---|" * len(cases))
    for label, ctrl in CONTROLLERS:
        cells = []
        for name, ctx, users in cases:
            r = simulate_kv(catalog.device(name), kv_pattern(ctx, 4096, users), n_requests=200_000,
                            controller=ctrl)
            cells.append(f"{r.effective_bw_bytes_per_s / 1e9:,.0f} GB/s ({r.row_hit_rate:.2f})")
        print(f"| {label} | " + " | ".join(cells) + " |")


AGREEMENT_DEVICES = ("HBM3", "GDDR6", "FG-3D", "LPDDR5X", "HBM2", "DDR5", "HBM4", "GDDR7", "FGDRAM")


def agreement() -> None:
    errors, hits = [], []
    for name in AGREEMENT_DEVICES:
        d = catalog.device(name)
        for ctx in (16, 1024):
            for q in (16, 32, 64):
                for users in (1, 2, 4, 8, 16, 32):
                    if ctx == 16 and users > 1 and q != 32:
                        continue
                    p, c = kv_pattern(ctx, 4096, users), Controller(q)
                    cyc = simulate_kv(d, p, n_requests=40_000, controller=c)
                    f = analytic(d, p, c)
                    errors.append(abs(cyc.effective_bw_bytes_per_s / float(f.effective_bw_bytes_per_s) - 1))
                    hits.append(abs(cyc.row_hit_rate - float(f.row_hit_rate)))
    errors.sort()
    print(f"{len(errors)} cases: |bandwidth difference| median {statistics.median(errors):.1%}, "
          f"90th percentile {errors[int(0.9 * len(errors))]:.1%}, beyond 15 %: {sum(e > 0.15 for e in errors)}; "
          f"|row-hit difference| median {statistics.median(hits):.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=1_000_000)
    ap.add_argument("--multi-user", action="store_true")
    ap.add_argument("--controller", action="store_true")
    ap.add_argument("--agreement", action="store_true")
    args = ap.parse_args()
    if args.agreement:
        agreement()
    elif args.controller:
        controllers()
    elif args.multi_user:
        multi_user()
    else:
        peers(args.requests)


if __name__ == "__main__":
    main()
