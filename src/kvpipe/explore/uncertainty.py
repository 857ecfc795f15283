"""How firm the seed verdict is: the talk's claim factors over the ranges of the uncertain inputs.

The claim factors (users multiplier, KV BW/capacity vs HBM3E, pJ/bit and bandwidth per
reticle die needed vs HBM3E) are computed exactly as the study's headline does (steps 1-3 of
:mod:`kvpipe.explore.seed`), but for many design points at once: every uncertain input is an
array, the operating point (largest user count at 90 % of single-user speed) is found by a
vectorized bisection over integer users, and one :func:`kvpipe.perf.evaluate` call covers all
samples and contexts.

Inputs: every figure of the system's chip and link, and HBM3E's read energy (the reference of
the pJ/bit claim), whose catalog firmness is U or A and whose catalog entry states a range
(gathered at the edge by :func:`kvpipe.catalog.ranges.stated_ranges`; docs/model.md,
"Uncertainty"). A sensitivity (tornado) moves one input at a time to its low and high bound;
the Monte Carlo draws all of them at once, log-uniformly within their ranges, from a seeded
generator.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kvpipe.explore.provision import max_kv_j_per_token
from kvpipe.explore.seed import _ideal, find_hbm3e, operating_users
from kvpipe.hardware.packaging import RETICLE_AREA_MM2, max_units_per_die, reticle_dies
from kvpipe.hardware.parts import MemoryTech
from kvpipe.mapping.placement import Placement, place
from kvpipe.perf.inputs import PerfInputs, inputs_from_system
from kvpipe.perf.spatial import evaluate
from kvpipe.system import System
from kvpipe.workload.model import Model

FloatArray = NDArray[np.float64]

# the claims (keys of kvpipe.report.verdict's checks) and the factor each needs
CLAIM_TARGETS: Mapping[str, float] = {"users_multiplier": 100.0, "bw_to_capacity": 10.0, "pj_per_bit": 3.0, "bw_per_die": 5.0}
DIE_AREA = "chip.die_area_mm2"  # enters the reticle-die count, not the perf inputs
HBM_READ = "hbm3e.read_j_per_bit"  # the reference of the pJ/bit claim
SAMPLES = 4000
# the verdict map: dense 8B / 70B / 405B and an MoE (MLA attention, 256 routed experts)
VERDICT_MODELS = ("llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "deepseek-v3")
SEED = 20260101
CONTEXTS = tuple(1024 * 2**k for k in range(8))  # 1K .. 128K


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain catalog figure and its plausible range (SI units)."""

    key: str  # "<part kind>.<field>", e.g. "link.hop_latency_s", "chip.peak_flop_per_s.fp8"
    part: str  # catalog name of the part
    firmness: str  # the catalog's mark: "U" (uncertain) or "A" (assumption)
    nominal: float
    low: float
    high: float
    why: str  # the catalog's reason for the bounds


@dataclass(frozen=True)
class ClaimFactors:
    """The claim factors at design points (arrays broadcast over samples and contexts)."""

    users_multiplier: FloatArray
    bw_to_capacity: FloatArray
    pj_per_bit: FloatArray
    bw_per_die: FloatArray
    required_kv_pj_per_bit: FloatArray
    required_kv_bw_per_reticle_die_bytes_per_s: FloatArray

    def factor(self, claim: str) -> FloatArray:
        value: FloatArray = getattr(self, claim)
        return value

    def holds(self, claim: str) -> NDArray[np.bool_]:
        return self.factor(claim) >= CLAIM_TARGETS[claim]


