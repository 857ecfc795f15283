import json
from pathlib import Path

from kvpipe import catalog
from kvpipe.catalog import system_yaml
from kvpipe.cli.main import main


def test_memory_compare_json_and_figure(capsys, tmp_path):
    code = main(["memory", "compare", "--json", "--out", str(tmp_path)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    # catalog memories with a device under their catalog names, then devices none names
    with_device = [t.name for t in catalog.memories() if t.device]
    named = {t.device for t in catalog.memories() if t.device}
    rest = [n for n in catalog.device_names() if n not in named]
    assert [t["name"] for t in out["technologies"]] == with_device + rest
    for t in out["technologies"]:
        assert 0 < t["effective_bw_bytes_per_s"] <= t["bw_bytes_per_s"] * (1 + 1e-9)
        assert 0 < t["kv_core_j_per_bit"] < t["kv_access_path_j_per_bit"] < t["kv_effective_j_per_bit"]
        assert t["bw_to_capacity_ratio_per_s"] > 0
        assert t["units_per_reticle_die"] >= 1
    assert (tmp_path / "memory_compare.png").stat().st_size > 10_000
    assert len(out["demand_points"]) == 2  # the seed model and its MoE twin
    # every catalog memory is either a row or named as having no device description
    without = [t.name for t in catalog.memories() if not t.device and t.name != "ideal"]
    assert out["without_device"] == without and "hybrid-bonded-3d-dram" in without
    assert not set(without) & {t["name"] for t in out["technologies"]}


def test_memory_compare_names_the_memories_it_has_no_row_for(capsys, tmp_path):
    assert main(["memory", "compare", "--out", str(tmp_path)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    assert "no device description, so no row: " in printed and "hybrid-bonded-3d-dram" in printed


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


def test_catalog_and_memory_compare_show_the_same_figures(capsys, tmp_path):
    assert main(["catalog", "memories", "--json"]) == 0
    cat = {m["name"]: m for m in json.loads(capsys.readouterr().out)}
    assert main(["memory", "compare", "--json", "--out", str(tmp_path)]) == 0
    cmp = {t["name"]: t for t in json.loads(capsys.readouterr().out)["technologies"]}
    shared = sorted(set(cat) & set(cmp))
    assert {"hbm3e", "hbm4", "gddr6", "ddr5-rdimm", "lpddr5x"} <= set(shared)
    for name in shared:
        figs = cat[name]["figures"]
        assert cmp[name]["capacity_bytes"] == figs["capacity_bytes"]["value"], name
        assert cmp[name]["bw_bytes_per_s"] == figs["bw_bytes_per_s"]["value"], name
        assert cmp[name]["read_j_per_bit"] == figs["read_j_per_bit"]["value"], name
        assert cmp[name]["device"] == cat[name]["device"], name
    # HBM3E: the catalog's 36 GB, 1.2 TB/s and 3.9 pJ/bit (whole access path), not the device's own
    assert (cmp["hbm3e"]["capacity_bytes"], cmp["hbm3e"]["bw_bytes_per_s"]) == (36e9, 1.2e12)
    assert cmp["hbm3e"]["read_j_per_bit"] == 3.9e-12


def test_a_device_is_one_yaml_file(capsys, tmp_path, monkeypatch):
    # a copy of the catalog with one more device file: memory compare evaluates it, and a
    # system whose memory names it runs with the analytic memory model
    import shutil

    from kvpipe.catalog import _files

    root = tmp_path / "catalog"
    shutil.copytree(Path(str(_files.data_root())), root)
    text = (root / "devices" / "fg-3d.yaml").read_text().replace("name: FG-3D", "name: my-tile")
    (root / "devices" / "my-tile.yaml").write_text(text)
    monkeypatch.setattr(_files, "data_root", lambda: root)
    for f in (_files.device_files, _files.device, _files.part_file):
        f.cache_clear()
    try:
        assert main(["memory", "compare", "--json", "--out", str(tmp_path)]) == 0
        rows = {t["name"]: t for t in json.loads(capsys.readouterr().out)["technologies"]}
        assert rows["my-tile"]["effective_bw_bytes_per_s"] == rows["FG-3D"]["effective_bw_bytes_per_s"] > 1e12
        system = tmp_path / "s.yaml"
        system.write_text(catalog.system_yaml("seed").replace(
            "kv_memory: {tech: hbm3e, units_per_group: 6}",
            "kv_memory: {tech: {base: hbm3e, name: tile-memory, device: my-tile}, units_per_group: 6}"))
        assert main(["evaluate", str(system), "--json", "--memory-model", "analytic"]) == 0
        assert json.loads(capsys.readouterr().out)["kv_memory"] == "tile-memory"
    finally:
        for f in (_files.device_files, _files.device, _files.part_file):
            f.cache_clear()


def test_controller_options(capsys, tmp_path):
    base = ["memory", "compare", "--json", "--out", str(tmp_path), "--interleaved", "8", "--context", "1024"]
    assert main([*base, "--queue-depth", "16"]) == 0
    shallow = {t["name"]: t for t in json.loads(capsys.readouterr().out)["technologies"]}
    assert main([*base, "--queue-depth", "64"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["controller"]["queue_depth"] == 64
    deep = {t["name"]: t for t in out["technologies"]}
    # a deeper window sees more of each shared row: more bandwidth at a few interleaved users
    assert deep["hbm3"]["effective_bw_bytes_per_s"] > 1.2 * shallow["hbm3"]["effective_bw_bytes_per_s"]
    # structures the closed form does not model need the cycle model
    assert main([*base, "--queue-structure", "per_bank"]) == 2
    assert "--cycle-requests" in capsys.readouterr().err
    assert main([*base, "--queue-depth", "0"]) == 2


def test_trace_is_written_with_its_mapping(capsys, tmp_path):
    out = tmp_path / "hbm3.trace"
    assert main(["memory", "trace", "HBM3", "--format", "ramulator2-readwrite", "--requests", "500",
                 "--users", "2", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert len(lines) == 500 and all(len(x.split()[1].split(",")) == 6 for x in lines)  # HBM: 6 levels
    assert "pseudochannel" in (tmp_path / "hbm3.trace.mapping.txt").read_text()
    assert main(["memory", "trace", "DDR5", "--requests", "10", "--out", str(tmp_path / "d.trace")]) == 0
    assert (tmp_path / "d.trace.mapping.txt").read_text().count("dramsim3 address_mapping") == 1
    assert main(["memory", "trace", "NOPE", "--out", str(tmp_path / "x")]) == 2


def test_trace_and_controller_bounds(capsys, tmp_path):
    assert main(["memory", "trace", "HBM3", "--requests", "100000000000", "--out", str(tmp_path / "t")]) == 2
    assert "--requests" in capsys.readouterr().err
    assert not (tmp_path / "t").exists()
    assert main(["memory", "compare", "--queue-depth", "1000000", "--out", str(tmp_path)]) == 2
    assert "--queue-depth" in capsys.readouterr().err


def test_memory_compare_and_the_report_name_the_device_columns_alike(capsys, tmp_path):
    # the per-die bandwidth and BW/capacity here are the device's effective KV figures (HBM3E:
    # 6.97 TB/s per die), not the catalog's peak (7.2 TB/s) the technology tables show; both
    # tables call them "KV ..." under the same names
    from kvpipe.report.memory_figures import DEVICE_COLUMNS

    assert main(["memory", "compare", "--out", str(tmp_path)]) == 0
    printed = " ".join(capsys.readouterr().out.split())
    for name in ("KV BW / capacity", "KV BW per die", "units per die", "capacity per die"):
        assert name in DEVICE_COLUMNS
        assert all(word in printed for word in name.split()), name
