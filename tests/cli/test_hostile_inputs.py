"""Hostile and mistaken inputs, as a new user tried them: each ends with exit status 2 and a
message naming the field (no traceback, no hang, no memory blow-up), or gives finite figures."""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import replace
from pathlib import Path

import pytest
from toy import run_cli

from kvpipe import __version__, catalog
from kvpipe.cli.main import main
from kvpipe.cli.run import gpu_baselines
from kvpipe.config import seed_system
from kvpipe.config.limits import MAX_CONFIG_BYTES, MAX_YAML_DEPTH
from kvpipe.explore.baselines import compare_with_gpus
from kvpipe.report.baselines import comparison_rows

KV = "kv_memory: {tech: hbm3e, units_per_group: 6}\n"


def _refused(capsys: pytest.CaptureFixture[str], field: str, *argv: str) -> str:
    code, out, err = run_cli(capsys, *argv)
    assert code == 2, (out, err)
    assert f"  {field}:" in err or f"  {field} " in err, err
    assert "Traceback" not in err
    return err


def _file(tmp_path: Path, text: str, name: str = "system.yaml") -> str:
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def _llama_config(**changes: object) -> str:
    cfg = json.loads((Path(__file__).parents[2] / "src/kvpipe/catalog/data/models/llama-3.1-8b.json").read_text())
    cfg.update(changes)
    return json.dumps(cfg)


# --- YAML structure ------------------------------------------------------------------------------


def test_yaml_nested_300_deep_is_refused_at_its_line(capsys, tmp_path):
    deep = "[" * 300 + "]" * 300
    err = _refused(capsys, "x[0][0][0]...", "evaluate", _file(tmp_path, f"model: llama-3.1-8b\nx: {deep}\n" + KV))
    assert f"nested more than {MAX_YAML_DEPTH} levels deep (line 2)" in err


def test_deep_block_mappings_are_refused_too(capsys, tmp_path):
    deep = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v\n"
    _refused(capsys, "k0.k1.k2.k3...", "evaluate", _file(tmp_path, "model: llama-3.1-8b\n" + KV + deep))


def test_billion_laughs_is_refused_naming_the_field_before_expanding(capsys, tmp_path):
    # 9 levels of 9 aliases: 9^9 = 387 million strings if expanded; the file is < 1 kB
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi"):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "\n".join(lines) + "\nmodel: llama-3.1-8b\n" + KV + "workload: {users: *i}\n"
    err = _refused(capsys, "f", "evaluate", _file(tmp_path, text))
    assert "aliases expand this value to more than 100,000 values" in err
    assert len(err) < 2000  # the expanded value is never rendered


def test_a_recursive_alias_is_refused(capsys, tmp_path):
    err = _refused(capsys, "workload.users", "evaluate",
                   _file(tmp_path, "model: llama-3.1-8b\n" + KV + "workload: &w {users: *w}\n"))
    assert "recursive" in err


def test_small_aliases_stay_usable(capsys, tmp_path):
    text = "model: llama-3.1-8b\nkv_memory: {tech: hbm3e, units_per_group: &n 6}\nworkload: {micro_batch: 1, users: *n}\n"
    code, out, err = run_cli(capsys, "evaluate", _file(tmp_path, text), "--json")
    assert code == 0, err
    assert json.loads(out)["users"] == 6