@dataclass(frozen=True)
class Uncertainty:
    """Sensitivity and Monte Carlo of the claim factors for one system."""

    model: str
    context_tokens: int
    inputs: tuple[UncertainInput, ...]
    nominal: ClaimFactors  # scalars at the workload's context
    tornado_low: ClaimFactors  # [i]: input i at its low bound, the others nominal
    tornado_high: ClaimFactors
    contexts: tuple[int, ...]
    over_context: ClaimFactors  # every input nominal, at each of ``contexts``
    monte_carlo: ClaimFactors  # samples x contexts
    samples: int
    seed: int
    chips: int

    def context_index(self) -> int:
        return self.contexts.index(self.context_tokens)

    def hold_fraction(self, claim: str, context: int | None = None) -> float:
        """Share of the uncertainty box (Monte Carlo samples) in which the claim holds."""
        j = self.contexts.index(self.context_tokens if context is None else context)
        return float(np.mean(self.monte_carlo.holds(claim)[:, j]))

    def all_hold_fraction(self, claims: Sequence[str] = tuple(CLAIM_TARGETS)) -> float:
        """Share of the box in which all ``claims`` hold together (at the workload's context)."""
        j = self.context_index()
        return float(np.mean(np.all([self.monte_carlo.holds(c)[:, j] for c in claims], axis=0)))

    def band(self, claim: str, percentiles: Sequence[float] = (5.0, 50.0, 95.0)) -> FloatArray:
        """Percentiles of a claim factor over the box: array (percentiles x contexts)."""
        return np.asarray(np.percentile(self.monte_carlo.factor(claim), percentiles, axis=0), dtype=np.float64)


def applicable(system: System, hbm3e: MemoryTech, inputs: Sequence[UncertainInput]) -> tuple[UncertainInput, ...]:
    """The inputs that describe this system's own parts at their stated values: a figure the
    system changed from the catalog's value has no stated range and stays at its value."""
    parts: dict[str, Any] = {"chip": system.chip, "link": system.link, "hbm3e": hbm3e}
    out = []
    for inp in inputs:
        kind, _, key = inp.key.partition(".")
        part = parts.get(kind)
        if part is not None and part.name == inp.part and field_value(part, key) == inp.nominal:
            out.append(inp)
    return tuple(out)


def field_value(part: Any, key: str) -> float:
    name, _, precision = key.partition(".")
    value = getattr(part, name)
    if precision:
        value = {str(getattr(p, "value", p)): v for p, v in value.items()}[precision]
    return float(value)


def _with_field(part: Any, key: str, value: float) -> Any:
    name, _, precision = key.partition(".")
    if not precision:
        return replace(part, **{name: value})
    table = {p: (value if str(getattr(p, "value", p)) == precision else v) for p, v in getattr(part, name).items()}
    return replace(part, **{name: table})


def _perf_fields(system: System, key: str) -> tuple[str, ...]:
    """The perf inputs an uncertain figure sets (found by changing it: inputs_from_system copies)."""
    kind, _, name = key.partition(".")
    if kind not in ("chip", "link") or key == DIE_AREA:
        return ()
    part = getattr(system, kind)
    moved = replace(system, **{kind: _with_field(part, name, field_value(part, name) * 2.0 + 1.0)})
    before, after = inputs_from_system(system), inputs_from_system(moved)
    return tuple(f.name for f in fields(PerfInputs) if getattr(before, f.name) != getattr(after, f.name))


def claim_factors(
    system: System,
    placement: Placement,
    hbm3e: MemoryTech,
    values: Mapping[str, ArrayLike] | None = None,
    contexts: ArrayLike | None = None,
) -> ClaimFactors:
    """The claim factors with some uncertain figures set to ``values`` (key -> array; all
    broadcast together with ``contexts``), the rest at the system's own values."""
    values = dict(values or {})
    base = inputs_from_system(_ideal(system))
    changes: dict[str, Any] = {}
    for key, v in values.items():
        for name in _perf_fields(system, key):
            changes[name] = v
    if contexts is not None:
        changes["context_tokens"] = contexts
    inputs = base.with_(**changes)
    shape = np.broadcast_shapes(*(np.shape(np.asarray(v)) for v in (*values.values(), *changes.values(), 1.0)))
    u90 = operating_users(placement, inputs, shape)
    r = evaluate(placement, inputs.with_(users=u90))
    kv_bits = (r.kv_read_bytes_per_token + r.kv_bytes_per_token) * 8.0
    # (S1), elementwise: the allowance is a linear function of the rest of J/token
    required_pj = np.asarray(max_kv_j_per_token(cast(float, r.joules_per_token))) / kv_bits * 1e12
    hbm_pj = np.asarray(values.get(HBM_READ, hbm3e.read_j_per_bit), dtype=np.float64) * 1e12
    die_area = np.asarray(values.get(DIE_AREA, system.chip.die_area_mm2), dtype=np.float64)
    bw_die = r.kv_bw_demand_bytes_per_s_per_group / reticle_dies(r.chips_per_group, die_area)  # type: ignore[arg-type]
    hbm_best = max_units_per_die(hbm3e, RETICLE_AREA_MM2) * hbm3e.bw_bytes_per_s
    ratio = r.kv_read_bw_demand_bytes_per_s_per_group / r.kv_capacity_demand_bytes_per_group
    return ClaimFactors(
        users_multiplier=u90,
        bw_to_capacity=ratio / hbm3e.bw_to_capacity_per_s,
        pj_per_bit=hbm_pj / required_pj,
        bw_per_die=bw_die / hbm_best,
        required_kv_pj_per_bit=required_pj,
        required_kv_bw_per_reticle_die_bytes_per_s=bw_die,
    )


