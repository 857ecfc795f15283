"""Names a package offers at its top but imports from its modules only when first asked for
(a module ``__getattr__``, PEP 562), so that importing the package stays light."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any


def lazy_names(package: str, home: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of ``package``: each name of ``home`` is looked up in
    the module ``package.<home[name]>`` on first use, then kept in the package's namespace."""
    namespace = vars(sys.modules[package])

    def get(name: str) -> Any:
        if name not in home:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(f"{package}.{home[name]}"), name)
        namespace[name] = value  # later look-ups find it directly
        return value

    def names() -> list[str]:
        return sorted(set(namespace) | set(home))

    return get, names
