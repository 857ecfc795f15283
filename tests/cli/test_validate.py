"""`kvpipe validate` and `kvpipe evaluate` on GPU systems, end to end.

The guard test is the issue's rule: a change that moves any row's error past its documented
tolerance (the row's guard band in validation/published.csv and validation/extra/*.csv) fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from toy import run_cli

from kvpipe.catalog import system_yaml
from kvpipe.validation import predict_all, read_rows

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "validation" / "published.csv"
EXTRAS = sorted((ROOT / "validation" / "extra").glob("*.csv"))
REQUIRED_KEYS = {
    "chips", "stages", "comm_stages_per_token", "users", "time_per_token_s", "tokens_per_s_per_user",
    "tokens_per_s", "joules_per_token", "energy_breakdown_j_per_token", "kv_bytes_per_token",
    "kv_capacity_demand_bytes_per_group", "kv_capacity_supply_bytes_per_group",
    "kv_bw_demand_bytes_per_s_per_group", "kv_bw_supply_bytes_per_s_per_group", "binding_limit",
}
RESERVE_HEAD = (
    "id,system,kind,preset,model,metric,published,weights,kv,activations,batch,context,reserve_tokens,"
    "target,guard_low,guard_high,source,firmness"
)
LIMITS = {"pipeline_depth", "kv_latency", "kv_capacity", "kv_bandwidth", "compute", "links"}


@pytest.fixture(scope="module")
def predictions():
    return {p.row.id: p for p in predict_all(read_rows(PUBLISHED))}


@pytest.mark.parametrize("path", [PUBLISHED, *EXTRAS], ids=lambda p: p.stem)
def test_every_error_stays_inside_its_documented_guard(path: Path) -> None:
    for p in predict_all(read_rows(path)):
        r = p.row
        assert r.guard_low <= p.error <= r.guard_high, (
            f"{r.id}: error {p.error:+.1%} left its documented band [{r.guard_low:+.0%}, {r.guard_high:+.0%}]"
        )
        if r.guard_low == -r.target and r.guard_high == r.target:
            assert p.within_target  # rows that meet the target keep meeting it


def test_the_published_rows_and_their_knobs(predictions) -> None:
    assert set(predictions) == {
        "groq-llama2-70b", "cerebras-llama31-70b", "cerebras-llama31-8b", "waferllm-llama3-8b",
        "cerebras-llama31-405b", "groq-llama31-70b", "groq-mixtral-8x7b", "groq-llama2-7b",
        "h100-mlperf41-llama2-70b", "h200-mlperf41-llama2-70b",
    }
    h200 = predictions["h200-mlperf41-llama2-70b"]
    assert h200.within_target and h200.devices == 1 and h200.batch_used > 100  # "max": what the KV holds
    groq = predictions["groq-llama2-70b"]
    assert groq.devices == 576  # the published chip count sets the usable SRAM fraction
    assert 1e-6 < groq.implied_hop_latency_s < 2e-5  # the diagnostic: microseconds per stage
    # the model's own mean stage: a tree all-reduce over 8 chips, 3 steps of 1 us plus payload (docs/model.md)
    assert 3e-6 < groq.stage_latency_s < 3.5e-6
    # 405B: no published wafer count; the row takes the fewest CS-3 holding the bf16 weights,
    # 811.7 GB / 44 GB = 18.4 -> 19 wafers
    assert predictions["cerebras-llama31-405b"].devices == 19
    # Llama-2-7B: no published chip count; the fewest 230 MB chips on which each layer keeps room
    # for one user's fp16 KV at 2K context: f = 6.738 GB / (N x 0.23 GB) must leave
    # 202.4 MB x (1 - f) / f >= 2,048 x 16 KiB = 33.5 MB, so N >= 34.2 -> 35; a layer spans
    # 202.4 / (230 x 0.837) = 1.05 chips, so a stage is one C2C step of ~1 us plus payload
    assert predictions["groq-llama2-7b"].devices == 35
    assert 1e-6 < predictions["groq-llama2-7b"].stage_latency_s < 1.2e-6
    assert all(p.row.target == (0.25 if p.row.kind == "gpu" else 0.35) for p in predictions.values())


def test_validate_json(capsys) -> None:
    code, out, _ = run_cli(capsys, "validate", "--json")
    assert code == 0
    d = json.loads(out)
    assert {"rows", "median_abs_error"} <= d.keys()
    assert len(d["rows"]) == 10
    for row in d["rows"]:
        assert {"system", "model", "metric", "published", "predicted", "error"} <= row.keys()
        assert row["error"] == pytest.approx(row["predicted"] / row["published"] - 1)
        assert row["date"] and row["software"]  # every published row says when, and from which software
    errs = sorted(abs(r["error"]) for r in d["rows"])
    assert d["median_abs_error"] == pytest.approx((errs[4] + errs[5]) / 2)  # ten rows: mean of the middle two
    # spatial and GPU medians apart: 8 spatial rows (mean of the fourth and fifth), 2 GPU rows (their mean)
    spatial = sorted(abs(r["error"]) for r in d["rows"] if r["kind"] == "spatial")
    gpu = sorted(abs(r["error"]) for r in d["rows"] if r["kind"] == "gpu")
    assert len(spatial) == 8 and len(gpu) == 2
    assert d["median_abs_error_spatial"] == pytest.approx((spatial[3] + spatial[4]) / 2)
    assert d["median_abs_error_gpu"] == pytest.approx((gpu[0] + gpu[1]) / 2)
    assert d["measured"]["rows"] == []
    assert sum(g["rows"] for g in d["groups"]) == 10  # every row in one group


def test_validate_table(capsys) -> None:
    code, out, _ = run_cli(capsys, "validate")
    assert code == 0
    assert "median absolute error" in out and "Groq LPU" in out and "NVIDIA H200" in out
    assert "spatial rows: median absolute error" in out and "GPU rows: median absolute error" in out


MEASURED = """\
device,gpu_preset,torch_version,dtype,hidden_size,intermediate_size,num_hidden_layers,num_attention_heads,num_key_value_heads,vocab_size,batch,context,step_time_s,tokens_per_s,repeats
NVIDIA H100 80GB HBM3,,2.13.0,bf16,4096,14336,32,32,8,128256,1,1024,0.0065,153.8,10
NVIDIA H100 80GB HBM3,,2.13.0,bf16,4096,14336,32,32,8,128256,64,4096,0.030,2133,10
Some CPU,,2.13.0,bf16,64,128,2,4,2,100,1,512,0.0007,1428,10
"""


def test_validate_compares_measured_csvs(capsys, tmp_path: Path) -> None:
    folder = tmp_path / "measured"
    folder.mkdir()
    (folder / "h100.csv").write_text(MEASURED)
    code, out, _ = run_cli(capsys, "validate", "--json", "--measured", str(folder))
    assert code == 0
    m = json.loads(out)["measured"]
    assert len(m["rows"]) == 2 and len(m["skipped"]) == 1  # the CPU row matches no GPU preset
    first = m["rows"][0]
    # the GPU model's step for Llama-3.1-8B bf16 batch 1 context 1,024 on an H100: 5.650823 ms (tests/perf/test_gpu.py)
    assert first["preset"] == "h100-sxm" and first["predicted"] == pytest.approx(5.650823e-3, rel=1e-6)
    assert first["error"] == pytest.approx(5.650823e-3 / 0.0065 - 1, rel=1e-5)
    assert m["median_abs_error"] is not None
    code, out, _ = run_cli(capsys, "validate", "--measured", str(folder))
    assert code == 0 and "measured decode step times" in out and "skipped" in out


def test_bad_validation_csv_exits_2_naming_row_and_column(capsys, tmp_path: Path) -> None:
    text = PUBLISHED.read_text().splitlines()
    head, first = text[0], text[1]
    bad = first.replace(",groq-lpu,llama-2-70b,tokens_per_s_per_user,300,", ",groq-lpu,llama-9000,tokens_per_s_per_user,abc,")
    p = tmp_path / "bad.csv"
    p.write_text(head + "\n" + bad + "\n")
    code, out, err = run_cli(capsys, "validate", "--data", str(p))
    assert code == 2 and out == ""
    assert "line 2, column model" in err and "line 2, column published" in err
    p.write_text("id,system\nx,y\n")
    code, _, err = run_cli(capsys, "validate", "--data", str(p))
    assert code == 2 and "missing columns" in err
    code, _, err = run_cli(capsys, "validate", "--data", str(tmp_path / "nope.csv"))
    assert code == 2 and "cannot read" in err


# --- evaluate on GPU systems ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["h200-x8", "b200-x8"])
def test_evaluate_gpu_json_has_the_stable_keys(capsys, tmp_path: Path, name: str) -> None:
    p = tmp_path / f"{name}.yaml"
    p.write_text(system_yaml(name))
    code, out, _ = run_cli(capsys, "evaluate", str(p), "--json")
    assert code == 0
    d = json.loads(out)
    assert REQUIRED_KEYS <= d.keys()
    assert d["binding_limit"] in LIMITS
    details = {"weight_bandwidth", "kv_bandwidth", "compute", "communication", "kv_capacity", "pipeline_bubbles"}
    assert d["binding_detail"] in details
    assert d["chips"] == 8 and d["parallelism"]["gpus"] == 8
    assert d["kv_bytes_per_token"] == 163_840  # Llama-3.1-70B, fp8 KV: 2 x 8 x 128 x 80 x 1 B
    assert sum(d["energy_breakdown_j_per_token"].values()) == pytest.approx(d["joules_per_token"])
    code, out, _ = run_cli(capsys, "evaluate", str(p))
    assert code == 0 and "binding detail" in out


@pytest.mark.parametrize(("name", "part"), [("rubin-nvl72", None), ("groq3-lpx-rubin", "attention")])
def test_evaluate_gpu_kv_bandwidth_supply_is_what_the_limit_uses(capsys, name: str, part: str | None) -> None:
    # both presets are bound by the GPUs' KV bandwidth (docs/gpu.md GS8, docs/afd.md): the KV
    # bandwidth available per group is then what the KV demands (rubin-nvl72: 4,096 sequences in
    # 9 micro-batches of ceil(4,096 / 9) = 456 leave 8 slots empty, a 4,096 / 4,104 shortfall), and
    # below the achievable HBM bandwidth (0.8 x 22 TB/s), itself below the peak
    code, out, _ = run_cli(capsys, "evaluate", name, "--json")
    assert code == 0
    d = json.loads(out)
    hbm = d[part] if part else d
    assert d["binding_limit"] == "kv_bandwidth"
    demand, supply = d["kv_bw_demand_bytes_per_s_per_group"], d["kv_bw_supply_bytes_per_s_per_group"]
    assert demand == pytest.approx(supply * (1.0 if part else 4096 / 4104), rel=1e-9)
    assert supply < hbm["hbm_bw_achievable_bytes_per_s_per_gpu"] == pytest.approx(0.8 * 22e12)
    assert hbm["hbm_bw_peak_bytes_per_s_per_gpu"] == pytest.approx(22e12)
    code, out, _ = run_cli(capsys, "evaluate", name)
    assert code == 0 and "demand / available" in out and "peak / achievable" in out


GPU_BAD = [
    ("gpu: h200", "gpu: h900", "gpu"),
    ("tensor: 8", "tensor: 1", "parallelism"),
    ("context: 8192", "context: 99999999", "workload.context"),
    ("batch: 64", "batch: -1", "workload.batch"),
    ("gpu: h200", "gpu: {base: h200, hbm_bw: 12 parsecs}", "gpu.hbm_bw"),
]


@pytest.mark.parametrize("old, new, field", GPU_BAD)
def test_bad_gpu_yaml_exits_2_naming_the_field(capsys, tmp_path: Path, old: str, new: str, field: str) -> None:
    text = system_yaml("h200-x8")
    assert old in text
    p = tmp_path / "bad.yaml"
    p.write_text(text.replace(old, new).replace("weights: fp8", "weights: bf16" if field == "parallelism" else "weights: fp8"))
    code, out, err = run_cli(capsys, "evaluate", str(p), "--json")
    assert code == 2 and out == ""
    assert field in err


def test_catalog_gpus(capsys) -> None:
    code, out, _ = run_cli(capsys, "catalog", "gpus", "--json")
    assert code == 0
    items = {i["name"]: i for i in json.loads(out)}
    assert set(items) == {"h100-sxm", "h200", "b200", "mi300x", "rubin"}
    for item in items.values():
        fields = {"hbm_bytes", "hbm_bw_bytes_per_s", "hbm_bw_fraction", "flop_fraction", "tdp_w", "idle_power_w"}
        assert fields <= set(item["figures"])
        assert all(f["source"] and f["firmness"] in "VDUA" for f in item["figures"].values())


def test_measured_folder_that_does_not_exist_exits_2_naming_it(capsys, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    code, out, err = run_cli(capsys, "validate", "--measured", str(missing))
    assert code == 2 and out == ""
    assert "--measured" in err and str(missing) in err and "does not exist" in err and "Traceback" not in err


def test_empty_measured_folder_is_named_in_the_note(capsys, tmp_path: Path) -> None:
    folder = tmp_path / "my-measurements"
    folder.mkdir()
    code, out, _ = run_cli(capsys, "validate", "--measured", str(folder))
    assert code == 0
    assert "no CSV in" in out and "my-measurements" in out
    assert "no CSV in validation/measured" not in out


def test_non_utf8_csvs_exit_2_naming_the_file(capsys, tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes(b"id,system\n\xff\xfe,x\n")
    code, _, err = run_cli(capsys, "validate", "--data", str(p))
    assert code == 2 and "latin1.csv" in err and "not UTF-8" in err and "Traceback" not in err
    folder = tmp_path / "measured"
    folder.mkdir()
    (folder / "bad.csv").write_bytes(b"device\n\xff\n")
    code, _, err = run_cli(capsys, "validate", "--measured", str(folder))
    assert code == 2 and "bad.csv" in err and "not UTF-8" in err


def test_validate_formats_numbers_with_the_report_helpers() -> None:
    import kvpipe.cli.validate as v

    assert not hasattr(v, "_pct") and not hasattr(v, "_num")
    assert v._signed_pct(0.1234) == "+12.3 %" and v._signed_pct(-0.05) == "-5 %"
    assert v._signed_pct(float("nan")) == "n/a"


def test_reserve_tokens_sets_the_max_batch_from_the_reserved_kv() -> None:
    # Llama-3.1-8B, fp8 weights and KV, one H200. KV per token: 32 layers x 8 KV heads x 128 x 2 (K, V)
    # x 1 B = 65,536 B. Weights ~8.03e9 B. Free HBM: 0.9 x 141e9 - W. A row reserving 2,000 tokens per
    # sequence fits floor(free / (65,536 x 2,000)) sequences, one reserving 1,000 twice as many (+-1).
    from kvpipe.validation.published import parse_rows

    head = RESERVE_HEAD
    lines = [head, "a,x,gpu,h200,llama-3.1-8b,tokens_per_s,1,fp8,fp8,bf16,max,1000,2000,0.25,-9,9,s,U",
             "b,x,gpu,h200,llama-3.1-8b,tokens_per_s,1,fp8,fp8,bf16,max,1000,,0.25,-9,9,s,U"]
    a, b = predict_all(parse_rows(lines))
    assert b.row.reserve_tokens == 1000  # default: the context
    free = 0.9 * 141e9 - 8.03e9
    assert a.batch_used == pytest.approx(free / (65_536 * 2_000), abs=2)
    assert b.batch_used == pytest.approx(free / (65_536 * 1_000), abs=3)


def test_reserve_below_the_context_is_an_error_naming_the_cell() -> None:
    from kvpipe.validation.published import ValidationDataError, parse_rows

    head = RESERVE_HEAD
    with pytest.raises(ValidationDataError, match="line 2, column reserve_tokens"):
        parse_rows([head, "a,x,gpu,h200,llama-3.1-8b,tokens_per_s,1,fp8,fp8,bf16,max,1000,999,0.25,-9,9,s,U"])
    with pytest.raises(ValidationDataError, match="applies to GPU rows"):
        parse_rows([head, "a,x,spatial,groq-lpu,llama-3.1-8b,tokens_per_s,1,fp8,fp8,bf16,1,1000,2000,0.25,-9,9,s,U"])


def test_group_summaries_by_system_model_and_parallelism() -> None:
    from dataclasses import replace

    from kvpipe.validation import group_summaries

    base = predict_all(read_rows(PUBLISHED))[-1]  # any prediction: only row fields and error matter here
    a = replace(base, row=replace(base.row, tensor=1), error=0.10)
    b = replace(base, row=replace(base.row, tensor=1), error=-0.30)
    c = replace(base, row=replace(base.row, tensor=1), error=0.20)
    d = replace(base, row=replace(base.row, tensor=2), error=0.50)
    g1, g2 = group_summaries([a, b, c, d])
    # group TP1: errors +10, -30, +20 -> signed median +10 %, |errors| 10, 30, 20 -> median 20 %; 2 of 3 within 25 %
    assert (g1.tensor, g1.rows, g1.within_target) == (1, 3, 2)
    assert g1.median_error == pytest.approx(0.10) and g1.median_abs_error == pytest.approx(0.20)
    assert (g2.tensor, g2.rows, g2.median_error, g2.within_target) == (2, 1, pytest.approx(0.50), 0)


def test_several_data_files_are_predicted_together(capsys) -> None:
    code, out, _ = run_cli(capsys, "validate", "--json", "--data", str(PUBLISHED), *map(str, EXTRAS))
    assert code == 0
    d = json.loads(out)
    n = sum(len(read_rows(p)) for p in [PUBLISHED, *EXTRAS])
    assert len(d["rows"]) == n and len({r["id"] for r in d["rows"]}) == n
    errs = sorted(abs(r["error"]) for r in d["rows"])
    mid = (errs[(n - 1) // 2] + errs[n // 2]) / 2
    assert d["median_abs_error"] == pytest.approx(mid)
