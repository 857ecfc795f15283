"""A builder of fine-grained DRAM device descriptions, as plain dictionaries.

The shipped device descriptions are YAML files of the catalog (``kvpipe/catalog/data/
devices/``, read by :mod:`kvpipe.catalog`); this module only builds further fine-grained
designs in the same form (``fgdram_like``), to write as a file or to build with
``kvpipe.config.devices.parse_device``.
The catalog's FGDRAM and FG-3D files were made with it.

Abbreviations used in sources: ``OConnor17`` — M. O'Connor et al., "Fine-Grained DRAM:
Energy-Efficient DRAM for Extreme Bandwidth Systems", MICRO-50, 2017; ``DRAMsim3-HBM2`` —
DRAMsim3 ``configs/HBM2_8Gb_x128.ini``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kvpipe import units

# HBM2 stack currents per 128-bit legacy channel (DRAMsim3-HBM2 [power]) and the HBM2 KGSD
# outline: the 2.5D fine-grained stack shares them (see the sources in fgdram_like).
_HBM2_IDD: dict[str, Any] = {"vdd": "1.2 V", "idd0": "65 mA", "idd2n": "40 mA", "idd3n": "55 mA",
                             "idd4r": "390 mA", "idd4w": "500 mA", "idd5b": "250 mA"}
_HBM2_ATTACHMENT: dict[str, Any] = {"type": "2.5d", "footprint_along_edge": "7.75 mm",
                                    "footprint_depth": "11.87 mm", "shoreline": "8.5 mm"}


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
        d["energy"]["idd"] = {**_HBM2_IDD, "channels_per_scope": max(grains // 8, 1)}
        d["attachment"] = dict(_HBM2_ATTACHMENT)
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
    return units.parse_quantity(text, units.Kind.SECONDS)
