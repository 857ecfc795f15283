"""Configs at the edge: unit strings, the system YAML schema, and loading it into a System.

    >>> from kvpipe.config import load_system, parse_quantity
    >>> parse_quantity("3.35 TB/s", "bytes_per_s")
    3350000000000.0

Every user mistake is reported at once as one :class:`ConfigError` whose ``errors`` list
names each field path and the expected form.

The names below are loaded from their modules on first use: :mod:`kvpipe.config.units`,
:mod:`kvpipe.config.schema` and :mod:`kvpipe.config.device_spec` sit below the catalog (which
parses its files with them), the loaders above it (they look names up in the catalog), and
importing the first three must not run the loaders (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvpipe._lazy import lazy_names

if TYPE_CHECKING:
    from kvpipe.config.gpu import load_any_system, parse_any_system, parse_any_system_yaml, parse_gpu_system
    from kvpipe.config.loader import (
        ConfigError,
        load_system,
        parse_system,
        parse_system_yaml,
        read_yaml,
        seed_system,
        seed_system_yaml,
    )
    from kvpipe.config.schema import SystemSpec
    from kvpipe.config.units import Kind, UnitError, format_quantity, parse_quantity

_HOME: dict[str, str] = {
    "ConfigError": "loader", "load_system": "loader", "parse_system": "loader", "parse_system_yaml": "loader",
    "read_yaml": "loader", "seed_system": "loader", "seed_system_yaml": "loader",
    "load_any_system": "gpu", "parse_any_system": "gpu", "parse_any_system_yaml": "gpu", "parse_gpu_system": "gpu",
    "SystemSpec": "schema",
    "Kind": "units", "UnitError": "units", "format_quantity": "units", "parse_quantity": "units",
}

__all__ = [
    "ConfigError", "Kind", "SystemSpec", "UnitError", "format_quantity", "load_any_system", "load_system",
    "parse_any_system", "parse_any_system_yaml", "parse_gpu_system", "parse_quantity",
    "parse_system", "parse_system_yaml", "read_yaml", "seed_system", "seed_system_yaml",
]

__getattr__, __dir__ = lazy_names(__name__, _HOME)
