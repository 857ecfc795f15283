"""KV cache held in the SRAM the weights leave free (machines without DRAM: Groq, Cerebras).

Rule (docs/validation.md, "Spatial presets"): a chip group of ``n_g`` chip-equivalents whose
weights fill the usable fraction ``f`` of each chip's SRAM keeps its layers' KV in the rest:

* capacity per group  = n_g x sram_bytes x (1 - f)
* bandwidth per group = n_g x sram_bw x (1 - f)   (the free macros' share of the SRAM ports)
* energy per bit      = the chip's SRAM read energy; no background power beyond static power.

It is an upper bound: activations and compiler buffers share the free SRAM.
"""

from __future__ import annotations

from types import MappingProxyType

from kvpipe.hardware.parts import MemoryTech
from kvpipe.mapping.placement import place
from kvpipe.system import KVMemory, System


def spare_sram_kv_memory(system: System) -> KVMemory:
    """The KV memory of ``system`` if its KV lives in the SRAM left free by the weights."""
    placement = place(system.model, system.precisions, system.chip, system.mapping)
    kv_groups = [g for g in placement.classes if g.has_kv]
    group_chips = max((g.chips for g in kv_groups), default=0.0)
    free = 1.0 - system.mapping.usable_sram_fraction
    chip = system.chip
    tech = MemoryTech(
        name=f"spare-sram-{chip.name}",
        unit="layer-group",
        capacity_bytes=max(group_chips * chip.sram_bytes * free, 1.0),
        bw_bytes_per_s=max(group_chips * chip.sram_bw_bytes_per_s * free, 1.0),
        read_j_per_bit=chip.sram_read_j_per_bit,
        write_j_per_bit=chip.sram_read_j_per_bit,
        background_w=0.0,
        footprint_mm2=0.0,
        attach="3d",
        sources=MappingProxyType({
            "capacity_bytes": "derived: group chip-equivalents x SRAM x (1 - usable_sram_fraction) (mapping/sram_kv.py)",
            "bw_bytes_per_s": "derived: group chip-equivalents x SRAM bandwidth x (1 - usable_sram_fraction)",
            "read_j_per_bit": f"the chip's SRAM read energy ({chip.name})",
        }),
    )
    return KVMemory(tech=tech, units_per_group=1.0)
