"""``kvpipe simulate`` end to end, and the timeline it writes."""

import json
from pathlib import Path

import pytest
from toy import run_cli, toy_system

from kvpipe.cli.main import main
from kvpipe.sim import Requests, SimConfig, chrome_trace, simulate


@pytest.fixture
def seed_yaml(tmp_path: Path) -> Path:
    catalog = pytest.importorskip("kvpipe.catalog")
    p = tmp_path / "seed.yaml"
    p.write_text(catalog.system_yaml("seed"))
    return p


def test_simulate_json_keys_and_timeline(capsys, seed_yaml, tmp_path):
    tl = tmp_path / "out" / "timeline.json"
    code, out, _ = run_cli(capsys, "simulate", seed_yaml, "--arrival-rate", "20", "--duration", "2 s", "--seed", "3",
                        "--slo-ttft", "2s", "--slo-tpot", "5ms", "--json", "--timeline", tl)
    assert code == 0
    d = json.loads(out)
    for k in ("ttft_s", "tpot_s", "e2e_s"):
        assert set(d[k]) == {"mean", "p50", "p90", "p99"} and d[k]["p50"] > 0
    assert d["requests_completed"] > 10 and d["requests_rejected"] == 0
    assert d["tokens_per_s"] > 0 and d["joules_per_token"] > 0
    assert d["goodput_requests_per_s"] <= d["throughput_requests_per_s"]
    assert d["slo_ttft_s"] == 2.0 and d["slo_tpot_s"] == 0.005
    trace = json.loads(tl.read_text())
    names = {e["args"]["name"] for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "process_name"}
    assert names == {"chip groups", "requests", "KV memory"}
    spans = [e for e in trace["traceEvents"] if e["ph"] == "X"]
    assert {e["name"] for e in spans} >= {"prefill", "decode"}
    # the same seed prints the same numbers
    code, again, _ = run_cli(capsys, "simulate", seed_yaml, "--arrival-rate", "20", "--duration", "2 s", "--seed", "3",
                          "--slo-ttft", "2s", "--slo-tpot", "5ms", "--json")
    assert json.loads(again) == d


def test_simulate_table_closed_loop_and_trace(capsys, seed_yaml, tmp_path):
    code, out, _ = run_cli(capsys, "simulate", seed_yaml, "--closed-loop", "4", "--think", "10 ms", "--duration", "0.5 s",
                        "--prompt", "512", "--output", "uniform:10:50")
    assert code == 0 and "TTFT" in out and "J/token" in out
    jl = tmp_path / "t.jsonl"
    jl.write_text(
        '{"arrival_s": 0, "prompt_tokens": 100, "output_tokens": 5}\n'
        '{"arrival_s": 0.001, "prompt_tokens": 50, "output_tokens": 3}\n'
    )
    code, out, _ = run_cli(capsys, "simulate", seed_yaml, "--trace", jl, "--json")
    assert code == 0 and json.loads(out)["requests_completed"] == 2


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,2\n-1,10,2\n", 3),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2,10,2\n1,10,2\n", 3),
        ("TIMESTAMP,ContextTokens\n0,10\n", 1),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n0,10,2\n1,NaN,2\n", 3),
    ],
)
def test_invalid_traces_exit_2_naming_the_line(capsys, seed_yaml, tmp_path, body, line):
    p = tmp_path / "trace.csv"
    p.write_text(body)
    code, _, err = run_cli(capsys, "simulate", seed_yaml, "--trace", p)
    assert code == 2
    assert f"trace.csv:{line}:" in err
    assert "Traceback" not in err


def test_bad_options_exit_2(capsys, seed_yaml):
    assert run_cli(capsys, "simulate", seed_yaml, "--arrival-rate", "10", "--slo-ttft", "soon")[0] == 2
    assert run_cli(capsys, "simulate", seed_yaml, "--arrival-rate", "-1")[0] == 2
    assert run_cli(capsys, "simulate", seed_yaml, "--arrival-rate", "10", "--prompt", "gauss:1:2")[0] == 2
    with pytest.raises(SystemExit) as e:
        main(["simulate", str(seed_yaml)])  # no arrivals named
    assert e.value.code == 2


def test_reference_timeline_has_a_track_per_chip_group():
    reqs = Requests.of([0.0, 0.0], [100, 50], [3, 2])
    r = simulate(toy_system(users=2), reqs, SimConfig(mode="reference", record_timeline=True))
    trace = chrome_trace(r)
    threads = {e["tid"] for e in trace["traceEvents"] if e["ph"] == "M" and e["name"] == "thread_name" and e["pid"] == 1}
    assert threads == {0, 1, 2, 3}  # embedding, two layer groups, LM head
    per_request = [e for e in trace["traceEvents"] if e["ph"] == "X" and e["pid"] == 2]
    assert {e["tid"] for e in per_request} == {0, 1}
    for e in trace["traceEvents"]:
        if e["ph"] == "X":
            assert e["dur"] >= 0 and e["ts"] >= 0
    json.dumps(trace)  # serializable
