"""System files describing the communication topology (docs/model.md C1..C6, docs/config.md)."""

from __future__ import annotations

import pytest

from kvpipe import catalog
from kvpipe.config import ConfigError, parse_system
from kvpipe.hardware.parts import BoundaryLevel, Collective

MINIMAL = {"model": "llama-3.1-70b", "kv_memory": {"tech": "hbm3e", "units_per_group": 6}}


def test_topology_keys_parse_from_unit_strings() -> None:
    data = {
        **MINIMAL,
        "chip": {"base": "spatial-n3-reticle", "mesh_cores": "4,096 cores", "mesh_hop_latency": "1 ns",
                 "op_overhead": "0.7 us"},
        "link": {"base": "spatial-mesh", "collective": "One-Shot", "card_chips": 4, "card_latency": "2 us",
                 "rack_chips": "64 chips", "rack_latency": "5 us"},
    }
    s = parse_system(data, source="mine.yaml")
    assert (s.chip.mesh_cores, s.chip.mesh_hop_latency_s, s.chip.op_overhead_s) == (4096.0, 1e-9, pytest.approx(7e-7))
    assert s.link.collective is Collective.ONE_SHOT
    assert s.link.boundaries == (BoundaryLevel("card", 4.0, 2e-6), BoundaryLevel("rack", 64.0, 5e-6))
    assert s.link.sources["card_latency_s"] == "[user] mine.yaml: link.card_latency"


def test_links_without_topology_keep_the_averaged_hop() -> None:
    link = catalog.link("spatial-mesh")
    assert link.collective is Collective.NONE and link.boundaries == ()
    assert catalog.link("groq-c2c").collective is Collective.TREE


@pytest.mark.parametrize(
    ("link", "field", "words"),
    [
        ({"base": "spatial-mesh", "collective": "butterfly"}, "link.collective", "ring"),
        ({"base": "spatial-mesh", "card_chips": -2}, "link.card_chips", "> 0"),
        ({"base": "spatial-mesh", "rack_chips": "0.5 chips"}, "link.rack_chips", "at least one chip"),
        ({"base": "spatial-mesh", "rack_latency": "fast"}, "link.rack_latency", ""),
        ({"hop_latency": "1 us", "bandwidth": "1 TB/s", "energy": "1 pJ/bit", "card_latency": "2 us"}, "link",
         "card_chips"),
        ({"base": "spatial-mesh", "rack_latency": "2 us"}, "link", "rack_chips"),
    ],
)
def test_bad_topology_keys_name_the_field(link: dict[str, object], field: str, words: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_system({**MINIMAL, "link": link})
    errors = dict(e.value.errors)
    assert field in errors and words in errors[field]


def test_matrix_operand_bandwidth_parses_and_is_optional() -> None:
    s = parse_system({**MINIMAL, "chip": {"base": "spatial-n3-reticle", "matrix_operand_bw": "18.4 TB/s"}}, source="mine.yaml")
    assert s.chip.matrix_operand_bw_bytes_per_s == pytest.approx(18.4e12)
    assert s.chip.weight_bw_bytes_per_s == pytest.approx(18.4e12)  # below the base's SRAM bandwidth
    assert s.chip.sources["matrix_operand_bw_bytes_per_s"] == "[user] mine.yaml: chip.matrix_operand_bw"
    plain = parse_system(MINIMAL)
    assert plain.chip.matrix_operand_bw_bytes_per_s == 0.0
    assert plain.chip.weight_bw_bytes_per_s == plain.chip.sram_bw_bytes_per_s
    assert catalog.chip("groq-lpu-v1").matrix_operand_bw_bytes_per_s == pytest.approx(18.4e12)


@pytest.mark.parametrize("value", ["-5 TB/s", "0 TB/s", "fast", "3 ns"])
def test_bad_matrix_operand_bandwidth_names_the_field(value: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_system({**MINIMAL, "chip": {"base": "spatial-n3-reticle", "matrix_operand_bw": value}})
    assert "chip.matrix_operand_bw" in dict(e.value.errors)
