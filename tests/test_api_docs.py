"""docs/api.md's example runs as written; the API's error paths say what is wrong."""

import re
import sys
from pathlib import Path

import pytest

import kvpipe

DOC = Path(__file__).parents[1] / "docs" / "api.md"


def test_the_documented_example_runs(tmp_path, monkeypatch, capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "docs/api.md has no python block"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for code in blocks:
        exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - the documentation's own example
    assert "kv_latency" in capsys.readouterr().out


def test_evaluate_is_the_cli_figure():
    from dataclasses import replace

    from kvpipe.perf import evaluate_system

    s = kvpipe.load("seed")
    df = kvpipe.evaluate(s, users=[1])
    r = evaluate_system(replace(s, workload=replace(s.workload, users=1)))
    assert df.tokens_per_s_per_user.item() == pytest.approx(float(r.tokens_per_s_per_user), rel=1e-12)


def test_unknown_axis_is_named():
    with pytest.raises(ValueError, match="unknown axis warp_speed"):
        kvpipe.evaluate("seed", warp_speed=[1.0])
    with pytest.raises(ValueError, match="layers_per_group"):
        kvpipe.evaluate("seed", layers_per_group=[2])


def test_without_pandas_the_message_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas now raises ImportError
    with pytest.raises(ImportError, match=r"kvpipe\[api\]"):
        kvpipe.evaluate("seed", users=[1])


def test_attribute_errors_stay_attribute_errors():
    with pytest.raises(AttributeError):
        kvpipe.no_such_function  # noqa: B018


def test_logic_area_column_and_its_documented_earlier_name():
    # docs/api.md: logic_area_mm2 = chips x die area; silicon_mm2 is the same column's earlier name
    s = kvpipe.load("seed")
    df = kvpipe.evaluate(s, users=[1, 64])
    want = df.chips * s.chip.die_area_mm2
    assert (df.logic_area_mm2 == want).all() and (df.silicon_mm2 == df.logic_area_mm2).all()
    assert df.logic_area_mm2.iloc[0] > 0
    g = kvpipe.load("h200-x8")
    dg = kvpipe.evaluate(g, users=[8])
    assert dg.logic_area_mm2.item() == 8 * g.gpu.die_area_mm2 == dg.silicon_mm2.item()
