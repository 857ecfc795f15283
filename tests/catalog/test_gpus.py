"""The GPU baselines in the catalog: every figure with a source, datasheet values checked by hand."""

from __future__ import annotations

import pytest

from kvpipe import catalog
from kvpipe.catalog import Firmness
from kvpipe.hardware import Gpu
from kvpipe.workload import Precision

FIELDS = {"hbm_bytes", "hbm_bw_bytes_per_s", "hbm_bw_fraction", "flop_fraction", "tdp_w", "idle_power_w"}


@pytest.mark.parametrize("name", ["h100-sxm", "h200", "b200", "mi300x"])
def test_every_gpu_figure_has_a_source(name: str) -> None:
    e = catalog.entry("gpu", name)
    g = e.part
    assert isinstance(g, Gpu) and g.name == name and e.description
    expected = FIELDS | {f"peak_flop_per_s.{p.value}" for p in g.peak_flop_per_s}
    silicon = {f for f in ("die_area_mm2", "hbm_footprint_mm2") if getattr(g, f) > 0}  # optional
    assert set(e.sources) == expected | silicon
    for field, src in e.sources.items():
        assert len(src.text) > 10, field
        if src.firmness is Firmness.ASSUMPTION:
            assert src.text.startswith("assumption"), field
    assert 0 < g.hbm_bw_fraction <= 1 and 0 < g.flop_fraction <= 1
    assert 0 < g.idle_power_w < g.tdp_w
    assert g.link in catalog.names("link")


def test_datasheet_figures() -> None:
    h100, h200, b200, mi = (catalog.gpu(n) for n in ("h100-sxm", "h200", "b200", "mi300x"))
    assert (h100.hbm_bytes, h100.hbm_bw_bytes_per_s, h100.tdp_w) == (80e9, 3.35e12, 700.0)
    assert (h200.hbm_bytes, h200.hbm_bw_bytes_per_s) == (141e9, 4.8e12)
    assert h100.flop_rate(Precision.BF16) == h200.flop_rate(Precision.BF16) == 989e12  # dense, not sparse
    assert h100.flop_rate(Precision.FP16) == 989e12  # fp16 shares the bf16 datapath
    assert (b200.hbm_bytes, b200.hbm_bw_bytes_per_s, b200.tdp_w) == (180e9, 8e12, 1000.0)
    assert b200.flop_rate(Precision.FP8) == 4.5e15 and b200.flop_rate(Precision.FP4) == 9e15
    assert (mi.hbm_bytes, mi.hbm_bw_bytes_per_s, mi.tdp_w) == (192e9, 5.3e12, 750.0)
    assert mi.flop_rate(Precision.FP8) == pytest.approx(2614.9e12)
    assert catalog.gpu() is h100  # the default
    assert [g.name for g in catalog.gpus()] == ["h100-sxm", "h200", "b200", "mi300x", "rubin"]


def test_validation_links_and_llama_2_70b_have_their_published_figures() -> None:
    assert catalog.link("groq-c2c").bw_bytes_per_s == 480e9
    assert catalog.link("infinity-fabric-mi300x").bw_bytes_per_s == 896e9
    # one mesh hop, one clock at 1.1 GHz: 1 / 1.1e9 = 0.909 ns (the region's traversal is C1, docs/model.md)
    assert catalog.link("cerebras-wafer-fabric").hop_latency_s == pytest.approx(0.91e-9)
    wse3 = catalog.chip("cerebras-wse3")
    assert (wse3.mesh_cores, wse3.mesh_hop_latency_s) == (900_000.0, pytest.approx(1 / 1.1e9, rel=1e-3))
    from kvpipe.workload import Precisions, kv_bytes_per_token, param_count

    m = catalog.model("llama-2-70b")
    # 80 x (2 x 8192 x 8192 + 2 x 8192 x 1024 + 3 x 8192 x 28672 + 2 x 8192) + 2 x 32000 x 8192 + 8192
    assert param_count(m) == 68_976_648_192
    assert kv_bytes_per_token(m, Precisions(Precision.BF16, Precision.BF16, Precision.BF16)) == 327_680
