"""``kvpipe memory design`` end to end, and the failing criteria of ``memory requirements``."""

import json
from pathlib import Path

from kvpipe.catalog import system_yaml
from kvpipe.cli.main import main
from kvpipe.config import seed_system

EXAMPLE = Path(__file__).parents[2] / "examples" / "design" / "seed-talk.yaml"


def test_seed_talk_targets(capsys):
    assert main(["memory", "design", "--target", str(EXAMPLE), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    reqs = out["requirements"]
    # each requirement is the strictest of its stated figures: the study's and the talk's factor
    assert reqs["bandwidth"]["value"] == max(b["value"] for b in reqs["bandwidth"]["basis"])
    assert reqs["energy"]["value"] == min(b["value"] for b in reqs["energy"]["basis"])
    ref = out["reference"]
    assert any(abs(b["value"] - 5 * ref["bw_per_reticle_die_bytes_per_s"]) < 1 for b in reqs["bandwidth"]["basis"])
    assert any(abs(b["value"] * 3 - ref["pj_per_bit"] * 1e-12) < 1e-18 for b in reqs["energy"]["basis"])
    assert out["candidates"] == 5 * 4 * 5 * 4 * 4 * 4 * 4 * 4
    assert out["pareto"]
    for d in out["pareto"]:  # Pareto designs are always within the physical limits
        assert max(d["utilisation"][k] for k in ("bond_pitch", "area", "thermal")) <= 1.0
    if out["meeting"]:
        for d in out["pareto"]:
            assert d["misses"] == {}
            assert d["bw_vs_reference"] >= 5 - 1e-9 and d["pj_per_bit_better_than_reference"] >= 3 - 1e-9
    else:  # it must say which limit forbids it, with figures
        assert out["nearest_miss"]["misses"]
        assert any(x["designs_meeting_the_rest"] > 0 for x in out["relaxations"])


def test_explicit_requirements_four_designs(capsys, tmp_path):
    # The four-point search of tests/explore/test_device_design.py on the seed's KV pattern (Llama-3.1-70B:
    # 8 KV heads x 128 x (K, V) x 2 B = 4 KiB per token-layer, 8,192 tokens): only 4 layers at 2 Gb/s
    # reaches 10 TB/s; its stack runs at 0.37744 W/mm^2 on 0.3 W/mm^2 of logic.
    p = tmp_path / "target.yaml"
    p.write_text(
        "requirements: {bw_per_reticle_die: 10 TB/s, pj_per_bit: 1 pJ/bit, capacity_per_reticle_die: 4.3 GB}\n"
        "budget: {thermal_limit: 0.5 W/mm2, logic_power_density: 0.3 W/mm2}\n"
        "space: {channels_per_layer: [1024], banks_per_channel: [8], subarrays_per_bank: [32], row_bytes: [512 B],\n"
        "        io_width_bits: [16], data_rate: [1 Gb/s, 2 Gb/s], bond_pitch: [9 um], stack_height: [1, 4]}\n"
    )
    assert main(["memory", "design", "--target", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["candidates"], out["meeting"]) == (4, 1)
    (best,) = out["pareto"]
    assert best["knobs"]["stack_height"] == 4 and best["knobs"]["data_rate_bits_per_s"] == 2e9
    assert abs(best["stack_w_per_mm2"] - 0.37744) < 1e-4
    assert main(["memory", "design", "--target", str(p)]) == 0
    text = capsys.readouterr().out
    assert "1 meet every criterion" in text and "Pareto set" in text


def test_bad_target_file_exits_2(capsys, tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(
        "system: seed\nmodel: llama-9\nusers: -3\nwhat: 1\nbetter_than_reference: {pj_per_bit: 0}\n"
        "budget: {thermal_limit: hot}\nspace: {data_rate: [fast], stack_height: [0], row_bytes: [100 B], io_width_bits: [16, 24], nope: [1]}\n"
    )
    assert main(["memory", "design", "--target", str(p)]) == 2
    err = capsys.readouterr().err
    for field in ("model", "users", "what", "better_than_reference.pj_per_bit", "budget.thermal_limit", "space.data_rate[0]",
                  "space.stack_height[0]", "space.row_bytes[0]", "space.io_width_bits[1]", "space.nope"):
        assert field in err, field
    assert "Traceback" not in err
    far = tmp_path / "far.yaml"
    far.write_text("system: seed\ncontext: 10000000\n")  # beyond Llama-3.1-70B's 131,072 positions
    assert main(["memory", "design", "--target", str(far)]) == 2
    assert "context: 10,000,000 tokens is beyond" in capsys.readouterr().err
    q = tmp_path / "lonely.yaml"
    q.write_text("requirements: {pj_per_bit: 1 pJ/bit}\nreference: HBM9\n")
    assert main(["memory", "design", "--target", str(q)]) == 2
    err = capsys.readouterr().err
    assert "requirements.bw_per_reticle_die" in err and "budget.logic_power_density" in err
    q.write_text("requirements: {bw_per_reticle_die: 1 TB/s, pj_per_bit: 1 pJ/bit, capacity_per_reticle_die: 1 GB}\n"
                 "budget: {logic_power_density: 0.3}\nreference: HBM9\n")
    assert main(["memory", "design", "--target", str(q)]) == 2
    assert "reference" in capsys.readouterr().err


def test_requirements_name_failing_criteria(capsys, tmp_path):
    p = tmp_path / "seed.yaml"
    p.write_text(system_yaml("seed"))
    assert main(["memory", "requirements", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    for t in out["technologies"]:
        names = [f["criterion"] for f in t["failing"]]
        assert (names == []) == t["meets"]
        assert ("energy" in names) == (not t["meets_energy"])
        assert ("fit" in names) == (not t["fits_beside_group"])
        for f in t["failing"]:
            assert f["value"] > f["limit"]
    hbm3e = next(t for t in out["technologies"] if t["name"] == "hbm3e")
    energy = next(f for f in hbm3e["failing"] if f["criterion"] == "energy")
    assert energy["value"] == hbm3e["kv_effective_pj_per_bit"] and energy["limit"] == out["max_kv_pj_per_bit"]
    assert main(["memory", "requirements", str(p)]) == 0
    assert "hbm3e fails energy:" in capsys.readouterr().out


def test_users_at_the_operating_point(capsys, tmp_path):
    from kvpipe import catalog
    from kvpipe.explore.requirements import Target
    from kvpipe.explore.seed import headline
    from kvpipe.mapping import place

    s = seed_system()
    users = headline(s, place(s.model, s.precisions, s.chip, s.mapping), list(catalog.memories())).users_at_90pct_speed
    p = tmp_path / "t.yaml"
    p.write_text("system: seed\nusers: operating_point\nspace: {channels_per_layer: [512], banks_per_channel: [4], "
                 "subarrays_per_bank: [16], row_bytes: [512 B], io_width_bits: [16], data_rate: [2 Gb/s], "
                 "bond_pitch: [9 um], stack_height: [2]}\n")
    assert main(["memory", "design", "--target", str(p), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert f"{users:,} users" in out["pattern"]
    # with a system and no factors, the requirements are the study's own at that load
    from kvpipe.explore.device_design import system_needs

    needs = system_needs(s, Target(users, s.workload.context_tokens))
    assert out["requirements"]["bandwidth"]["value"] == needs.bw_per_die_bytes_per_s
    assert out["requirements"]["capacity"]["value"] == needs.capacity_per_die_bytes
    assert out["logic_w_per_mm2"] == needs.logic_w_per_mm2


def test_device_out_is_a_device_file(capsys, tmp_path):
    from kvpipe.config.devices import load_device

    out = tmp_path / "sub" / "found.yaml"
    assert main(["memory", "design", "--target", str(EXAMPLE), "--device-out", str(out), "--json"]) == 0
    best = max(json.loads(capsys.readouterr().out)["pareto"], key=lambda d: d["sustained_bw_per_reticle_die_bytes_per_s"])
    dev = load_device(out)
    assert dev.name == "found" and dev.capacity_bytes == best["capacity_per_reticle_die_bytes"]
    assert main(["memory", "design", "--target", str(EXAMPLE), "--device-out", str(tmp_path)]) == 2  # a directory
    assert "--device-out" in capsys.readouterr().err


def test_too_large_a_space_exits_2(capsys, tmp_path):
    p = tmp_path / "huge.yaml"
    axis = ", ".join(str(v) for v in range(1, 11))
    p.write_text("system: seed\nspace: {" + ", ".join(f"{k}: [{axis}]" for k in
                 ("channels_per_layer", "banks_per_channel", "subarrays_per_bank", "stack_height")) + ", "
                 "data_rate: [" + ", ".join(f"{g} Gb/s" for g in range(1, 11)) + "]}\n")
    assert main(["memory", "design", "--target", str(p)]) == 2  # 10^5 x 4 x 4 x 4 = 6.4 M candidates
    err = capsys.readouterr().err
    assert "space" in err and "6,400,000" in err and "Traceback" not in err
