"""The seed study: the talk's argument, reproduced from first principles for any system.

1. One user: excellent tokens/s, poor J/token (static power over few tokens).
2. Fill the pipeline with users until per-user speed drops by 10 %: J/token falls.
3. At that operating point every chip group must hold all in-flight users' KV and read it
   once per token: KV bandwidth demand / capacity demand = tokens/s per user.
4. Which memory technology supplies that, with how many dies, at what energy, and what a
   new technology must reach (pJ/bit, bandwidth per reticle die).

Steps 1-3 are evaluated with an *ideal* KV memory (unbounded, free) so that the pipeline's
own limits decide the operating point; step 4 provisions each real technology to meet the
demand found. Pure computation: the CLI loads the parts and writes the report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from kvpipe.explore.provision import (
    RETICLE_AREA_MM2,
    KVDemand,
    TechAtOperatingPoint,
    max_kv_j_per_token,
    provision,
)
from kvpipe.hardware.packaging import max_units_per_die, reticle_dies
from kvpipe.hardware.parts import MemoryTech
from kvpipe.mapping.placement import Placement, place
from kvpipe.memory.device import Device
from kvpipe.memory.select import NoDeviceError, effective_tech, system_pattern
from kvpipe.perf.inputs import PerfInputs, inputs_from_system
from kvpipe.perf.result import PerfResult
from kvpipe.perf.spatial import evaluate, tokens_per_s_per_user
from kvpipe.system import KVMemory, System

IDEAL_MEMORY = MemoryTech(
    name="ideal",
    unit="probe",
    capacity_bytes=1e30,
    bw_bytes_per_s=1e30,
    read_j_per_bit=0.0,
    write_j_per_bit=0.0,
    background_w=0.0,
    footprint_mm2=0.0,
    attach="3d",
    sources={"all": "not a part: unbounded, free KV memory used to measure demand"},
)

FloatArray = NDArray[np.float64]

SPEED_FRACTION = 0.9  # "users at 90 % speed"
MAX_USERS = 100_000  # the 90 % point is first bracketed in 1..MAX_USERS, then searched further out
USERS_SEARCH_LIMIT = 10**12  # the 90 % point is searched no further (the headline then says "at least")


@dataclass(frozen=True)
class Headline:
    model: str
    context_tokens: int
    chips: int
    stages: int
    comm_stages_per_token: int
    single_user_tokens_per_s_ideal_kv: float  # one user, ideal KV memory: the pipeline's own speed
    single_user_binding_limit_ideal_kv: str
    single_user_tokens_per_s: float  # one user on the system's own KV memory (= `kvpipe evaluate`)
    single_user_binding_limit: str
    kv_memory: str  # the system's own KV memory technology
    users_at_90pct_speed: int
    users_multiplier: float
    tokens_per_s_at_90pct: float
    joules_per_token_1_user: float
    joules_per_token_at_users_at_90pct_speed: float
    kv_capacity_demand_bytes_per_group: float
    kv_bw_demand_bytes_per_s_per_group: float
    kv_bw_to_capacity_ratio_per_s: float
    hbm3e_bw_to_capacity_ratio_per_s: float
    kv_bits_per_token: float
    required_kv_pj_per_bit: float
    hbm3e_pj_per_bit: float
    required_kv_pj_per_bit_improvement_vs_hbm3e: float
    required_kv_bw_per_reticle_die_bytes_per_s: float
    hbm3e_best_bw_per_reticle_die_bytes_per_s: float
    required_kv_bw_per_reticle_die_vs_hbm3e: float
    reticle_dies_per_group: float
    users_at_90pct_speed_is_search_limit: bool = False  # still >= 90 % there: the true point lies beyond


@dataclass(frozen=True)
class ModelStudy:
    system: System
    placement: Placement
    users: np.ndarray  # the sweep grid of figures and tables (log-spaced)
    contexts: tuple[int, ...]
    ideal: PerfResult  # users x contexts, ideal KV memory
    configured: PerfResult  # users x contexts, the system's own KV memory
    at_operating_point: PerfResult  # ideal KV memory, users_at_90pct_speed users
    past_operating_point: PerfResult  # ideal KV memory, one user more
    headline: Headline
    techs: tuple[TechAtOperatingPoint, ...]


def users_grid(max_users: int = 10_000, per_decade: int = 24) -> np.ndarray:
    decades = math.log10(max_users)
    grid = np.unique(np.round(np.logspace(0, decades, int(decades * per_decade) + 1)))
    return grid.astype(np.float64)


def _ideal(system: System) -> System:
    return replace(system, kv_memory=KVMemory(IDEAL_MEMORY, 1.0))


def _sweep(placement: Placement, inputs: PerfInputs, users: np.ndarray, contexts: Sequence[int]) -> PerfResult:
    return evaluate(placement, inputs.with_(users=users[:, None], context_tokens=np.asarray(contexts, float)[None, :]))


def find_hbm3e(techs: Sequence[MemoryTech]) -> MemoryTech:
    for t in techs:
        if t.name.lower() == "hbm3e":
            return t
    raise KeyError("the seed study compares against a memory named 'hbm3e'; none was given")


def headline(system: System, placement: Placement, techs: Sequence[MemoryTech]) -> Headline:
    """Steps 1-3 of the study: the operating point with an ideal KV memory and its KV demand."""
    ctx = system.workload.context_tokens
    inputs = inputs_from_system(_ideal(system))
    u90, at_limit = users_at_speed(placement, inputs)
    r = evaluate(placement, inputs.with_(users=np.array([1.0, float(u90)])))
    single = float(r.tokens_per_s_per_user[0])
    i90 = 1
    x90 = float(r.tokens_per_s[i90])
    jpt90 = float(r.joules_per_token[i90])
    kv_bits = float(r.kv_read_bytes_per_token[i90] + r.kv_bytes_per_token[i90]) * 8.0
    cap = float(r.kv_capacity_demand_bytes_per_group[i90])
    bw = float(r.kv_bw_demand_bytes_per_s_per_group[i90])
    hbm = find_hbm3e(techs)
    real = evaluate(placement, inputs_from_system(system).with_(users=1.0))
    required_pj = max_kv_j_per_token(jpt90) / kv_bits * 1e12  # (S1)
    dies = reticle_dies(float(r.chips_per_group[i90]), system.chip.die_area_mm2)
    required_bw_die = bw / dies
    hbm_best = max_units_per_die(hbm, RETICLE_AREA_MM2) * hbm.bw_bytes_per_s
    return Headline(
        model=system.model.name,
        context_tokens=ctx,
        chips=r.chips,
        stages=r.stages,
        comm_stages_per_token=r.comm_stages_per_token,
        single_user_tokens_per_s_ideal_kv=single,
        single_user_binding_limit_ideal_kv=str(r.binding_labels()[0]),
        single_user_tokens_per_s=float(real.tokens_per_s_per_user),
        single_user_binding_limit=str(real.binding_labels()),
        kv_memory=system.kv_memory.tech.name,
        users_at_90pct_speed=u90,
        users_multiplier=u90 / 1.0,
        tokens_per_s_at_90pct=x90,
        joules_per_token_1_user=float(r.joules_per_token[0]),
        joules_per_token_at_users_at_90pct_speed=jpt90,
        kv_capacity_demand_bytes_per_group=cap,
        kv_bw_demand_bytes_per_s_per_group=bw,
        kv_bw_to_capacity_ratio_per_s=float(r.kv_read_bw_demand_bytes_per_s_per_group[i90]) / cap,
        hbm3e_bw_to_capacity_ratio_per_s=hbm.bw_to_capacity_per_s,
        kv_bits_per_token=kv_bits,
        required_kv_pj_per_bit=required_pj,
        hbm3e_pj_per_bit=hbm.read_j_per_bit * 1e12,
        required_kv_pj_per_bit_improvement_vs_hbm3e=hbm.read_j_per_bit * 1e12 / required_pj,
        required_kv_bw_per_reticle_die_bytes_per_s=required_bw_die,
        hbm3e_best_bw_per_reticle_die_bytes_per_s=hbm_best,
        required_kv_bw_per_reticle_die_vs_hbm3e=required_bw_die / hbm_best,
        reticle_dies_per_group=dies,
        users_at_90pct_speed_is_search_limit=at_limit,
    )


def users_at_speed(placement: Placement, inputs: PerfInputs) -> tuple[int, bool]:
    """(S0) The most users whose tokens/s each stays >= 90 % of one user's, and whether the
    search stopped at :data:`USERS_SEARCH_LIMIT` with the speed still there (:func:`operating_users`
    at one design point)."""
    users = int(operating_users(placement, inputs, ()))
    return users, users >= USERS_SEARCH_LIMIT


def operating_users(placement: Placement, inputs: PerfInputs, shape: tuple[int, ...]) -> FloatArray:
    """The largest user count whose per-user speed is >= 90 % of one user's, at every design
    point of ``shape`` at once: bisection over integers (per-user speed never rises with users),
    over 1..MAX_USERS and, where the speed still holds there, on up to USERS_SEARCH_LIMIT (a
    speed held there is reported as the limit)."""
    one = np.ones(shape)
    floor = SPEED_FRACTION * tokens_per_s_per_user(placement, inputs.with_(users=one))

    def ok(users: FloatArray) -> NDArray[np.bool_]:
        return tokens_per_s_per_user(placement, inputs.with_(users=users)) >= floor

    lo, hi = one.copy(), np.full(shape, float(MAX_USERS))
    deep = ok(hi)  # still at 90 % at MAX_USERS: the point lies further out
    lo, hi = np.where(deep, hi, lo), np.where(deep, float(USERS_SEARCH_LIMIT), hi)
    lo = np.where(deep & ok(hi), hi, lo)  # still there at the search limit
    while np.any(hi - lo > 1):
        mid = np.floor((lo + hi) / 2.0)
        good = ok(mid)
        lo, hi = np.where(good, mid, lo), np.where(good, hi, mid)
    return lo


def demand_of(h: Headline) -> KVDemand:
    """The KV demand at a headline's operating point (the ideal-memory J/token is the rest)."""
    return KVDemand(
        users=h.users_at_90pct_speed,
        context_tokens=h.context_tokens,
        tokens_per_s=h.tokens_per_s_at_90pct,
        capacity_bytes_per_group=h.kv_capacity_demand_bytes_per_group,
        bw_bytes_per_s_per_group=h.kv_bw_demand_bytes_per_s_per_group,
        kv_bits_per_token=h.kv_bits_per_token,
        reticle_dies_per_group=h.reticle_dies_per_group,
        rest_j_per_token=h.joules_per_token_at_users_at_90pct_speed,
    )