def test_a_file_over_the_size_cap_is_refused_without_parsing(capsys, tmp_path):
    padding = "# " + "x" * 100 + "\n"
    text = "model: llama-3.1-8b\n" + KV + padding * (MAX_CONFIG_BYTES // len(padding) + 1)
    path = _file(tmp_path, text)
    err = _refused(capsys, path, "evaluate", path)
    assert f"larger than {MAX_CONFIG_BYTES:,} bytes" in err



def test_a_design_target_over_the_size_cap_is_refused_like_a_system_file(capsys, tmp_path):
    # target files go through the same reader as system, sweep and device files
    padding = "# " + "x" * 100 + "\n"
    path = _file(tmp_path, "system: seed\n" + padding * (MAX_CONFIG_BYTES // len(padding) + 1))
    err = _refused(capsys, path, "memory", "design", "--target", path)
    assert f"larger than {MAX_CONFIG_BYTES:,} bytes" in err


# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("line", "field"), [
    ("chip: {base: spatial-n3-reticle, static_power: 1e308 W}\n", "chip.static_power"),
    ("chip: {base: spatial-n3-reticle, sram_bw: 1e-300}\n", "chip.sram_bw"),
    ("link: {base: spatial-mesh, hop_latency: .inf}\n", "link.hop_latency"),
    ("link: {base: spatial-mesh, energy: .nan}\n", "link.energy"),
    ("chip: {base: spatial-n3-reticle, peak_flops: {fp8: .inf}}\n", "chip.peak_flops.fp8"),
])
def test_quantities_that_would_make_figures_infinite_are_refused(capsys, tmp_path, line, field):
    _refused(capsys, field, "evaluate", _file(tmp_path, "model: llama-3.1-8b\n" + KV + line))


def test_a_gpu_drawing_less_than_idle_is_refused(capsys, tmp_path):
    # found by the fuzz test: tdp below idle power gave negative joules per token
    _refused(capsys, "gpu.tdp", "evaluate", _file(tmp_path, "model: llama-3.1-8b\ngpu: {base: h100-sxm, tdp: 7 W}\n"))


def test_units_per_group_of_1e308_is_refused(capsys, tmp_path):
    _refused(capsys, "kv_memory.units_per_group", "evaluate",
             _file(tmp_path, "model: llama-3.1-8b\nkv_memory: {tech: hbm3e, units_per_group: 1e308}\n"))


@pytest.mark.parametrize(("flag", "value"), [("--cycle-requests", "100000000000"), ("--cycle-requests", "-5"),
                                           ("--interleaved", "10000000")])
def test_memory_compare_work_is_bounded(capsys, flag, value):
    _refused(capsys, flag, "memory", "compare", flag, value)


def test_tokens_per_s_per_user_inf_is_refused(capsys):
    _refused(capsys, "--tokens-per-s-per-user", "memory", "requirements", "seed", "--tokens-per-s-per-user", "inf")
    _refused(capsys, "--joules-per-token", "memory", "requirements", "seed", "--joules-per-token", "nan")


def test_arrival_rate_times_duration_is_held_to_the_request_budget(capsys):
    err = _refused(capsys, "--arrival-rate", "simulate", "seed", "--arrival-rate", "1e12", "--duration", "1 s")
    assert "1e+12 requests" in err


def test_a_closed_loop_is_held_to_the_request_budget(capsys):
    # one client for 10^9 s: each request takes at least 256 tokens x one user's time per token
    err = _refused(capsys, "--closed-loop", "simulate", "seed", "--closed-loop", "1", "--duration", "1e9 s")
    assert "more than the 10,000,000" in err


@pytest.mark.parametrize("lengths", ["lognormal:1e30:0", "1000000000000", "uniform:1:100000000000000000000",
                                     "lognormal:100:1e10"])
def test_request_lengths_past_any_context_are_refused(capsys, lengths):
    _refused(capsys, "--output", "simulate", "seed", "--arrival-rate", "2", "--output", lengths)


@pytest.mark.parametrize(("flag", "value"), [("--cv", "1e300"), ("--cv", "1e-300"), ("--seed", "-1")])
def test_arrival_flags_that_broke_the_generator_are_refused(capsys, flag, value):
    # were OverflowError, ZeroDivisionError and numpy's ValueError
    _refused(capsys, flag, "simulate", "seed", "--arrival-rate", "1", flag, value)


@pytest.mark.parametrize(("flag", "value"), [("--slots", "100000000"), ("--closed-loop", "100000000")])
def test_seats_and_clients_are_bounded(capsys, flag, value):
    argv = ["simulate", "seed", flag, value] + ([] if flag == "--closed-loop" else ["--arrival-rate", "1"])
    _refused(capsys, flag, *argv)


# --- models and contexts -------------------------------------------------------------------------


def test_context_beyond_the_model_maximum_is_refused_then_allowed_by_the_flag(capsys, tmp_path):
    err = _refused(capsys, "workload.context", "evaluate",
                   _file(tmp_path, "model: llama-3.1-8b\n" + KV + "workload: {context: 10000000}\n"))
    assert "131,072" in err and "beyond_model_context" in err
    text = "model: llama-3.1-8b\n" + KV + "workload: {context: 1000000, beyond_model_context: true}\n"
    code, out, err = run_cli(capsys, "evaluate", _file(tmp_path, text), "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["context_tokens"] == 1_000_000 and math.isfinite(d["joules_per_token"]) and d["tokens_per_s_per_user"] > 0


def test_context_flags_obey_the_model_maximum(capsys):
    _refused(capsys, "--context", "memory", "requirements", "seed", "--context", "10000000")
    _refused(capsys, "--context", "memory", "compare", "--context", "10000000")
    _refused(capsys, "--fixed-context", "simulate", "seed", "--arrival-rate", "1", "--fixed-context", "10000000")


def test_a_gpu_system_beyond_the_model_maximum_is_refused(capsys, tmp_path):
    text = catalog.system_yaml("h200-x8") + "\n"
    text = text.replace("context: 8192", "context: 10000000")
    assert "context: 10000000" in text
    _refused(capsys, "workload.context", "evaluate", _file(tmp_path, text))


def test_an_attention_ffn_system_beyond_the_model_maximum_is_refused(capsys, tmp_path):
    text = catalog.system_yaml("groq3-lpx-rubin").replace("context: 8192", "context: 10000000")
    assert "context: 10000000" in text
    _refused(capsys, "workload.context", "evaluate", _file(tmp_path, text))


def test_a_config_json_with_ten_million_layers_is_refused(capsys, tmp_path):
    _file(tmp_path, _llama_config(num_hidden_layers=10**7), "config.json")
    err = _refused(capsys, "model.config", "evaluate", _file(tmp_path, "model: {config: config.json}\n" + KV))
    assert "num_hidden_layers" in err


def test_an_unknown_architecture_is_refused_not_read_as_llama(capsys, tmp_path):
    _file(tmp_path, _llama_config(architectures=["MambaForCausalLM"]), "config.json")
    err = _refused(capsys, "model.config", "evaluate", _file(tmp_path, "model: {config: config.json}\n" + KV))
    assert "architectures" in err and "MambaForCausalLM" in err


def test_a_config_json_nested_too_deeply_is_refused(capsys, tmp_path):
    _file(tmp_path, "[" * 100_000 + "]" * 100_000, "config.json")
    _refused(capsys, "model.config", "evaluate", _file(tmp_path, "model: {config: config.json}\n" + KV))


# --- traces --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message"), [
    ("[" * 5000 + "\n", "nested too deeply"),
    ('{"arrival_s": 0, "prompt_tokens": 1e30, "output_tokens": 1}\n', "at most"),
])
def test_hostile_trace_lines_are_refused_naming_the_line(capsys, tmp_path, text, message):
    err = _refused(capsys, "--trace", "simulate", "seed", "--trace", _file(tmp_path, text, "t.jsonl"))
    assert "t.jsonl:1:" in err and message in err


