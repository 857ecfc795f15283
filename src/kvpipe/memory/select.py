"""Choosing the fidelity of a KV memory's figures: catalog scalars or the device models.

``scalar`` keeps a :class:`~kvpipe.hardware.parts.MemoryTech` as the catalog gives it (peak
bandwidth, published pJ/bit). ``analytic`` and ``cycle`` replace it by the effective figures
of its device description for the KV access pattern (closed-form or cycle-level model), so a
catalog technology needs a shipped device description; the catalog name is kept.
"""

from __future__ import annotations

from dataclasses import replace

from kvpipe.hardware.parts import MemoryTech
from kvpipe.memory.device import Device
from kvpipe.memory.devices import shipped_device, shipped_device_names
from kvpipe.memory.pattern import KVPattern, kv_pattern
from kvpipe.memory.tech import MODELS, to_memory_tech
from kvpipe.system import System

# catalog memory name -> shipped device description of the same part
TECH_DEVICES: dict[str, str] = {
    "hbm2e": "HBM2E",
    "hbm3": "HBM3",
    "hbm3e": "HBM3E",
    "hbm4": "HBM4",
    "lpddr5x": "LPDDR5X",
    "gddr6": "GDDR6",
    "gddr7": "GDDR7",
    "ddr5-rdimm": "DDR5",
    "fgdram": "FGDRAM",
}


class NoDeviceError(KeyError):
    """A technology without a device description, asked for device-level figures."""

    def __str__(self) -> str:
        return str(self.args[0])


def device_for(tech: MemoryTech) -> Device:
    name = TECH_DEVICES.get(tech.name.lower(), tech.name)
    if name not in shipped_device_names():
        raise NoDeviceError(
            f"no device description for memory {tech.name!r}; the analytic and cycle memory models know: "
            + ", ".join(sorted(TECH_DEVICES) + shipped_device_names())
        )
    return shipped_device(name)


def effective_tech(tech: MemoryTech, pattern: KVPattern, model: str) -> MemoryTech:
    """``tech`` with the figures of the chosen memory model for ``pattern``."""
    if model not in MODELS:
        raise ValueError(f"memory model must be one of {', '.join(MODELS)}, got {model!r}")
    if model == "scalar":
        return tech
    return replace(to_memory_tech(device_for(tech), pattern, model=model), name=tech.name)


def system_pattern(system: System) -> KVPattern:
    """The KV pattern a system's most demanding layer puts on its group's DRAM: runs of
    ``context x KV bytes per token of the layer``, ``micro_batch`` users' runs at a time."""
    kv_elems = max(b.kv_elems_per_token for b in system.model.blocks)
    per_layer = kv_elems * system.precisions.kv.bytes_per_elem
    return kv_pattern(system.workload.context_tokens, per_layer, concurrent_runs=system.workload.micro_batch)


def with_memory_model(system: System, model: str) -> System:
    """``system`` whose KV memory has the figures of ``model`` for its own KV pattern."""
    if model == "scalar":
        return system
    tech = effective_tech(system.kv_memory.tech, system_pattern(system), model)
    return replace(system, kv_memory=replace(system.kv_memory, tech=tech))
