"""Human-readable numbers for tables, the HTML report and figure annotations.

Physical quantities with a kind known to the config parser (bytes, bytes/s, J/bit, ...) go
through :func:`kvpipe.config.units.format_quantity`, so what the report prints parses back as
a config value. Quantities the parser has no kind for (J/token, tokens/s, "/s" ratios,
factors) are formatted here. Every helper accepts ``None``/NaN/inf and prints "n/a"/"inf".
"""

from __future__ import annotations

import math

from kvpipe.config.units import Kind, format_quantity

_ENG = [(1e18, "E"), (1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""),
        (1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"), (1e-18, "a")]

NA = "n/a"


def _bad(value: float | None) -> str | None:
    if value is None:
        return NA
    v = float(value)
    if math.isnan(v):
        return NA
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def si(value: float | None, unit: str, digits: int = 3) -> str:
    """``si(0.035, "J/token")`` -> ``"35 mJ/token"``: engineering prefix, ``digits`` significant."""
    bad = _bad(value)
    if bad is not None:
        return f"{bad} {unit}".strip()
    v = float(value)  # type: ignore[arg-type]
    if v == 0:
        return f"0 {unit}".strip()
    scale, prefix = _ENG[-1]
    for s, p in _ENG:
        if abs(v) >= s * (1 - 1e-12):
            scale, prefix = s, p
            break
    text = f"{v / scale:.{digits}g}"
    if "e" in text:  # 999.96 -> 1e+03: move up one prefix
        return si(float(text) * scale, unit, digits)
    return f"{text} {prefix}{unit}".strip()


def _quantity(value: float | None, kind: Kind, digits: int = 3) -> str:
    bad = _bad(value)
    if bad is not None:
        return bad
    return format_quantity(float(value), kind, digits)  # type: ignore[arg-type]


def fmt_bytes(value: float | None, digits: int = 3) -> str:
    """``6.61e9`` -> ``"6.61 GB"`` (decimal prefixes)."""
    return _quantity(value, Kind.BYTES, digits)


def fmt_bw(value: float | None, digits: int = 3) -> str:
    """``3.35e12`` -> ``"3.35 TB/s"``."""
    return _quantity(value, Kind.BYTES_PER_S, digits)


def fmt_j_per_bit(value: float | None, digits: int = 3) -> str:
    """``1.63e-12`` -> ``"1.63 pJ/bit"``."""
    return _quantity(value, Kind.J_PER_BIT, digits)


def fmt_pj_per_bit(pj: float | None, digits: int = 3) -> str:
    """A value already in pJ/bit (as Headline carries them) -> ``"1.63 pJ/bit"``."""
    return fmt_j_per_bit(None if pj is None else float(pj) * 1e-12, digits)


def fmt_j_per_flop(value: float | None, digits: int = 3) -> str:
    return _quantity(value, Kind.J_PER_FLOP, digits)


def fmt_flop_per_s(value: float | None, digits: int = 3) -> str:
    return _quantity(value, Kind.FLOP_PER_S, digits)


def fmt_seconds(value: float | None, digits: int = 3) -> str:
    """``2e-7`` -> ``"200 ns"``."""
    return _quantity(value, Kind.SECONDS, digits)


def fmt_watts(value: float | None, digits: int = 3) -> str:
    return _quantity(value, Kind.WATTS, digits)


def fmt_mm2(value: float | None, digits: int = 4) -> str:
    """``71200.0`` -> ``"71,200 mm²"``: grouped digits, the unit as the report's column heads
    write it (``mm²``; input files take ``mm^2`` too)."""
    bad = _bad(value)
    if bad is not None:
        return bad
    return f"{fmt_number(value, digits)} mm²"


def fmt_mm(value: float | None, digits: int = 3) -> str:
    return _quantity(value, Kind.LENGTH_MM, digits)


def fmt_joules(value: float | None, per: str = "token", digits: int = 3) -> str:
    """``0.035`` -> ``"35 mJ/token"``."""
    return si(value, f"J/{per}" if per else "J", digits)


def fmt_number(value: float | None, digits: int = 3) -> str:
    """A plain number: >= 100 as a grouped integer (``"5,358"``), else ``digits`` significant."""
    bad = _bad(value)
    if bad is not None:
        return bad
    v = float(value)  # type: ignore[arg-type]
    if abs(v) >= 1e15:
        return f"{v:.{digits}g}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.{digits}g}"


def fmt_count(value: float | None) -> str:
    """An integer count with thousands separators: ``"1,234"``."""
    bad = _bad(value)
    if bad is not None:
        return bad
    return f"{round(float(value)):,}"  # type: ignore[arg-type]


def fmt_rate(value: float | None, unit: str = "tokens/s", digits: int = 3) -> str:
    """``5357.6`` -> ``"5,358 tokens/s"``."""
    return f"{fmt_number(value, digits)} {unit}"


def fmt_per_s(value: float | None, digits: int = 3) -> str:
    """A bandwidth/capacity ratio: ``4830.0`` -> ``"4,830 /s"``, ``33.33`` -> ``"33.3 /s"``."""
    return f"{fmt_number(value, digits)} /s"


def fmt_factor(value: float | None, digits: int = 3) -> str:
    """A multiplier: ``2.39`` -> ``"2.39×"``, ``197.0`` -> ``"197×"``."""
    return f"{fmt_number(value, digits)}×"


def fmt_percent(fraction: float | None, digits: int = 3) -> str:
    """A fraction as a percentage: ``0.826`` -> ``"82.6 %"``."""
    bad = _bad(fraction)
    if bad is not None:
        return bad
    return f"{float(fraction) * 100:.{digits}g} %"  # type: ignore[arg-type]


def fmt_tokens(value: float | None) -> str:
    """A context length: ``8192`` -> ``"8,192 tokens"``."""
    return f"{fmt_count(value)} tokens"
