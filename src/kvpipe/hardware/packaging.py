"""How much memory a logic die of a given size can attach (scalar rule for the perf model).

* 2.5D (beside the die, on an interposer): each unit needs ``shoreline_mm`` of die edge for
  its PHY; a die gives its two long edges to memory (the short edges carry I/O and links).
  Units = 2 x floor(long edge / shoreline per unit).
* 3D (stacked on the die): the memory covers the die; units = floor(die area / unit footprint).

See docs/model.md ("Packaging"). The detailed geometry, with bond pitch and edge reservations,
lives in ``kvpipe.memory``.
"""

from __future__ import annotations

import math

from kvpipe.hardware.parts import MemoryTech

RETICLE_MM = (26.0, 33.0)  # lithography field: the largest die one exposure prints
RETICLE_AREA_MM2 = RETICLE_MM[0] * RETICLE_MM[1]


def reticle_dies(chips: float, die_area_mm2: float) -> float:
    """Reticle-size dies' worth of logic in ``chips`` chips of ``die_area_mm2`` each (G4)."""
    return chips * die_area_mm2 / RETICLE_AREA_MM2


def long_edge_mm(die_area_mm2: float, aspect: float = RETICLE_MM[1] / RETICLE_MM[0]) -> float:
    """Length of one long edge of a die of ``die_area_mm2`` with the reticle's aspect ratio (G1)."""
    return math.sqrt(die_area_mm2 * aspect)


def max_units_per_die(tech: MemoryTech, die_area_mm2: float) -> int:
    if tech.attach == "3d":
        if tech.footprint_mm2 <= 0:
            return 0
        return math.floor(die_area_mm2 / tech.footprint_mm2 + 1e-9)  # (G3)
    if tech.shoreline_mm <= 0:
        return 0
    return 2 * math.floor(long_edge_mm(die_area_mm2) / tech.shoreline_mm + 1e-9)  # (G2): whole units per edge


