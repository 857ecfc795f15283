"""Heterogeneous (attention-FFN) system files: shipped presets load, mistakes exit 2 naming the field."""

import json
from pathlib import Path

import pytest

from kvpipe import catalog
from kvpipe.cli.main import main
from kvpipe.config import ConfigError
from kvpipe.config.hetero import load_hetero_system, parse_hetero_system_yaml
from kvpipe.system import HeteroSystem

GOOD = """\
name: afd
model: llama-3.1-70b
precisions: {weights: fp8, kv: fp8, activations: bf16}
attention: {on: rubin, devices: 8, kv_memory: hbm4, batch: 256}
ffn: {on: lp30, link: lpx-c2c, micro_batch: 32}
a2e_link: lpx-ethernet
workload: {users: 11000, context: 1024}
"""


def _errors(text: str) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        parse_hetero_system_yaml(text)
    return dict(e.value.errors)


@pytest.mark.parametrize("name", ["groq3-lpx-rubin", "groq3-lpx-rubin-moe"])
def test_shipped_heterogeneous_systems_load(name: str) -> None:
    s = load_hetero_system(name)
    assert isinstance(s, HeteroSystem) and s.attention.gpu.name == "rubin" and s.ffn.chip.name == "lp30"
    assert s.a2e_link.name == "lpx-ethernet" and s.attention.kv_memory == "hbm4"


def test_the_bare_yaml_key_on_is_read_as_on() -> None:
    # YAML 1.1 reads `on` as true; the loader takes it back as the key `on`
    s = parse_hetero_system_yaml(GOOD)
    assert s.attention.devices == 8 and s.attention.batch == 256 and s.ffn.micro_batch == 32


def test_a_stage_on_an_unknown_device_names_the_field() -> None:
    errors = _errors(GOOD.replace("on: rubin", "on: rubinn").replace("on: lp30", "on: h200"))
    assert 'unknown gpu "rubinn"' in errors["attention.on"]
    assert 'unknown chip "h200"' in errors["ffn.on"]  # a GPU is not an SRAM chip


def test_attention_without_kv_memory_names_the_field() -> None:
    errors = _errors(GOOD.replace(" kv_memory: hbm4,", ""))
    assert "attention.kv_memory" in errors and "KV cache" in errors["attention.kv_memory"]


def test_every_mistake_at_once() -> None:
    errors = _errors(GOOD.replace("devices: 8", "devices: -1").replace("a2e_link: lpx-ethernet", "a2e_link: nope")
                     .replace("kv_memory: hbm4", "kv_memory: hbm9"))
    assert {"attention.devices", "attention.kv_memory", "a2e_link"} <= errors.keys()


def test_attention_weights_that_do_not_fit_a_device_name_the_device() -> None:
    # Llama-3.1-70B's attention weights in fp8: 80 x 151 M parameters = ~12.1 GB, more than 1 % of 288 GB
    errors = _errors(GOOD.replace("batch: 256}", "batch: 256, usable_hbm_fraction: 0.01}"))
    assert "attention.on" in errors and "12.08 GB" in errors["attention.on"]


def test_cli_exits_2_naming_the_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(GOOD.replace("on: rubin", "on: tpu-v9").replace(" kv_memory: hbm4,", ""))
    assert main(["evaluate", str(p), "--json"]) == 2
    err = capsys.readouterr().err
    assert "attention.on" in err and "attention.kv_memory" in err and "Traceback" not in err


def test_simulate_refuses_a_heterogeneous_system(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "groq3-lpx-rubin", "--closed-loop", "4"]) == 2
    assert "not supported for heterogeneous systems yet" in capsys.readouterr().err


def test_evaluate_a_heterogeneous_system_bound_by_its_a2e_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 8 Rubin GPUs, 256 sequences per step at 1K context, against 147 LP30s and 200 GB/s per GPU:
    #   link bound = 8 x 100 GB/s / (80 layers x 8,192 x 2 B) = 610,352 tokens/s
    #   attention: 8 x 256 / (12.1 GB weights / 17.6 TB/s + 256 x 0.1678 GB / 17.6 TB/s) = ~664,000 tokens/s
    #   FFN: 147 LP30s at 1.2 PFLOP/s over 2 x 56.4 G FFN parameters per token = ~1.5 M tokens/s
    #   depth: 11,000 users over ~12 ms (3.1 ms attention + 160 x 44 us crossings + ~2 ms FFN) = ~900,000 tokens/s
    p = tmp_path / "afd.yaml"
    p.write_text(GOOD)
    assert main(["evaluate", str(p), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["binding_limit"] == "a2e_link" and d["binding_side"] == "a2e_link"
    assert d["tokens_per_s"] == pytest.approx(8 * 100e9 / (80 * 8192 * 2), rel=1e-9)
    assert d["a2e_link"]["utilisation"] == pytest.approx(1.0)


def test_evaluate_shipped_afd_json_has_the_common_keys_and_each_side(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "seed", "--json"]) == 0
    spatial = json.loads(capsys.readouterr().out)
    assert main(["evaluate", "groq3-lpx-rubin", "--json"]) == 0
    afd = json.loads(capsys.readouterr().out)
    assert spatial.keys() <= afd.keys()
    assert {"attention", "ffn", "a2e_link", "binding_side"} <= afd.keys()
    assert 0 < afd["attention"]["utilisation"] <= 1 and 0 < afd["ffn"]["utilisation"] <= 1
    assert afd["chips"] == afd["ffn"]["chips"] + afd["attention"]["devices"]
    assert afd["kv_memory"] == "rubin hbm4"


def test_every_shipped_system_evaluates(capsys: pytest.CaptureFixture[str]) -> None:
    for name in catalog.names("system"):
        assert main(["evaluate", name, "--json"]) == 0, name
        assert json.loads(capsys.readouterr().out)["tokens_per_s"] > 0
