"""The continuous knobs of a design point, as numpy arrays that broadcast together.

A :class:`~kvpipe.mapping.Placement` fixes the discrete shape (model, precision, chip SRAM,
grouping); :class:`PerfInputs` holds everything else. Each field may be a scalar or an
array; :func:`kvpipe.perf.evaluate` broadcasts them, so one call evaluates a whole grid.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvpipe.hardware.parts import BoundaryLevel, Collective
from kvpipe.system import System

FloatArray = NDArray[np.float64]
_DISCRETE = frozenset({"collective", "boundaries"})


@dataclass(frozen=True)
class PerfInputs:
    # workload
    users: ArrayLike
    context_tokens: ArrayLike
    micro_batch: ArrayLike
    # chip (per chip)
    peak_flop_per_s: ArrayLike  # linear layers, at the weight precision
    attn_flop_per_s: ArrayLike  # attention, at the KV precision
    linear_j_per_flop: ArrayLike
    attn_j_per_flop: ArrayLike
    sram_bw_bytes_per_s: ArrayLike
    sram_read_j_per_bit: ArrayLike
    static_power_w: ArrayLike
    # links (per chip)
    hop_latency_s: ArrayLike
    link_bw_bytes_per_s: ArrayLike
    link_j_per_bit: ArrayLike
    # KV memory (per chip group)
    kv_bw_bytes_per_s_per_group: ArrayLike
    kv_capacity_bytes_per_group: ArrayLike
    kv_read_j_per_bit: ArrayLike
    kv_write_j_per_bit: ArrayLike
    kv_background_w_per_group: ArrayLike
    # communication topology (docs/model.md C1..C6); the defaults charge one hop per stage
    mesh_cores_per_chip: ArrayLike = 0.0
    mesh_hop_latency_s: ArrayLike = 0.0
    op_overhead_s: ArrayLike = 0.0
    # weight delivery to the matrix units (docs/model.md P12); 0: the SRAM bandwidth alone
    matrix_operand_bw_bytes_per_s: ArrayLike = 0.0
    # discrete: not broadcast, one value for every design point
    collective: Collective = Collective.NONE
    boundaries: tuple[BoundaryLevel, ...] = ()

    def with_(self, **changes: Any) -> PerfInputs:
        """A copy with some fields replaced (e.g. ``users=np.arange(1, 1000)``)."""
        return replace(self, **changes)

    def arrays(self) -> dict[str, FloatArray]:
        """All numeric fields as float arrays broadcast to one common shape."""
        names = [f.name for f in fields(self) if f.name not in _DISCRETE]
        arrs = np.broadcast_arrays(*(np.asarray(getattr(self, n), dtype=np.float64) for n in names))
        return dict(zip(names, arrs, strict=True))


def inputs_from_system(system: System) -> PerfInputs:
    """The scalar design point a :class:`~kvpipe.system.System` describes."""
    chip, link, mem, w, p = system.chip, system.link, system.kv_memory, system.workload, system.precisions
    return PerfInputs(
        users=w.users,
        context_tokens=w.context_tokens,
        micro_batch=w.micro_batch,
        peak_flop_per_s=chip.flop_rate(p.weights),
        attn_flop_per_s=chip.flop_rate(p.kv),
        linear_j_per_flop=chip.flop_energy(p.weights),
        attn_j_per_flop=chip.flop_energy(p.kv),
        sram_bw_bytes_per_s=chip.sram_bw_bytes_per_s,
        sram_read_j_per_bit=chip.sram_read_j_per_bit,
        static_power_w=chip.static_power_w,
        hop_latency_s=link.hop_latency_s,
        link_bw_bytes_per_s=link.bw_bytes_per_s,
        link_j_per_bit=link.energy_j_per_bit,
        kv_bw_bytes_per_s_per_group=mem.bw_bytes_per_s_per_group,
        kv_capacity_bytes_per_group=mem.capacity_bytes_per_group,
        kv_read_j_per_bit=mem.tech.read_j_per_bit,
        kv_write_j_per_bit=mem.tech.write_j_per_bit,
        kv_background_w_per_group=mem.background_w_per_group,
        mesh_cores_per_chip=chip.mesh_cores,
        mesh_hop_latency_s=chip.mesh_hop_latency_s,
        op_overhead_s=chip.op_overhead_s,
        matrix_operand_bw_bytes_per_s=chip.matrix_operand_bw_bytes_per_s,
        collective=link.collective,
        boundaries=link.boundaries,
    )
