"""Unit strings to SI floats: goldens worked by hand, rejections, and the round trip."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvpipe.config.units import Kind, UnitError, format_quantity, parse_quantity

# (text, kind, SI value worked by hand)
GOLDENS = [
    # bytes: decimal unless the binary iB form is written
    ("230 MB", "bytes", 230e6),  # 230 x 10^6
    ("1 GB", "bytes", 1e9),
    ("36 GiB", "bytes", 36 * 2**30),  # 36 x 1,073,741,824 = 38,654,705,664
    ("512 KiB", "bytes", 512 * 1024),  # 524,288
    ("80 kB", "bytes", 80e3),
    ("80 KB", "bytes", 80e3),  # K is kilo, not kibi
    ("16 Gb", "bytes", 2e9),  # 16 gigabit / 8
    ("1e9", "bytes", 1e9),  # plain number: already SI
    ("1,000 B", "bytes", 1000.0),
    # bandwidth
    ("3.35 TB/s", "bytes_per_s", 3.35e12),
    ("1 PB/s", "bytes_per_s", 1e15),
    ("900 GB/s", "bytes_per_s", 900e9),
    ("9.2 Gb/s", "bytes_per_s", 1.15e9),  # 9.2e9 bit/s / 8
    # time
    ("100 ns", "seconds", 1e-7),
    ("1.5 us", "seconds", 1.5e-6),
    ("1.5 µs", "seconds", 1.5e-6),
    ("2 ms", "seconds", 2e-3),
    # energy per bit: 1 pJ = 1e-12 J, 1 fJ = 1e-15 J
    ("3.9 pJ/bit", "j_per_bit", 3.9e-12),
    ("20 fJ/bit", "j_per_bit", 2e-14),  # 20 x 1e-15
    ("8 pJ/B", "j_per_bit", 1e-12),  # per byte / 8
    # energy per operation
    ("0.1 pJ/FLOP", "j_per_flop", 1e-13),
    # compute
    ("2 PFLOP/s", "flop_per_s", 2e15),
    ("989 TFLOP/s", "flop_per_s", 989e12),
    ("750 TOPS", "flop_per_s", 750e12),
    # power
    ("60 W", "watts", 60.0),
    ("700 mW", "watts", 0.7),
    ("1.2 kW", "watts", 1200.0),
    # geometry, in the units the kind names
    ("800 mm^2", "area_mm2", 800.0),
    ("800 mm2", "area_mm2", 800.0),
    ("46,225 mm^2", "area_mm2", 46225.0),
    ("1 cm^2", "area_mm2", 100.0),
    ("8.5 mm", "length_mm", 8.5),
    ("1 cm", "length_mm", 10.0),
]


@pytest.mark.parametrize("text, kind, expected", GOLDENS)
def test_goldens(text: str, kind: str, expected: float) -> None:
    assert parse_quantity(text, kind) == pytest.approx(expected, rel=1e-12)


def test_exact_where_it_matters() -> None:
    assert parse_quantity("3.35 TB/s", Kind.BYTES_PER_S) == 3.35e12
    assert parse_quantity("36 GiB", Kind.BYTES) == 36 * 2**30
    assert parse_quantity("20 fJ/bit", Kind.J_PER_BIT) == 2e-14


def test_plain_numbers_are_si() -> None:
    assert parse_quantity(60, "watts") == 60.0
    assert parse_quantity(1.5e-6, "seconds") == 1.5e-6
    assert parse_quantity("  42 ", "area_mm2") == 42.0


@pytest.mark.parametrize(
    "text, kind, fragment",
    [
        ("12 parsecs", "bytes", 'expected a byte size such as "80 GB" or "36 GiB", got "12 parsecs"'),
        ("fast", "bytes_per_s", 'expected a bandwidth such as "3.35 TB/s"'),
        ("3.35 TB", "bytes_per_s", "expected a bandwidth"),  # a size is not a bandwidth
        ("100 nm", "seconds", "expected a time"),
        ("3.9 pJ", "j_per_bit", "expected an energy per bit"),
        ("1 mB", "bytes", "expected a byte size"),  # milli-bytes are meaningless
        ("2 PFLOP", "flop_per_s", "expected a compute rate"),
        ("60 J", "watts", "expected a power"),
        ("800 mm", "area_mm2", "expected an area"),
        ("8.5 nm", "length_mm", "expected a length"),
        ("e9", "bytes", "expected a byte size"),
        ("1,5 GB", "bytes", "expected a byte size"),  # not a decimal comma
        ("", "bytes", "expected a byte size"),
        (None, "bytes", "got None"),
        (True, "watts", "got True"),
        ([1], "watts", "expected a power"),
    ],
)
def test_rejections_name_the_expected_form(text: object, kind: str, fragment: str) -> None:
    with pytest.raises(UnitError) as e:
        parse_quantity(text, kind)
    assert fragment in str(e.value)
    assert e.value.kind == Kind(kind)


@pytest.mark.parametrize("kind", list(Kind))
def test_negative_values_are_rejected_for_every_kind(kind: Kind) -> None:
    with pytest.raises(UnitError, match="must not be negative"):
        parse_quantity("-1", kind)


def test_zero_is_allowed_unless_positive() -> None:
    assert parse_quantity("0 pJ/bit", "j_per_bit") == 0.0
    with pytest.raises(UnitError, match="greater than zero"):
        parse_quantity("0 TB/s", "bytes_per_s", positive=True)


@pytest.mark.parametrize("value", [math.inf, math.nan, "inf GB", "1e999 GB"])
def test_non_finite_is_rejected(value: object) -> None:
    with pytest.raises(UnitError):
        parse_quantity(value, "bytes")


@pytest.mark.parametrize(
    "value, kind, text",
    [
        (3.35e12, "bytes_per_s", "3.35 TB/s"),
        (2e-14, "j_per_bit", "20 fJ/bit"),
        (3.9e-12, "j_per_bit", "3.9 pJ/bit"),
        (1e-7, "seconds", "100 ns"),
        (1200.0, "watts", "1.2 kW"),
        (989e12, "flop_per_s", "989 TFLOP/s"),
        (800.0, "area_mm2", "800 mm^2"),
        (46225.0, "area_mm2", "46225 mm^2"),
        (8.5, "length_mm", "8.5 mm"),
        (0.0, "watts", "0 W"),
        (999.96e9, "bytes", "1 TB"),  # rounding moves to the next prefix
    ],
)
def test_format_goldens(value: float, kind: str, text: str) -> None:
    assert format_quantity(value, kind) == text


@given(
    kind=st.sampled_from(list(Kind)),
    value=st.floats(min_value=1e-17, max_value=1e20, allow_nan=False, allow_infinity=False),
)
def test_format_parses_back(kind: Kind, value: float) -> None:
    back = parse_quantity(format_quantity(value, kind, digits=6), kind)
    assert back == pytest.approx(value, rel=1e-5, abs=1e-17)
