"""Effective MemoryTech for the perf model, and the purity of the core package."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import kvpipe.memory
from kvpipe import catalog
from kvpipe.memory import analytic, kv_pattern, to_memory_tech


def test_to_memory_tech_effective_figures() -> None:
    p = kv_pattern(8192, 4096, 1)
    for name in catalog.device_names():
        d = catalog.device(name)
        t = to_memory_tech(d, p)
        f = analytic(d, p)
        assert t.bw_bytes_per_s == pytest.approx(float(f.effective_bw_bytes_per_s))
        assert t.capacity_bytes == d.capacity_bytes
        # dynamic energy per bit + standby power / bandwidth = the model's total pJ/bit
        total = t.read_j_per_bit + t.background_w / (8 * t.bw_bytes_per_s)
        assert total == pytest.approx(float(f.total_j_per_bit), rel=1e-3)
        assert t.attach == d.attachment.kind


def test_to_memory_tech_models() -> None:
    d, p = catalog.device("HBM3E"), kv_pattern(4096, 4096, 1)
    scalar = to_memory_tech(d, p, model="scalar")
    cycle = to_memory_tech(d, p, model="cycle", n_requests=40_000)
    assert scalar.bw_bytes_per_s == d.peak_bw_bytes_per_s
    assert cycle.bw_bytes_per_s == pytest.approx(to_memory_tech(d, p).bw_bytes_per_s, rel=0.1)
    with pytest.raises(ValueError):
        to_memory_tech(d, p, model="guess")


def test_core_does_no_io_and_no_printing() -> None:
    root = Path(kvpipe.memory.__file__).parent
    banned = re.compile(r"\b(print|open|input)\(|\bimportlib\.resources|\bPath\(")
    for f in root.glob("*.py"):
        assert not banned.search(f.read_text()), f.name
