"""A GPU with HBM, as the baseline a spatial pipeline is compared against.

Figures per GPU (one package: on B200 that is two reticle dies). Peak FLOP/s are DENSE rates
per precision; ``hbm_bw_fraction`` and ``flop_fraction`` are the documented efficiency
factors of the GPU model (docs/gpu.md): the share of the peak HBM bandwidth and of the peak
dense FLOP/s that decode kernels achieve. ``link`` names the catalog link (NVLink, Infinity
Fabric) a server of these GPUs uses unless the system names another.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from kvpipe.hardware.parts import _lookup
from kvpipe.workload.precision import Precision


def _no_sources() -> Mapping[str, str]:
    return MappingProxyType({})


@dataclass(frozen=True)
class Gpu:
    name: str
    hbm_bytes: float
    hbm_bw_bytes_per_s: float
    hbm_bw_fraction: float  # achievable share of hbm_bw_bytes_per_s in decode kernels
    peak_flop_per_s: Mapping[Precision, float]  # dense
    flop_fraction: float  # achievable share of peak_flop_per_s in decode/prefill GEMMs
    tdp_w: float
    idle_power_w: float
    link: str  # catalog link name of the GPU-to-GPU fabric
    sources: Mapping[str, str] = field(default_factory=_no_sources, compare=False)
    die_area_mm2: float = 0.0  # logic area of one GPU, all its dies (0: not given)
    hbm_footprint_mm2: float = 0.0  # package area of all its HBM stacks (0: not given)

    def flop_rate(self, p: Precision) -> float:
        """Peak dense FLOP/s at ``p`` (formats of equal width share a datapath, as for chips)."""
        return _lookup(self.peak_flop_per_s, p, f"gpu {self.name}: peak_flop_per_s")

    @property
    def achievable_bw_bytes_per_s(self) -> float:
        return achievable_bw(self.hbm_bw_bytes_per_s, self.hbm_bw_fraction)


def achievable_bw(hbm_bw_bytes_per_s: Any, hbm_bw_fraction: Any) -> Any:
    """(GS0) HBM bandwidth kernels reach: datasheet bandwidth x achievable fraction (scalars or arrays)."""
    return hbm_bw_bytes_per_s * hbm_bw_fraction
