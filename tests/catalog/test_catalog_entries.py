"""The shipped catalog: every entry loads, every number has a source, lookups fail clearly."""

from __future__ import annotations

import math
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from kvpipe import catalog
from kvpipe.catalog import CatalogEntry, CatalogError, Firmness, UnknownNameError
from kvpipe.catalog._files import parse_part_file
from kvpipe.hardware.packaging import max_units_per_die
from kvpipe.hardware.parts import Chip, Link, MemoryTech
from kvpipe.workload import Precision
from kvpipe.workload.model import Model, param_count

DATA = Path(__file__).resolve().parents[2] / "src" / "kvpipe" / "catalog" / "data"
PART_KINDS = {"chip": Chip, "link": Link, "memory": MemoryTech}
NUMERIC = {
    Chip: ["sram_bytes", "sram_bw_bytes_per_s", "sram_read_j_per_bit", "static_power_w", "die_area_mm2"],
    Link: ["hop_latency_s", "bw_bytes_per_s", "energy_j_per_bit"],
    MemoryTech: [
        "capacity_bytes", "bw_bytes_per_s", "read_j_per_bit", "write_j_per_bit", "background_w",
        "footprint_mm2", "shoreline_mm",
    ],
}
# optional numbers (communication topology, docs/model.md C1..C6): sourced whenever an entry gives them
OPTIONAL = {
    Chip: ["mesh_cores", "mesh_hop_latency_s", "op_overhead_s", "matrix_operand_bw_bytes_per_s"],
    Link: [f"{lv}_{x}" for lv in ("package", "card", "server", "rack") for x in ("chips", "latency_s")],
    MemoryTech: [],
}


def all_part_entries() -> list[CatalogEntry]:
    return [e for kind in PART_KINDS for e in catalog.entries(kind)]


def test_the_required_entries_exist() -> None:
    assert {"spatial-n3-reticle", "groq-lpu-v1", "cerebras-wse3"} <= set(catalog.names("chip"))
    assert {"spatial-mesh", "nvlink4", "nvlink5"} <= set(catalog.names("link"))
    assert {
        "hbm2e", "hbm3", "hbm3e", "hbm4", "hbm4e", "lpddr5x", "lpddr6", "gddr6", "gddr7", "ddr5-rdimm",
        "fgdram", "hybrid-bonded-3d-dram", "ideal",
    } <= set(catalog.names("memory"))
    assert "seed" in catalog.names("system")
    assert catalog.default_name("chip") == "spatial-n3-reticle"
    assert catalog.default_name("link") == "spatial-mesh"


@pytest.mark.parametrize("entry", all_part_entries(), ids=lambda e: f"{e.kind}:{e.name}")
def test_every_numeric_field_has_a_source(entry: CatalogEntry) -> None:
    part = entry.part
    assert isinstance(part, PART_KINDS[entry.kind]) and part.name == entry.name
    expected = set(NUMERIC[type(part)]) | {k for k in OPTIONAL[type(part)] if getattr(part, k) != 0.0}
    if isinstance(part, Chip):
        expected |= {f"peak_flop_per_s.{p.value}" for p in part.peak_flop_per_s}
        expected |= {f"energy_j_per_flop.{p.value}" for p in part.energy_j_per_flop}
    assert set(entry.sources) == expected
    for name, source in entry.sources.items():
        assert len(source.text) > 10, name
        assert isinstance(source.firmness, Firmness)
        if source.firmness is Firmness.ASSUMPTION:
            assert source.text.startswith(("assumption", "not a real part", "not applicable")), name
        # the part carries the same, for reports that only see the part
        assert part.sources[name] == f"[{source.firmness.value}] {source.text}"
    assert entry.description


@pytest.mark.parametrize("entry", all_part_entries(), ids=lambda e: f"{e.kind}:{e.name}")
def test_numbers_are_finite_and_physical(entry: CatalogEntry) -> None:
    part = entry.part
    for f in fields(part):
        value = getattr(part, f.name)
        if isinstance(value, float):
            assert math.isfinite(value) and value >= 0, f.name
    if isinstance(part, MemoryTech):
        assert part.capacity_bytes > 0 and part.bw_bytes_per_s > 0
        assert part.attach in ("2.5d", "3d")
        assert part.footprint_mm2 > 0  # packaging divides by it
        if part.attach == "2.5d":
            assert part.shoreline_mm > 0


