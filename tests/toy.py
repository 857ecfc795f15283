"""A toy system small enough to work out by hand (used by mapping and perf tests).

Toy model: hidden 64, 2 layers, 4 heads of 16, 2 KV heads, MLP 128, vocabulary 100, untied.
Per block (parameters):
  embedding   100 x 64                               = 6,400   (a lookup reads 64)
  attention   q 64x64 + k,v 2 x 64x32 + o 64x64      = 12,288  (+ norm 64 = 12,352)
  mlp         3 x 64 x 128                           = 24,576  (+ norm 64 = 24,640)
  lm head     64 x 100                               = 6,400   (+ final norm 64 = 6,464)
  total       6,400 + 2 x (12,352 + 24,640) + 6,464  = 86,848
All precisions bf16 (2 bytes): 173,696 weight bytes.
"""

from __future__ import annotations

from pathlib import Path

from kvpipe.hardware.parts import Chip, Link, MemoryTech
from kvpipe.system import KVMemory, MappingOptions, System, Workload
from kvpipe.workload import Precision, Precisions, build_model, parse_arch

TOY_CONFIG = {
    "architectures": ["LlamaForCausalLM"],
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "head_dim": 16,
    "vocab_size": 100,
    "tie_word_embeddings": False,
}

BF16 = Precisions(Precision.BF16, Precision.BF16, Precision.BF16)

TOY_CHIP = Chip(
    name="toy-chip",
    sram_bytes=100_000.0,
    sram_bw_bytes_per_s=1e12,
    sram_read_j_per_bit=1e-12,
    peak_flop_per_s={Precision.BF16: 1e12},
    energy_j_per_flop={Precision.BF16: 1e-12},
    static_power_w=10.0,
    die_area_mm2=100.0,
)
TOY_LINK = Link(name="toy-link", hop_latency_s=1e-6, bw_bytes_per_s=1e12, energy_j_per_bit=1e-12)
TOY_MEMORY = MemoryTech(
    name="toy-dram",
    unit="die",
    capacity_bytes=1e9,
    bw_bytes_per_s=1e9,
    read_j_per_bit=1e-12,
    write_j_per_bit=1e-12,
    background_w=1.0,
    footprint_mm2=10.0,
    attach="3d",
)


def toy_system(users: int = 1, context: int = 1000, micro_batch: int = 1, memory: MemoryTech = TOY_MEMORY) -> System:
    return System(
        name="toy",
        model=build_model(parse_arch(TOY_CONFIG, name="toy")),
        chip=TOY_CHIP,
        link=TOY_LINK,
        kv_memory=KVMemory(memory, 1.0),
        precisions=BF16,
        mapping=MappingOptions(usable_sram_fraction=1.0, layers_per_group=1),
        workload=Workload(users=users, context_tokens=context, micro_batch=micro_batch),
    )


ROOT = Path(__file__).resolve().parents[1]  # the repository


def run_cli(capsys, *argv):
    """Run ``kvpipe ARGV...`` in-process: (exit code, stdout, stderr)."""
    from kvpipe.cli.main import main

    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err
