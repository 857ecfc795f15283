"""How much memory a logic die of a given size can attach (scalar rule for the perf model).

* 2.5D (beside the die, on an interposer): each unit needs ``shoreline_mm`` of die edge for
  its PHY; a die gives its two long edges to memory (the short edges carry I/O and links).
  Units = floor(edge length / shoreline per unit).
* 3D (stacked on the die): the memory covers the die; units = floor(die area / unit footprint).

See docs/model.md ("Packaging"). The detailed geometry, with bond pitch and edge reservations,
lives in ``kvpipe.memory``.
"""

from __future__ import annotations

import math

from kvpipe.hardware.parts import MemoryTech

RETICLE_MM = (26.0, 33.0)  # lithography field: the largest die one exposure prints


def memory_edge_mm(die_area_mm2: float, aspect: float = RETICLE_MM[1] / RETICLE_MM[0]) -> float:
    """Length of the two long edges of a die of ``die_area_mm2`` with the reticle's aspect ratio."""
    long_edge = math.sqrt(die_area_mm2 * aspect)  # (G1)
    return 2.0 * long_edge


def max_units_per_die(tech: MemoryTech, die_area_mm2: float) -> int:
    if tech.attach == "3d":
        if tech.footprint_mm2 <= 0:
            return 0
        return math.floor(die_area_mm2 / tech.footprint_mm2 + 1e-9)  # (G3)
    if tech.shoreline_mm <= 0:
        return 0
    return math.floor(memory_edge_mm(die_area_mm2) / tech.shoreline_mm + 1e-9)  # (G2)


def bw_per_die_bytes_per_s(tech: MemoryTech, die_area_mm2: float) -> float:
    return max_units_per_die(tech, die_area_mm2) * tech.bw_bytes_per_s


def capacity_per_die_bytes(tech: MemoryTech, die_area_mm2: float) -> float:
    return max_units_per_die(tech, die_area_mm2) * tech.capacity_bytes