# --- version and catalog -------------------------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"kvpipe {__version__}"


def test_catalog_systems_lists_every_shipped_system(capsys):
    code, out, _ = run_cli(capsys, "catalog", "systems", "--json")
    assert code == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert set(rows) == set(catalog.names("system"))
    assert rows["seed"]["kind"] == "spatial" and rows["seed"]["model"] == "llama-3.1-70b"
    assert rows["h200-x8"]["kind"] == "gpu" and rows["h200-x8"]["parts"].startswith("8 x h200")
    assert {r["kind"] for r in rows.values()} <= {"spatial", "gpu", "heterogeneous"}
    code, out, _ = run_cli(capsys, "catalog", "systems")
    assert code == 0 and all(name in out for name in rows)


# --- sweeps --------------------------------------------------------------------------------------


def test_sweep_axes_are_held_to_the_same_bounds(capsys, tmp_path):
    text = ("system: seed\nmethod: random\nsamples: 10\naxes:\n  context: {from: 1000, to: 10000000}\n"
            "  static_power: {from: 1 W, to: 1e308 W}\n  users: {from: 1, to: 1.0e+300}\n")
    err = _refused(capsys, "axes.static_power.to", "explore", _file(tmp_path, text, "sweep.yaml"), "--out", str(tmp_path))
    assert "  axes.users.to:" in err and "  axes.context:" in err


