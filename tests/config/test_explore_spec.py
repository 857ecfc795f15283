"""Sweep files: units, defaults, and every mistake reported at once with its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvpipe.config import ConfigError
from kvpipe.config.explore import parse_explore


def _spec(**over):
    raw = {"system": "seed", "axes": {"users": {"from": 1, "to": 100, "steps": 4, "scale": "log"},
                                       "kv_bandwidth_per_group": ["1 TB/s", "2.5 TB/s"]}}
    raw.update(over)
    return parse_explore(raw, Path("."))


def test_units_defaults_and_size() -> None:
    s = _spec()
    assert s.method == "grid" and s.seed == 0 and s.samples is None
    assert s.objectives == (("tokens_per_s_per_user", True), ("joules_per_token", False))
    users, bw = s.axes
    assert users.range is not None and users.range.log and users.steps == 4
    assert bw.values == (1e12, 2.5e12)
    assert s.n_points == 4 * 2
    lhs = _spec(method="lhs", samples=1000, axes={"hop_latency": {"from": "50 ns", "to": "1 us"}},
                objectives={"tokens_per_s": "max", "hop_latency": "max"})
    assert lhs.n_points == 1000 and lhs.axes[0].range.low == pytest.approx(50e-9)
    assert lhs.objectives == (("tokens_per_s", True), ("hop_latency", True))  # an axis may be an objective


def test_every_mistake_at_once_naming_its_field() -> None:
    with pytest.raises(ConfigError) as e:
        parse_explore({
            "system": "h200-x8", "method": "random", "bogus": 1, "seed": -1,
            "axes": {"users": [1, 2], "nope": 3, "kv_energy": {"from": "5 pJ/bit", "to": "1 pJ/bit", "steps": 3},
                     "hop_latency": {"from": "-1 ns", "to": "1 us"}},
            "objectives": {"speed": "max", "tokens_per_s": "up"},
        }, Path("."))
    fields = [f for f, _ in e.value.errors]
    assert fields == ["bogus", "samples", "seed", "axes.users", "axes.nope", "axes.kv_energy.to", "axes.kv_energy.steps",
                      "axes.hop_latency.from", "objectives.speed", "objectives.tokens_per_s", "system"]


def test_grid_rules_and_the_size_limit() -> None:
    with pytest.raises(ConfigError, match=r"axes.users.steps: a grid axis needs"):
        _spec(axes={"users": {"from": 1, "to": 9}})
    with pytest.raises(ConfigError, match="samples: a grid has the points of its axes"):
        _spec(samples=10)
    with pytest.raises(ConfigError, match="points exceed"):
        _spec(axes={"users": {"from": 1, "to": 9, "steps": 5000}, "context": {"from": 1, "to": 9, "steps": 5000}})
    with pytest.raises(ConfigError, match=r"system \(nowhere.yaml\)"):
        _spec(system="nowhere.yaml")


def test_a_value_in_a_list_is_named_by_its_index() -> None:
    with pytest.raises(ConfigError) as e:
        _spec(axes={"kv_bandwidth_per_group": ["1 TB/s", "fast"], "users": {"from": 1, "to": 9, "steps": 2, "scal": "log"}})
    assert [f for f, _ in e.value.errors] == ["axes.kv_bandwidth_per_group[1]", "axes.users.scal"]
    assert 'did you mean "scale"' in e.value.errors[1][1]