def test_every_catalog_number_is_written_with_value_source_and_firmness() -> None:
    for name in ("chips.yaml", "links.yaml", "memories.yaml"):
        doc = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))
        for entry_name, entry in doc["entries"].items():
            for key, item in entry.items():
                if key in ("description", "unit", "attach", "collective", "device"):
                    assert isinstance(item, str), (name, entry_name, key)
                    continue
                subs = item.values() if key in ("peak_flops", "energy_per_flop") else [item]
                for sub in subs:
                    assert {"value", "source", "firmness"} <= set(sub) <= {"value", "source", "firmness", "range"}, (
                        name, entry_name, key,
                    )
                    assert isinstance(sub["value"], str)  # a unit string, never a bare number
                    if "range" in sub:  # a plausible range: unit strings and the reason for them
                        r = sub["range"]
                        assert set(r) == {"low", "high", "source"} and isinstance(r["low"], str), (name, entry_name, key)
                    assert sub["firmness"] in ("V", "D", "U", "A")


# --- hand-checked figures ------------------------------------------------------------------


def test_spatial_chip_figures() -> None:
    c = catalog.chip("spatial-n3-reticle")
    assert c.sram_bytes == 1e9 and c.sram_bw_bytes_per_s == 1e15
    assert c.sram_read_j_per_bit == 2e-14  # 20 fJ/bit
    assert c.flop_rate(Precision.BF16) == 1e15 and c.flop_rate(Precision.FP8) == 2e15 and c.flop_rate(Precision.FP4) == 4e15
    assert c.flop_energy(Precision.BF16) == pytest.approx(2e-13) and c.flop_energy(Precision.FP4) == pytest.approx(5e-14)
    assert c.static_power_w == 60.0 and c.die_area_mm2 == 800.0
    assert catalog.chip() is c
    assert catalog.entry("chip", "spatial-n3-reticle").part is c


def test_groq_and_cerebras_figures() -> None:
    g = catalog.chip("groq-lpu-v1")
    assert (g.sram_bytes, g.sram_bw_bytes_per_s, g.die_area_mm2) == (230e6, 80e12, 725.0)
    assert g.flop_rate(Precision.BF16) == 188e12  # fp16 datapath serves bf16
    assert g.flop_rate(Precision.FP8) == 750e12  # int8 datapath serves fp8
    w = catalog.entry("chip", "cerebras-wse3")
    assert (w.part.sram_bytes, w.part.sram_bw_bytes_per_s, w.part.die_area_mm2) == (44e9, 21e15, 46225.0)
    # the vendor's 125 PFLOP/s is sparse; the catalog holds a dense estimate and says so
    assert w.part.flop_rate(Precision.BF16) < 125e15
    assert "sparse" in w.sources["peak_flop_per_s.bf16"].text


def test_memory_figures_and_bandwidth_per_capacity() -> None:
    h = catalog.memory("hbm3e")
    assert (h.capacity_bytes, h.bw_bytes_per_s, h.read_j_per_bit) == (36e9, 1.2e12, 3.9e-12)
    assert h.bw_to_capacity_per_s == pytest.approx(1.2e12 / 36e9)  # ~33 /s: HBM is capacity-rich
    assert catalog.memory("hbm4").bw_bytes_per_s == 2e12
    assert catalog.memory("hbm4").read_j_per_bit == pytest.approx(2.3e-12)
    assert catalog.entry("memory", "hbm3e").sources["read_j_per_bit"].firmness is Firmness.UNCERTAIN
    assert catalog.memory() is h  # the default KV memory
    ideal = catalog.entry("memory", "ideal")
    assert ideal.part.read_j_per_bit == 0 and ideal.part.background_w == 0
    assert set(ideal.firmness.values()) == {Firmness.ASSUMPTION}
    assert "NOT A REAL PART" in ideal.description


def test_six_hbm_stacks_fit_a_reticle_size_die() -> None:
    # the reference: about 3 stacks per long edge, 6 with two edges
    assert max_units_per_die(catalog.memory("hbm3e"), 26 * 33) == 6


def test_links_are_per_chip_and_nvlink_is_published() -> None:
    assert catalog.link("nvlink4").bw_bytes_per_s == 900e9
    assert catalog.link("nvlink5").bw_bytes_per_s == 1.8e12
    assert catalog.entry("link", "nvlink5").sources["bw_bytes_per_s"].firmness is Firmness.VENDOR
    mesh = catalog.link()
    assert (mesh.hop_latency_s, mesh.bw_bytes_per_s, mesh.energy_j_per_bit) == (2e-7, 2e12, 5e-13)


# --- models ------------------------------------------------------------------------------


def test_models_load_via_the_catalog() -> None:
    m = catalog.model("llama-3.1-70b")
    assert isinstance(m, Model) and m.name == "llama-3.1-70b"
    e = catalog.entry("model", "llama-3.1-70b")
    assert e.part is m and "80 layers" in e.description
    assert 70e9 < param_count(e.part) < 71e9
    assert e.sources["config"].text.startswith("huggingface.co/")
    assert e.sources["config"].firmness is Firmness.VENDOR
    assert len(catalog.entries("model")) == len(catalog.names("model"))


