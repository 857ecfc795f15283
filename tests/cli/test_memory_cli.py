import json

from kvpipe.catalog import system_yaml
from kvpipe.cli.main import main
from kvpipe.memory import shipped_device_names


def test_memory_compare_json_and_figure(capsys, tmp_path):
    code = main(["memory", "compare", "--json", "--out", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [t["name"] for t in out["technologies"]] == shipped_device_names()
    for t in out["technologies"]:
        assert 0 < t["effective_bw_bytes_per_s"] <= t["peak_bw_bytes_per_s"] * (1 + 1e-9)
        assert t["bw_to_capacity_ratio_per_s"] > 0
        assert t["units_per_reticle_die"] >= 1
    assert (tmp_path / "memory_compare.png").stat().st_size > 10_000
    assert len(out["demand_points"]) == 2  # the seed model and its MoE twin


def test_memory_requirements_json(capsys, tmp_path):
    p = tmp_path / "seed.yaml"
    p.write_text(system_yaml("seed"))
    code = main(["memory", "requirements", str(p), "--json", "--users", "197", "--tokens-per-s-per-user", "4000"])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    for key in ("required_bw_per_reticle_die_bytes_per_s", "required_capacity_per_group_bytes", "max_kv_pj_per_bit"):
        assert out[key] > 0
    names = {t["name"] for t in out["technologies"]}
    assert {"hbm3e", "hbm4"} <= names
    hbm3e = next(t for t in out["technologies"] if t["name"] == "hbm3e")
    assert hbm3e["dies_per_group"] >= hbm3e["units_for_bandwidth"] > hbm3e["units_for_capacity"]
    assert hbm3e["capacity_overprovision"] > 10


def test_memory_requirements_bad_input_exits_2(capsys, tmp_path):
    p = tmp_path / "seed.yaml"
    p.write_text(system_yaml("seed"))
    assert main(["memory", "requirements", str(p), "--users", "0"]) == 2
    assert "--users" in capsys.readouterr().err
    assert main(["memory", "requirements", str(p), "--joules-per-token", "0.001"]) == 2
    assert "--joules-per-token" in capsys.readouterr().err


def test_user_device_files(capsys, tmp_path):
    from pathlib import Path

    example = Path(__file__).parents[2] / "examples" / "devices" / "my-stacked-dram.yaml"
    assert main(["memory", "compare", "--json", "--out", str(tmp_path), "--device", str(example)]) == 0
    names = [t["name"] for t in json.loads(capsys.readouterr().out)["technologies"]]
    assert names[-1] == "my-stacked-dram"
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\norganization: {channels: 0}\ntiming: {tRAS: 5 ns, tRCD: 10 ns}\n")
    assert main(["memory", "compare", "--device", str(bad), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "organization.channels" in err and "timing.tRAS" in err and "Traceback" not in err
