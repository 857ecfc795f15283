"""The core packages do no file I/O, printing or plotting, and never import the edge packages."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "kvpipe"
CORE = ("workload", "hardware", "mapping", "perf", "memory", "sim", "explore")
FORBIDDEN_CALLS = {"print", "open", "input"}
FORBIDDEN_METHODS = {"write_text", "write_bytes", "read_text", "read_bytes", "mkdir", "unlink", "savefig"}
FORBIDDEN_MODULES = ("matplotlib", "rich", "kvpipe.report", "kvpipe.cli", "kvpipe.config", "kvpipe.catalog")


def _files():
    for pkg in CORE:
        yield from sorted((SRC / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", list(_files()), ids=lambda p: str(p.relative_to(SRC)))
def test_core_module_is_pure(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            if isinstance(f, ast.Name) and f.id in FORBIDDEN_CALLS:
                problems.append(f"line {node.lineno}: {f.id}()")
            if isinstance(f, ast.Attribute) and f.attr in FORBIDDEN_METHODS:
                problems.append(f"line {node.lineno}: .{f.attr}()")
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            for name in names:
                if name.startswith(FORBIDDEN_MODULES):
                    problems.append(f"line {node.lineno}: imports {name}")
    assert not problems, problems
