"""Helpers shared by the memory tests: a tiny hand-checkable device."""

from __future__ import annotations

import copy
from typing import Any

import pytest

TINY: dict[str, Any] = {
    # One channel, one bank; tCK = 1 ns so every timing below is also a cycle count.
    # A burst is 8 bits x BL4 = 4 B and takes BL / rate = 4 / 1 Gb/s = 4 cycles.
    "name": "tiny",
    "organization": {"channels": 1, "bank_groups": 1, "banks_per_group": 1,
                     "rows_per_bank": 1024, "row_bytes": 32, "io_width_bits": 8,
                     "burst_length": 4, "data_rate": "1 Gb/s"},
    "timing": {"tCK": "1 ns", "tRCD": "10 nCK", "tRP": "10 nCK", "tRAS": "20 nCK",
               "tRC": "30 nCK", "tCCD_S": "4 nCK", "tCCD_L": "4 nCK", "tRRD_S": "2 nCK",
               "tRRD_L": "2 nCK", "tFAW": "40 nCK", "tWTR": "4 nCK", "tRTW": "8 nCK",
               "tCL": "5 nCK", "tCWL": "3 nCK", "tRTP": "2 nCK", "tWR": "5 nCK",
               "tRFC": "40 nCK", "tREFI": "100 nCK", "refresh": "none"},
    "energy": {"act_pre": "1 nJ", "read_core": "1 pJ/bit", "io": "1 pJ/bit",
               "background": "0 W", "refresh": "0 W"},
    "attachment": {"type": "2.5d", "footprint_along_edge": "10 mm", "footprint_depth": "10 mm",
                   "shoreline": "5 mm"},
}


def tiny(**sections: dict[str, Any]) -> dict[str, Any]:
    """TINY with some fields of its sections replaced: ``tiny(timing={"tRCD": "5 nCK"})``."""
    d = copy.deepcopy(TINY)
    for section, values in sections.items():
        d[section].update(values)
    return d


@pytest.fixture
def tiny_dict() -> dict[str, Any]:
    return copy.deepcopy(TINY)