def sample_box(inputs: Sequence[UncertainInput], n: int, seed: int) -> dict[str, FloatArray]:
    """``n`` points drawn log-uniformly and independently within each input's range."""
    rng = np.random.default_rng(seed)
    u = rng.random((n, len(inputs)))
    out: dict[str, FloatArray] = {}
    for i, inp in enumerate(inputs):
        lo, hi = np.log(inp.low), np.log(inp.high)
        out[inp.key] = np.exp(lo + (hi - lo) * u[:, i])
    return out


def _one_at_a_time(inputs: Sequence[UncertainInput], bound: str) -> dict[str, FloatArray]:
    # row i: input i at its bound, every other input nominal
    return {
        a.key: np.array([getattr(a, bound) if j == i else a.nominal for j in range(len(inputs))])
        for i, a in enumerate(inputs)
    }


def study_uncertainty(
    system: System,
    placement: Placement,
    techs: Sequence[MemoryTech],
    stated: Sequence[UncertainInput],
    samples: int = SAMPLES,
    seed: int = SEED,
    contexts: Sequence[int] = CONTEXTS,
) -> Uncertainty:
    """Tornado at the workload's context and Monte Carlo over ``contexts`` for one system, over the
    ``stated`` ranges that apply to its parts (:func:`applicable`)."""
    hbm = find_hbm3e(techs)
    inputs = applicable(system, hbm, stated)
    ctx = system.workload.context_tokens
    ctxs = tuple(sorted(set(contexts) | {ctx}))
    box = {k: v[:, None] for k, v in sample_box(inputs, samples, seed).items()}
    ctx_array = np.asarray(ctxs, dtype=np.float64)
    return Uncertainty(
        model=system.model.name,
        context_tokens=ctx,
        inputs=inputs,
        nominal=claim_factors(system, placement, hbm),
        tornado_low=claim_factors(system, placement, hbm, _one_at_a_time(inputs, "low")),
        tornado_high=claim_factors(system, placement, hbm, _one_at_a_time(inputs, "high")),
        contexts=ctxs,
        over_context=claim_factors(system, placement, hbm, contexts=ctx_array),
        monte_carlo=claim_factors(system, placement, hbm, box, ctx_array[None, :]),
        samples=samples if inputs else 1,  # nothing uncertain: the box is one point
        seed=seed,
        chips=placement.chips,
    )


def verdict_map(
    base: System,
    techs: Sequence[MemoryTech],
    stated: Sequence[UncertainInput],
    models: Sequence[Model] = (),
    samples: int = SAMPLES,
    seed: int = SEED,
) -> tuple[Uncertainty, ...]:
    """The verdict over context and model: :func:`study_uncertainty` for ``base`` (first) and for
    ``base`` serving each other model of ``models`` on the same parts."""
    systems = [base, *(replace(base, name=f"{base.name} / {m.name}", model=m) for m in models if m.name != base.model.name)]
    out = []
    for system in systems:
        placement = place(system.model, system.precisions, system.chip, system.mapping)
        out.append(study_uncertainty(system, placement, techs, stated, samples, seed))
    return tuple(out)