def test_a_sweep_of_mistral_runs(capsys, tmp_path):
    # Mistral-7B slides every layer's window: its placement crashed every command once
    _file(tmp_path, "model: mistral-7b-v0.1\n" + KV, "mistral.yaml")
    text = "system: mistral.yaml\naxes:\n  users: {from: 1, to: 1000, scale: log, steps: 8}\n"
    code, out, err = run_cli(capsys, "explore", _file(tmp_path, text, "sweep.yaml"), "--out", str(tmp_path / "out"), "--json")
    assert code == 0, err


def test_gpu_rows_past_what_a_gpu_holds_say_so_instead_of_infinite_joules():
    # 10^7 tokens of Llama-3.1-70B KV (327,680 B each) is 3.3 TB per sequence: more than 8 GPUs' HBM
    s = seed_system()
    s = replace(s, workload=replace(s.workload, context_tokens=10**7, beyond_model_context=True))
    rows = comparison_rows(compare_with_gpus(s, gpu_baselines()), users=(1,))
    gpu_rows = [r for r in rows if r[1] in ("h200-x8", "b200-x8")]
    assert gpu_rows and all(r[6] == "none: no sequence fits" for r in gpu_rows)
    assert not any("inf" in cell or "nan" in cell for r in rows for cell in r)


def test_a_validation_row_with_an_absurd_count_is_refused(capsys, tmp_path):
    text = (Path(__file__).parents[2] / "validation/published.csv").read_text()
    reader = csv.DictReader(io.StringIO(text))
    row = next(r for r in reader if r["kind"] == "gpu")
    row["context"] = "1e300"
    out = io.StringIO()
    w = csv.DictWriter(out, reader.fieldnames or [])
    w.writeheader()
    w.writerow(row)
    err = _refused(capsys, "line 2, column context", "validate", "--data", _file(tmp_path, out.getvalue(), "rows.csv"))
    assert len(err) < 500


# --- device descriptions -------------------------------------------------------------------------

DEVICE = Path(__file__).parents[2] / "examples/devices/my-stacked-dram.yaml"


@pytest.mark.parametrize(("old", "new", "field"), [
    ("rows_per_bank: 12288", "rows_per_bank: .inf", "organization.rows_per_bank"),  # was an OverflowError
    ("data_rate: 2 Gb/s", "data_rate: 1e-300 Gb/s", "organization.data_rate"),  # sized to 10^300 dies
])
def test_device_numbers_that_describe_no_device_are_refused(capsys, tmp_path, old, new, field):
    text = DEVICE.read_text()
    assert old in text
    device = _file(tmp_path, text.replace(old, new), "device.yaml")
    _refused(capsys, field, "memory", "requirements", "seed", "--device", device)


def test_the_example_device_still_sizes(capsys):
    code, out, err = run_cli(capsys, "memory", "requirements", "seed", "--device", str(DEVICE), "--json")
    assert code == 0, err
    assert "my-stacked-dram" in [t["name"] for t in json.loads(out)["technologies"]]
