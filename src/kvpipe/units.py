"""Human quantity strings ("3.35 TB/s", "36 GiB", "20 fJ/bit", "23 nCK") to SI floats, and back.

The one unit grammar of kvpipe: system and part files (``kvpipe.config``, re-exported as
``kvpipe.config.units``), DRAM device descriptions (``kvpipe.memory``) and every printed
figure use it. It depends on nothing else in kvpipe, so the core packages may import it.

Conventions (docs/design.md section 3):

* Every kind parses to one SI float: bytes, bytes/s, seconds, J, J/bit, J/FLOP, FLOP/s, W,
  V, A, bit/s per pin, fractions, and the geometric kinds in the units their names carry:
  mm^2, mm and J/bit/mm.
* Byte prefixes are **decimal** (``GB`` = 1e9 B) unless the binary ``iB`` form is written
  (``GiB`` = 2**30 B). ``K`` and ``k`` both mean kilo.
* Case matters where SI says so: ``m`` is milli and ``M`` mega; ``B`` is a byte and ``b``
  a bit (``"16 Gb"`` = 2e9 bytes, ``"9.2 Gb/s"`` = 1.15e9 bytes/s).
* A plain number, written as a YAML number or as a string without a unit, is taken as
  already SI for its kind (``1e9`` for bytes is 1 GB; for ``area_mm2`` it is mm^2).
* No quantity here may be negative, NaN or infinite. ``positive=True`` also rejects zero.

Parsing is pure; errors are :class:`UnitError` whose message names the expected form.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum


class Kind(str, Enum):
    """What physical quantity a value is, named after its SI unit."""

    BYTES = "bytes"
    BYTES_PER_S = "bytes_per_s"
    SECONDS = "seconds"
    J_PER_BIT = "j_per_bit"
    J_PER_FLOP = "j_per_flop"
    FLOP_PER_S = "flop_per_s"
    WATTS = "watts"
    AREA_MM2 = "area_mm2"
    LENGTH_MM = "length_mm"
    JOULES = "joules"
    VOLTS = "volts"
    AMPERES = "amperes"
    BITS_PER_S = "bits_per_s"  # a signalling rate per pin ("6.4 Gb/s", "6400 MT/s")
    J_PER_BIT_MM = "j_per_bit_mm"  # wire energy per bit and millimetre
    FRACTION = "fraction"  # a bare number or a percentage


class UnitError(ValueError):
    """A quantity string that does not parse as the expected kind."""

    def __init__(self, kind: Kind, text: object, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.text = text
        self.message = message


# --- prefixes --------------------------------------------------------------------------

_SMALL = {"a": 1e-18, "f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3}
_LARGE = {"k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18}
_BINARY = {"Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40, "Pi": 2.0**50, "Ei": 2.0**60}
_ALL = {"": 1.0, **_SMALL, **_LARGE}
_UP = {"": 1.0, **_LARGE}


@dataclass(frozen=True)
class _Unit:
    """One accepted base-unit spelling, its factor to SI, and the prefixes it takes."""

    spellings: tuple[str, ...]
    factor: float
    prefixes: dict[str, float]


def _units(*units: _Unit) -> tuple[_Unit, ...]:
    return units


_BYTE_WORDS = ("B", "byte", "bytes")
_BIT_WORDS = ("b", "bit", "bits")

_TABLE: dict[Kind, tuple[_Unit, ...]] = {
    Kind.BYTES: _units(
        _Unit(_BYTE_WORDS, 1.0, {**_UP, **_BINARY}),
        _Unit(_BIT_WORDS, 1 / 8, {**_UP, **_BINARY}),
    ),
    Kind.BYTES_PER_S: _units(
        _Unit(tuple(w + "/s" for w in _BYTE_WORDS) + ("Bps",), 1.0, {**_UP, **_BINARY}),
        _Unit(tuple(w + "/s" for w in _BIT_WORDS) + ("bps",), 1 / 8, {**_UP, **_BINARY}),
    ),
    Kind.SECONDS: _units(_Unit(("s", "sec"), 1.0, {"": 1.0, **_SMALL})),
    Kind.J_PER_BIT: _units(
        _Unit(tuple("J/" + w for w in _BIT_WORDS), 1.0, _ALL),
        _Unit(tuple("J/" + w for w in _BYTE_WORDS), 1 / 8, _ALL),
    ),
    Kind.J_PER_FLOP: _units(_Unit(("J/FLOP", "J/flop", "J/op", "J/OP"), 1.0, _ALL)),
    Kind.FLOP_PER_S: _units(
        _Unit(("FLOP/s", "flop/s", "FLOPS", "flops", "OP/s", "op/s", "OPS", "ops"), 1.0, _UP)
    ),
    Kind.WATTS: _units(_Unit(("W",), 1.0, _ALL)),
    Kind.AREA_MM2: _units(
        _Unit(("mm^2", "mm2", "mm²"), 1.0, {"": 1.0}),
        _Unit(("cm^2", "cm2", "cm²"), 100.0, {"": 1.0}),
        _Unit(("um^2", "um2", "um²", "µm^2", "µm²", "μm^2", "μm²"), 1e-6, {"": 1.0}),
    ),
    Kind.LENGTH_MM: _units(
        _Unit(("mm",), 1.0, {"": 1.0}),
        _Unit(("cm",), 10.0, {"": 1.0}),
        _Unit(("um", "µm", "μm"), 1e-3, {"": 1.0}),
        _Unit(("m",), 1e3, {"": 1.0}),
    ),
    Kind.JOULES: _units(_Unit(("J",), 1.0, _ALL)),
    Kind.VOLTS: _units(_Unit(("V",), 1.0, _ALL)),
    Kind.AMPERES: _units(_Unit(("A",), 1.0, _ALL)),
    Kind.BITS_PER_S: _units(_Unit(("b/s", "bit/s", "bps", "T/s"), 1.0, _UP)),
    Kind.J_PER_BIT_MM: _units(_Unit(tuple(f"J/{w}/mm" for w in _BIT_WORDS), 1.0, _ALL)),
    Kind.FRACTION: _units(_Unit(("%",), 0.01, {"": 1.0})),
}

EXPECTED: dict[Kind, str] = {
    Kind.BYTES: 'a byte size such as "80 GB" or "36 GiB"',
    Kind.BYTES_PER_S: 'a bandwidth such as "3.35 TB/s" or "900 GB/s"',
    Kind.SECONDS: 'a time such as "100 ns" or "1.5 us"',
    Kind.J_PER_BIT: 'an energy per bit such as "3.9 pJ/bit" or "20 fJ/bit"',
    Kind.J_PER_FLOP: 'an energy per operation such as "0.1 pJ/FLOP"',
    Kind.FLOP_PER_S: 'a compute rate such as "989 TFLOP/s" or "2 PFLOP/s"',
    Kind.WATTS: 'a power such as "60 W" or "700 mW"',
    Kind.AREA_MM2: 'an area such as "800 mm^2"',
    Kind.LENGTH_MM: 'a length such as "8.5 mm"',
    Kind.JOULES: 'an energy such as "0.909 nJ"',
    Kind.VOLTS: 'a voltage such as "1.1 V"',
    Kind.AMPERES: 'a current such as "65 mA"',
    Kind.BITS_PER_S: 'a rate per pin such as "6.4 Gb/s"',
    Kind.J_PER_BIT_MM: 'a wire energy such as "0.32 pJ/bit/mm"',
    Kind.FRACTION: 'a fraction such as 0.1 or "10 %"',
}

_NUMBER = r"[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_QUANTITY = re.compile(rf"^\s*(?P<num>{_NUMBER})\s*(?P<unit>.*?)\s*$")


# --- parsing ---------------------------------------------------------------------------


def parse_quantity(value: object, kind: Kind | str, *, positive: bool = False) -> float:
    """Parse ``value`` (a unit string or a plain number) as ``kind``, in SI units.

    Raises :class:`UnitError` for a wrong form, a negative or non-finite number, and with
    ``positive=True`` for zero.
    """
    k = Kind(kind)
    number = _parse_number_and_unit(value, k)
    return _check_range(number, value, k, positive)


def _parse_number_and_unit(value: object, kind: Kind) -> float:
    if isinstance(value, bool):
        raise _form_error(kind, value)
    if isinstance(value, (int, float)):
        return float(value)
    if not isinstance(value, str):
        raise _form_error(kind, value)
    match = _QUANTITY.match(value)
    if match is None:
        raise _form_error(kind, value)
    number = float(match["num"].replace(",", ""))
    factor = _unit_factor(match["unit"], kind)
    if factor is None:
        raise _form_error(kind, value)
    return _scale(number, factor)


def _scale(number: float, factor: float) -> float:
    # Divide by an exact inverse where there is one, so that "20 fJ/bit" is exactly 2e-14.
    if factor < 1.0:
        inverse = round(1.0 / factor)
        if abs(inverse * factor - 1.0) < 1e-12:
            return number / inverse
    return number * factor


def _unit_factor(unit: str, kind: Kind) -> float | None:
    if unit == "":
        return 1.0
    for u in _TABLE[kind]:
        for spelling in u.spellings:
            if unit.endswith(spelling):
                prefix = unit[: len(unit) - len(spelling)]
                if prefix in u.prefixes:
                    return u.prefixes[prefix] * u.factor
    return None


def _check_range(number: float, text: object, kind: Kind, positive: bool) -> float:
    if not math.isfinite(number):
        raise UnitError(kind, text, f"expected a finite number, got {_show(text)}")
    if number < 0:
        raise UnitError(kind, text, f"must not be negative, got {_show(text)}")
    if positive and number == 0:
        raise UnitError(kind, text, f"must be greater than zero, got {_show(text)}")
    return number


def _form_error(kind: Kind, text: object) -> UnitError:
    return UnitError(kind, text, f"expected {EXPECTED[kind]}, got {_show(text)}")


def _show(text: object) -> str:
    return f'"{text}"' if isinstance(text, str) else repr(text)


# --- formatting ------------------------------------------------------------------------

_DISPLAY: dict[Kind, str] = {
    Kind.BYTES: "B",
    Kind.BYTES_PER_S: "B/s",
    Kind.SECONDS: "s",
    Kind.J_PER_BIT: "J/bit",
    Kind.J_PER_FLOP: "J/FLOP",
    Kind.FLOP_PER_S: "FLOP/s",
    Kind.WATTS: "W",
    Kind.AREA_MM2: "mm^2",
    Kind.LENGTH_MM: "mm",
    Kind.JOULES: "J",
    Kind.VOLTS: "V",
    Kind.AMPERES: "A",
    Kind.BITS_PER_S: "b/s",
    Kind.J_PER_BIT_MM: "J/bit/mm",
    Kind.FRACTION: "",
}
_ENG = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""),
        (1e-3, "m"), (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"), (1e-18, "a")]
_NO_PREFIX = {Kind.AREA_MM2, Kind.LENGTH_MM, Kind.FRACTION}
_NO_SMALL = {Kind.BYTES, Kind.BYTES_PER_S, Kind.FLOP_PER_S, Kind.BITS_PER_S}
_NO_LARGE = {Kind.SECONDS}


def format_quantity(value: float, kind: Kind | str, digits: int = 3) -> str:
    """Format an SI value with an engineering prefix: ``3.35e12, "bytes_per_s"`` -> ``"3.35 TB/s"``.

    Bytes use decimal prefixes. ``digits`` significant digits; the result parses back with
    :func:`parse_quantity` to within that precision.
    """
    k = Kind(kind)
    unit = _DISPLAY[k]
    if k in _NO_PREFIX or value == 0 or not math.isfinite(value):
        return f"{_plain(value, digits)} {unit}"
    scale, prefix = _pick_prefix(abs(value), k)
    text = f"{value / scale:.{digits}g}"
    if "e" in text:  # rounding spilled into the next prefix, e.g. 999.96 -> 1e+03
        scale, prefix = _pick_prefix(abs(float(text)) * scale, k)
        text = f"{value / scale:.{digits}g}"
    return f"{text} {prefix}{unit}"


_BINARY_PREFIXES = (("Ti", 2.0**40), ("Gi", 2.0**30), ("Mi", 2.0**20), ("Ki", 2.0**10))


def format_bytes_binary(value: float, digits: int = 3) -> str:
    """A byte count computed from binary geometry, with binary prefixes: ``2**32`` -> ``"4 GiB"``
    (parses back with :func:`parse_quantity`)."""
    for prefix, scale in _BINARY_PREFIXES:
        if abs(value) >= scale:
            return f"{value / scale:.{digits}g} {prefix}B"
    return f"{value:.{digits}g} B"


def _plain(value: float, digits: int) -> str:
    if math.isfinite(value) and 10**digits <= abs(value) < 1e15:
        return f"{value:.0f}"
    return f"{value:.{digits}g}"


def _pick_prefix(magnitude: float, kind: Kind) -> tuple[float, str]:
    allowed = [
        (s, p) for s, p in _ENG
        if not (kind in _NO_SMALL and s < 1.0) and not (kind in _NO_LARGE and s > 1.0)
    ]
    for scale, prefix in allowed:
        if magnitude >= scale * (1 - 1e-12):
            return scale, prefix
    return allowed[-1]


# --- device descriptions: clock cycles and counts ------------------------------------------

CYCLE_UNITS = frozenset({"nCK", "tCK", "CK", "clk", "cycle", "cycles"})


def parse_cycles(value: object) -> float | None:
    """The clock cycles of a timing written in cycles (``"23 nCK"``, or tCK, CK, clk, cycles)
    -> 23.0; ``None`` for any other form (a time is parsed with :func:`parse_quantity`)."""
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value)
    if match is None or match["unit"] not in CYCLE_UNITS:
        return None
    return _check_range(float(match["num"].replace(",", "")), value, Kind.SECONDS, False)


def parse_count(value: object) -> int:
    """A whole number without a unit (counts: banks, channels, burst length)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise UnitError(Kind.FRACTION, value, f"expected a whole number, got {_show(value)}")
    if isinstance(value, str):
        match = _QUANTITY.match(value)
        if match is None or match["unit"]:
            raise UnitError(Kind.FRACTION, value, f"expected a plain whole number, got {_show(value)}")
        number = float(match["num"].replace(",", ""))
    else:
        number = float(value)
    if not math.isfinite(number) or number != int(number):
        raise UnitError(Kind.FRACTION, value, f"expected a whole number, got {_show(value)}")
    return int(number)


def has_unit(value: object) -> bool:
    """Whether ``value`` is a string that names a unit (``"8.5 mm"``), not a bare number."""
    if not isinstance(value, str):
        return False
    match = _QUANTITY.match(value)
    return match is not None and bool(match["unit"])
