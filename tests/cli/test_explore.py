"""`kvpipe explore` end to end: files, JSON, the front, and bad sweep files (exit 2, nothing written)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
from toy import run_cli

from kvpipe.report.files import verify_output_dir

ROOT = Path(__file__).resolve().parents[2]


def test_bandwidth_front_of_the_shipped_example(capsys, tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "explore", str(ROOT / "examples" / "explore" / "users-bandwidth.yaml"),
                        "--out", str(tmp_path), "--json", "--points")
    assert code == 0
    doc = json.loads(out)
    assert doc["points"] == 200 * 6 and doc["chips"] == [89, 89]
    # Aggregate tokens/s grows with KV bandwidth until the chips' compute caps it; 80 TB/s reaches
    # the same cap as 40 TB/s with twice the bandwidth, so it is dominated: 5 of the 6 values remain.
    bws = sorted(r["kv_bandwidth_per_group"] for r in doc["front_sample"])
    assert doc["front_size"] == 5 and bws == [2.5e12, 5e12, 10e12, 20e12, 40e12]
    rows = list(csv.DictReader((tmp_path / "front.csv").open()))
    assert len(rows) == 5 and {r["binding_limit"] for r in rows} <= {"kv_bandwidth", "compute"}
    pts = np.load(tmp_path / "points.npz")
    assert pts["users"].shape == (1200,) and int(pts["on_front"].sum()) == 5
    assert (tmp_path / "front.png").stat().st_size > 10_000
    assert json.loads((tmp_path / "summary.json").read_text())["front_size"] == 5
    assert verify_output_dir(tmp_path) == []
    listed = json.loads((tmp_path / "manifest.json").read_text())["files"]
    assert sorted(listed) == ["front.csv", "front.png", "points.npz", "summary.json"]


def test_points_npz_is_opt_in_and_a_rerun_removes_the_old_one(capsys, tmp_path: Path) -> None:
    sweep = str(ROOT / "examples" / "explore" / "users-bandwidth.yaml")
    assert run_cli(capsys, "explore", sweep, "--out", str(tmp_path), "--points")[0] == 0
    (tmp_path / "notes.txt").write_text("mine")
    assert run_cli(capsys, "explore", sweep, "--out", str(tmp_path))[0] == 0
    # the new set has no points.npz: the old one goes (it would not match the new front), notes stay
    assert sorted(p.name for p in tmp_path.iterdir()) == ["front.csv", "front.png", "manifest.json", "notes.txt",
                                                          "summary.json"]
    assert verify_output_dir(tmp_path) == []


def test_table_output(capsys, tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "explore", str(ROOT / "examples" / "explore" / "users-bandwidth.yaml"), "--out", str(tmp_path))
    assert code == 0 and "Pareto front: 5 points" in out and "40 TB/s" in out and "front.csv" in out


def test_bad_sweep_file_exits_2_and_writes_nothing(capsys, tmp_path: Path) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("system: seed\nmethod: lhs\naxes:\n  users: {from: 10, to: 5}\n  hop: [1 ns]\n")
    out_dir = tmp_path / "out"
    code, _, err = run_cli(capsys, "explore", str(f), "--out", str(out_dir))
    assert code == 2 and "Traceback" not in err
    assert "samples: required for method lhs" in err and "axes.users.to: below from" in err and "axes.hop: unknown axis" in err
    assert not out_dir.exists()
    f.write_text("system: seed\naxes: [\n")
    code, _, err = run_cli(capsys, "explore", str(f))
    assert code == 2 and "bad.yaml" in err


def test_a_sweep_whose_placement_does_not_fit_exits_2(capsys, tmp_path: Path) -> None:
    from kvpipe.catalog import system_yaml

    (tmp_path / "capped.yaml").write_text(system_yaml("seed").replace("balance_compute: true", "balance_compute: true, max_chips: 120"))
    f = tmp_path / "sweep.yaml"
    f.write_text("system: capped.yaml\naxes:\n  usable_sram_fraction: [0.8, 0.4]\n")
    code, _, err = run_cli(capsys, "explore", str(f), "--out", str(tmp_path / "out"))
    assert code == 2 and "axes.usable_sram_fraction = 0.4" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()
