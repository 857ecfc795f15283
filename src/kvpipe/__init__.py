"""kvpipe: LLM decode on deep spatial pipelines and the KV-cache memory they need.

The Python API (docs/api.md) is importable from here: ``kvpipe.load``, ``kvpipe.evaluate``,
``kvpipe.sweep``, ``kvpipe.simulate`` (loaded on first use, so ``import kvpipe.perf`` stays light).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_API = ("evaluate", "load", "simulate", "sweep")

if TYPE_CHECKING:
    from kvpipe.api import evaluate, load, simulate, sweep


def __getattr__(name: str) -> Any:
    if name in _API:
        from kvpipe import api

        return getattr(api, name)
    raise AttributeError(f"module 'kvpipe' has no attribute {name!r}")


__all__ = ["__version__", "evaluate", "load", "simulate", "sweep"]