def test_part_lists_follow_the_names() -> None:
    assert [m.name for m in catalog.memories()] == catalog.names("memory")
    assert [c.name for c in catalog.chips()] == catalog.names("chip")
    assert [link.name for link in catalog.links()] == catalog.names("link")


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lookup, kind",
    [(catalog.chip, "chip"), (catalog.link, "link"), (catalog.memory, "memory"), (catalog.model, "model")],
)
def test_unknown_names_list_the_known_ones(lookup, kind: str) -> None:
    with pytest.raises(UnknownNameError) as e:
        lookup("no-such-thing")
    text = str(e.value)
    assert text.startswith(f'unknown {kind} "no-such-thing"; known: ')
    assert catalog.names(kind)[0] in text
    assert isinstance(e.value, KeyError)


def test_unknown_kind_and_system() -> None:
    with pytest.raises(ValueError, match="unknown catalog kind"):
        catalog.names("tpu")
    with pytest.raises(UnknownNameError, match='unknown chip "x"'):
        catalog.entry("chips", "x")
    with pytest.raises(UnknownNameError, match='unknown system "nope"; known: .*seed'):
        catalog.system_yaml("nope")
    assert catalog.names("memories") == catalog.names("memory")


def test_malformed_catalog_data_reports_every_problem() -> None:
    doc = {
        "default": "a",
        "entries": {
            "a": {
                "hop_latency": {"value": "fast", "source": "x", "firmness": "V"},
                "bandwidth": "2 TB/s",  # no source
                "energy": {"value": "1 pJ/bit", "source": "y", "firmness": "Q"},
                "colour": "red",
            }
        },
    }
    with pytest.raises(CatalogError) as e:
        parse_part_file("link", doc, "links.yaml")
    paths = [p for p, _ in e.value.errors]
    assert "links.yaml: a.bandwidth" in paths
    assert "links.yaml: a.energy.firmness" in paths
    assert "links.yaml: a.colour" in paths
    assert "links.yaml: a.hop_latency" in paths


def test_entries_are_immutable() -> None:
    e = catalog.entry("chip")
    with pytest.raises(TypeError):
        e.part.peak_flop_per_s[Precision.BF16] = 0.0  # type: ignore[index]
    with pytest.raises(TypeError):
        e.sources["sram_bytes"] = None  # type: ignore[index]


@pytest.mark.parametrize("first", ["kvpipe.catalog", "kvpipe.config", "kvpipe.config.loader", "kvpipe.catalog._files"])
def test_import_order_does_not_matter(first: str) -> None:
    # catalog builds parts with the config schema and the config loader looks names up in the
    # catalog: either package may be imported first
    import subprocess
    import sys

    code = f"import {first}; from kvpipe.config import seed_system; print(seed_system().name)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "seed"


def test_uncertain_figures_carry_a_range_around_their_value() -> None:
    """Every U/A figure of the seed's chip and link has a stated range; bounds hold the value."""
    for kind, name in (("chip", "spatial-n3-reticle"), ("link", "spatial-mesh")):
        entry = catalog.entry(kind, name)
        for key, src in entry.sources.items():
            if src.firmness.value in "UA" and not key.endswith(".fp4"):
                assert src.range is not None, (name, key)
    hop = catalog.entry("link", "spatial-mesh").sources["hop_latency_s"].range
    assert (hop.low, hop.high) == (100e-9, 500e-9)  # "100 ns", "500 ns" in links.yaml
    assert "SerDes" in hop.source


def test_a_range_that_misses_its_value_is_a_catalog_error() -> None:
    doc = {
        "default": "l",
        "entries": {
            "l": {
                "hop_latency": {"value": "200 ns", "source": "s", "firmness": "A",
                                "range": {"low": "300 ns", "high": "1 us", "source": "why"}},
                "bandwidth": {"value": "1 TB/s", "source": "s", "firmness": "A",
                              "range": {"low": "-1 TB/s", "high": "2 TB/s", "source": "why"}},
                "energy": {"value": "1 pJ/bit", "source": "s", "firmness": "A"},
            }
        },
    }
    with pytest.raises(CatalogError) as e:
        parse_part_file("link", doc, "links.yaml")
    paths = [p for p, _ in e.value.errors]
    assert "links.yaml: l.hop_latency.range" in paths
    assert any(p.startswith("links.yaml: l.bandwidth.range.low") for p in paths)


def test_every_memory_device_exists_and_describes_the_same_part() -> None:
    # a memory's device description must be in the catalog, with the product's peak bandwidth
    # (within 5 %: HBM3E 1.2 TB/s vs 1024 x 9.6 Gb/s = 1.23 TB/s, HBM4 2.0 vs 2.05 TB/s)
    named = [m for m in catalog.memories() if m.device]
    assert len(named) >= 9
    for m in named:
        d = catalog.device(m.device)
        assert d.peak_bw_bytes_per_s == pytest.approx(m.bw_bytes_per_s, rel=0.05), m.name
        assert d.attachment.kind == m.attach, m.name
