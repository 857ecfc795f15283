"""The spatial validation rows: every row parses with its source, date and software generation,
and docs/validation.md's per-generation and speculative-decoding tables are what the rows give."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest

from kvpipe.validation import predict_all, read_rows

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "validation.md"
PUBLISHED = ROOT / "validation" / "published.csv"
SPECULATIVE = ROOT / "validation" / "extra" / "spatial-speculative.csv"


def _table(heading: str, first_cell: str) -> list[list[str]]:
    """The markdown table after ``heading`` whose header row starts with ``| first_cell |``."""
    text = DOC.read_text(encoding="utf-8")
    lines = text[text.index(heading):].splitlines()
    head = lines.index(next(ln for ln in lines if ln.startswith(f"| {first_cell} |")))
    rows = []
    for ln in lines[head + 2:]:
        if not ln.startswith("| "):
            break
        rows.append([c.strip() for c in ln.strip().strip("|").split("|")])
    return rows


def _pct(x: float) -> str:
    """As the docs write errors: three significant figures, sign, ``%``."""
    v = x * 100
    return f"{v:+.3g} %" if abs(v) >= 100 else f"{v:+.1f} %"


@pytest.mark.parametrize("path", [PUBLISHED, SPECULATIVE], ids=lambda p: p.stem)
def test_every_spatial_row_parses_with_source_date_and_software(path: Path) -> None:
    spatial = [r for r in read_rows(path) if r.kind == "spatial"]
    assert spatial
    for r in spatial:
        assert r.source and r.date[:4].isdigit() and r.software, r.id
        assert r.metric == "tokens_per_s_per_user" and r.target == 0.35
        assert r.note, r.id  # every knob the source does not give is explained


def test_speculative_rows_are_apart_and_say_so() -> None:
    plain = {r.id for r in read_rows(PUBLISHED)}
    for r in read_rows(SPECULATIVE):
        assert r.id not in plain
        assert "speculative" in r.software.lower() and "SPECULATIVE DECODING" in r.note


def test_the_documented_generation_table_is_what_the_rows_give() -> None:
    preds = [p for p in predict_all(read_rows(PUBLISHED)) if p.row.kind == "spatial"]
    doc = _table("By software generation", "software generation")
    assert sum(int(d[1]) for d in doc) == len(preds) == 8
    # each documented generation names its rows by the start of their `software` cell
    starts = {"Groq": "Groq", "Cerebras Inference launch": "Cerebras Inference launch",
              "Cerebras Inference after": "Cerebras Inference after", "WaferLLM": "WaferLLM"}
    for label, rows, errors, median in doc:
        (start,) = [v for k, v in starts.items() if label.startswith(k)]
        part = [p for p in preds if p.row.software.startswith(start)]
        assert len(part) == int(rows), label
        documented = sorted(float(e.strip(" %")) for e in errors.split(","))
        assert documented == pytest.approx(sorted(round(p.error * 100, 1 if abs(p.error) < 1 else 0) for p in part),
                                           abs=0.06), label
        m = statistics.median(abs(p.error) for p in part) * 100
        assert float(median.strip(" %")) == pytest.approx(m, abs=0.5 if m >= 100 else 0.05), label


def test_the_documented_speculative_table_is_what_validate_computes() -> None:
    preds = predict_all(read_rows(SPECULATIVE))
    doc = _table("### Speculative-decoding rows", "row")
    assert len(doc) == len(preds) == 2
    for (_, published, predicted, error), p in zip(doc, preds, strict=True):
        assert float(published.replace(",", "")) == p.row.published
        assert float(predicted.replace(",", "")) == pytest.approx(p.predicted, abs=0.5)
        assert error == _pct(p.error)


def test_the_documented_spatial_medians_are_what_the_rows_give() -> None:
    main = [p for p in predict_all(read_rows(PUBLISHED)) if p.row.kind == "spatial"]
    spec = predict_all(read_rows(SPECULATIVE))
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    with_spec = statistics.median(abs(p.error) for p in main + spec)
    assert f"spatial rows {statistics.median(abs(p.error) for p in main) * 100:.1f} % (8 rows)" in text
    assert f"ten spatial rows' median absolute error is {with_spec * 100:.1f} %" in text
    first_four = [p for p in main if p.row.id in
                  {"groq-llama2-70b", "cerebras-llama31-70b", "cerebras-llama31-8b", "waferllm-llama3-8b"}]
    assert f"the spatial median was {statistics.median(abs(p.error) for p in first_four) * 100:.1f} %" in text
