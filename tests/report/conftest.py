"""Fixtures for the report tests: a seed study built by hand on two tiny models.

A 4-layer Llama-like dense model and a 4-layer Mixtral-like MoE keep every evaluation fast;
the parts are made up (with ``sources`` on some fields, none on others) so that the report
is tested independently of the catalog.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kvpipe.explore.seed_study import SeedStudy, run_seed_study
from kvpipe.hardware import Chip, Link, MemoryTech
from kvpipe.report import writer
from kvpipe.report.figures import FIGURE_NAMES, figure_key, figure_suffixes
from kvpipe.report.writer import SeedReportFiles, write_seed_report
from kvpipe.system import KVMemory, MappingOptions, System, Workload
from kvpipe.workload import Precision, Precisions, build_model, parse_arch

P = Precision

TINY_LLAMA = {
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 1024,
    "intermediate_size": 3584,
    "num_hidden_layers": 4,
    "num_attention_heads": 16,
    "num_key_value_heads": 4,
    "vocab_size": 32000,
    "tie_word_embeddings": False,
}
TINY_MOE = {
    "architectures": ["MixtralForCausalLM"],
    "hidden_size": 1024,
    "intermediate_size": 1792,
    "num_hidden_layers": 4,
    "num_attention_heads": 16,
    "num_key_value_heads": 4,
    "vocab_size": 32000,
    "num_local_experts": 8,
    "num_experts_per_tok": 2,
    "tie_word_embeddings": False,
}

CHIP = Chip(
    name="test-chip",
    sram_bytes=50e6,
    sram_bw_bytes_per_s=1e15,
    sram_read_j_per_bit=20e-15,
    peak_flop_per_s={P.BF16: 1e15, P.FP8: 2e15},
    energy_j_per_flop={P.BF16: 0.2e-12, P.FP8: 0.1e-12},
    static_power_w=60.0,
    die_area_mm2=800.0,
    sources={"sram_bytes": "assumption: test SRAM chip", "static_power_w": "assumption: test static power"},
)
LINK = Link("test-link", 200e-9, 2e12, 0.5e-12, sources={"all": "assumption: test link"})
HBM3E = MemoryTech(
    "hbm3e", "stack", 36e9, 1.2e12, 3.9e-12, 3.9e-12, 0.5, 121.0, "2.5d", 8.5,
    sources={"bw_bytes_per_s": "test datasheet: 1.2 TB/s per stack"},
)
LPDDR5X = MemoryTech("lpddr5x", "package", 16e9, 68e9, 4.5e-12, 4.5e-12, 0.1, 150.0, "2.5d", 6.0)
DRAM3D = MemoryTech("3d-dram", "die", 4e9, 4e12, 0.8e-12, 0.8e-12, 0.1, 100.0, "3d")
TECHS = (HBM3E, LPDDR5X, DRAM3D)


def tiny_system(cfg: dict, name: str, tech: MemoryTech = HBM3E, units: float = 2.0) -> System:
    return System(
        name=f"sys-{name}",
        model=build_model(parse_arch(cfg, name=name)),
        chip=CHIP,
        link=LINK,
        kv_memory=KVMemory(tech, units),
        precisions=Precisions(P.FP8, P.BF16, P.BF16),
        mapping=MappingOptions(),
        workload=Workload(users=1, context_tokens=8192, micro_batch=1),
    )


def make_seed() -> SeedStudy:
    return run_seed_study([tiny_system(TINY_LLAMA, "tiny-llama"), tiny_system(TINY_MOE, "tiny-moe")], TECHS)


@pytest.fixture(scope="session")
def seed() -> SeedStudy:
    return make_seed()


@pytest.fixture(scope="session")
def written(seed: SeedStudy, tmp_path_factory: pytest.TempPathFactory) -> SeedReportFiles:
    """The full report (real figures) written once for all tests that only read it."""
    out: Path = tmp_path_factory.mktemp("report") / "seed"
    return write_seed_report(seed, out)


def _fake_pngs(seed: SeedStudy, dpi: int = 100, on_figure: object = None) -> dict[str, bytes]:
    return {figure_key(n, s): b"\x89PNG fake " + n.encode() for s in figure_suffixes(seed) for n in FIGURE_NAMES}


@pytest.fixture
def fake_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reports written in the test carry placeholder PNG bytes (``b"\\x89PNG fake <figure name>"``)
    instead of drawn figures: fast, for tests of the rest of the report. The figures themselves
    are drawn for ``written`` and checked in test_report_figures.py and test_plots.py."""
    monkeypatch.setattr(writer, "seed_figure_pngs", _fake_pngs)
