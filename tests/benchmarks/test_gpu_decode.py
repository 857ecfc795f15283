"""benchmarks/gpu_decode.py without a GPU: its pure helpers always; a tiny CPU run when PyTorch
is installed (it is not a kvpipe dependency), fed back through `kvpipe validate`'s measured path."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from kvpipe.validation import compare_file

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_decode.py"


def load():
    spec = importlib.util.spec_from_file_location("gpu_decode", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses resolve their annotations through it
    spec.loader.exec_module(mod)
    return mod


def test_helpers_and_csv_layout(tmp_path: Path) -> None:
    m = load()
    assert m.gpu_preset("NVIDIA H100 80GB HBM3") == "h100-sxm"
    assert m.gpu_preset("NVIDIA H200") == "h200" and m.gpu_preset("AMD Instinct MI300X") == "mi300x"
    assert m.gpu_preset("Intel Xeon") == ""
    # Llama-3.1-8B bf16 without its embedding table (the benchmark feeds random hidden states):
    # 32 x 218,103,808 + 128,256 x 4,096 = 7,504,658,432 weights x 2 B, plus one cache slot per layer
    # (32 x 2 x 1,024 x 2 B) and the fp32 score buffers (32 heads x 4 B x 2)
    assert m.bytes_needed(m.LLAMA_3_1_8B, 1, 0, 2) == 7_504_658_432 * 2 + 131_072 + 256
    args = m.parse_args(["--tiny", "--batches", "1,2", "--contexts", "8,16", "--out", str(tmp_path / "x.csv")])
    assert args.batches == [1, 2] and args.contexts == [8, 16] and args.tiny
    row = {k: 1 for k in m.COLUMNS} | {"device": "NVIDIA H100 80GB HBM3", "dtype": "bf16", "gpu_preset": "h100-sxm",
                                      "hidden_size": 4096, "intermediate_size": 14336, "num_hidden_layers": 32,
                                      "num_attention_heads": 32, "num_key_value_heads": 8, "vocab_size": 128256,
                                      "batch": 1, "context": 1024, "step_time_s": 0.0065}
    out = tmp_path / "m.csv"
    w = m.RowWriter(out)
    w(row)
    w.finish()
    preds, skipped = compare_file(out)
    assert len(preds) == 1 and not skipped
    assert preds[0].predicted_s == pytest.approx(5.650823e-3, rel=1e-6)


def test_tiny_run_on_cpu(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    m = load()
    out = tmp_path / "tiny.csv"
    assert m.main(["--tiny", "--device", "cpu", "--batches", "1,2", "--contexts", "16,32", "--repeats", "2",
                   "--warmup", "1", "--out", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert lines[0].split(",") == list(m.COLUMNS) and len(lines) == 5
    preds, skipped = compare_file(out)
    assert preds == [] and len(skipped) == 4  # a CPU matches no GPU preset: reported, not compared


def test_rows_reach_disk_one_by_one_and_the_file_appears_when_the_grid_ends(tmp_path: Path) -> None:
    m = load()
    out = tmp_path / "sub" / "g.csv"
    w = m.RowWriter(out)
    w({k: 1 for k in m.COLUMNS})
    # a run killed now leaves the header and the measured row, under a name validate does not read
    assert not out.exists() and w.partial.read_text().splitlines()[1] == ",".join("1" for _ in m.COLUMNS)
    w.finish()
    assert out.exists() and not w.partial.exists() and len(out.read_text().splitlines()) == 2


def test_time_budget_leaves_out_the_rest_of_the_grid(tmp_path: Path, capsys) -> None:
    pytest.importorskip("torch")
    m = load()
    out = tmp_path / "b.csv"
    assert m.main(["--tiny", "--device", "cpu", "--batches", "1,2", "--contexts", "16", "--repeats", "1", "--warmup", "0",
                   "--time-budget-s", "0", "--out", str(out)]) == 0
    assert len(out.read_text().splitlines()) == 1  # past a zero budget no point starts: the header alone
    assert capsys.readouterr().err.count("past the 0 s budget") == 2
