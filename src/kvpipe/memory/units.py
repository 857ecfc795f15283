"""Quantities with units, as people write them in device descriptions ("13.75 ns", "1 KiB").

Every parser returns an SI float (seconds, joules, watts, amperes, volts, bits per second per
pin, bytes, metres, square metres). A bare number is taken as already SI. Byte prefixes are
decimal unless the binary form (KiB, MiB, GiB) is written; ``b`` is a bit, ``B`` a byte.
"""

from __future__ import annotations

import re

_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*?)\s*$")

_SI = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "m": 1e-3, "": 1.0,
       "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}


class UnitError(ValueError):
    """A value that is not a number with a unit of the expected kind."""


def _prefixed(base: str, prefixes: str, scale: float = 1.0) -> dict[str, float]:
    return {p + base: _SI[p] * scale for p in prefixes}


def _bytes_table() -> dict[str, float]:
    table: dict[str, float] = {"B": 1.0, "b": 0.125, "bit": 0.125, "bits": 0.125}
    for p, f in (("k", 1e3), ("K", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12)):
        table[p + "B"] = f
        table[p + "b"] = f / 8
        table[p + "bit"] = f / 8
    for p, f in (("Ki", 2**10), ("Mi", 2**20), ("Gi", 2**30), ("Ti", 2**40)):
        table[p + "B"] = float(f)
        table[p + "b"] = f / 8
    return table


_TABLES: dict[str, dict[str, float]] = {
    "time": _prefixed("s", "pnuµm") | {"s": 1.0},
    "energy": _prefixed("J", "fpnuµm") | {"J": 1.0},
    "energy_per_bit": {k + suffix: v for k, v in (_prefixed("J", "fpn") | {"J": 1.0}).items()
                       for suffix in ("/bit", "/b")},
    "energy_per_bit_mm": {k + suffix: v * 1e3 for k, v in (_prefixed("J", "fpn")).items()
                          for suffix in ("/bit/mm", "/b/mm")},
    "power": _prefixed("W", "uµmk") | {"W": 1.0},
    "current": _prefixed("A", "uµm") | {"A": 1.0},
    "voltage": _prefixed("V", "m") | {"V": 1.0},
    "bit_rate": {**{p + "b/s": _SI[p] for p in "kKMGT"}, **{p + "bps": _SI[p] for p in "kKMGT"},
                 **{p + "T/s": _SI[p] for p in "kKMGT"}, "b/s": 1.0, "bps": 1.0},
    "bytes_per_s": {k + "/s": v for k, v in _bytes_table().items() if not k.startswith("bit")},
    "bytes": _bytes_table(),
    "ratio": {"%": 0.01},
    "length": {"m": 1.0, "mm": 1e-3, "um": 1e-6, "µm": 1e-6, "nm": 1e-9},
    "area": {"m2": 1.0, "m^2": 1.0, "mm2": 1e-6, "mm^2": 1e-6, "um2": 1e-12, "um^2": 1e-12,
             "µm2": 1e-12, "µm^2": 1e-12},
}

_UNIT_REQUIRED = frozenset({"length", "area"})

CYCLE_UNITS = frozenset({"nCK", "tCK", "CK", "clk", "cycle", "cycles"})


def split_quantity(value: object) -> tuple[float, str]:
    """``"13.75 ns"`` -> ``(13.75, "ns")``; numbers pass through with an empty unit."""
    if isinstance(value, bool):
        raise UnitError(f"expected a number with a unit, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value), ""
    if not isinstance(value, str):
        raise UnitError(f"expected a number with a unit, got {value!r}")
    m = _NUMBER.match(value)
    if not m:
        raise UnitError(f"expected a number with a unit such as '14 ns', got {value!r}")
    return float(m.group(1)), m.group(2).replace(" ", "")


def parse(value: object, kind: str) -> float:
    """Parse ``value`` as a quantity of ``kind`` (a key of the unit tables) into SI."""
    number, unit = split_quantity(value)
    if unit == "" and kind in _UNIT_REQUIRED and number != 0:
        # system files read bare lengths as mm (their keys carry the unit); here the field
        # names carry none, so a bare length would silently be metres: ask for the unit
        raise UnitError(f"{number:g} needs a unit here, e.g. '{number:g} mm'")
    if unit == "":
        return number
    table = _TABLES[kind]
    if unit not in table:
        examples = ", ".join(sorted(table)[:6])
        raise UnitError(f"unit {unit!r} is not a {kind.replace('_', ' ')} unit (e.g. {examples})")
    return number * table[unit]


def parse_time_or_cycles(value: object, t_ck_s: float | None) -> float:
    """A timing in seconds; ``"23 nCK"`` (or tCK, cycles, clk) is multiplied by ``t_ck_s``."""
    number, unit = split_quantity(value)
    if unit in CYCLE_UNITS:
        if t_ck_s is None:
            raise UnitError("a timing in clock cycles needs a valid tCK")
        return number * t_ck_s
    return parse(value, "time")


def parse_count(value: object) -> int:
    """A positive-or-zero whole number (counts: banks, channels, burst length)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UnitError(f"expected a whole number, got {value!r}")
    number, unit = split_quantity(value)
    if unit:
        raise UnitError(f"expected a plain whole number, got {value!r}")
    if number != int(number):
        raise UnitError(f"expected a whole number, got {value!r}")
    return int(number)
