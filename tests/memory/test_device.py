"""Device descriptions: parsing with units, and bad descriptions rejected naming the field."""

from __future__ import annotations

import pytest
from conftest import tiny

from kvpipe import catalog, units
from kvpipe.config.devices import parse_device
from kvpipe.config.loader import ConfigError
from kvpipe.units import Kind


def _errors(d: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        parse_device(d)
    return dict(e.value.errors)


def test_units() -> None:
    # one grammar (kvpipe.units) for device files and system files
    p = units.parse_quantity
    assert p("13.75 ns", Kind.SECONDS) == pytest.approx(13.75e-9)
    assert p("1 KiB", Kind.BYTES) == 1024
    assert p("1 KB", Kind.BYTES) == 1000
    assert p("16 Gb", Kind.BYTES) == 2e9
    assert p("6.4 Gb/s", Kind.BITS_PER_S) == pytest.approx(6.4e9)  # per pin: bits, not bytes
    assert p("6400 MT/s", Kind.BITS_PER_S) == pytest.approx(6.4e9)
    assert p("0.32 pJ/bit/mm", Kind.J_PER_BIT_MM) == pytest.approx(0.32e-12)
    assert p("65 mA", Kind.AMPERES) == pytest.approx(0.065)
    assert p("8.5 mm", Kind.LENGTH_MM) == 8.5 and p("9 um", Kind.LENGTH_MM) == pytest.approx(9e-3)
    assert p("10 %", Kind.FRACTION) == pytest.approx(0.1)
    assert p(3.5, Kind.SECONDS) == 3.5  # bare numbers are SI
    assert units.parse_cycles("23 nCK") == 23 and units.parse_cycles("23 ns") is None
    assert units.parse_count("16") == 16
    with pytest.raises(units.UnitError):
        p("14 furlongs", Kind.SECONDS)
    with pytest.raises(units.UnitError):
        units.parse_count("16 banks")


def test_shipped_devices_are_valid_and_sourced() -> None:
    for name in catalog.device_names():
        d = catalog.device(name)
        assert d.capacity_bytes > 0 and d.peak_bw_bytes_per_s > 0
        # every organization, timing and energy figure names its source
        for key in ("organization.channels", "timing.tRCD", "energy.io"):
            assert d.sources.get(key), f"{name}: no source for {key}"


def test_geometry_and_peak() -> None:
    # HBM3: 32 pseudo-channels x 32 bits x 6.4 Gb/s / 8 = 819.2 GB/s;
    # 32 PC x 32 banks x 16384 rows x 1 KiB = 16 GiB.
    d = catalog.device("HBM3")
    assert d.peak_bw_bytes_per_s == pytest.approx(819.2e9)
    assert d.capacity_bytes == 16 * 2**30
    assert d.organization.burst_bytes == 32
    assert d.timing.t_rcd_s == pytest.approx(23 * 0.625e-9)


def test_tras_below_trcd_is_rejected() -> None:
    errs = _errors(tiny(timing={"tRAS": "5 nCK", "tRC": "30 nCK"}))
    assert "timing.tRAS" in errs and "tRCD" in errs["timing.tRAS"]


def test_zero_banks_is_rejected() -> None:
    errs = _errors(tiny(organization={"banks_per_group": 0}))
    assert "organization.banks_per_group" in errs


def test_impossible_geometry_is_rejected() -> None:
    # a 30 B row is not a whole number of 4 B bursts
    errs = _errors(tiny(organization={"row_bytes": 30}))
    assert "impossible geometry" in errs["organization.row_bytes"]
    # stated capacity disagrees with channels x banks x rows x row bytes (1024 x 32 B)
    errs = _errors(tiny(organization={"capacity": "1 GiB"}))
    assert "organization.capacity" in errs


def test_negative_values_and_all_errors_at_once() -> None:
    d = tiny(timing={"tRP": "-3 ns"}, energy={"io": "-1 pJ/bit"},
             organization={"channels": 0, "data_rate": "fast"})
    d["attachment"] = {"type": "4d"}
    d["surprise"] = 1
    errs = _errors(d)
    for field in ("timing.tRP", "energy.io", "organization.channels", "organization.data_rate",
                  "attachment.type", "surprise"):
        assert field in errs, field


def test_bare_number_timing_is_not_taken_as_seconds() -> None:
    errs = _errors(tiny(timing={"tRCD": 14}))
    assert "write the unit" in errs["timing.tRCD"]


def test_idd_conversion_hand_checked() -> None:
    # VDD 1.2 V, IDD0 65 mA, IDD3N 55 mA, IDD2N 40 mA, tRC 48 ns, tRAS 34 ns:
    # E_act = 1.2 * (65*48 - (55*34 + 40*14)) pC = 1.2 * 690 pC = 828 pJ.
    # read: 1.2 V * (390 - 55) mA / (8 bits x 1 Gb/s) = 0.402 W / 8 Gb/s = 50.25 pJ/bit.
    # background: 1.2 * 55 mA = 66 mW; refresh: 1.2 * (250-55) mA * 40 ns / 100 ns = 93.6 mW.
    d = tiny(timing={"tRAS": "34 nCK", "tRC": "48 nCK", "refresh": "all_bank"})
    d["energy"] = {"io": "1 pJ/bit",
                   "idd": {"vdd": "1.2 V", "idd0": "65 mA", "idd2n": "40 mA", "idd3n": "55 mA",
                           "idd4r": "390 mA", "idd4w": "500 mA", "idd5b": "250 mA"}}
    e = parse_device(d).energy
    assert e.act_pre_j == pytest.approx(828e-12)
    assert e.read_core_j_per_bit == pytest.approx(50.25e-12)
    assert e.write_core_j_per_bit == pytest.approx(1.2 * 0.445 / 8e9)
    assert e.background_w == pytest.approx(0.066)
    assert e.refresh_w == pytest.approx(0.0936)
    assert "IDD" in e.derivation["act_pre_j"]


def test_geometry_energy_reproduces_oconnor_hbm2() -> None:
    # HBM2 read path at 1.2 V: cell 0.44 + 7 mm x 0.32 pJ/bit/mm + TSV 0.5 = 3.18 pJ/bit,
    # the sum of the MICRO'17 Table 3 components (0.44 + 1.01 + 1.23 + 0.5).
    e = catalog.device("HBM2").energy
    assert e.read_core_j_per_bit == pytest.approx(3.18e-12)
    # standby from the DRAMsim3 currents: 1.2 V x 55 mA x 16 PCs / 2 PCs per scope
    assert e.background_w == pytest.approx(0.528)
