"""Three ways to serve one model to the same users: the seed study's design comparison.

* GPU only: a Vera Rubin NVL72 rack (catalog systems/rubin-nvl72.yaml; docs/gpu.md);
* attention-FFN split: Groq 3 LPX for the FFN beside the NVL72 for attention, KV in the GPUs'
  HBM4 (systems/groq3-lpx-rubin.yaml; docs/afd.md);
* the talk's deep spatial pipeline with a stacked (3D, hybrid-bonded) KV DRAM on each chip
  group, as many units per group as the seed study provisions for its operating point.

Every design gets the seed system's model, precisions and context; each is swept over the
same users so that "users at 90 %" means the same thing for all (docs/afd.md, "The seed
study's three designs"). Pure computation: the CLI loads the presets.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from kvpipe.explore.baselines import like_for_like
from kvpipe.explore.seed import SPEED_FRACTION
from kvpipe.mapping.placement import place
from kvpipe.perf.gpu import evaluate_gpu, gpu_inputs_from_system, system_shape
from kvpipe.perf.hetero import evaluate_hetero, hetero_inputs_from_system, hetero_shape
from kvpipe.perf.inputs import inputs_from_system
from kvpipe.perf.result import PerfResult
from kvpipe.perf.spatial import evaluate
from kvpipe.system import GpuSystem, HeteroSystem, KVMemory, System

STACKED_KV_MEMORY = "hybrid-bonded-3d-dram"  # the catalog memory of the spatial design's KV
DESIGN_MAX_USERS = 32_768


@dataclass(frozen=True)
class DesignPoint:
    """One design at the study's users and at its own 90 % operating point."""

    design: str  # what kind of design, in words
    system: str
    devices: str  # e.g. "72 rubin" or "147 lp30 + 72 rubin"
    kv_location: str
    single_user_tokens_per_s: float
    users_at_90pct_speed: int
    joules_per_token_at_90pct_speed: float
    tokens_per_s_per_user: float  # at the study's users
    tokens_per_s: float
    joules_per_token: float
    binding_limit: str
    a2e_share_of_token_time: float | None  # the A2E/E2A crossings' share of a token's latency; None: no such link


@dataclass(frozen=True)
class DesignComparison:
    model: str
    context_tokens: int
    users: int
    designs: tuple[DesignPoint, ...]


def _operating_point(
    design: str, system: str, devices: str, kv: str, users: np.ndarray, r: PerfResult, at: int,
    a2e_share: np.ndarray | None,
) -> DesignPoint:
    per_user = np.asarray(r.tokens_per_s_per_user, dtype=float)
    served = np.asarray(r.users_in_flight) >= users
    ok = np.nonzero(served & (per_user >= SPEED_FRACTION * per_user[0]))[0]
    i90 = int(ok[-1]) if ok.size else 0
    i = at - 1
    return DesignPoint(
        design=design,
        system=system,
        devices=devices,
        kv_location=kv,
        single_user_tokens_per_s=float(per_user[0]),
        users_at_90pct_speed=int(users[i90]),
        joules_per_token_at_90pct_speed=float(r.joules_per_token[i90]),
        tokens_per_s_per_user=float(per_user[i]),
        tokens_per_s=float(r.tokens_per_s[i]),
        joules_per_token=float(r.joules_per_token[i]),
        binding_limit=str(r.binding_labels()[i]),
        a2e_share_of_token_time=None if a2e_share is None else float(a2e_share[i]),
    )


def _gpu_hbm(devices: int, gpu: str, role: str = "") -> str:
    """Where a GPU design keeps its KV, one wording for every GPU kind: its GPUs' own HBM."""
    return f"HBM of the {devices} {gpu} {role}GPUs"


def gpu_design(system: GpuSystem, seed: System, users: np.ndarray) -> DesignPoint:
    s = like_for_like(system, seed)
    r = evaluate_gpu(system_shape(s), gpu_inputs_from_system(s).with_(users=users)).perf
    kv = _gpu_hbm(s.parallelism.gpus, s.gpu.name)
    return _operating_point("GPU only", s.name, f"{s.parallelism.gpus} {s.gpu.name}", kv, users, r,
                            seed.workload.users, None)


def hetero_design(system: HeteroSystem, seed: System, users: np.ndarray) -> DesignPoint:
    s = like_for_like(system, seed)
    shape = hetero_shape(s)
    r = evaluate_hetero(shape, replace(hetero_inputs_from_system(s), users=users))
    a = s.attention
    kv = _gpu_hbm(a.devices, a.gpu.name, "attention ")
    devices = f"{shape.ffn.chips} {s.ffn.chip.name} + {a.devices} {a.gpu.name}"
    return _operating_point("attention-FFN split", s.name, devices, kv, users, r.perf, seed.workload.users, r.a2e_share)


def spatial_design(seed: System, stacked: KVMemory, users: np.ndarray) -> DesignPoint:
    s = replace(seed, name=f"{seed.name} + {stacked.tech.name}", kv_memory=stacked)
    placement = place(s.model, s.precisions, s.chip, s.mapping)
    r = evaluate(placement, inputs_from_system(s).with_(users=users))
    kv = f"{stacked.units_per_group:g} x {stacked.tech.name} stacked on each of {placement.kv_groups} chip groups"
    return _operating_point("spatial pipeline, stacked KV DRAM", s.name, f"{placement.chips} {s.chip.name}", kv,
                            users, r, seed.workload.users, None)


def compare_designs(seed: System, stacked: KVMemory, gpu: GpuSystem, hetero: HeteroSystem) -> DesignComparison:
    """The three designs on the seed system's model, precisions, context and users."""
    users = np.arange(1, max(DESIGN_MAX_USERS, seed.workload.users) + 1, dtype=np.float64)
    return DesignComparison(
        model=seed.model.name,
        context_tokens=seed.workload.context_tokens,
        users=seed.workload.users,
        designs=(gpu_design(gpu, seed, users), hetero_design(hetero, seed, users), spatial_design(seed, stacked, users)),
    )


__all__ = [
    "DESIGN_MAX_USERS", "STACKED_KV_MEMORY", "DesignComparison", "DesignPoint", "compare_designs", "gpu_design",
    "hetero_design", "spatial_design",
]
