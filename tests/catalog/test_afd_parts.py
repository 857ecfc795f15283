"""Catalog parts of the GTC 2026 presets: Rubin, LP30 and their links (docs/afd.md)."""

import pytest

from kvpipe import catalog
from kvpipe.catalog.entry import Firmness
from kvpipe.workload import Precision


def test_lp30_figures_as_announced() -> None:
    lp30 = catalog.entry("chip", "lp30")
    chip = lp30.part
    assert (chip.sram_bytes, chip.sram_bw_bytes_per_s) == (500e6, 150e12)
    assert chip.flop_rate(Precision.FP8) == 1.2e15
    assert lp30.sources["sram_bytes"].firmness is Firmness.VENDOR
    assert lp30.sources["static_power_w"].firmness is Firmness.ASSUMPTION  # no LP30 power published
    # a 256-LPU LPX rack: 128 GB of SRAM, 256 x 2.5 TB/s = 640 TB/s scale-up
    assert 256 * chip.sram_bytes == 128e9
    assert 256 * catalog.link("lpx-c2c").bw_bytes_per_s == pytest.approx(640e12)


def test_rubin_and_its_links() -> None:
    rubin = catalog.gpu("rubin")
    assert (rubin.hbm_bytes, rubin.hbm_bw_bytes_per_s) == (288e9, 22e12)
    assert rubin.link == "nvlink6" and catalog.link("nvlink6").bw_bytes_per_s == 3.6e12
    # 1.6 Tb/s of ConnectX-9 per GPU = 200 GB/s
    assert catalog.link("lpx-ethernet").bw_bytes_per_s == 1.6e12 / 8
    for name in ("nvlink6", "lpx-c2c", "lpx-ethernet"):
        assert set(catalog.entry("link", name).sources) == {"hop_latency_s", "bw_bytes_per_s", "energy_j_per_bit"}
