"""Sampling, evaluation and the Pareto front of design-space sweeps (docs/explore.md, X1-X3)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvpipe.config import seed_system
from kvpipe.explore.sweep import (
    Range,
    SweepResult,
    axis_values,
    grid_points,
    lhs_points,
    pareto_front,
    random_points,
    round_whole_axes,
    sweep,
)
from kvpipe.mapping import place
from kvpipe.perf import evaluate, inputs_from_system


def test_grid_is_every_combination_first_axis_slowest() -> None:
    g = grid_points({"users": [1, 2, 3], "hop_latency": [1e-7, 2e-7]})
    assert g["users"].tolist() == [1, 1, 2, 2, 3, 3]
    assert g["hop_latency"].tolist() == [1e-7, 2e-7] * 3


def test_axis_values_linear_and_log() -> None:
    assert axis_values(Range(1.0, 5.0), 5).tolist() == [1, 2, 3, 4, 5]
    assert axis_values(Range(1.0, 1e4, log=True), 5) == pytest.approx([1, 10, 100, 1e3, 1e4])
    assert axis_values(Range(7.0, 9.0), 1).tolist() == [7.0]


def test_latin_hypercube_puts_one_point_in_each_stratum() -> None:
    n = 1000
    pts = lhs_points({"a": Range(0.0, 10.0), "b": Range(1.0, 1e6, log=True)}, n, seed=3)
    a_strata = np.floor(pts["a"] / 10.0 * n).astype(int)  # linear: [0, 10) cut into n
    b_strata = np.floor(np.log10(pts["b"]) / 6.0 * n).astype(int)  # log: 1 .. 1e6 is 0 .. 6 decades
    assert sorted(a_strata) == list(range(n)) and sorted(b_strata) == list(range(n))


def test_random_points_stay_in_range_and_repeat_with_the_seed() -> None:
    r = {"a": Range(2.0, 3.0), "b": Range(1e-9, 1e-6, log=True)}
    p, q = random_points(r, 500, seed=7), random_points(r, 500, seed=7)
    assert np.array_equal(p["a"], q["a"]) and 2 <= p["a"].min() and p["a"].max() <= 3
    assert 1e-9 <= p["b"].min() and p["b"].max() <= 1e-6


def test_whole_axes_are_rounded_and_at_least_one() -> None:
    out = round_whole_axes({"users": np.array([0.2, 1.6, 9.5]), "hop_latency": np.array([1.5e-7, 2e-7, 3e-7])})
    assert out["users"].tolist() == [1.0, 2.0, 10.0] and out["hop_latency"][0] == 1.5e-7


def test_pareto_front_by_hand() -> None:
    # (speed max, energy min): a=(10, 5), b=(8, 3), c=(8, 4) dominated by b, d=(5, 1), e=(4, 2) by d,
    # f=(10, 5) a duplicate of a (the first is kept), g=(nan, 0) never enters
    obj = np.array([[10, 5], [8, 3], [8, 4], [5, 1], [4, 2], [10, 5], [np.nan, 0]], dtype=float)
    assert pareto_front(obj, [True, False]).tolist() == [0, 1, 3]
    # three objectives: adding a third column where c is best puts c back on the front
    obj3 = np.column_stack([obj, [0, 0, 9, 0, 0, 0, 0]])
    assert sorted(pareto_front(obj3, [True, False, True]).tolist()) == [0, 1, 2, 3]
    # four: the same answer by the general path
    obj4 = np.column_stack([obj3, np.zeros(7)])
    assert sorted(pareto_front(obj4, [True, False, True, True]).tolist()) == [0, 1, 2, 3]


def _brute(cost: np.ndarray) -> set[tuple[float, ...]]:
    rows = [tuple(r) for r in cost]
    front = set()
    for i, r in enumerate(rows):
        dominated = any(all(o <= x for o, x in zip(s, r, strict=True)) and (s != r or j < i) for j, s in enumerate(rows) if j != i)
        if not dominated:
            front.add(r)
    return front


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4), st.lists(st.integers(0, 4), min_size=4, max_size=160))
def test_pareto_front_matches_brute_force(k: int, cells: list[int]) -> None:
    n = len(cells) // k
    if n == 0:
        return
    cost = np.array(cells[: n * k], dtype=float).reshape(n, k)
    got = {tuple(r) for r in cost[pareto_front(cost, [False] * k)]}
    assert got == _brute(cost)
    assert len(pareto_front(cost, [False] * k)) == len(got)  # one row per distinct front point


def test_a_swept_point_is_the_model_at_that_point() -> None:
    s = seed_system()
    placement = place(s.model, s.precisions, s.chip, s.mapping)
    base = inputs_from_system(s)
    pts = {"users": np.array([1.0, 300.0]), "kv_energy": np.array([1e-12, 4e-12]), "hop_latency": np.array([5e-8, 1e-6])}
    r = sweep(placement, base, pts, 800.0, chunk=1)  # one point per call: the chunking must not matter
    for i in range(2):
        ref = evaluate(placement, base.with_(users=pts["users"][i], kv_read_j_per_bit=pts["kv_energy"][i],
                                             kv_write_j_per_bit=pts["kv_energy"][i], hop_latency_s=pts["hop_latency"][i]))
        assert r.metrics["tokens_per_s"][i] == pytest.approx(float(ref.tokens_per_s))
        assert r.metrics["joules_per_token"][i] == pytest.approx(float(ref.joules_per_token))
        assert r.binding[i] == str(ref.binding_labels())
    assert r.metrics["chips"].tolist() == [placement.chips] * 2 and r.n_points == 2
    assert r.metrics["logic_area_mm2"][0] == placement.chips * 800.0


def test_tags_are_documented_and_examples_parse() -> None:
    import re
    from pathlib import Path

    from kvpipe.config.explore import load_explore

    root = Path(__file__).resolve().parents[2]
    code = "".join((root / "src" / "kvpipe" / "explore" / n).read_text() for n in ("sweep.py", "space.py"))
    doc = (root / "docs" / "explore.md").read_text()
    tags = set(re.findall(r"\((X\d)\)", code))
    assert tags == {"X1", "X2", "X3"} and all(f"| {t} |" in doc for t in tags)
    examples = sorted((root / "examples" / "explore").glob("*.yaml"))
    assert len(examples) == 3 and all(load_explore(p).n_points > 0 for p in examples)


def test_placement_axes_place_the_model_once_per_value() -> None:
    # usable_sram_fraction: weights fill that share of each chip's SRAM, so halving it about doubles
    # the chips (M1, M4: chips = weight bytes / (SRAM x fraction), rounded up per group)
    from pathlib import Path

    from kvpipe.config.explore import parse_explore
    from kvpipe.explore.space import explore

    spec = parse_explore({"system": "seed", "axes": {"usable_sram_fraction": [0.4, 0.8], "users": [1, 64]},
                          "objectives": {"tokens_per_s_per_user": "max", "chips": "min"}}, Path("."))
    parts = []
    ex = explore(spec, lambda start, part: parts.append(part))
    every = SweepResult.concat(parts)
    s = seed_system()
    chips = {}
    for frac in (0.4, 0.8):
        from dataclasses import replace

        p = place(s.model, s.precisions, s.chip, replace(s.mapping, usable_sram_fraction=frac))
        chips[frac] = p.chips
        at = every.axes["usable_sram_fraction"] == frac
        assert set(every.metrics["chips"][at]) == {p.chips}
        ref = evaluate(p, inputs_from_system(s).with_(users=64.0))
        (i,) = np.flatnonzero(at & (every.axes["users"] == 64))
        assert every.metrics["tokens_per_s"][i] == pytest.approx(float(ref.tokens_per_s))
    assert 1.8 < chips[0.4] / chips[0.8] < 2.2
    assert every.metrics["logic_area_mm2"].max() == chips[0.4] * s.chip.die_area_mm2
    assert ex.chips == (chips[0.8], chips[0.4]) and ex.n_points == 4


def test_a_placement_that_does_not_fit_names_the_axis(tmp_path) -> None:
    from kvpipe.catalog import system_yaml
    from kvpipe.config.explore import parse_explore
    from kvpipe.explore.space import explore
    from kvpipe.mapping import MappingError

    # the seed with at most 120 chips: 89 at 80 % of the SRAM fit, ~178 at 40 % do not
    (tmp_path / "capped.yaml").write_text(system_yaml("seed").replace("balance_compute: true", "balance_compute: true, max_chips: 120"))
    spec = parse_explore({"system": "capped.yaml", "axes": {"usable_sram_fraction": [0.8, 0.4]}}, tmp_path)
    with pytest.raises(MappingError, match=r"axes.usable_sram_fraction = 0.4"):
        explore(spec)


def test_random_points_are_one_stream_and_any_range_of_them_is_the_same() -> None:
    # axis k takes draws k*n .. (k+1)*n - 1 of default_rng(seed); a range is advanced to, not redrawn
    n, seed = 500, 11
    rng = np.random.default_rng(seed)
    u_a, u_b = rng.random(n), rng.random(n)
    ranges = {"a": Range(2.0, 4.0), "b": Range(1.0, 1e4, log=True)}
    pts = random_points(ranges, n, seed)
    assert pts["a"] == pytest.approx(2.0 + 2.0 * u_a)
    assert pts["b"] == pytest.approx(10.0 ** (4.0 * u_b))
    part = random_points(ranges, n, seed, 123, 321)
    assert all(np.array_equal(part[k], pts[k][123:321]) for k in ranges)
    g = grid_points({"x": [1, 2, 3], "y": [10, 20, 30, 40]}, 5, 9)
    assert g["x"].tolist() == [2, 2, 2, 3] and g["y"].tolist() == [20, 30, 40, 10]


@pytest.mark.parametrize("method", ["grid", "random", "lhs"])
def test_explore_in_chunks_gives_the_front_of_all_points(method: str) -> None:
    from pathlib import Path

    from kvpipe.config.explore import parse_explore
    from kvpipe.explore.space import explore

    axes = ({"users": {"from": 1, "to": 5000, "scale": "log", "steps": 40},
             "kv_bandwidth_per_group": {"from": "1 TB/s", "to": "50 TB/s", "scale": "log", "steps": 30},
             "kv_energy": ["1 pJ/bit", "4 pJ/bit"]} if method == "grid" else
            {"users": {"from": 1, "to": 5000, "scale": "log"},
             "kv_bandwidth_per_group": {"from": "1 TB/s", "to": "50 TB/s", "scale": "log"},
             "kv_energy": {"from": "1 pJ/bit", "to": "4 pJ/bit"}})
    raw = {"system": "seed", "method": method, "axes": axes,
           "objectives": {"tokens_per_s_per_user": "max", "joules_per_token": "min", "kv_energy": "max"}}
    if method != "grid":
        raw |= {"samples": 2400, "seed": 5}
    spec = parse_explore(raw, Path("."))
    parts: list[SweepResult] = []
    starts: list[int] = []
    small = explore(spec, lambda start, part: (starts.append(start), parts.append(part)), chunk=700)
    whole = explore(spec, chunk=10**6)
    every = SweepResult.concat(parts)
    assert starts == [0, 700, 1400, 2100] and every.n_points == spec.n_points == 2400
    # the front of all points at once (X3), found here independently of the chunking
    obj = np.column_stack([every.column(n) for n in ("tokens_per_s_per_user", "joules_per_token", "kv_energy")])
    direct = pareto_front(obj, [True, False, True])
    assert 2 <= direct.size < 2400
    for ex in (small, whole):
        assert ex.front_index.tolist() == direct.tolist()
        assert ex.front.binding.tolist() == every.binding[direct].tolist()
        assert np.array_equal(ex.front.column("joules_per_token"), every.column("joules_per_token")[direct])
