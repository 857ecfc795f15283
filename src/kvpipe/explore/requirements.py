"""What a KV memory must supply for a target: users at a context and tokens/s per user.

The pipeline's own figures come from the perf model with an ideal KV memory at the target's
users and context; the memory must then carry the target's token rate:

* capacity per group = users x resident KV per user (K1);
* bandwidth per group = users x tokens/s per user x KV bytes per token of the group (K2);
* per reticle die: divided by the logic dies the group spans;
* energy allowance: S1 (KV at most half of J/token), or a J/token budget minus the rest.

Each technology is provisioned for that demand (``explore.provision``) and meets the target
when its KV energy fits the allowance and the group's logic dies can attach its units.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from kvpipe.explore.provision import KVDemand, TechAtOperatingPoint, max_kv_j_per_token, provision
from kvpipe.explore.seed import IDEAL_MEMORY
from kvpipe.hardware.packaging import reticle_dies
from kvpipe.hardware.parts import MemoryTech
from kvpipe.mapping.placement import place
from kvpipe.perf.inputs import inputs_from_system
from kvpipe.perf.spatial import evaluate
from kvpipe.system import KVMemory, System, Workload


@dataclass(frozen=True)
class Target:
    users: int
    context_tokens: int
    tokens_per_s_per_user: float | None = None  # None: what the pipeline itself sustains at these users
    joules_per_token: float | None = None  # budget for the whole system, if any


@dataclass(frozen=True)
class TechRequirement:
    provisioned: TechAtOperatingPoint
    meets_energy: bool
    meets: bool  # energy allowance met and the units fit beside the group's logic dies

    @property
    def name(self) -> str:
        return self.provisioned.tech.name

    @property
    def failing(self) -> tuple[str, ...]:
        """The criteria not met: ``energy`` (KV energy above the allowance), ``fit`` (more units than
        the group's logic dies can attach)."""
        return tuple(k for k, ok in (("energy", self.meets_energy), ("fit", self.provisioned.fits_beside_group)) if not ok)


@dataclass(frozen=True)
class Requirements:
    target: Target
    demand: KVDemand
    pipeline_tokens_per_s_per_user: float  # what the pipeline sustains at these users, ideal memory
    max_kv_j_per_token: float
    max_kv_pj_per_bit: float
    technologies: tuple[TechRequirement, ...]

    @property
    def pipeline_meets_target(self) -> bool:
        wanted = self.target.tokens_per_s_per_user or 0.0
        return self.pipeline_tokens_per_s_per_user >= wanted * (1 - 1e-12)


def requirements(system: System, target: Target, techs: Sequence[MemoryTech]) -> Requirements:
    workload = Workload(users=target.users, context_tokens=target.context_tokens, micro_batch=system.workload.micro_batch)
    at_target = replace(system, workload=workload)
    placement = place(at_target.model, at_target.precisions, at_target.chip, at_target.mapping)
    ideal = replace(at_target, kv_memory=KVMemory(IDEAL_MEMORY, 1.0))
    r = evaluate(placement, inputs_from_system(ideal))
    per_user = target.tokens_per_s_per_user
    if per_user is None:
        per_user = float(r.tokens_per_s_per_user)
        target = replace(target, tokens_per_s_per_user=per_user)
    rate = target.users * per_user
    x = float(r.tokens_per_s)
    rest = float(r.energy.at_rate(r.tokens_per_s, rate).total())
    kv_bits = float(r.kv_read_bytes_per_token + r.kv_bytes_per_token) * 8.0
    demand = KVDemand(
        users=target.users,
        context_tokens=target.context_tokens,
        tokens_per_s=rate,
        capacity_bytes_per_group=float(r.kv_capacity_demand_bytes_per_group),
        bw_bytes_per_s_per_group=float(r.kv_bw_demand_bytes_per_s_per_group) * rate / x,  # K2 at the target rate
        kv_bits_per_token=kv_bits,
        reticle_dies_per_group=reticle_dies(float(r.chips_per_group), system.chip.die_area_mm2),
        rest_j_per_token=rest,
    )
    allowance = max_kv_j_per_token(rest, target.joules_per_token)
    rows = []
    for tech in techs:
        p = provision(tech, demand, at_target, placement)
        ok_energy = p.kv_j_per_token <= allowance
        rows.append(TechRequirement(p, ok_energy, ok_energy and p.fits_beside_group))
    return Requirements(
        target=target,
        demand=demand,
        pipeline_tokens_per_s_per_user=float(r.tokens_per_s_per_user),
        max_kv_j_per_token=allowance,
        max_kv_pj_per_bit=allowance / kv_bits * 1e12,
        technologies=tuple(rows),
    )
