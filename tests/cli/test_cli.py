"""The command line, end to end, as a user runs it (in-process and via the console script)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from toy import run_cli

from kvpipe.catalog import system_yaml
from kvpipe.cli.main import main

REQUIRED_KEYS = {
    "chips", "stages", "comm_stages_per_token", "users", "time_per_token_s", "tokens_per_s_per_user",
    "tokens_per_s", "joules_per_token", "energy_breakdown_j_per_token", "kv_bytes_per_token",
    "kv_capacity_demand_bytes_per_group", "kv_capacity_supply_bytes_per_group",
    "kv_bw_demand_bytes_per_s_per_group", "kv_bw_supply_bytes_per_s_per_group", "binding_limit",
}
ENERGY_KEYS = {"static", "weight_reads", "compute", "kv_read", "kv_write", "memory_background", "links"}


@pytest.fixture
def seed_yaml(tmp_path: Path) -> Path:
    p = tmp_path / "seed.yaml"
    p.write_text(system_yaml("seed"))
    return p


def test_evaluate_json_has_the_stable_keys(capsys, seed_yaml):
    code, out, _ = run_cli(capsys, "evaluate", str(seed_yaml), "--json")
    assert code == 0
    d = json.loads(out)
    assert REQUIRED_KEYS <= d.keys()
    assert set(d["energy_breakdown_j_per_token"]) == ENERGY_KEYS
    assert d["binding_limit"] in {"pipeline_depth", "kv_latency", "kv_capacity", "kv_bandwidth", "compute", "links"}
    # Llama-3.1-70B KV per token in bf16: 2 x 8 x 128 x 80 x 2 B = 327,680 B
    assert d["kv_bytes_per_token"] == 327_680
    assert sum(d["energy_breakdown_j_per_token"].values()) == pytest.approx(d["joules_per_token"])
    # the seed memory is 6 HBM3E stacks of 1.2 TB/s and 36 GB per group
    assert d["kv_bw_supply_bytes_per_s_per_group"] == pytest.approx(7.2e12)
    assert d["kv_capacity_supply_bytes_per_group"] == pytest.approx(216e9)


def test_evaluate_table(capsys, seed_yaml):
    code, out, _ = run_cli(capsys, "evaluate", str(seed_yaml))
    assert code == 0
    assert "tokens/s per user" in out and "binding limit" in out and "llama-3.1-70b" in out


BAD = [
    ("kv_memory:\n  tech: {base: hbm3e, bandwidth: '-1 TB/s'}\n  units_per_group: 6\n", "kv_memory.tech.bandwidth"),
    ("model: llama-9000\n", "model"),
    ("chip: {base: spatial-n3-reticle, sram: '12 parsecs'}\n", "chip.sram"),
    ("model: [unclosed\n", "line"),
    ("mapping: {usable_sram_fraction: 0.8, layers_per_group: 1, max_chips: 10}\n", "mapping.max_chips"),
    ("kv_memory: {tech: hbm3e, units_per_group: 0.0001}\nworkload: {users: 1, context: 131072, micro_batch: 1}\n",
     "kv_memory.units_per_group"),
]


@pytest.mark.parametrize("override, field", BAD)
def test_bad_input_exits_2_naming_the_field(capsys, tmp_path, override, field):
    base = {k.split(":")[0]: k for k in system_yaml("seed").splitlines() if k and not k.startswith("#")}
    for line in override.splitlines():
        key = line.split(":")[0]
        if not line.startswith(" ") and key in base:
            del base[key]
    p = tmp_path / "bad.yaml"
    p.write_text("\n".join(base.values()) + "\n" + override)
    code, out, err = run_cli(capsys, "evaluate", str(p), "--json")
    assert code == 2
    assert out == ""
    assert field in err
    assert "Traceback" not in err


def test_missing_file_exits_2(capsys, tmp_path):
    code, _, err = run_cli(capsys, "evaluate", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert "nope.yaml" in err


@pytest.mark.parametrize("kind", ["models", "chips", "links", "memories"])
def test_catalog_lists_every_entry_with_sources(capsys, kind):
    code, out, _ = run_cli(capsys, "catalog", kind, "--json")
    assert code == 0
    items = json.loads(out)
    assert items
    for item in items:
        assert item["figures"], item["name"]
        for name, fig in item["figures"].items():
            assert fig["source"], (item["name"], name)
            assert fig["firmness"] in {"V", "D", "U", "A"}
            if "range" in fig:  # a stated range holds the value and says why
                assert fig["range"]["low"] <= fig["value"] <= fig["range"]["high"] and fig["range"]["source"]


def test_catalog_shows_the_stated_ranges(capsys):
    code, out, _ = run_cli(capsys, "catalog", "links", "--json")
    hop = {i["name"]: i for i in json.loads(out)}["spatial-mesh"]["figures"]["hop_latency_s"]
    assert hop["range"]["low"] == pytest.approx(100e-9) and hop["range"]["high"] == pytest.approx(500e-9)
    code, out, _ = run_cli(capsys, "catalog", "links")
    assert "range 100 ns - 500 ns" in out


def test_catalog_prints_whole_counts_in_full(capsys):
    # the WSE-3 preset's mesh has 900,000 cores (its source says so); the table printed 9e+05
    code, out, _ = run_cli(capsys, "catalog", "chips")
    assert code == 0
    assert "900,000" in out and "9e+05" not in out


def test_console_script_runs(seed_yaml):
    exe = shutil.which("kvpipe", path=str(Path(sys.executable).parent))
    assert exe, "the kvpipe console script is installed next to the interpreter"
    p = subprocess.run([exe, "evaluate", str(seed_yaml), "--json"], capture_output=True, text=True, check=False)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["chips"] > 0
    bad = subprocess.run([exe, "evaluate", "/nonexistent.yaml"], capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_a_shipped_system_by_name(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no file called "seed" here: the name means the shipped system
    assert main(["evaluate", "seed", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["system"] == "seed"
    assert main(["evaluate", "no-such-system"]) == 2
    assert "shipped systems: " in capsys.readouterr().err


def test_readme_evaluate_example_is_what_evaluate_prints(capsys):
    # the README's console example must be the command's output today, line for line
    root = Path(__file__).parents[2]
    readme = (root / "README.md").read_text(encoding="utf-8")
    command = "$ .venv/bin/kvpipe evaluate examples/seed-hbm4.yaml\n"
    assert command in readme
    quoted = readme.split(command, 1)[1].split("```", 1)[0]
    code, out, _ = run_cli(capsys, "evaluate", str(root / "examples" / "seed-hbm4.yaml"))
    assert code == 0
    lines = [line.strip() for line in out.strip().splitlines()]
    assert lines == [line.strip() for line in quoted.strip().splitlines()]


def test_main_called_again_in_one_process_hears_only_its_own_arguments(capsys) -> None:
    # main() keeps one parser per process: a flag or a repeated option given in one call must
    # be absent from the next call, which parses as a fresh parser would
    from kvpipe.cli.main import _parser, build_parser

    calls = (["memory", "compare", "--device", "a.yaml", "--device", "b.yaml", "--json"], ["memory", "compare"],
             ["evaluate", "f.yaml", "--json", "--memory-model", "cycle"], ["evaluate", "f.yaml"])
    for argv in calls:
        cached, fresh = vars(_parser().parse_args(argv)), vars(build_parser().parse_args(argv))
        assert {k: v for k, v in cached.items() if k != "func"} == {k: v for k, v in fresh.items() if k != "func"}
    assert _parser().parse_args(["memory", "compare"]).device == []
    assert main(["catalog", "memories", "--json"]) == 0
    json.loads(capsys.readouterr().out)
    assert main(["catalog", "memories"]) == 0
    with pytest.raises(json.JSONDecodeError):  # the table, not the JSON of the call before
        json.loads(capsys.readouterr().out)
