"""Small systems for the simulator tests (besides tests/toy.py)."""

from __future__ import annotations

from dataclasses import replace

from toy import TOY_CONFIG, toy_system

from kvpipe.system import System
from kvpipe.workload import build_model, parse_arch

# The toy model with a mixture of experts in both layers: 8 experts of 3 x 64 x 128, top-2.
TOY_MOE_CONFIG = dict(TOY_CONFIG, architectures=["MixtralForCausalLM"], num_local_experts=8, num_experts_per_tok=2)


def toy_moe_system(users: int = 1, context: int = 10, micro_batch: int = 1) -> System:
    model = build_model(parse_arch(TOY_MOE_CONFIG, name="toy-moe"))
    return replace(toy_system(users=users, context=context, micro_batch=micro_batch), name="toy-moe", model=model)
