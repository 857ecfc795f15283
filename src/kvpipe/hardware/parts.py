"""Hardware parts as immutable SI-unit objects.

Every part may carry ``sources``: for each numeric field name, where the number comes from
(a paper, a datasheet, or ``assumption: why``). The perf model ignores them; reports print
them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from kvpipe.workload.precision import Precision


def _no_sources() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Chip:
    """A logic die whose SRAM holds weights, with compute at the SRAM macros' edges."""

    name: str
    sram_bytes: float
    sram_bw_bytes_per_s: float
    sram_read_j_per_bit: float
    peak_flop_per_s: Mapping[Precision, float]
    energy_j_per_flop: Mapping[Precision, float]
    static_power_w: float
    die_area_mm2: float
    sources: Mapping[str, str] = field(default_factory=_no_sources, compare=False)
    # communication inside the chip (docs/model.md C1, C4); 0: not modelled
    mesh_cores: float = 0.0  # cores of the chip's 2D mesh that hold weights
    mesh_hop_latency_s: float = 0.0  # one mesh hop, receive-add-forward: cycles per hop / clock
    op_overhead_s: float = 0.0  # fixed cost per operation (launch gap of a weight-streaming device)
    # rate at which weights can reach the matrix units (docs/model.md P12); 0: not given, the
    # SRAM bandwidth alone bounds it
    matrix_operand_bw_bytes_per_s: float = 0.0

    @property
    def weight_bw_bytes_per_s(self) -> float:
        """(P12) The rate at which this chip's weights reach its matrix units."""
        return float(weight_delivery_bw(self.sram_bw_bytes_per_s, self.matrix_operand_bw_bytes_per_s))

    def flop_rate(self, p: Precision) -> float:
        return _lookup(self.peak_flop_per_s, p, f"chip {self.name}: peak_flop_per_s")

    def flop_energy(self, p: Precision) -> float:
        return _lookup(self.energy_j_per_flop, p, f"chip {self.name}: energy_per_flop")


def weight_delivery_bw(
    sram_bw_bytes_per_s: npt.ArrayLike, matrix_operand_bw_bytes_per_s: npt.ArrayLike
) -> npt.NDArray[np.float64]:
    """(P12) Weight delivery bandwidth per chip: the SRAM bandwidth, bounded by the matrix
    operand bandwidth where the chip gives one (> 0). A chip whose matrix units must first
    install their weights over a narrower path than the SRAM ports (a weight-stationary array
    fed by stream registers) reads each weight once per micro-batch at that path's rate.
    Scalars or numpy arrays (broadcast)."""
    sram = np.asarray(sram_bw_bytes_per_s, dtype=np.float64)
    operand = np.asarray(matrix_operand_bw_bytes_per_s, dtype=np.float64)
    return np.where(operand > 0, np.minimum(sram, operand), sram)


class Collective(str, Enum):
    """How the chips holding one layer combine their partial results (docs/model.md C2)."""

    NONE = "none"  # one hop per communication stage, whatever the span (the averaged-hop model)
    RING = "ring"
    TREE = "tree"  # recursive doubling: ceil(log2 P) exchange steps
    ONE_SHOT = "one-shot"  # every chip reads every peer's partial result in one step


@dataclass(frozen=True)
class BoundaryLevel:
    """A packaging level above the chip: ``chips`` chips share one unit (package, card,
    server, rack); leaving the unit costs ``latency_s`` more than a hop inside it (C3, C6)."""

    name: str
    chips: float
    latency_s: float


BOUNDARY_LEVELS = ("package", "card", "server", "rack")  # innermost first


@dataclass(frozen=True)
class Link:
    """The interconnect between pipeline steps (on-chip NoC or chip-to-chip).

    ``collective`` and the boundary levels (``<level>_chips`` chips per unit, crossing it costs
    ``<level>_latency_s``) are optional: a link without them charges one ``hop_latency_s`` per
    communication stage (docs/model.md, "Communication").
    """

    name: str
    hop_latency_s: float
    bw_bytes_per_s: float
    energy_j_per_bit: float
    sources: Mapping[str, str] = field(default_factory=_no_sources, compare=False)
    collective: Collective = Collective.NONE
    package_chips: float = 0.0  # 0: no such level
    package_latency_s: float = 0.0
    card_chips: float = 0.0  # 0: no such level
    card_latency_s: float = 0.0
    server_chips: float = 0.0  # 0: no such level
    server_latency_s: float = 0.0
    rack_chips: float = 0.0  # 0: no such level
    rack_latency_s: float = 0.0

    @property
    def boundaries(self) -> tuple[BoundaryLevel, ...]:
        """The boundary levels the link describes, innermost first (levels without a unit
        size are left out)."""
        levels = [
            BoundaryLevel(n, getattr(self, f"{n}_chips"), getattr(self, f"{n}_latency_s")) for n in BOUNDARY_LEVELS
        ]
        return tuple(sorted((lv for lv in levels if lv.chips > 0), key=lambda lv: lv.chips))


@dataclass(frozen=True)
class MemoryTech:
    """A DRAM technology as scalar figures per die (or per stack, for HBM).

    ``unit`` says what one countable piece is ("stack", "die", "package").
    """

    name: str
    unit: str
    capacity_bytes: float
    bw_bytes_per_s: float
    read_j_per_bit: float
    write_j_per_bit: float
    background_w: float
    footprint_mm2: float
    attach: str  # "2.5d" (beside the logic die, shoreline-limited) or "3d" (stacked on it)
    shoreline_mm: float = 0.0  # die edge one unit's PHY takes (2.5d)
    device: str = ""  # name of its DRAM device description (catalog devices), if any
    sources: Mapping[str, str] = field(default_factory=_no_sources, compare=False)

    @property
    def bw_to_capacity_per_s(self) -> float:
        return self.bw_bytes_per_s / self.capacity_bytes


def _lookup(table: Mapping[Precision, float], p: Precision, what: str) -> float:
    # Formats of equal width share a datapath: fp16 runs at the bf16 rate, int8 at fp8, int4 at fp4.
    for key in (p, _SAME_WIDTH.get(p)):
        if key is not None and key in table:
            return table[key]
    raise KeyError(f"{what} has no figure for {p.value}")


_SAME_WIDTH: dict[Precision, Precision] = {
    Precision.FP16: Precision.BF16,
    Precision.BF16: Precision.FP16,
    Precision.INT8: Precision.FP8,
    Precision.FP8: Precision.INT8,
    Precision.INT4: Precision.FP4,
    Precision.FP4: Precision.INT4,
}
