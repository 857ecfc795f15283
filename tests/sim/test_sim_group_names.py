"""Chip-group classes are named by what they hold, in the table and the JSON."""

from __future__ import annotations

import json

from toy import ROOT, run_cli

from kvpipe.mapping import place
from kvpipe.sim.records import class_name, class_names

SEED = ROOT / "examples" / "seed-hbm4.yaml"


def test_group_classes_are_named_by_what_they_hold(capsys):
    from kvpipe.config import load_system

    s = load_system(SEED)
    p = place(s.model, s.precisions, s.chip, s.mapping)
    assert class_names(p.classes) == ("embedding", "decoder-layer groups", "LM head")
    assert class_name(p.classes[1]) == "decoder-layer groups"
    code, out, _ = run_cli(capsys, "simulate", SEED, "--arrival-rate", "20", "--duration", "1 s")
    assert "busiest: decoder-layer groups (x80)" in out and "group class" not in out
    code, out, _ = run_cli(capsys, "simulate", SEED, "--arrival-rate", "20", "--duration", "1 s", "--json")
    assert json.loads(out)["utilization"]["group_names"] == ["embedding", "decoder-layer groups", "LM head"]
