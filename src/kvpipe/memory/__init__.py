"""memory: from DRAM device parameters to effective KV-cache bandwidth, pJ/bit and bandwidth
per reticle die.

* :class:`Device` — one DRAM device (organization, timings, per-operation energies,
  attachment); :func:`complete_timing` and the ``*_problems`` checks are what the device model
  knows of a description (defaults, impossible ones). Device files are read at the edge, by
  ``kvpipe.config.device_spec`` (a pydantic spec, then a factory building the Device).
* :func:`fgdram_like` — builds fine-grained DRAM descriptions; the shipped descriptions
  (HBM2 ... HBM4, LPDDR5X, GDDR6/7, DDR5, FGDRAM, FG-3D) are catalog YAML files, read by
  ``kvpipe.catalog.device(name)``.
* :func:`analytic` — closed-form model, vectorized over numpy arrays of design points.
* :func:`simulate_kv` / :func:`simulate` — cycle-level FR-FCFS command scheduling.
* :func:`kv_request_stream` and the trace exporters for Ramulator 2 and DRAMsim3.
* :func:`reticle_figures` — units, bandwidth and capacity per reticle-size logic die.
* :func:`to_memory_tech` — effective figures as a ``hardware.MemoryTech`` for ``perf``.

Pure: no file I/O, no printing. The cycle model (and so numba) is imported on first use.
"""

from typing import Any

from kvpipe.memory.analytic import (
    DeviceArrays,
    KVMemoryFigures,
    analytic,
    device_arrays,
    outer,
)
from kvpipe.memory.device import (
    Attach2p5D,
    Attach3D,
    Device,
    Organization,
    Timing,
    attachment_problems,
    complete_timing,
    organization_problems,
    timing_problems,
)
from kvpipe.memory.devices import fgdram_like
from kvpipe.memory.energy import EnergyInputs, IddCurrents, OpEnergy
from kvpipe.memory.packaging import (
    DEFAULT_RESERVED_EDGES,
    RETICLE,
    LogicDie,
    ReticleFigures,
    reticle_figures,
    units_per_edge,
)
from kvpipe.memory.pattern import Controller, KVPattern, kv_pattern
from kvpipe.memory.stream import RequestStream, decompose, kv_request_stream
from kvpipe.memory.tech import to_memory_tech
from kvpipe.memory.trace import (
    RAMULATOR2_HBM_LEVELS,
    RAMULATOR2_LEVELS,
    AddressField,
    address_mapping,
    dramsim3_lines,
    mapping_lines,
    ramulator2_loadstore_lines,
    ramulator2_readwrite_lines,
)

__all__ = [
    "RAMULATOR2_HBM_LEVELS", "RAMULATOR2_LEVELS", "AddressField", "address_mapping", "mapping_lines",
    "Attach2p5D", "Attach3D", "Controller", "CycleResult", "DEFAULT_RESERVED_EDGES", "Device",
    "DeviceArrays", "EnergyInputs", "IddCurrents", "KVMemoryFigures", "KVPattern", "LogicDie",
    "OpEnergy", "Organization", "RETICLE", "RequestStream", "ReticleFigures", "Timing",
    "analytic", "attachment_problems", "complete_timing", "decompose", "device_arrays", "dramsim3_lines",
    "fgdram_like", "kv_pattern", "kv_request_stream", "organization_problems", "outer", "ramulator2_loadstore_lines",
    "ramulator2_readwrite_lines", "reticle_figures", "simulate", "simulate_kv", "timing_problems", "to_memory_tech", "units_per_edge",
]


def __getattr__(name: str) -> Any:
    if name in ("CycleResult", "simulate", "simulate_kv"):
        from kvpipe.memory import cycle

        return getattr(cycle, name)
    raise AttributeError(f"module 'kvpipe.memory' has no attribute {name!r}")
