"""docs/validation.md says its Results table is what ``kvpipe validate`` prints: check it."""

from __future__ import annotations

import re
from pathlib import Path

from kvpipe.cli.main import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "validation.md"


def _doc_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("## Results"):]
    lines = section.splitlines()
    head = lines.index(next(ln for ln in lines if ln.startswith("| system |")))
    rows = []
    for ln in lines[head + 2:]:  # past the header and its |---| line
        if not ln.startswith("| "):
            break
        rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    return rows


def _printed_rows(capsys) -> list[list[str]]:
    assert main(["validate"]) == 0
    out = capsys.readouterr().out
    rows = []
    for ln in out.splitlines():
        if ln.startswith("│"):
            cells = [c.strip() for c in ln.strip("│").split("│")]
            if cells[0]:
                rows.append(cells)
    return rows


def test_the_documented_results_table_is_what_validate_prints(capsys) -> None:
    doc = _doc_rows()
    printed = _printed_rows(capsys)
    assert len(doc) == len(printed) == 10
    for d, p in zip(doc, printed, strict=True):
        assert d == p


def test_every_validation_tag_in_the_code_is_documented() -> None:
    src = (Path(__file__).resolve().parents[2] / "src" / "kvpipe" / "validation" / "published.py").read_text()
    tags = set(re.findall(r"\((V\d+)\)", src))
    assert tags >= {"V1", "V2"}
    doc = DOC.read_text(encoding="utf-8")
    for tag in tags:
        assert f"| {tag} |" in doc, tag


def test_every_gpu_tag_in_the_code_is_documented() -> None:
    root = Path(__file__).resolve().parents[2]
    src = (root / "src" / "kvpipe" / "perf" / "gpu.py").read_text()
    tags = set(re.findall(r"\((G[WS]\d+)\)", src)) | {f"GW{i}" for i in range(1, 8)}  # the docstring says GW1..GW7
    doc = (root / "docs" / "gpu.md").read_text(encoding="utf-8")
    for tag in sorted(tags):
        assert f"| {tag} |" in doc, tag


def test_the_documented_trtllm_summary_is_what_validate_computes() -> None:
    from kvpipe.validation import group_summaries, predict_all, read_rows

    root = Path(__file__).resolve().parents[2]
    groups = group_summaries(predict_all(read_rows(root / "validation" / "extra" / "trtllm10-perf-overview.csv")))
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("### TensorRT-LLM v1.0"):text.index("## What limits accuracy")]
    doc = [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in section.splitlines()
           if ln.startswith("| ") and not ln.startswith("| system")]
    assert len(doc) == len(groups) == 11
    for system, model, par, weights, rows, median, within in doc:
        (g,) = [g for g in groups if g.system == f"NVIDIA {system}" and g.model == model
                and f"{g.tensor} x {g.pipeline}" == par and g.weights == weights]
        assert int(rows) == g.rows
        assert median == f"{g.median_error * 100:+.1f} %"
        assert within == f"{g.within_target}/{g.rows}"
