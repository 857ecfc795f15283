"""(M5) Compute-balanced placement, worked out by hand on a toy with one dense and two MoE layers.

Toy: hidden 64, 4 heads of 16, 2 KV heads, vocabulary 100, bf16, 100,000-byte chips fully usable,
1e12 FLOP/s. Layer 0 is dense (MLP 128), layers 1-2 are MoE (8 experts of 3 x 64 x 128, top-1).
  dense group: 12,352 + 24,640 = 36,992 params = 73,984 B -> 0.73984 chips
      FLOPs per token at context 1000: 2 x (12,288 + 24,576) + 4 x 4 x 16 x 1000 = 329,728
  MoE group:   12,352 + router 512 + 8 x 24,576 + norm 64 = 209,536 params = 419,072 B -> 4.19072 chips
      FLOPs: 2 x 12,288 + 2 x (512 + 24,576) + 256,000 = 330,752
  per token on one chip the processing time is the longer of compute and SRAM streaming
  (1e12 B/s; MoE: 12,928 dense params + 1 expert of 24,576 = 75,008 B -> 7.5e-8 s < compute)
  the MoE groups are the most common: t_ref = 330,752e-12 s / 4.19072 = 7.89248e-8 s per token
  dense group balanced: 329,728e-12 / 7.89248e-8 = 4.17774 chips (was 0.73984: 4.4567e-7 s per token)
  LM head: SRAM 12,928 B (1.2928e-8 s) > compute 12,800 FLOPs (1.28e-8 s); on 0.12928 chips it takes
      1e-7 s > t_ref -> 1.2928e-8 / 7.89248e-8 = 0.163802 chips
  chips: ceil(0.128 + 4.17774 + 2 x 4.19072 + 0.163802 = 12.851) = 13, against
         ceil((12,800 + 73,984 + 2 x 419,072 + 12,928) / 100,000 = 9.379) = 10 by weights
"""

from dataclasses import replace

import pytest
from toy import BF16, TOY_CHIP, TOY_CONFIG, toy_system

from kvpipe.explore.seed import IDEAL_MEMORY
from kvpipe.mapping import place
from kvpipe.perf import evaluate, inputs_from_system
from kvpipe.system import KVMemory, MappingOptions
from kvpipe.workload import build_model, parse_arch

MOE_TOY = {
    **TOY_CONFIG,
    "num_hidden_layers": 3,
    "n_routed_experts": 8,
    "num_experts_per_tok": 1,
    "moe_intermediate_size": 128,
    "first_k_dense_replace": 1,
}


def _place(balance: int | None):
    model = build_model(parse_arch(MOE_TOY, name="moe-toy"))
    return model, place(model, BF16, TOY_CHIP, MappingOptions(usable_sram_fraction=1.0, balance_context_tokens=balance))


def test_balanced_chips_by_hand():
    _, by_weights = _place(None)
    _, balanced = _place(1000)
    assert by_weights.chips == 10
    assert balanced.chips == 13
    dense = next(c for c in balanced.classes if c.layers and c.expert_bytes_per_layer == 0)
    assert dense.chips == pytest.approx(4.17774, rel=1e-5)
    head = next(c for c in balanced.classes if not c.layers and c.linear_flops > 0)
    assert head.chips == pytest.approx(0.163802, rel=1e-5)


def test_balancing_lifts_the_compute_bound():
    model, _ = _place(None)
    s = replace(toy_system(users=1000), model=model, kv_memory=KVMemory(IDEAL_MEMORY, 1.0))
    for balance, x_compute in ((None, 1 / 4.4567e-7), (1000, 1 / 7.89248e-8)):
        _, pl = _place(balance)
        r = evaluate(pl, inputs_from_system(s))
        assert float(r.max_tokens_per_s_compute) == pytest.approx(x_compute, rel=1e-4)
