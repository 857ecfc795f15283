"""The verdict: the talk's argument, told with one study's numbers, and checked against the
talk's targets (>100x users, KV BW/capacity >> HBM's, >3x pJ/bit, >5x BW per reticle die).

Plain text (no markup); the HTML report escapes it, the command line prints it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kvpipe.explore.provision import KV_ENERGY_SHARE, TechAtOperatingPoint
from kvpipe.explore.seed import (
    SPEED_FRACTION,
    ModelStudy,
)
from kvpipe.perf.result import PerfResult
from kvpipe.report.format import (
    fmt_bw,
    fmt_bytes,
    fmt_count,
    fmt_factor,
    fmt_joules,
    fmt_number,
    fmt_per_s,
    fmt_percent,
    fmt_pj_per_bit,
    fmt_rate,
    fmt_seconds,
    fmt_tokens,
)

# The talk's targets (docs/design.md section 1) and the acceptance thresholds.
TARGET_USERS_MULTIPLIER = 100.0
TARGET_RATIO_VS_HBM3E = 10.0
TARGET_PJ_PER_BIT_IMPROVEMENT = 3.0
TARGET_BW_PER_DIE_IMPROVEMENT = 5.0

ENERGY_LABELS = {
    "static": "static power",
    "weight_reads": "weight reads (SRAM, or HBM on a GPU)",
    "compute": "MACs and attention arithmetic",
    "kv_read": "KV reads",
    "kv_write": "KV writes",
    "memory_background": "DRAM background/refresh",
    "links": "links",
}


# which assumption sets each part of the energy per token
ENERGY_DRIVERS = {
    "static": "the chips' static power, shared by the aggregate tokens/s",
    "weight_reads": "the energy of reading the weights (the chip's SRAM read energy per bit; a GPU's HBM reads)",
    "compute": "the chip's energy per FLOP",
    "kv_read": "the KV memory's read energy per bit",
    "kv_write": "the KV memory's write energy per bit",
    "memory_background": "the KV memory's background power",
    "links": "the link energy per bit",
}


@dataclass(frozen=True)
class TargetCheck:
    key: str  # a stable identifier: users_multiplier, bw_to_capacity, pj_per_bit, bw_per_die
    claim: str  # the talk's claim, in words
    target: float  # the factor the claim needs
    value: float  # the factor these numbers give
    met: bool
    why: str  # what sets the value (and what it would take to reach the target)


@dataclass(frozen=True)
class Verdict:
    model: str
    summary: str
    checks: tuple[TargetCheck, ...]
    meeting_techs: tuple[str, ...]  # technologies meeting both the pJ/bit and BW-per-die need
    conclusion: str


def hbm3e_of(study: ModelStudy) -> TechAtOperatingPoint | None:
    for t in study.techs:
        if t.tech.name.lower() == "hbm3e":
            return t
    return None


def _energy_parts(r: PerfResult) -> list[tuple[str, float]]:
    parts = [(k, float(np.asarray(v))) for k, v in r.energy.as_dict().items()]
    return sorted(((k, v) for k, v in parts if v > 0), key=lambda kv: -kv[1])


def _users_check(study: ModelStudy) -> TargetCheck:
    h = study.headline
    beyond = study.past_operating_point
    at = study.at_operating_point
    limit = str(beyond.binding_labels().item()).replace("_", " ")
    latency = float(at.latency_s)
    rate = float(beyond.tokens_per_s)
    why = (
        f"One token takes {fmt_seconds(latency)} through the pipeline ({fmt_count(h.comm_stages_per_token)} "
        f"communication stages), so the pipeline holds work for many users at once. Past "
        f"{fmt_count(h.users_at_90pct_speed)} users the {limit} limit caps aggregate throughput at "
        f"{fmt_rate(rate)}; per-user speed stays ≥ {fmt_percent(SPEED_FRACTION)} of one user's while users ≤ "
        f"that cap × latency / {SPEED_FRACTION:g}. The multiplier therefore grows with the cap "
        f"(chip compute, SRAM and link rates) and with the pipeline latency (hop latency × stages)."
    )
    return TargetCheck(
        key="users_multiplier",
        claim="fill the pipeline with > 100× more users",
        target=TARGET_USERS_MULTIPLIER,
        value=h.users_multiplier,
        met=h.users_multiplier >= TARGET_USERS_MULTIPLIER,
        why=why,
    )


def _ratio_check(study: ModelStudy) -> TargetCheck:
    h = study.headline
    value = h.kv_bw_to_capacity_ratio_per_s / h.hbm3e_bw_to_capacity_ratio_per_s
    why = (
        f"Every decoded token reads its user's whole KV once, so KV read bandwidth / KV capacity per "
        f"group equals tokens/s per user at the operating point: {fmt_per_s(h.kv_bw_to_capacity_ratio_per_s)} "
        f"(= {fmt_percent(SPEED_FRACTION)} of {fmt_rate(h.single_user_tokens_per_s_ideal_kv, 'tokens/s')} or a little more). "
        f"HBM3E offers {fmt_per_s(h.hbm3e_bw_to_capacity_ratio_per_s)}; the gap is "
        f"{fmt_factor(value)}, and only per-user speeds below "
        f"{fmt_rate(TARGET_RATIO_VS_HBM3E * h.hbm3e_bw_to_capacity_ratio_per_s, 'tokens/s')} would close it below 10×."
    )
    return TargetCheck(
        key="bw_to_capacity",
        claim="KV bandwidth demand ≫ capacity demand (≥ 10× HBM3E's BW/capacity)",
        target=TARGET_RATIO_VS_HBM3E,
        value=value,
        met=value >= TARGET_RATIO_VS_HBM3E,
        why=why,
    )


def _pj_check(study: ModelStudy) -> TargetCheck:
    h = study.headline
    at = study.at_operating_point
    parts = _energy_parts(at)
    rest = h.joules_per_token_at_users_at_90pct_speed
    top = ", ".join(f"{ENERGY_LABELS.get(k, k)} {fmt_percent(v / rest if rest else float('nan'))}" for k, v in parts[:3])
    e_hbm = h.hbm3e_pj_per_bit * 1e-12 * h.kv_bits_per_token
    share = KV_ENERGY_SHARE / (1.0 - KV_ENERGY_SHARE)
    needed_rest = e_hbm / (share * TARGET_PJ_PER_BIT_IMPROVEMENT)
    value = h.required_kv_pj_per_bit_improvement_vs_hbm3e
    driver = f" The largest part is set by {ENERGY_DRIVERS.get(parts[0][0], parts[0][0])}." if parts else ""
    why = (
        f"The criterion lets KV memory take {fmt_percent(KV_ENERGY_SHARE)} of J/token, i.e. as much energy as "
        f"everything else, which at the operating point is {fmt_joules(rest)} ({top}).{driver} The KV moves "
        f"{fmt_bytes(h.kv_bits_per_token / 8)} per token at {fmt_tokens(h.context_tokens)} of context "
        f"(reads of the whole context plus one write), so it may spend ≤ {fmt_pj_per_bit(h.required_kv_pj_per_bit)}; "
        f"at HBM3E's {fmt_pj_per_bit(h.hbm3e_pj_per_bit)} it would spend {fmt_joules(e_hbm)}. "
        f"The factor grows with the KV bits per token (context length, KV precision, KV heads) and shrinks "
        f"with the rest of the energy per token: the >3× target holds when the rest spends ≤ {fmt_joules(needed_rest)}"
        f"{'' if value >= TARGET_PJ_PER_BIT_IMPROVEMENT else ' (it spends ' + fmt_joules(rest) + ')'}."
    )
    return TargetCheck(
        key="pj_per_bit",
        claim="> 3× better pJ/bit than HBM",
        target=TARGET_PJ_PER_BIT_IMPROVEMENT,
        value=value,
        met=value >= TARGET_PJ_PER_BIT_IMPROVEMENT,
        why=why,
    )


def _bw_die_check(study: ModelStudy) -> TargetCheck:
    h = study.headline
    value = h.required_kv_bw_per_reticle_die_vs_hbm3e
    hbm = hbm3e_of(study)
    attach = ""
    if hbm is not None:
        attach = (
            f" ({_n(hbm.max_units_per_reticle_die, hbm.tech.unit)} of {fmt_bw(hbm.tech.bw_bytes_per_s)} "
            f"along a reticle die's memory edges)"
        )
    need_group = TARGET_BW_PER_DIE_IMPROVEMENT * h.hbm3e_best_bw_per_reticle_die_bytes_per_s * h.reticle_dies_per_group
    why = (
        f"Per chip group the KV needs {fmt_bw(h.kv_bw_demand_bytes_per_s_per_group)} at the operating point "
        f"({fmt_rate(h.tokens_per_s_at_90pct)} aggregate, each token reading the group's KV at "
        f"{fmt_tokens(h.context_tokens)}). The group spans {fmt_number(h.reticle_dies_per_group)} reticle-die "
        f"equivalents of logic (the SRAM its weights need), so each die must attach "
        f"{fmt_bw(h.required_kv_bw_per_reticle_die_bytes_per_s)}; HBM3E's best attachment gives "
        f"{fmt_bw(h.hbm3e_best_bw_per_reticle_die_bytes_per_s)}{attach}. The factor grows with aggregate "
        f"tokens/s and KV bytes per token per group, and shrinks with the dies per group (SRAM per die, "
        f"weight precision, expert weights): >5× needs ≥ {fmt_bw(need_group)} per group."
    )
    return TargetCheck(
        key="bw_per_die",
        claim="> 5× more bandwidth per reticle die than HBM",
        target=TARGET_BW_PER_DIE_IMPROVEMENT,
        value=value,
        met=value >= TARGET_BW_PER_DIE_IMPROVEMENT,
        why=why,
    )


def meeting_techs(study: ModelStudy) -> tuple[str, ...]:
    """Technologies whose effective KV pJ/bit and BW per reticle die both meet the requirement."""
    h = study.headline
    return tuple(
        t.tech.name
        for t in study.techs
        if t.kv_effective_j_per_bit * 1e12 <= h.required_kv_pj_per_bit
        and t.bw_per_reticle_die_bytes_per_s >= h.required_kv_bw_per_reticle_die_bytes_per_s
    )


def _words(label: str) -> str:
    return label.replace("_", " ")


def _n(count: float, noun: str) -> str:
    return f"{fmt_count(count)} {noun}{'' if round(count) == 1 else 's'}"


def summary(study: ModelStudy) -> str:
    h = study.headline
    s = (
        f"{h.model} at {fmt_tokens(h.context_tokens)} of context runs on {_n(h.chips, 'chip')} in "
        f"{_n(h.stages, 'pipeline stage')} ({fmt_count(h.comm_stages_per_token)} communication stages per "
        f"token). With one user and an ideal KV memory the pipeline gives "
        f"{fmt_rate(h.single_user_tokens_per_s_ideal_kv)} (bound by {_words(h.single_user_binding_limit_ideal_kv)}) at "
        f"{fmt_joules(h.joules_per_token_1_user)}; on its own {h.kv_memory} KV memory one user gets "
        f"{fmt_rate(h.single_user_tokens_per_s)} (bound by {_words(h.single_user_binding_limit)}). With the ideal "
        f"memory {fmt_count(h.users_at_90pct_speed)} users keep 90 % of the single-user speed "
        f"(multiplier {fmt_factor(h.users_multiplier)}) and J/token falls to "
        f"{fmt_joules(h.joules_per_token_at_users_at_90pct_speed)} "
        f"({fmt_factor(h.joules_per_token_1_user / h.joules_per_token_at_users_at_90pct_speed)} lower) as static "
        f"power is shared. Per chip group the KV then needs {fmt_bytes(h.kv_capacity_demand_bytes_per_group)} at "
        f"{fmt_bw(h.kv_bw_demand_bytes_per_s_per_group)}, a bandwidth/capacity ratio of "
        f"{fmt_per_s(h.kv_bw_to_capacity_ratio_per_s)} against HBM3E's {fmt_per_s(h.hbm3e_bw_to_capacity_ratio_per_s)}."
    )
    hbm = hbm3e_of(study)
    if hbm is not None:
        s += (
            f" Meeting it with HBM3E takes {_n(hbm.units_per_group, hbm.tech.unit)} per group "
            f"({fmt_count(hbm.units_for_bandwidth)} for bandwidth, {fmt_count(hbm.units_for_capacity)} for capacity), "
            f"{fmt_factor(hbm.capacity_overprovision)} over-provisioned in capacity"
            + ("" if hbm.fits_beside_group else ", more than the group's logic dies can attach")
            + f"; KV memory then takes {fmt_percent(hbm.kv_energy_share)} of J/token."
        )
    m = h.required_kv_pj_per_bit_improvement_vs_hbm3e
    n = h.required_kv_bw_per_reticle_die_vs_hbm3e
    s += (
        f" A KV memory must reach ≤ {fmt_pj_per_bit(h.required_kv_pj_per_bit)} "
        f"(HBM3E: {fmt_pj_per_bit(h.hbm3e_pj_per_bit)}, i.e. {_better(m, 'better')}) and "
        f"{fmt_bw(h.required_kv_bw_per_reticle_die_bytes_per_s)} per reticle die (HBM3E best attachment: "
        f"{fmt_bw(h.hbm3e_best_bw_per_reticle_die_bytes_per_s)}, i.e. {_better(n, 'more')})."
    )
    return s


def _better(factor: float, word: str) -> str:
    """"2.39× better", or for a factor below 1 how much margin HBM3E already has."""
    if factor >= 1.0 or factor <= 0.0 or factor != factor:
        return f"{fmt_factor(factor)} {word}"
    return f"{fmt_factor(factor)}: HBM3E already meets it with {fmt_factor(1.0 / factor)} margin"


def verdict(study: ModelStudy) -> Verdict:
    checks = (_users_check(study), _ratio_check(study), _pj_check(study), _bw_die_check(study))
    techs = meeting_techs(study)
    met = [c for c in checks if c.met]
    missed = [c for c in checks if not c.met]
    if not missed:
        conclusion = "These numbers support every step of the talk's argument and both memory targets."
    else:
        conclusion = (
            f"These numbers support {len(met)} of the {len(checks)} claims"
            + (f" ({'; '.join(c.claim for c in met)})" if met else "")
            + f"; they do not support: {'; '.join(f'{c.claim} (here {fmt_factor(c.value)})' for c in missed)}. "
            "See why below: each factor follows from the stated assumptions, not from a fit to the talk."
        )
    if techs:
        conclusion += f" Technologies meeting both the pJ/bit and the bandwidth-per-die need: {', '.join(techs)}."
    else:
        conclusion += " None of the listed technologies meets both the pJ/bit and the bandwidth-per-die need."
    return Verdict(
        model=study.headline.model,
        summary=summary(study),
        checks=checks,
        meeting_techs=techs,
        conclusion=conclusion,
    )
