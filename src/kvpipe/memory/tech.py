"""Effective scalar figures for the perf model: a :class:`~kvpipe.hardware.parts.MemoryTech`
whose bandwidth and energies are those of the device *for the KV access pattern*.

``read_j_per_bit`` / ``write_j_per_bit`` hold the dynamic energy (activation share + core +
I/O); ``background_w`` holds standby plus refresh power, which the perf model charges per
unit over time. Adding the two never counts anything twice.
"""

from __future__ import annotations

from kvpipe.hardware.parts import MemoryTech
from kvpipe.memory.analytic import analytic
from kvpipe.memory.device import Attach2p5D, Device
from kvpipe.memory.pattern import Controller, KVPattern

MODELS = ("scalar", "analytic", "cycle")


def to_memory_tech(device: Device, pattern: KVPattern, model: str = "analytic",
                   controller: Controller = Controller(), n_requests: int = 200_000) -> MemoryTech:
    """The device as a :class:`MemoryTech` with effective figures for ``pattern`` (scalar).

    ``model``: ``"analytic"`` (closed form), ``"cycle"`` (command-level simulation) or
    ``"scalar"`` (peak bandwidth; energies as in the closed form).
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    e = device.energy
    if model == "cycle":
        from kvpipe.memory.cycle import simulate_kv

        c = simulate_kv(device, pattern, n_requests=n_requests, controller=controller)
        bw, act = c.effective_bw_bytes_per_s, c.act_j_per_bit
        how = f"cycle model, {c.requests} requests on {c.channels_simulated} channel(s)"
    else:
        f = analytic(device, pattern, controller)
        act = float(f.act_j_per_bit)
        bw = float(f.effective_bw_bytes_per_s if model == "analytic" else f.peak_bw_bytes_per_s)
        how = "closed-form KV model" if model == "analytic" else "peak bandwidth"
    att = device.attachment
    shoreline = att.shoreline_mm if isinstance(att, Attach2p5D) else 0.0
    derived = f"kvpipe.memory ({how}) from device {device.name!r}"
    return MemoryTech(
        name=device.name,
        unit=device.unit,
        capacity_bytes=device.capacity_bytes,
        bw_bytes_per_s=bw,
        read_j_per_bit=act + e.read_core_j_per_bit + e.io_j_per_bit,
        write_j_per_bit=act + e.write_core_j_per_bit + e.io_j_per_bit,
        background_w=e.background_w + e.refresh_w,
        footprint_mm2=att.footprint_mm2,
        attach=att.kind,
        shoreline_mm=shoreline,
        sources={"bw_bytes_per_s": derived,
                 "read_j_per_bit": derived + ": activation share + read core + I/O",
                 "write_j_per_bit": derived + ": activation share + write core + I/O",
                 "background_w": derived + ": background + refresh",
                 "capacity_bytes": f"organization of {device.name!r}"},
    )
