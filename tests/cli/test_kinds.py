"""One protocol for every system kind: the CLI evaluates and prints any of them the same way."""

import ast
from pathlib import Path

import pytest

from kvpipe import catalog
from kvpipe.cli.kinds import GpuKind, HeteroKind, SpatialKind, load_kind

COMMON = {"system", "model", "kv_memory", "chips", "stages", "kv_groups", "users", "tokens_per_s_per_user",
          "tokens_per_s", "joules_per_token", "energy_breakdown_j_per_token", "binding_limit", "max_tokens_per_s"}


@pytest.mark.parametrize(("name", "kind"), [("seed", SpatialKind), ("h200-x8", GpuKind), ("groq3-lpx-rubin", HeteroKind)])
def test_each_document_kind_loads_as_its_kind(name: str, kind: type) -> None:
    loaded = load_kind(name)
    assert type(loaded) is kind and loaded.name == name
    ev = loaded.evaluate()
    assert COMMON <= ev.to_json().keys() and ev.system_name == name
    rows = dict(ev.rows())
    assert rows["model"] == ev.to_json()["model"] and "binding limit" in rows


def test_every_shipped_system_has_a_kind() -> None:
    for name in catalog.names("system"):
        assert load_kind(name).evaluate().to_json()["tokens_per_s"] > 0, name


def test_the_cli_does_not_branch_on_system_types() -> None:
    # cli/run.py, output.py and tables.py see systems only through the protocol or typed functions
    cli = Path(__import__("kvpipe.cli", fromlist=["_"]).__file__).parent
    for name in ("run.py", "output.py", "tables.py"):
        tree = ast.parse((cli / name).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "isinstance":
                checked = ast.unparse(node.args[1])
                assert "System" not in checked and "Result" not in checked, f"{name}: isinstance(..., {checked})"
