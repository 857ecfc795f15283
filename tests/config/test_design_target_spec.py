"""Design-target files: values in SI, defaults, and every mistake at once with its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from kvpipe.config import ConfigError
from kvpipe.config.design_target import parse_design_target
from kvpipe.explore.budgets import STACK_THERMAL_LIMIT_W_PER_MM2
from kvpipe.explore.device_design import DesignSpace


def test_values_reach_the_spec_in_si_units() -> None:
    t = parse_design_target({
        "requirements": {"bw_per_reticle_die": "40 TB/s", "pj_per_bit": "1 pJ/bit", "capacity_per_reticle_die": "8 GB"},
        "budget": {"logic_power_density": "0.36 W/mm2"},
        "space": {"bond_pitch": ["9 um", "3 um"], "data_rate": ["2 Gb/s"], "row_bytes": ["1 KiB"]},
    }, Path("."))
    assert t.system is None and t.reference == "HBM3E" and t.users is None and not t.users_at_operating_point
    # 40 TB/s = 4e13 B/s; 1 pJ/bit = 1e-12 J/bit; 8 GB = 8e9 B (decimal prefix)
    assert (t.bw_per_die_bytes_per_s, t.max_j_per_bit, t.capacity_per_die_bytes) == pytest.approx((4e13, 1e-12, 8e9))
    assert t.logic_w_per_mm2 == pytest.approx(0.36) and t.thermal_limit_w_per_mm2 == STACK_THERMAL_LIMIT_W_PER_MM2
    assert t.space.bond_pitch_m == pytest.approx((3e-6, 9e-6))  # sorted, um -> m
    assert t.space.data_rate_bits_per_s == (2e9,)  # "2 Gb/s" is 2e9 bits/s per pin
    assert t.space.row_bytes == (1024,)  # 1 KiB = 32 bursts of 32 B
    assert t.space.channels_per_layer == DesignSpace().channels_per_layer  # an axis left out keeps its default


def test_every_mistake_at_once_in_document_order() -> None:
    with pytest.raises(ConfigError) as e:
        parse_design_target({"users": 4, "what": 1, "budget": {"thermal_limit": "hot"},
                             "space": {"io_width_bits": [16, 24], "nope": [1], "stack_height": []}}, Path("."))
    assert [f for f, _ in e.value.errors] == [
        "what", "users", "requirements.bw_per_reticle_die", "requirements.pj_per_bit",
        "requirements.capacity_per_reticle_die", "budget.thermal_limit", "budget.logic_power_density",
        "space.io_width_bits[1]", "space.nope", "space.stack_height"]
    messages = dict(e.value.errors)
    assert messages["users"] == "needs a system to apply to"
    assert messages["space.io_width_bits[1]"].startswith("must divide the 256-bit (32 B) burst")
