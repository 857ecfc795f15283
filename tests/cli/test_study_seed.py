"""`kvpipe study seed` on the shipped catalog, end to end: the headline agrees with `kvpipe evaluate`."""

import json
from pathlib import Path

import pytest

from kvpipe.catalog import system_yaml
from kvpipe.cli.main import main


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("study") / "seed"
    assert main(["study", "seed", "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def headline(seed_out: Path) -> dict:
    return json.loads((seed_out / "headline.json").read_text(encoding="utf-8"))


def test_real_single_user_speed_is_what_evaluate_gives(headline, tmp_path, capsys):
    text = system_yaml("seed")
    assert "users: 128" in text
    one = tmp_path / "seed-1-user.yaml"
    one.write_text(text.replace("users: 128", "users: 1"))
    capsys.readouterr()
    assert main(["evaluate", str(one), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert headline["single_user_tokens_per_s"] == pytest.approx(d["tokens_per_s_per_user"], rel=1e-12)
    assert headline["single_user_binding_limit"] == d["binding_limit"]
    # HBM3E's reads make one user KV-latency-bound; the ideal memory leaves the pipeline's own limit
    assert d["binding_limit"] == "kv_latency"
    assert headline["single_user_binding_limit_ideal_kv"] == "pipeline_depth"
    assert headline["single_user_tokens_per_s_ideal_kv"] > 2 * headline["single_user_tokens_per_s"]
