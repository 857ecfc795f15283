"""Configs at the edge: unit strings, the system YAML schema, and loading it into a System.

    >>> from kvpipe.config import load_system, parse_quantity
    >>> parse_quantity("3.35 TB/s", "bytes_per_s")
    3350000000000.0

Every user mistake is reported at once as one :class:`ConfigError` whose ``errors`` list
names each field path and the expected form.
"""

# the loader must be imported before config.gpu, which builds on it
from kvpipe.config.loader import (  # noqa: I001
    ConfigError,
    load_system,
    parse_system,
    parse_system_yaml,
    read_yaml,
    seed_system,
    seed_system_yaml,
)
from kvpipe.config.gpu import load_any_system, parse_any_system, parse_any_system_yaml, parse_gpu_system
from kvpipe.config.schema import SystemSpec
from kvpipe.config.units import Kind, UnitError, format_quantity, parse_quantity

__all__ = [
    "ConfigError", "Kind", "SystemSpec", "UnitError", "format_quantity", "load_any_system", "load_system",
    "parse_any_system", "parse_any_system_yaml", "parse_gpu_system", "parse_quantity",
    "parse_system", "parse_system_yaml", "read_yaml", "seed_system", "seed_system_yaml",
]
