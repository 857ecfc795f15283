"""Every shipped model and system runs through the user's main commands: evaluate, a short
simulation and memory requirements, each giving finite, non-negative figures."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from kvpipe import catalog
from kvpipe.cli.kinds import systems_json
from kvpipe.cli.main import main

SIM_ARGS = ("--arrival-rate", "20", "--duration", "0.5 s", "--prompt", "64", "--output", "8", "--json")


def _numbers(x: Any) -> list[float]:
    if isinstance(x, bool) or x is None or isinstance(x, str):
        return []
    if isinstance(x, (int, float)):
        return [float(x)]
    if isinstance(x, dict):
        return [v for item in x.values() for v in _numbers(item)]
    if isinstance(x, list):
        return [v for item in x for v in _numbers(item)]
    return []


def _run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    nums = _numbers(doc)
    assert nums, "the command printed no figures"
    bad = [v for v in nums if not (math.isfinite(v) and v >= 0)]
    assert not bad, f"non-finite or negative figures: {bad[:5]}"
    return doc


def _model_system(tmp_path: Path, model: str) -> Path:
    """The seed system with ``model`` in place of Llama-3.1-70B, at a modest load."""
    p = tmp_path / f"{model}.yaml"
    p.write_text(
        f"model: {model}\nchip: spatial-n3-reticle\nkv_memory: {{tech: hbm3e, units_per_group: 6}}\n"
        "mapping: {usable_sram_fraction: 0.8, balance_compute: true}\nworkload: {users: 32, context: 4096}\n"
    )
    return p


@pytest.mark.parametrize("model", catalog.names("model"))
def test_every_shipped_model_evaluates_simulates_and_sizes_memory(capsys, tmp_path, model):
    path = str(_model_system(tmp_path, model))
    ev = _run_json(capsys, "evaluate", path, "--json")
    assert ev["chips"] >= 1 and ev["tokens_per_s_per_user"] > 0 and ev["joules_per_token"] > 0
    sim = _run_json(capsys, "simulate", path, *SIM_ARGS)
    assert sim["requests_completed"] >= 1 and sim["joules_per_token"] > 0
    req = _run_json(capsys, "memory", "requirements", path, "--json")
    assert req["required_bw_per_group_bytes_per_s"] > 0


KINDS = {s["name"]: s["kind"] for s in systems_json()}


@pytest.mark.parametrize("name", catalog.names("system"))
def test_every_shipped_system_evaluates(capsys, name):
    ev = _run_json(capsys, "evaluate", name, "--json")
    assert ev["tokens_per_s_per_user"] > 0 and ev["joules_per_token"] > 0
    if KINDS[name] == "spatial":  # GPU servers and attention-FFN systems are evaluated, not simulated
        _run_json(capsys, "simulate", name, *SIM_ARGS)
        _run_json(capsys, "memory", "requirements", name, "--json")
