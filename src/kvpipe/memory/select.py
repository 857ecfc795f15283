"""Choosing the fidelity of a KV memory's figures: catalog scalars or the device models.

A catalog memory names its device description (``MemoryTech.device``); the caller (the edge,
which reads the catalog) passes that :class:`Device` in.

``scalar`` keeps a :class:`~kvpipe.hardware.parts.MemoryTech` as the catalog gives it (peak
bandwidth, published pJ/bit). ``analytic`` and ``cycle`` keep the catalog part (its name,
capacity, footprint and shoreline: the product) and take from its device description, for the
KV access pattern, what the device model knows better:

* bandwidth = catalog bandwidth x the device's efficiency on the pattern (effective / peak);
* read and write energy per bit = the device's dynamic energy (activation share, core, I/O);
* background power = the device's background + refresh power, scaled by catalog capacity /
  device capacity (both grow with the bits held).
"""

from __future__ import annotations

from dataclasses import replace

from kvpipe.hardware.parts import MemoryTech
from kvpipe.memory.device import Device
from kvpipe.memory.packaging import unit_bw_bytes_per_s
from kvpipe.memory.pattern import KVPattern, kv_pattern
from kvpipe.memory.tech import MODELS, to_memory_tech
from kvpipe.system import System


class NoDeviceError(KeyError):
    """A technology without a device description, asked for device-level figures."""

    def __str__(self) -> str:
        return str(self.args[0])


def effective_tech(tech: MemoryTech, pattern: KVPattern, model: str,
                   device: Device | None) -> MemoryTech:
    """``tech`` with the figures of the chosen memory model for ``pattern``; ``device`` is the
    description ``tech`` names (``tech.device``; the caller looks it up in the catalog)."""
    if model not in MODELS:
        raise ValueError(f"memory model must be one of {', '.join(MODELS)}, got {model!r}")
    if model == "scalar":
        return tech
    if device is None:
        raise NoDeviceError(f"memory {tech.name!r} names no device description (device: ...); "
                            f"the {model} memory model needs one")
    eff = to_memory_tech(device, pattern, model=model)
    efficiency = eff.bw_bytes_per_s / unit_bw_bytes_per_s(device)
    how = f"kvpipe.memory {model} model of device {device.name!r} on the KV pattern"
    return replace(
        tech,
        bw_bytes_per_s=tech.bw_bytes_per_s * efficiency,
        read_j_per_bit=eff.read_j_per_bit,
        write_j_per_bit=eff.write_j_per_bit,
        background_w=eff.background_w * tech.capacity_bytes / device.capacity_bytes,
        sources={
            **tech.sources,
            "bw_bytes_per_s": f"catalog bandwidth x {efficiency:.3f} efficiency ({how})",
            "read_j_per_bit": f"{how}: activation share + read core + I/O",
            "write_j_per_bit": f"{how}: activation share + write core + I/O",
            "background_w": f"{how}: background + refresh, scaled to the catalog capacity",
        },
    )


def system_pattern(system: System) -> KVPattern:
    """The KV pattern a system's most demanding layer puts on its group's DRAM: runs of
    ``context x KV bytes per token of the layer``, ``micro_batch`` users' runs at a time."""
    kv_elems = max(b.kv_elems_per_token for b in system.model.blocks)
    per_layer = kv_elems * system.precisions.kv.bytes_per_elem
    return kv_pattern(system.workload.context_tokens, per_layer, concurrent_runs=system.workload.micro_batch)


def with_memory_model(system: System, model: str, device: Device | None) -> System:
    """``system`` whose KV memory has the figures of ``model`` for its own KV pattern
    (``device``: the description its memory names)."""
    if model == "scalar":
        return system
    tech = effective_tech(system.kv_memory.tech, system_pattern(system), model, device)
    return replace(system, kv_memory=replace(system.kv_memory, tech=tech))
