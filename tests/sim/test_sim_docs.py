"""docs/sim.md: its commands name files that ship, and its trace example runs on the sample
trace in examples/traces (regenerated from its recipe)."""

from __future__ import annotations

import importlib.util
import json
import re
import shlex
from pathlib import Path

from kvpipe.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "sim.md"
SAMPLE = ROOT / "examples" / "traces" / "conv_sample.csv"


def _doc_commands() -> list[list[str]]:
    """The ``kvpipe simulate`` command lines of docs/sim.md (continuations joined, comments cut)."""
    text = DOC.read_text(encoding="utf-8").replace("\\\n", " ")
    return [shlex.split(m.split("#")[0]) for m in re.findall(r"^kvpipe simulate .*$", text, re.M)]


def test_sim_doc_examples_name_existing_files():
    cmds = _doc_commands()
    assert cmds
    for argv in cmds:
        assert (ROOT / argv[2]).is_file(), argv[2]
        if "--trace" in argv:
            assert (ROOT / argv[argv.index("--trace") + 1]).is_file()


def test_sample_trace_is_what_its_recipe_writes():
    spec = importlib.util.spec_from_file_location("make_conv_sample", SAMPLE.with_name("make_conv_sample.py"))
    assert spec is not None and spec.loader is not None
    recipe = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(recipe)
    text = SAMPLE.read_text(encoding="utf-8")
    assert text == recipe.sample_trace_text()
    assert text.splitlines()[0] == "TIMESTAMP,ContextTokens,GeneratedTokens"
    assert len(text.splitlines()) == 1 + 300


def test_documented_trace_command_runs_on_the_sample(capsys, monkeypatch):
    (argv,) = [a for a in _doc_commands() if "--trace" in a]
    assert argv[argv.index("--trace") + 1] == "examples/traces/conv_sample.csv"
    monkeypatch.chdir(ROOT)
    code = main([*argv[1:], "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    d = json.loads(out)
    # the run drains: every one of the 300 requests arrives and finishes (nothing is rejected)
    assert d["requests_arrived"] == d["requests_completed"] == 300
    assert d["requests_rejected"] == 0
    assert d["slo_ttft_s"] == 2.0 and d["slo_tpot_s"] == 0.005
