"""Memory-model fidelity switch: catalog scalars vs the device models, behind one System."""

import json

import pytest

from kvpipe import catalog
from kvpipe.cli.main import main
from kvpipe.config import seed_system
from kvpipe.memory import analytic
from kvpipe.memory.select import NoDeviceError, system_pattern, with_memory_model
from kvpipe.perf import evaluate_system


@pytest.fixture(scope="module")
def seed():
    return seed_system()


def test_scalar_keeps_the_catalog_figures(seed):
    assert with_memory_model(seed, "scalar", None) is seed


def test_pattern_of_the_seed(seed):
    # Llama-3.1-70B, bf16 KV: 2 x 8 heads x 128 x 2 B = 4,096 B per token and layer; 8,192 tokens
    p = system_pattern(seed)
    assert float(p.run_bytes) == 8192 * 4096
    assert float(p.append_bytes) == 4096


def test_analytic_keeps_the_product_and_applies_the_devices_efficiency(seed):
    assert seed.kv_memory.tech.device == "HBM3E"
    s = with_memory_model(seed, "analytic", catalog.device("HBM3E"))
    f = analytic(catalog.device("HBM3E"), system_pattern(seed))
    efficiency = float(f.effective_bw_bytes_per_s) / float(f.peak_bw_bytes_per_s)
    tech, catalog_tech = s.kv_memory.tech, seed.kv_memory.tech
    assert tech.name == "hbm3e"
    # the product stays: 36 GB stacks with their footprint and shoreline
    assert (tech.capacity_bytes, tech.footprint_mm2, tech.shoreline_mm) == (
        catalog_tech.capacity_bytes, catalog_tech.footprint_mm2, catalog_tech.shoreline_mm)
    assert 0.5 < efficiency <= 1.0
    assert tech.bw_bytes_per_s == pytest.approx(catalog_tech.bw_bytes_per_s * efficiency)
    assert tech.read_j_per_bit == pytest.approx(float(f.access_path_j_per_bit))
    r = evaluate_system(s)
    assert float(r.kv_bw_supply_bytes_per_s_per_group) == pytest.approx(6 * 1.2e12 * efficiency)


def test_cycle_and_analytic_agree_on_the_seed_within_10pct(seed):
    d = catalog.device("HBM3E")
    a = evaluate_system(with_memory_model(seed, "analytic", d))
    c = evaluate_system(with_memory_model(seed, "cycle", d))
    assert float(c.tokens_per_s) == pytest.approx(float(a.tokens_per_s), rel=0.10)


def test_a_part_without_device_description_is_refused(seed):
    from dataclasses import replace

    inline = replace(seed.kv_memory.tech, name="my-dram", device="")
    with pytest.raises(NoDeviceError):
        with_memory_model(replace(seed, kv_memory=replace(seed.kv_memory, tech=inline)), "analytic", None)


def test_cli_flag_and_error(capsys, tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text(catalog.system_yaml("seed"))
    assert main(["evaluate", str(p), "--json", "--memory-model", "analytic"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["kv_memory"] == "hbm3e"
    # a part based on a catalog memory keeps its device description; one naming an unknown
    # device is refused with the field named
    q = tmp_path / "inline.yaml"
    q.write_text(
        catalog.system_yaml("seed").replace("kv_memory: {tech: hbm3e, units_per_group: 6}",
                                            "kv_memory: {tech: {base: hbm3e, name: my-dram}, units_per_group: 6}")
    )
    assert main(["evaluate", str(q), "--memory-model", "analytic"]) == 0
    capsys.readouterr()
    q.write_text(
        catalog.system_yaml("seed").replace("kv_memory: {tech: hbm3e, units_per_group: 6}",
                                            "kv_memory: {tech: {base: hbm3e, name: my-dram, device: NOPE}, "
                                            "units_per_group: 6}")
    )
    assert main(["evaluate", str(q), "--memory-model", "analytic"]) == 2
    assert "kv_memory.tech.device" in capsys.readouterr().err


def test_a_bare_length_in_a_device_file_is_refused():
    from kvpipe.config.devices import parse_device
    from kvpipe.config.loader import ConfigError

    d = catalog.device_dict("HBM3E")
    d["attachment"] = {**d["attachment"], "shoreline": 8.5}  # metres or millimetres?
    with pytest.raises(ConfigError) as e:
        parse_device(d)
    assert any(field == "attachment.shoreline" for field, _ in e.value.errors)
