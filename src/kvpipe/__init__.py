"""kvpipe: LLM decode on deep spatial pipelines and the KV-cache memory they need.

The Python API (docs/api.md) is importable from here: ``kvpipe.load``, ``kvpipe.evaluate``,
``kvpipe.sweep``, ``kvpipe.simulate`` (loaded on first use, so ``import kvpipe.perf`` stays light).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvpipe._lazy import lazy_names

__version__ = "0.1.0"

if TYPE_CHECKING:
    from kvpipe.api import evaluate, load, simulate, sweep


__getattr__, __dir__ = lazy_names(__name__, {name: "api" for name in ("evaluate", "load", "simulate", "sweep")})

__all__ = ["__version__", "evaluate", "load", "simulate", "sweep"]