def study_model(
    system: System,
    techs: Sequence[MemoryTech],
    contexts: Sequence[int] = (2048, 8192, 32768, 131072),
    memory_model: str = "scalar",
    devices: Mapping[str, Device] | None = None,
) -> ModelStudy:
    """One model's study; ``memory_model`` (scalar | analytic | cycle) sets the fidelity of the
    memory figures (technologies without a device description in ``devices``, by the name
    each names, keep their catalog scalars)."""
    system, techs = _with_memory_model(system, techs, memory_model, devices or {})
    placement = place(system.model, system.precisions, system.chip, system.mapping)
    head = headline(system, placement, techs)
    users = users_grid()
    ctxs = tuple(sorted(set(contexts) | {system.workload.context_tokens}))
    ideal_point = inputs_from_system(_ideal(system))
    u90 = float(head.users_at_90pct_speed)
    return ModelStudy(
        system=system,
        placement=placement,
        users=users,
        contexts=ctxs,
        ideal=_sweep(placement, inputs_from_system(_ideal(system)), users, ctxs),
        configured=_sweep(placement, inputs_from_system(system), users, ctxs),
        at_operating_point=evaluate(placement, ideal_point.with_(users=u90)),
        past_operating_point=evaluate(placement, ideal_point.with_(users=u90 + 1.0)),
        headline=head,
        techs=tuple(provision(t, demand_of(head), system, placement) for t in techs),
    )


def _with_memory_model(
    system: System, techs: Sequence[MemoryTech], memory_model: str, devices: Mapping[str, Device]
) -> tuple[System, list[MemoryTech]]:
    if memory_model == "scalar":
        return system, list(techs)
    pattern = system_pattern(system)

    def convert(t: MemoryTech) -> MemoryTech:
        try:
            return effective_tech(t, pattern, memory_model, devices.get(t.device))
        except NoDeviceError:
            return t

    mem = replace(system.kv_memory, tech=convert(system.kv_memory.tech))
    return replace(system, kv_memory=mem), [convert(t) for t in techs]
