"""The user's system YAML: the seed loads, inline parts and overrides work, and every mistake
is reported at once with its field path."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from kvpipe import catalog
from kvpipe.config import ConfigError, load_system, parse_system, parse_system_yaml, seed_system, seed_system_yaml
from kvpipe.system import System
from kvpipe.workload import Precision

# Llama-3.1-70B's architecture fields (huggingface.co/meta-llama/Llama-3.1-70B/config.json)
LLAMA_70B = {
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 8192,
    "intermediate_size": 28672,
    "num_hidden_layers": 80,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
    "max_position_embeddings": 131072,
}

MINIMAL = {"model": "llama-3.1-70b", "kv_memory": {"tech": "hbm3e", "units_per_group": 6}}


def errors_of(data: object, base_dir: Path | None = None) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        parse_system(data, base_dir)  # type: ignore[arg-type]
    return dict(e.value.errors)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


# --- the seed -------------------------------------------------------------------------------


def test_seed_system_loads_with_the_documented_values() -> None:
    s = seed_system()
    assert isinstance(s, System)
    assert s.name == "seed"
    assert s.model.name == "llama-3.1-70b" and s.model.n_layers == 80
    assert (s.precisions.weights, s.precisions.kv, s.precisions.activations) == (
        Precision.FP8, Precision.BF16, Precision.BF16,
    )
    assert s.chip is catalog.chip("spatial-n3-reticle")
    assert s.link is catalog.link("spatial-mesh")
    assert s.kv_memory.tech is catalog.memory("hbm3e")
    assert s.kv_memory.units_per_group == 6
    # 6 stacks x 36 GB and 6 x 1.2 TB/s per chip group
    assert s.kv_memory.capacity_bytes_per_group == pytest.approx(216e9)
    assert s.kv_memory.bw_bytes_per_s_per_group == pytest.approx(7.2e12)
    assert (s.mapping.usable_sram_fraction, s.mapping.layers_per_group) == (0.8, 1)
    assert (s.workload.users, s.workload.context_tokens, s.workload.micro_batch) == (128, 8192, 1)


def test_seed_yaml_text_is_the_shipped_file_and_reparses() -> None:
    text = seed_system_yaml()
    assert "model: llama-3.1-70b" in text
    assert parse_system_yaml(text, default_name="seed") == seed_system()


def test_load_system_from_a_file(tmp_path: Path) -> None:
    p = write(tmp_path, "my-system.yaml", seed_system_yaml().replace("name: seed\n", ""))
    s = load_system(p)
    assert s.name == "my-system"  # the file name when the YAML gives none
    assert s.workload.users == 128


def test_defaults_chip_and_link_from_the_catalog() -> None:
    s = parse_system(MINIMAL)
    assert s.chip.name == catalog.default_name("chip") == "spatial-n3-reticle"
    assert s.link.name == catalog.default_name("link") == "spatial-mesh"
    assert s.workload.users == 1 and s.mapping.usable_sram_fraction == 0.8


# --- inline parts and overrides ----------------------------------------------------------


def test_inline_chip_from_unit_strings() -> None:
    chip = {
        "name": "my-chip",
        "sram": "1 GB", "sram_bw": "1 PB/s", "sram_read_energy": "20 fJ/bit",
        "peak_flops": {"bf16": "1 PFLOP/s", "fp8": "2 PFLOP/s"},
        "energy_per_flop": {"bf16": "0.2 pJ/FLOP", "fp8": "0.1 pJ/FLOP"},
        "static_power": "60 W", "die_area": "800 mm^2",
    }
    s = parse_system({**MINIMAL, "chip": chip}, source="t.yaml")
    c = s.chip
    assert c.name == "my-chip"
    assert c.sram_bytes == 1e9 and c.sram_bw_bytes_per_s == 1e15 and c.sram_read_j_per_bit == 2e-14
    assert c.flop_rate(Precision.FP8) == 2e15 and c.flop_energy(Precision.BF16) == 2e-13
    assert c.static_power_w == 60.0 and c.die_area_mm2 == 800.0
    assert c.sources["sram_bytes"] == "[user] t.yaml: chip.sram"
    assert c.sources["peak_flop_per_s.fp8"] == "[user] t.yaml: chip.peak_flops.fp8"


def test_base_override_keeps_the_rest_and_its_sources() -> None:
    data = {
        **MINIMAL,
        "chip": {"base": "spatial-n3-reticle", "sram_bw": "2 PB/s", "peak_flops": {"fp4": "8 PFLOP/s"}},
        "link": {"base": "nvlink5", "hop_latency": "500 ns"},
        "kv_memory": {"tech": {"base": "hbm4", "bandwidth": "2.8 TB/s"}, "units_per_group": 4},
    }
    s = parse_system(data, source="mine.yaml")
    base = catalog.chip("spatial-n3-reticle")
    assert s.chip.sram_bw_bytes_per_s == 2e15
    assert s.chip.sram_bytes == base.sram_bytes
    # per-precision tables merge key by key
    assert s.chip.peak_flop_per_s[Precision.FP4] == 8e15
    assert s.chip.peak_flop_per_s[Precision.BF16] == base.peak_flop_per_s[Precision.BF16]
    assert s.chip.name == "spatial-n3-reticle+sram_bw+peak_flops"
    assert s.chip.sources["sram_bw_bytes_per_s"] == "[user] mine.yaml: chip.sram_bw"
    assert s.chip.sources["sram_bytes"] == base.sources["sram_bytes"]
    assert s.link.hop_latency_s == 5e-7 and s.link.bw_bytes_per_s == 1.8e12
    tech = s.kv_memory.tech
    assert tech.bw_bytes_per_s == 2.8e12 and tech.capacity_bytes == 36e9 and tech.attach == "2.5d"
    assert tech.sources["bw_bytes_per_s"] == "[user] mine.yaml: kv_memory.tech.bandwidth"
    # the catalog entry itself is untouched
    assert catalog.memory("hbm4").bw_bytes_per_s == 2e12


def test_inline_memory_without_base() -> None:
    tech = {
        "name": "my-dram", "unit": "die", "capacity": "4 GiB", "bandwidth": "1 TB/s",
        "read_energy": "0.5 pJ/bit", "write_energy": "0.6 pJ/bit", "background_power": "100 mW",
        "footprint": "50 mm^2", "attach": "3d",
    }
    s = parse_system({**MINIMAL, "kv_memory": {"tech": tech, "units_per_group": 16}})
    t = s.kv_memory.tech
    assert (t.name, t.unit, t.attach, t.shoreline_mm) == ("my-dram", "die", "3d", 0.0)
    assert t.capacity_bytes == 4 * 2**30 and t.background_w == pytest.approx(0.1)


def test_model_from_a_config_json_relative_to_the_yaml(tmp_path: Path) -> None:
    write(tmp_path, "models/l70/config.json", json.dumps(LLAMA_70B))
    p = write(tmp_path, "sys/system.yaml", yaml.safe_dump({
        "model": {"config": "../models/l70/config.json", "name": "my-llama"},
        "kv_memory": {"tech": "hbm3e", "units_per_group": 6},
    }))
    s = load_system(p)
    assert s.model.name == "my-llama"
    assert s.model.n_layers == 80
    assert s.model.arch == replace(catalog.model("llama-3.1-70b").arch, name="my-llama")


def test_precisions_and_mapping_options() -> None:
    s = parse_system({
        **MINIMAL,
        "precisions": {"weights": "FP4", "kv": "fp8"},
        "mapping": {"usable_sram_fraction": "75 %", "layers_per_group": 2, "comm_stages_per_layer": 6, "max_chips": 500},
        "workload": {"users": 4, "context": 1024, "micro_batch": 8},  # micro_batch > users is fine
    })
    assert s.precisions.weights is Precision.FP4 and s.precisions.kv is Precision.FP8
    assert s.precisions.activations is Precision.BF16  # default
    assert s.mapping.usable_sram_fraction == 0.75 and s.mapping.max_chips == 500
    assert s.workload.micro_batch == 8


# --- errors ----------------------------------------------------------------------------


def test_three_mistakes_three_errors_with_field_paths(tmp_path: Path) -> None:
    p = write(tmp_path, "bad.yaml", """\
