"""DRAM device files go the one validation path of config files: a pydantic spec, every mistake
at once in document order with its field path, then the factory building the Device."""

from __future__ import annotations

import pytest
import yaml

from kvpipe import catalog, units
from kvpipe.catalog import _files
from kvpipe.catalog.entry import CatalogError
from kvpipe.cli.main import main
from kvpipe.config.devices import parse_device
from kvpipe.config.loader import ConfigError
from kvpipe.units import Kind

# HBM3 as the catalog ships it, with seven mistakes; each comment says what the file gets wrong
SEVERAL_MISTAKES = """\
vendor: acme                    # not a device field
name: broken-hbm3
family: HBM
unit: stack
organization:
  channels: 32
  bank_groups: 4
  banks_per_group: 8
  rows_per_bank: 16384
  row_bytes: 1 KiBB             # no such unit
  io_width_bits: 32
  burst_length: 8
  data_rate: fast               # not a rate
timing:
  tCK: 0.625 ns
  tRCD: 14                      # 14 seconds: the ns was left out
  tRP: 23 nCK
  tRAS: 55 nCK
  tCCD_S: 4 nCK
  tCCD_L: 2 nCK                 # shorter than tCCD_S: impossible, even while tRCD is wrong
  tRRD_S: 2 nCK
  tFAW: 48 nCK
  tWTR: 13 nCK
  tRTW: 20 nCK
  tRFC: 450 ns
  tREFI: 3.9 us
energy:
  io: -0.4 pJ/bit               # negative
  background: 0.9 W
  refresh: 0.45 W
  datapath: 8 mm
attachment:
  type: 2.5d
  footprint_along_edge: 11 mm
  footprint_depth: 11 mm
  shoreline: 8.5                # a bare length: mm or m?
"""


def test_a_device_file_with_several_mistakes_reports_each_in_document_order(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text(SEVERAL_MISTAKES)
    assert main(["memory", "compare", "--device", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "7 errors in" in err
    lines = [line.strip() for line in err.splitlines() if line.startswith("  ")]
    assert [line.split(":")[0] for line in lines] == [
        "vendor", "organization.row_bytes", "organization.data_rate", "timing.tRCD", "timing.tCCD_L",
        "energy.io", "attachment.shoreline",
    ]
    by_path = dict(line.split(": ", 1) for line in lines)
    assert by_path["vendor"].startswith("unknown key")
    assert by_path["organization.row_bytes"] == 'expected a byte size such as "80 GB" or "36 GiB", got "1 KiBB"'
    assert by_path["organization.data_rate"] == 'expected a rate per pin such as "6.4 Gb/s", got "fast"'
    assert "write the unit" in by_path["timing.tRCD"]
    assert by_path["timing.tCCD_L"] == "tCCD_L must be >= tCCD_S"
    assert by_path["energy.io"] == 'must not be negative, got "-0.4 pJ/bit"'
    assert "needs a unit" in by_path["attachment.shoreline"]
    assert not (tmp_path / "out").exists()  # nothing written


def _errors(d: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as e:
        parse_device(d)
    return dict(e.value.errors)


def test_device_units_are_the_one_grammar():
    # the same HBM3 written with other spellings of the same figures builds the same device:
    # 1 KiB = 1024 B; 6.4 Gb/s = 6400 MT/s per pin; tRCD 23 nCK x 0.625 ns = 14.375 ns;
    # 0.4 pJ/bit = 400 fJ/bit; 8.5 mm = 8500 um
    d = catalog.device_dict("HBM3")
    d["organization"].update(row_bytes=1024, data_rate="6400 MT/s")
    d["timing"]["tRCD"] = "14.375 ns"
    d["energy"]["io"] = "400 fJ/bit"
    d["attachment"]["shoreline"] = "8500 um"
    mine, shipped = parse_device(d), catalog.device("HBM3")
    assert mine.organization == shipped.organization
    assert mine.timing.t_rcd_s == pytest.approx(14.375e-9) == pytest.approx(shipped.timing.t_rcd_s)
    assert mine.energy.io_j_per_bit == pytest.approx(0.4e-12) == pytest.approx(shipped.energy.io_j_per_bit)
    assert mine.attachment == shipped.attachment
    # a string the grammar refuses is refused in a device file with the grammar's own words
    with pytest.raises(units.UnitError) as e:
        units.parse_quantity("14 furlongs", Kind.SECONDS)
    d["timing"]["tRP"] = "14 furlongs"
    assert _errors(d)["timing.tRP"] == e.value.message


def test_the_attachment_type_decides_its_fields():
    d = catalog.device_dict("HBM3")
    d["attachment"] = {"type": "3d", "footprint": "100 mm2", "shoreline": "8 mm"}
    errs = _errors(d)
    for key in ("bond_pitch", "data_bond_fraction", "rate_per_bond", "stack_height", "capacity_per_layer"):
        assert errs[f"attachment.{key}"] == "required for a 3d attachment"
    assert errs["attachment.shoreline"].startswith("a field of a 2.5d attachment")
    d["attachment"] = {"type": "4d"}
    assert "2.5d" in _errors(d)["attachment.type"]


def test_a_broken_catalog_device_names_its_file(tmp_path, monkeypatch):
    import shutil
    from pathlib import Path

    root = tmp_path / "catalog"
    shutil.copytree(Path(str(_files.data_root())), root)
    doc = yaml.safe_load((root / "devices" / "hbm3.yaml").read_text())
    doc["timing"]["tRAS"] = "5 nCK"  # shorter than tRCD (23 nCK)
    (root / "devices" / "hbm3.yaml").write_text(yaml.safe_dump(doc))
    monkeypatch.setattr(_files, "data_root", lambda: root)
    for f in (_files.device_files, _files.device):
        f.cache_clear()
    try:
        with pytest.raises(CatalogError) as e:
            catalog.device("HBM3")
        assert [p for p, _ in e.value.errors] == ["devices/hbm3.yaml: timing.tRAS"]
    finally:
        for f in (_files.device_files, _files.device):
            f.cache_clear()


def test_a_timing_in_cycles_out_of_bounds_is_reported_once():
    # 1e30 cycles of HBM3's 0.625 ns tCK is 6.25e20 s, beyond kvpipe's 1e3 s bound for a time:
    # that is the mistake; the order checks (tRAS 55 nCK = 34.4 ns < tRCD) would only repeat it
    d = catalog.device_dict("HBM3")
    d["timing"]["tRCD"] = "1e30 nCK"
    errs = _errors(d)
    assert list(errs) == ["timing.tRCD"]
    assert errs["timing.tRCD"].startswith("1e+30 cycles of tCK must be at most")
    # ... also while another timing of the section has a mistake of its own
    d["timing"]["tRP"] = "23 furlongs"
    errs = _errors(d)
    assert sorted(errs) == ["timing.tRCD", "timing.tRP"]
    assert errs["timing.tRCD"].startswith("1e+30 cycles of tCK must be at most")


def test_a_row_is_a_whole_number_of_bytes():
    # 1.5 B (or 1.1 KiB = 1,126.4 B) is no row size: said as such, not built as a 1 B (1,126 B) row
    d = catalog.device_dict("HBM3")
    for written, shown in ((1.5, "1.5 B"), ("1.1 KiB", "1126.4 B")):
        d["organization"]["row_bytes"] = written
        errs = _errors(d)
        assert list(errs) == ["organization.row_bytes"]
        assert errs["organization.row_bytes"].startswith("must be a whole number of bytes") and shown in errs["organization.row_bytes"]
