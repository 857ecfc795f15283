"""The unit grammar of system and part files: :mod:`kvpipe.units` (one grammar for all of
kvpipe; it lives below every package so that the core may use it too)."""

from kvpipe.units import EXPECTED, Kind, UnitError, format_quantity, parse_quantity

__all__ = ["EXPECTED", "Kind", "UnitError", "format_quantity", "parse_quantity"]