model: llama-3.1-70b
chip: {base: spatial-n3-reticle, sram_bw: fast}
link: spatial-mash
kv_memory: {tech: hbm3e, units_per_group: 6}
workload: {users: 0}
""")
    with pytest.raises(ConfigError) as e:
        load_system(p)
    errors = dict(e.value.errors)
    assert len(e.value.errors) == 3
    assert errors["chip.sram_bw"] == 'expected a bandwidth such as "3.35 TB/s" or "900 GB/s", got "fast"'
    assert errors["link"].startswith('unknown link "spatial-mash"; known: spatial-mesh, nvlink4, nvlink5')
    assert errors["workload.users"] == "must be >= 1, got 0"
    text = str(e.value)
    assert text.startswith(f"3 errors in {p}:")
    assert "  chip.sram_bw: expected a bandwidth" in text


def test_unknown_keys_suggest_the_right_one() -> None:
    errors = errors_of({
        **MINIMAL, "modle": 1,
        "kv_memory": {"tech": {"base": "hbm3e", "bandwith": "1 TB/s"}, "units_per_group": 6},
        "workload": {"user": 3},
    })
    assert errors["modle"].startswith('unknown key (did you mean "model"?)')
    assert errors["kv_memory.tech.bandwith"].startswith('unknown key (did you mean "bandwidth"?)')
    assert "expected one of: users, context, micro_batch" in errors["workload.user"]


def test_unknown_catalog_names_list_the_known_ones() -> None:
    errors = errors_of({
        "model": "llama-9", "chip": {"base": "nope", "sram": "2 GB"},
        "kv_memory": {"tech": "hbm9", "units_per_group": 1},
    })
    assert errors["model"].startswith('unknown model "llama-9"; known: llama-3.1-8b, llama-3.1-70b')
    assert errors["chip.base"].startswith('unknown chip "nope"; known: spatial-n3-reticle')
    assert "hbm3e" in errors["kv_memory.tech"] and errors["kv_memory.tech"].startswith('unknown memory "hbm9"')


@pytest.mark.parametrize(
    "path, value, fragment",
    [
        ("kv_memory.tech.bandwidth", "0 TB/s", "must be greater than zero"),
        ("kv_memory.tech.capacity", "-36 GB", "must not be negative"),
        ("kv_memory.tech.read_energy", "3.9 pJ", "expected an energy per bit"),
        ("kv_memory.tech.attach", "4d", 'expected "2.5d"'),
        ("kv_memory.units_per_group", 0, "> 0"),
        ("chip.sram", "0 GB", "must be greater than zero"),
        ("chip.die_area", "800 mm", "expected an area"),
        ("chip.peak_flops.bf17", "1 PFLOP/s", "expected a precision"),
        ("chip.energy_per_flop", {}, "expected at least one precision"),
        ("chip.peak_flops", "1 PFLOP/s", "expected a mapping of key: value pairs"),
        ("link.bandwidth", "-2 TB/s", "must not be negative"),
        ("link.hop_latency", "fast", 'expected a time such as "100 ns"'),
        ("mapping.usable_sram_fraction", 1.2, "must be in (0, 1]"),
        ("mapping.usable_sram_fraction", 0, "must be in (0, 1]"),
        ("mapping.layers_per_group", 1.5, "expected a whole number >= 1"),
        ("workload.context", 0, "must be >= 1"),
        ("workload.micro_batch", 0, "must be >= 1"),
        ("workload.users", "many", "expected a whole number"),
        ("precisions.kv", "fp9", "expected a precision, one of fp32"),
    ],
)
def test_each_bad_value_names_its_field(path: str, value: object, fragment: str) -> None:
    data: dict = {
        "model": "llama-3.1-70b",
        "chip": {"base": "spatial-n3-reticle"},
        "link": {"base": "spatial-mesh"},
        "kv_memory": {"tech": {"base": "hbm3e"}, "units_per_group": 6},
    }
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value
    errors = errors_of(data)
    assert list(errors) == [path]
    assert fragment in next(iter(errors.values()))


def test_inline_part_without_base_must_give_every_field() -> None:
    errors = errors_of({**MINIMAL, "link": {"bandwidth": "1 TB/s"}})
    assert list(errors) == ["link"]
    assert errors["link"].startswith("missing hop_latency, energy;")


def test_missing_required_sections() -> None:
    errors = errors_of({"chip": "spatial-n3-reticle"})
    assert set(errors) == {"model", "kv_memory"}
    assert "catalog model name" in errors["model"]


def test_wrong_shapes() -> None:
    assert errors_of([1, 2]) == {"": "expected a mapping with keys name, model, precisions, chip, link, kv_memory, mapping, workload; got a list"}
    errors = errors_of({**MINIMAL, "workload": [128]})
    assert errors["workload"] == "expected a mapping of key: value pairs, got a list"


def test_model_config_errors(tmp_path: Path) -> None:
    write(tmp_path, "broken.json", '{"hidden_size": 8192,,}')
    write(tmp_path, "invalid.json", json.dumps({**LLAMA_70B, "num_key_value_heads": 7}))
    kv = {"tech": "hbm3e", "units_per_group": 6}
    missing = errors_of({"model": {"config": "nope.json"}, "kv_memory": kv}, tmp_path)
    assert missing["model.config"].startswith(f"cannot read {tmp_path / 'nope.json'}")
    broken = errors_of({"model": {"config": "broken.json"}, "kv_memory": kv}, tmp_path)
    assert "is not valid JSON: line 1, column" in broken["model.config"]
    invalid = errors_of({"model": {"config": "invalid.json"}, "kv_memory": kv}, tmp_path)
    assert invalid["model.config"].endswith("field num_key_value_heads: 7 does not divide num_attention_heads=64")
    both = errors_of({"model": {"config": "x.json", "catalog": "llama-3.1-70b"}, "kv_memory": kv}, tmp_path)
    assert "exactly one" in both["model"]


def test_malformed_yaml_gives_the_line(tmp_path: Path) -> None:
    p = write(tmp_path, "broken.yaml", "model: llama-3.1-70b\nchip: {sram: 1 GB\nlink: x\n")
    with pytest.raises(ConfigError) as e:
        load_system(p)
    [(path, message)] = e.value.errors
    assert path == "" and message.startswith("invalid YAML at line ")


def test_duplicate_keys_are_errors() -> None:
    with pytest.raises(ConfigError, match=r"line 3, column 1: duplicate key 'chip' \(first given on line 2\)"):
        parse_system_yaml("model: llama-3.1-70b\nchip: spatial-n3-reticle\nchip: groq-lpu-v1\n")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_system(tmp_path / "absent.yaml")


def test_config_error_is_a_value_error_with_a_readable_single_error() -> None:
    e = ConfigError([("workload.users", "must be >= 1, got 0")])
    assert isinstance(e, ValueError)
    assert str(e) == "1 error:\n  workload.users: must be >= 1, got 0"


def test_input_document_is_not_modified() -> None:
    data = {"model": "llama-3.1-70b", "chip": "spatial-n3-reticle", "kv_memory": {"tech": "hbm3e", "units_per_group": 6}}
    snapshot = json.dumps(data, sort_keys=True)
    parse_system(data)
    assert json.dumps(data, sort_keys=True) == snapshot
