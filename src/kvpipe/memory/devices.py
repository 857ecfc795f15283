"""Shipped DRAM device descriptions, as plain dictionaries (the same form a YAML file takes).

Every leaf figure carries a source in ``sources`` ("field.path" -> text). Marks follow
``shared/reference/memory-technologies.md``: **V** vendor/standard figure, **D** derived from
cited figures, **U** uncertain or an assumption (the text says why). Energies are *per
operation*; the published pJ/bit figures they are checked against (HBM3E 3.9, GDDR6 7.5,
HBM2E ~6) are outputs of the model, not inputs.

Abbreviations used in sources:

* ``OConnor17`` — M. O'Connor et al., "Fine-Grained DRAM: Energy-Efficient DRAM for Extreme
  Bandwidth Systems", MICRO-50, 2017 (Table 3: HBM2 energy per access component).
* ``DRAMsim3-HBM2`` — DRAMsim3 ``configs/HBM2_8Gb_x128.ini`` (timings in 1 ns cycles, IDD).
* ``Ramulator2-HBM3`` — Ramulator 2 ``src/dram/impl/HBM3.cpp`` 6.4 Gb/s preset and tRFC table
  (JESD238A organisation; its authors took the ns values from DRAMsim3's HBM2).
* ``Ramulator2-GDDR6`` — Ramulator 2 ``src/dram/impl/GDDR6.cpp`` preset.
* ``ref-table`` — ``shared/reference/memory-technologies.md``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from kvpipe.memory import units
from kvpipe.memory.device import Device, device_from_dict

_HBM_CORE_TIMING_SRC = ("DRAMsim3-HBM2 ns values (as reused by Ramulator2-HBM3) "
                        "(V for HBM2, U beyond)")
_ASSUME_REFPB = "assumption: same-bank refresh ~0.45 x tRFCab (U)"


def _sources(d: Mapping[str, Any], section_defaults: Mapping[str, str],
             overrides: Mapping[str, str]) -> dict[str, str]:
    """A source for every leaf field: the override if given, else the section default."""
    out: dict[str, str] = {}
    for section, default in section_defaults.items():
        for key in _leaves(d.get(section, {}), section):
            out[key] = overrides.get(key, default)
    for key, text in overrides.items():
        out[key] = text
    return out


def _leaves(d: Any, prefix: str) -> list[str]:
    if isinstance(d, Mapping):
        return [leaf for k, v in d.items() for leaf in _leaves(v, f"{prefix}.{k}")]
    return [prefix]


# --------------------------------------------------------------------------- HBM2 (MICRO'17 base)

_HBM2: dict[str, Any] = {
    "name": "HBM2", "family": "HBM", "unit": "stack",
    "organization": {
        "channels": 16, "bank_groups": 4, "banks_per_group": 4, "rows_per_bank": 16384,
        "row_bytes": "1 KiB", "io_width_bits": 64, "burst_length": 4, "data_rate": "2 Gb/s",
        "dies": 4, "capacity": "4 GiB",
    },
    "timing": {
        "tCK": "1 ns", "tRCD": "14 ns", "tRP": "14 ns", "tRAS": "34 ns", "tRC": "48 ns",
        "tCCD_S": "1 nCK", "tCCD_L": "2 nCK", "tRRD_S": "4 ns", "tRRD_L": "6 ns",
        "tFAW": "30 ns", "tWTR": "8 ns", "tRTW": "14 ns", "tCL": "14 ns", "tCWL": "4 ns",
        "tRTP": "4 ns", "tWR": "16 ns", "tRFC": "350 ns", "tREFI": "3.9 us",
        "refresh": "per_bank", "tRFCpb": "160 ns",
    },
    "energy": {
        "vdd": "1.2 V", "act_pre": "0.909 nJ", "datapath": "7 mm", "tsv": "0.5 pJ/bit",
        "io": "0.3 pJ/bit",
        "idd": {"vdd": "1.2 V", "idd0": "65 mA", "idd2n": "40 mA", "idd3n": "55 mA",
                "idd4r": "390 mA", "idd4w": "500 mA", "idd5b": "250 mA",
                "channels_per_scope": 2},
    },
    "attachment": {"type": "2.5d", "footprint_along_edge": "7.75 mm",
                   "footprint_depth": "11.87 mm", "shoreline": "8.5 mm"},
}
_HBM2["sources"] = _sources(_HBM2, {
    "organization": "JESD235 HBM2 pseudo-channel mode: 8 ch x 2 PC x 64 bit, 16 banks/PC, 1 KiB "
                    "page, BL4; 4-high 8 Gb (the OConnor17 baseline) (V)",
    "timing": "DRAMsim3-HBM2 (tCK 1 ns, values in ns) (V/U)",
    "energy": "OConnor17 Table 3 (V, via secondary transcription: U)",
    "attachment": "Samsung HBM2 KGSD 7.75 x 11.87 mm; shoreline: ref-table public model 8.5 mm (U)",
}, {
    "timing.tRFC": "Ramulator2 HBM tRFC table, 8 Gb (V/U)",
    "timing.tRTW": "D: tCL + BL/2 + 2 tCK - tCWL (Ramulator2 RD->WR rule)",
    "timing.tRFCpb": _ASSUME_REFPB,
    "energy.vdd": "JESD235 VDD 1.2 V (V)",
    "energy.datapath": "assumption: 7 mm mean bank-to-TSV wire, so that 0.32 pJ/bit/mm x 7 mm = "
                       "OConnor17's 1.01 + 1.23 pJ/bit column-decoder->BG-mux->GIO energy (U)",
    "energy.idd": "DRAMsim3-HBM2 IDD (per 128-bit legacy channel = 2 PCs); used for background "
                  "and refresh only (U)",
})

# --------------------------------------------------------------------------- HBM2E

_HBM2E: dict[str, Any] = copy.deepcopy(_HBM2)
_HBM2E.update(name="HBM2E")
_HBM2E["organization"].update(rows_per_bank=65536, data_rate="3.2 Gb/s", dies=8,
                              capacity="16 GiB")
_HBM2E["timing"].update({"tCK": "0.625 ns", "tCCD_S": "1.25 ns", "tCCD_L": "2 ns",
                         "tRFC": "450 ns", "tRFCpb": "200 ns"})
_HBM2E["energy"] = {
    "vdd": "1.2 V", "act_pre": "0.909 nJ", "datapath": "9 mm", "tsv": "0.8 pJ/bit",
    "io": "0.45 pJ/bit", "background": "1.06 W", "refresh": "0.5 W",
}
_HBM2E["sources"] = _sources(_HBM2E, {
    "organization": "Samsung Flashbolt / Micron HBM2E: 1024 x 3.2 Gb/s, 16 Gb dies, 8-high "
                    "16 GB (ref-table, V)",
    "timing": "as HBM2: " + _HBM_CORE_TIMING_SRC,
    "energy": "assumption scaled from HBM2 (see field notes) (U)",
    "attachment": _HBM2["sources"]["attachment.type"],
}, {
    "timing.tRFC": "Ramulator2 HBM tRFC table, 16 Gb (V/U)",
    "timing.tRFCpb": _ASSUME_REFPB,
    "energy.act_pre": "OConnor17 0.909 nJ per 1 KiB row (same page size) (U)",
    "energy.datapath": "assumption: 16 Gb die ~1.3x the HBM2 die edge -> 9 mm (U)",
    "energy.tsv": "assumption: 8-high TSV column ~1.6x the 4-high 0.5 pJ/bit of OConnor17 (U)",
    "energy.io": "assumption: 3.2 Gb/s interposer link ~1.5x the 2 Gb/s 0.3 pJ/bit (U)",
    "energy.background": "D: 2x HBM2 IDD3N standby (8 vs 4 dies) = 2 x 0.53 W (U)",
    "energy.refresh": "D: 4x HBM2 refresh power for 4x the cells (16 vs 4 GiB) (U)",
})

# --------------------------------------------------------------------------- HBM3 / HBM3E

_HBM3: dict[str, Any] = {
    "name": "HBM3", "family": "HBM", "unit": "stack",
    "organization": {
        "channels": 32, "bank_groups": 4, "banks_per_group": 8, "rows_per_bank": 16384,
        "row_bytes": "1 KiB", "io_width_bits": 32, "burst_length": 8, "data_rate": "6.4 Gb/s",
        "dies": 8, "capacity": "16 GiB",
    },
    "timing": {
        "tCK": "0.625 ns", "tRCD": "23 nCK", "tRP": "23 nCK", "tRAS": "55 nCK", "tRC": "77 nCK",
        "tCCD_S": "2 nCK", "tCCD_L": "4 nCK", "tRRD_S": "2 nCK", "tRRD_L": "4 nCK",
        "tFAW": "48 nCK", "tWTR": "13 nCK", "tRTW": "20 nCK", "tCL": "23 nCK", "tCWL": "7 nCK",
        "tRTP": "7 nCK", "tWR": "26 nCK", "tRFC": "450 ns", "tREFI": "3.9 us",
        "refresh": "per_bank", "tRFCpb": "200 ns",
    },
    "energy": {
        "vdd": "1.1 V", "datapath": "8 mm", "tsv": "0.7 pJ/bit", "io": "0.4 pJ/bit",
        "background": "0.9 W", "refresh": "0.45 W",
    },
    "attachment": {"type": "2.5d", "footprint_along_edge": "11 mm", "footprint_depth": "11 mm",
                   "shoreline": "8.5 mm"},
}
_HBM3["sources"] = _sources(_HBM3, {
    "organization": "JESD238 HBM3: 16 ch x 2 PC x 32 bit, BL8, 1 KiB page; 8-high 16 Gb = 16 GB "
                    "(2 stack IDs folded into 8 banks per group) (V; SID folding U)",
    "timing": "Ramulator2-HBM3 6.4 Gb/s preset (cycles of 0.625 ns) (U)",
    "energy": "assumption scaled from OConnor17 HBM2 with VDD 1.1 V (U)",
    "attachment": "ref-table: stack ~11 x 11 mm (U), 8.5 mm die edge per stack (U)",
}, {
    "timing.tRFC": "Ramulator2-HBM3 tRFC table, 16 Gb (U)",
    "timing.tRTW": "D: tCL + burst + 2 tCK - tCWL (Ramulator2 RD->WR rule)",
    "timing.tRFCpb": _ASSUME_REFPB,
    "energy.vdd": "JESD238 VDD 1.1 V (V)",
    "energy.datapath": "assumption: 16 Gb die, 8 mm mean bank-to-TSV wire (U)",
    "energy.tsv": "assumption: 8-high stack, 0.7 pJ/bit (U)",
    "energy.io": "assumption: 0.4 V VDDQ low-swing interposer link at 6.4 Gb/s (U)",
    "energy.background": "assumption: ~0.9 W standby per 8-high stack (U)",
    "energy.refresh": "D: HBM2 refresh energy per bit x 16 GiB x (1.1/1.2)^2 (U)",
})

_HBM3E: dict[str, Any] = copy.deepcopy(_HBM3)
_HBM3E.update(name="HBM3E")
_HBM3E["organization"].update(rows_per_bank=24576, data_rate="9.6 Gb/s", capacity="24 GiB")
_HBM3E["timing"] = {
    "tCK": "0.4167 ns", "tRCD": "14.4 ns", "tRP": "14.4 ns", "tRAS": "34.4 ns", "tRC": "48.8 ns",
    "tCCD_S": "2 nCK", "tCCD_L": "4 nCK", "tRRD_S": "1.25 ns", "tRRD_L": "2.5 ns",
    "tFAW": "30 ns", "tWTR": "8.1 ns", "tRTW": "11.7 ns", "tCL": "14.4 ns", "tCWL": "4.4 ns",
    "tRTP": "4.4 ns", "tWR": "16.25 ns", "tRFC": "610 ns", "tREFI": "3.9 us",
    "refresh": "per_bank", "tRFCpb": "240 ns",
}
_HBM3E["energy"] = {
    "vdd": "1.1 V", "datapath": "7 mm", "tsv": "0.6 pJ/bit", "io": "0.35 pJ/bit",
    "background": "1.0 W", "refresh": "0.6 W",
}
_HBM3E["sources"] = _sources(_HBM3E, {
    "organization": "Micron HBM3E 8-high 24 GB, 24 Gb dies, 1024 x 9.2-9.6 Gb/s (ref-table, V); "
                    "JESD238 channel structure (V)",
    "timing": "HBM3 ns values (Ramulator2-HBM3) kept for HBM3E (U)",
    "energy": "assumption scaled from OConnor17 HBM2 (U)",
    "attachment": _HBM3["sources"]["attachment.type"],
}, {
    "timing.tCK": "D: 9.6 Gb/s / 4 (WDQS 2x CK, DDR data)",
    "timing.tRFC": "Ramulator2-HBM3 tRFC table, 24 Gb (U)",
    "timing.tRTW": "D: tCL + burst + 2 tCK - tCWL",
    "timing.tRFCpb": _ASSUME_REFPB,
    "energy.vdd": "JESD238 VDD 1.1 V (V)",
    "energy.datapath": "assumption: 1-beta node 24 Gb die, 7 mm mean wire (U)",
    "energy.tsv": "assumption (U)",
    "energy.io": "assumption: 0.4 V VDDQ link at 9.6 Gb/s (U)",
    "energy.background": "assumption (U)",
    "energy.refresh": "D: HBM3 figure x 24/16 GiB (U)",
})

# --------------------------------------------------------------------------- HBM4

_HBM4: dict[str, Any] = copy.deepcopy(_HBM3E)
_HBM4.update(name="HBM4")
_HBM4["organization"] = {
    "channels": 64, "bank_groups": 4, "banks_per_group": 12, "rows_per_bank": 12288,
    "row_bytes": "1 KiB", "io_width_bits": 32, "burst_length": 8, "data_rate": "8 Gb/s",
    "dies": 12, "capacity": "36 GiB",
}
_HBM4["timing"] = {**_HBM3E["timing"], "tCK": "0.5 ns", "tCCD_S": "2 nCK", "tCCD_L": "4 nCK"}
_HBM4["energy"] = {
    "vdd": "1.05 V", "datapath": "5 mm", "tsv": "0.5 pJ/bit", "io": "0.25 pJ/bit",
    "background": "1.5 W", "refresh": "0.9 W",
}
_HBM4["attachment"] = {"type": "2.5d", "footprint_along_edge": "11 mm",
                       "footprint_depth": "13 mm", "shoreline": "11 mm"}
_HBM4["sources"] = _sources(_HBM4, {
    "organization": "JESD270-4 HBM4: 2048 bit = 32 ch x 2 PC x 32 bit, up to 8 Gb/s; 12-high "
                    "24 Gb = 36 GB (ref-table, V); 3 stack IDs folded into 12 banks/group (U)",
    "timing": "HBM3 ns values kept (U)",
    "energy": "assumption; lands near the ~2.3 pJ/bit of ref-table (D, V) (U)",
    "attachment": "assumption: 2x HBM3 I/O at a finer bump pitch -> 11 mm shoreline, "
                  "11 x 13 mm stack (U)",
}, {
    "timing.tCK": "D: 8 Gb/s / 4",
    "timing.tRFC": "Ramulator2-HBM3 tRFC table, 24 Gb (U)",
    "timing.tRFCpb": _ASSUME_REFPB,
    "energy.vdd": "assumption: VDD ~1.05 V (U)",
    "energy.datapath": "assumption: twice the channels of HBM3 per die -> shorter 5 mm paths (U)",
    "energy.io": "assumption: logic-process base die PHY (U)",
})

# --------------------------------------------------------------------------- LPDDR5X

_LPDDR5X: dict[str, Any] = {
    "name": "LPDDR5X", "family": "LPDDR", "unit": "x64 package",
    "organization": {
        "channels": 4, "bank_groups": 4, "banks_per_group": 4, "rows_per_bank": 131072,
        "row_bytes": "2 KiB", "io_width_bits": 16, "burst_length": 16,
        "data_rate": "8.533 Gb/s", "dies": 4, "capacity": "16 GiB",
    },
    "timing": {
        "tCK": "0.9375 ns", "tRCD": "18 ns", "tRP": "18 ns", "tRAS": "42 ns", "tRC": "60 ns",
        "tCCD_S": "2 nCK", "tCCD_L": "4 nCK", "tRRD_S": "3.75 ns", "tRRD_L": "5 ns",
        "tFAW": "20 ns", "tWTR": "12 ns", "tRTW": "24 ns", "tCL": "18.75 ns", "tCWL": "8.4 ns",
        "tRTP": "7.5 ns", "tWR": "34 ns", "tRFC": "280 ns", "tREFI": "3.906 us",
        "refresh": "per_bank", "tRFCpb": "140 ns",
    },
    "energy": {
        "vdd": "1.05 V", "datapath": "6 mm", "tsv": "0 pJ/bit", "io": "1.5 pJ/bit",
        "background": "0.1 W", "refresh": "0.05 W",
    },
    "attachment": {"type": "2.5d", "footprint_along_edge": "12.4 mm",
                   "footprint_depth": "15 mm", "shoreline": "6 mm", "board_fanout": True},
}
_LPDDR5X["sources"] = _sources(_LPDDR5X, {
    "organization": "JESD209-5B LPDDR5X: x16 channels, 16 banks in 4 bank groups (BG mode), "
                    "2 KiB page, BL16, 8.533 Gb/s; x64 package 16 GB (ref-table, V)",
    "timing": "JESD209-5-class ns values (tRCD 18, tRPpb 18, tRAS 42, tFAW 20, tRFCab 280 "
              "for 16 Gb) (U: recalled, not checked against the standard)",
    "energy": "assumption: VDD2H 1.05 V core, unterminated short LVSTL link (U)",
    "attachment": "assumption: x64 PHY ~6 mm of die edge; packages fan out on the substrate (U)",
}, {
    "timing.tCK": "D: 8.533 Gb/s with WCK:CK 4:1 and DDR WCK -> CK 1.067 GHz",
    "timing.tRTW": "D: RL + burst - WL + margin (U)",
})

# --------------------------------------------------------------------------- GDDR6 / GDDR7

_GDDR6: dict[str, Any] = {
    "name": "GDDR6", "family": "GDDR", "unit": "x32 device",
    "organization": {
        "channels": 2, "bank_groups": 4, "banks_per_group": 4, "rows_per_bank": 32768,
        "row_bytes": "2 KiB", "io_width_bits": 16, "burst_length": 16, "data_rate": "16 Gb/s",
        "dies": 1, "capacity": "2 GiB",
    },
    "timing": {
        "tCK": "0.5 ns", "tRCD": "26 nCK", "tRP": "26 nCK", "tRAS": "53 nCK", "tRC": "79 nCK",
        "tCCD_S": "2 nCK", "tCCD_L": "3 nCK", "tRRD_S": "7 nCK", "tRRD_L": "7 nCK",
        "tFAW": "28 nCK", "tWTR": "11 nCK", "tRTW": "34 nCK", "tCL": "24 nCK", "tCWL": "6 nCK",
        "tRTP": "4 nCK", "tWR": "26 nCK", "tRFC": "210 nCK", "tREFI": "1.9 us",
        "refresh": "per_bank", "tRFCpb": "105 nCK", "t32AW": "252 nCK",
    },
    "energy": {
        "vdd": "1.35 V", "datapath": "8 mm", "tsv": "0 pJ/bit", "io": "3.0 pJ/bit",
        "background": "0.25 W", "refresh": "0.06 W",
    },
    "attachment": {"type": "2.5d", "footprint_along_edge": "12 mm", "footprint_depth": "14 mm",
                   "shoreline": "5 mm", "board_fanout": True},
}
_GDDR6["sources"] = _sources(_GDDR6, {
    "organization": "Micron MT61K256M32 class: 2 channels x16, 16 banks, BL16, 2 KiB page; "
                    "16 Gb at 16 Gb/s (ref-table, V)",
    "timing": "Ramulator2-GDDR6 1.35 V preset cycle counts applied at tCK 0.5 ns (U)",
    "energy": "assumption scaled from OConnor17 HBM2 with VDD 1.35 V (U)",
    "attachment": "Micron 12 x 14 mm FBGA (V); ~5 mm of die edge per x32 PHY (U); "
                  "devices fan out on the board",
}, {
    "timing.tCK": "D: 16 Gb/s, one BL16 burst = 2 CK (U)",
    "timing.tREFI": "D: 32 ms / 16K rows (U)",
    "timing.tRTW": "D: tCL + burst + 4 tCK - tCWL (Ramulator2 GDDR6 rule)",
    "timing.t32AW": "assumption: 9 x tFAW, the ratio of DRAMsim3 configs/GDDR5X_8Gb_x32.ini "
                    "(t32AW 360 = 9 x tFAW 40 tCK; JESD250 defines the window for GDDR6) (U)",
    "energy.io": "assumption: POD135 terminated link at 16 Gb/s, DRAM side (U)",
    "energy.datapath": "assumption: large single die, 8 mm mean wire (U)",
})

_GDDR7: dict[str, Any] = copy.deepcopy(_GDDR6)
_GDDR7.update(name="GDDR7")
_GDDR7["organization"] = {
    "channels": 4, "bank_groups": 4, "banks_per_group": 4, "rows_per_bank": 32768,
    "row_bytes": "1 KiB", "io_width_bits": 8, "burst_length": 32, "data_rate": "32 Gb/s",
    "dies": 1, "capacity": "2 GiB",
}
_GDDR7["timing"] = {
    "tCK": "0.5 ns", "tRCD": "14 ns", "tRP": "14 ns", "tRAS": "28 ns", "tRC": "42 ns",
    "tCCD_S": "2 nCK", "tCCD_L": "3 nCK", "tRRD_S": "2.5 ns", "tRRD_L": "3.5 ns",
    "tFAW": "12 ns", "tWTR": "6 ns", "tRTW": "14 ns", "tCL": "13 ns", "tCWL": "3 ns",
    "tRTP": "2 ns", "tWR": "13 ns", "tRFC": "160 ns", "tREFI": "1.9 us",
    "refresh": "per_bank", "tRFCpb": "60 ns", "t32AW": "108 ns",
}
_GDDR7["energy"] = {
    "vdd": "1.2 V", "datapath": "7 mm", "tsv": "0 pJ/bit", "io": "2.0 pJ/bit",
    "background": "0.3 W", "refresh": "0.06 W",
}
_GDDR7["sources"] = _sources(_GDDR7, {
    "organization": "JESD239 GDDR7: 4 channels x 8 bit per device, PAM3 32 Gb/s, 16 Gb "
                    "(ref-table V; per-channel burst 32 B, page 1 KiB: U)",
    "timing": "assumption: GDDR6-class core timings in ns (U)",
    "energy": "assumption; lands at the '<= ~5 pJ/bit' of ref-table (D, V) (U)",
    "attachment": _GDDR6["sources"]["attachment.type"],
}, {
    "energy.io": "assumption: PAM3 link ~2/3 of GDDR6's per bit (U)",
    "timing.t32AW": "assumption: 9 x tFAW, as for GDDR6 (U)",
    "energy.vdd": "JESD239 VDD 1.2 V (V)",
})

# --------------------------------------------------------------------------- DDR5

_DDR5: dict[str, Any] = {
    "name": "DDR5", "family": "DDR", "unit": "RDIMM channel",
    "organization": {
        "channels": 2, "bank_groups": 8, "banks_per_group": 4, "rows_per_bank": 65536,
        "row_bytes": "8 KiB", "io_width_bits": 32, "burst_length": 16, "data_rate": "6.4 Gb/s",
        "dies": 16, "capacity": "32 GiB",
    },
    "timing": {
        "tCK": "0.3125 ns", "tRCD": "14.375 ns", "tRP": "14.375 ns", "tRAS": "32 ns",
        "tRC": "46.375 ns", "tCCD_S": "8 nCK", "tCCD_L": "5 ns", "tRRD_S": "8 nCK",
        "tRRD_L": "5 ns", "tFAW": "10 ns", "tWTR": "10 ns", "tRTW": "18 ns",
        "tCL": "14.375 ns", "tCWL": "13.75 ns", "tRTP": "7.5 ns", "tWR": "30 ns",
        "tRFC": "295 ns", "tREFI": "3.9 us", "refresh": "all_bank",
    },
    "energy": {
        "vdd": "1.1 V", "datapath": "8 mm", "tsv": "0 pJ/bit", "io": "6.0 pJ/bit",
        "background": "2.06 W", "refresh": "0.3 W",
    },
    "attachment": {"type": "2.5d", "footprint_along_edge": "133 mm", "footprint_depth": "31 mm",
                   "shoreline": "7 mm", "board_fanout": True},
}
_DDR5["sources"] = _sources(_DDR5, {
    "organization": "JESD79-5 DDR5-6400 RDIMM: 2 x 32-bit subchannels, 8 x8 16 Gb devices per "
                    "subchannel (ECC devices ignored), 8 bank groups x 4, 1 KiB page per x8 "
                    "device (V)",
    "timing": "JESD79-5 DDR5-6400 (CL46-46-46) class values (U: recalled)",
    "energy": "assumption: RDIMM with RCD and terminated stub bus; lands near the ~15 pJ/bit "
              "of ref-table (U)",
    "attachment": "DIMM 133 x 31 mm (V); ~7 mm of die edge per DDR5 channel PHY (U)",
}, {
    "energy.background": "assumption: 16 devices x 60 mA x 1.1 V + 1 W register clock driver (U)",
    "energy.io": "assumption: terminated multi-drop bus incl. RCD buffering, DRAM+host (U)",
})


# --------------------------------------------------------------------------- fine-grained DRAM

def fgdram_like(name: str = "FGDRAM", attach: str = "2.5d", grains: int = 512,
                grain_width_bits: int = 8, data_rate: str = "2 Gb/s", banks_per_grain: int = 2,
                row_bytes: int = 512, capacity_gib: float = 4.0, datapath_mm: float = 1.5,
                vdd: str = "1.2 V", tsv: str = "0.5 pJ/bit", io: str = "0.3 pJ/bit",
                layers: int = 4, footprint_mm2: float = 100.0, bond_pitch: str = "9 um",
                data_bond_fraction: float = 0.1, rate_per_bond: str = "2 Gb/s",
                t_refi: str = "3.9 us") -> dict[str, Any]:
    """A fine-grained stacked DRAM: many narrow *grains*, each a channel with local I/O.

    Bandwidth comes from ``grains x grain_width_bits x data_rate``; energy from short
    grain-local wires (``datapath_mm``) and small rows. ``attach="2.5d"`` is an HBM2-class
    stack beside the logic die (the MICRO'17 FGDRAM); ``"3d"`` hybrid-bonds ``layers``
    layers of ``footprint_mm2`` on top of the logic die.
    """
    burst_bytes = 32
    burst_length = burst_bytes * 8 // grain_width_bits
    rows = int(capacity_gib * 2**30 / (grains * banks_per_grain * row_bytes))
    rate_bps = float(data_rate.split()[0]) * 1e9
    burst_ns = burst_length / rate_bps * 1e9
    d: dict[str, Any] = {
        "name": name, "family": "fine-grained DRAM",
        "unit": "stack" if attach == "2.5d" else "3D tile",
        "organization": {
            "channels": grains, "bank_groups": 1, "banks_per_group": banks_per_grain,
            "rows_per_bank": rows, "row_bytes": row_bytes, "io_width_bits": grain_width_bits,
            "burst_length": burst_length, "data_rate": data_rate, "dies": layers,
        },
        "timing": {
            "tCK": "1 ns", "tRCD": "14 ns", "tRP": "14 ns", "tRAS": "34 ns", "tRC": "48 ns",
            "tCCD_S": f"{burst_ns:g} ns", "tCCD_L": f"{burst_ns:g} ns", "tRRD_S": "4 ns",
            "tRRD_L": "4 ns", "tFAW": "30 ns", "tWTR": "8 ns", "tRTW": f"{14 + burst_ns - 2:g} ns",
            "tCL": "14 ns", "tCWL": "4 ns", "tRTP": "4 ns", "tWR": "16 ns", "tRFC": "350 ns",
            "tREFI": t_refi, "refresh": "per_bank", "tRFCpb": "160 ns",
        },
        "energy": {"vdd": vdd, "act_pre_per_row_bit": "0.111 pJ/bit",
                   "datapath": f"{datapath_mm:g} mm", "tsv": tsv, "io": io},
    }
    if attach == "2.5d":
        # The stack-level currents of HBM2 spread over the grains: eight legacy channels'
        # worth of standby and refresh for the same 4 GiB of cells.
        d["energy"]["idd"] = {**_HBM2["energy"]["idd"], "channels_per_scope": max(grains // 8, 1)}
        d["attachment"] = dict(_HBM2["attachment"])
    else:
        d["energy"]["background"] = "0.3 W"
        d["energy"]["refresh"] = f"{0.042 * capacity_gib * (3.9e-6 / _seconds(t_refi)):.4g} W"
        d["attachment"] = {"type": "3d", "footprint": f"{footprint_mm2:g} mm2",
                           "bond_pitch": bond_pitch, "data_bond_fraction": data_bond_fraction,
                           "rate_per_bond": rate_per_bond, "stack_height": layers,
                           "capacity_per_layer": f"{capacity_gib / layers:g} GiB"}
    d["sources"] = _sources(d, {
        "organization": "parametric FGDRAM-like (OConnor17 structure: grains = independent "
                        "channels with grain-local I/O, 2 banks each, small rows); counts are "
                        "parameters of fgdram_like() (U)",
        "timing": "HBM2 cell timings (DRAMsim3-HBM2); tCCD = one burst per grain (U)",
        "energy": "OConnor17 Table 3 components with a grain-local datapath (U)",
        "attachment": "HBM2 stack footprint (2.5d) or hybrid-bond parameters (3d) (U)",
    }, {
        "energy.datapath": "assumption: data travels at most across one grain (~1-2 mm) (U)",
        "energy.idd": "assumption: HBM2 stack standby/refresh currents shared by the grains (U)",
        "energy.background": "assumption: 0.3 W periphery per 3D tile (U)",
        "energy.refresh": "D: HBM2 IDD refresh power per GiB (0.042 W/GiB at tREFI 3.9 us) (U)",
        "energy.act_pre_per_row_bit": "OConnor17: 0.909 nJ per 1 KiB row = 0.111 pJ per row bit",
        "attachment.bond_pitch": "assumption: 9 um hybrid-bond pitch (U)",
        "attachment.data_bond_fraction": "assumption: 10 % of bonds carry data (U)",
        "timing.tREFI": "3.9 us (2.5d); 1.95 us on a hot logic die (3d, assumption U)",
    })
    return d


def _seconds(text: str) -> float:
    return units.parse(text, "time")


_FG3D = fgdram_like(name="FG-3D", attach="3d", grains=1024, grain_width_bits=16,
                    row_bytes=512, capacity_gib=12.0, datapath_mm=0.6, vdd="1.1 V",
                    tsv="0.1 pJ/bit", io="0.05 pJ/bit", layers=4, footprint_mm2=100.0,
                    t_refi="1.95 us")
_FG3D["sources"]["energy.io"] = "assumption: hybrid-bond link ~0.05 pJ/bit (U)"
_FG3D["sources"]["energy.tsv"] = "assumption: short TSVs through <= 4 thinned layers (U)"

SHIPPED: dict[str, dict[str, Any]] = {
    d["name"]: d for d in (_HBM2, _HBM2E, _HBM3, _HBM3E, _HBM4, _LPDDR5X, _GDDR6, _GDDR7,
                           _DDR5, fgdram_like(), _FG3D)
}


def shipped_device_names() -> list[str]:
    return list(SHIPPED)


def shipped_device_dict(name: str) -> dict[str, Any]:
    """A copy of a shipped description (edit it, then ``device_from_dict``)."""
    if name not in SHIPPED:
        raise KeyError(f"no shipped device {name!r}; known: {', '.join(SHIPPED)}")
    return copy.deepcopy(SHIPPED[name])


def shipped_device(name: str) -> Device:
    return device_from_dict(SHIPPED[name])
