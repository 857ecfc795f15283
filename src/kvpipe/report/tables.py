"""Seed-study results as plain rows and dictionaries, shared by the HTML report, the JSON and
CSV outputs and the command line.

* :class:`Table` — a title, column names and rows of already formatted strings;
* :func:`headline_table`, :func:`memory_tech_table`, :func:`assumptions_table` — the tables
  of the report;
* :func:`headline_dict`, :func:`tech_dict`, :func:`headline_json` — JSON-ready dictionaries
  (SI units, ``None`` for NaN/inf);
* :data:`RESULT_COLUMNS`, :func:`result_records` — every evaluated sweep point, one flat
  record each (for ``results.csv``).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import fields
from typing import Any

import numpy as np

from kvpipe.explore.provision import KV_ENERGY_SHARE, TechAtOperatingPoint
from kvpipe.explore.seed import RETICLE_AREA_MM2, SPEED_FRACTION, Headline, ModelStudy
from kvpipe.explore.seed_study import SeedStudy
from kvpipe.hardware.packaging import RETICLE_MM
from kvpipe.hardware.parts import Chip, Link, MemoryTech
from kvpipe.perf.result import EnergyBreakdown, PerfResult
from kvpipe.report.format import (
    fmt_bw,
    fmt_bytes,
    fmt_count,
    fmt_factor,
    fmt_flop_per_s,
    fmt_j_per_bit,
    fmt_j_per_flop,
    fmt_joules,
    fmt_mm,
    fmt_mm2,
    fmt_number,
    fmt_per_s,
    fmt_percent,
    fmt_pj_per_bit,
    fmt_rate,
    fmt_seconds,
    fmt_tokens,
    fmt_watts,
)
from kvpipe.report.table import Table

ENERGY_COMPONENTS: tuple[str, ...] = tuple(f.name for f in fields(EnergyBreakdown))
NO_SOURCE = "(no source given)"


# --- JSON-ready dictionaries -------------------------------------------------------------


def json_value(value: Any) -> Any:
    """A JSON-safe copy: numpy scalars to Python, NaN/inf floats to ``None``, recursively."""
    if isinstance(value, Mapping):
        return {str(k): json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_value(v) for v in value.tolist()]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if value is None or isinstance(value, str):
        return value
    return str(value)


def headline_dict(h: Headline) -> dict[str, Any]:
    """Every field of the headline, JSON-safe (SI units; pJ/bit where the name says so)."""
    return json_value({f.name: getattr(h, f.name) for f in fields(h)})


def memory_tech_dict(tech: MemoryTech) -> dict[str, Any]:
    d = {f.name: getattr(tech, f.name) for f in fields(tech) if f.name != "sources"}
    d["bw_to_capacity_per_s"] = tech.bw_to_capacity_per_s
    d["sources"] = dict(tech.sources)
    return json_value(d)


def tech_dict(t: TechAtOperatingPoint) -> dict[str, Any]:
    """One technology at the operating point: its figures and how it was provisioned."""
    d: dict[str, Any] = {"name": t.tech.name, "technology": memory_tech_dict(t.tech)}
    for f in fields(t):
        if f.name != "tech":
            d[f.name] = getattr(t, f.name)
    return json_value(d)


def headline_json(seed: SeedStudy) -> dict[str, Any]:
    """``headline.json``: the primary headline's fields at top level, every model under
    ``models`` and the primary study's technologies under ``memory_technologies``."""
    out = headline_dict(seed.primary.headline)
    out["models"] = {s.headline.model: headline_dict(s.headline) for s in seed.studies}
    out["memory_technologies"] = [tech_dict(t) for t in seed.primary.techs]
    if seed.uncertainty:
        from kvpipe.report.robustness import uncertainty_json

        out.update(json_value(uncertainty_json(seed.uncertainty)))
    if seed.budgets:
        from kvpipe.report.budgets import budgets_json

        out.update(json_value(budgets_json(seed.budgets)))
    out["study"] = json_value(
        {
            "speed_fraction": SPEED_FRACTION,
            "kv_energy_share": KV_ENERGY_SHARE,
            "reticle_area_mm2": RETICLE_AREA_MM2,
            "systems": [s.system.name for s in seed.studies],
            "memory_model": seed.memory_model,
        }
    )
    return out


# --- results.csv -------------------------------------------------------------------------

RESULT_COLUMNS: tuple[str, ...] = (
    "model",
    "system",
    "memory",
    "memory_units_per_group",
    "users",
    "users_in_flight",
    "context_tokens",
    "latency_s",
    "time_per_token_s",
    "tokens_per_s_per_user",
    "tokens_per_s",
    "joules_per_token",
    *(f"energy_{c}_j_per_token" for c in ENERGY_COMPONENTS),
    "power_w",
    "binding_limit",
    "kv_capacity_demand_bytes_per_group",
    "kv_capacity_supply_bytes_per_group",
    "kv_bw_demand_bytes_per_s_per_group",
    "kv_read_bw_demand_bytes_per_s_per_group",
    "kv_bw_supply_bytes_per_s_per_group",
    "chips",
    "stages",
    "kv_groups",
    "comm_stages_per_token",
)


def sweep_size(study: ModelStudy) -> int:
    """Points in one sweep of one study (users x contexts)."""
    return len(study.users) * len(study.contexts)


def _sweep_records(study: ModelStudy, r: PerfResult, memory: str, units: float) -> Iterator[dict[str, Any]]:
    shape = (len(study.users), len(study.contexts))

    def grid(a: Any) -> np.ndarray:
        return np.broadcast_to(np.asarray(a, dtype=np.float64), shape)

    cols: dict[str, np.ndarray] = {
        "users": grid(r.users),
        "users_in_flight": grid(r.users_in_flight),
        "context_tokens": grid(np.asarray(study.contexts, dtype=np.float64)[None, :]),
        "latency_s": grid(r.latency_s),
        "time_per_token_s": grid(r.time_per_token_s),
        "tokens_per_s_per_user": grid(r.tokens_per_s_per_user),
        "tokens_per_s": grid(r.tokens_per_s),
        "joules_per_token": grid(r.joules_per_token),
        **{f"energy_{c}_j_per_token": grid(v) for c, v in r.energy.as_dict().items()},
        "power_w": grid(r.power_w),
        "kv_capacity_demand_bytes_per_group": grid(r.kv_capacity_demand_bytes_per_group),
        "kv_capacity_supply_bytes_per_group": grid(r.kv_capacity_supply_bytes_per_group),
        "kv_bw_demand_bytes_per_s_per_group": grid(r.kv_bw_demand_bytes_per_s_per_group),
        "kv_read_bw_demand_bytes_per_s_per_group": grid(r.kv_read_bw_demand_bytes_per_s_per_group),
        "kv_bw_supply_bytes_per_s_per_group": grid(r.kv_bw_supply_bytes_per_s_per_group),
    }
    labels = np.broadcast_to(r.binding_labels(), shape)
    for i in range(shape[0]):
        for j in range(shape[1]):
            rec: dict[str, Any] = {
                "model": study.headline.model,
                "system": study.system.name,
                "memory": memory,
                "memory_units_per_group": units,
                "chips": r.chips,
                "stages": r.stages,
                "kv_groups": r.kv_groups,
                "comm_stages_per_token": r.comm_stages_per_token,
                "binding_limit": str(labels[i, j]),
            }
            for name, arr in cols.items():
                rec[name] = float(arr[i, j])
            rec["users"] = int(rec["users"])
            rec["context_tokens"] = int(rec["context_tokens"])
            yield {c: rec[c] for c in RESULT_COLUMNS}


def result_records(seed: SeedStudy) -> Iterator[dict[str, Any]]:
    """Every evaluated point of both sweeps (ideal, configured) of every study."""
    for s in seed.studies:
        yield from _sweep_records(s, s.ideal, "ideal", 1.0)
        mem = s.system.kv_memory
        yield from _sweep_records(s, s.configured, mem.tech.name, mem.units_per_group)


# --- report tables -----------------------------------------------------------------------


def _limit(label: str) -> str:
    return f"bound by {label.replace('_', ' ')}"


def headline_rows(h: Headline) -> list[tuple[str, str, str]]:
    """(quantity, formatted value, headline.json key) for each headline figure."""
    return [
        ("Model", h.model, "model"),
        ("Context", fmt_tokens(h.context_tokens), "context_tokens"),
        ("Chips", fmt_count(h.chips), "chips"),
        ("Pipeline stages (chip groups)", fmt_count(h.stages), "stages"),
        ("Communication stages per token", fmt_count(h.comm_stages_per_token), "comm_stages_per_token"),
        (
            "Single-user speed, ideal KV memory",
            f"{fmt_rate(h.single_user_tokens_per_s_ideal_kv, 'tokens/s/user')} ({_limit(h.single_user_binding_limit_ideal_kv)})",
            "single_user_tokens_per_s_ideal_kv",
        ),
        (
            f"Single-user speed, {h.kv_memory} KV memory",
            f"{fmt_rate(h.single_user_tokens_per_s, 'tokens/s/user')} ({_limit(h.single_user_binding_limit)})",
            "single_user_tokens_per_s",
        ),
        ("Users at 90 % speed", ("at least " if h.users_at_90pct_speed_is_search_limit else "")
         + fmt_count(h.users_at_90pct_speed), "users_at_90pct_speed"),
        ("Users multiplier", fmt_factor(h.users_multiplier), "users_multiplier"),
        ("Aggregate throughput there", fmt_rate(h.tokens_per_s_at_90pct), "tokens_per_s_at_90pct"),
        ("J/token, 1 user, ideal KV memory", fmt_joules(h.joules_per_token_1_user), "joules_per_token_1_user"),
        (
            "J/token at 90 % speed, ideal KV memory",
            fmt_joules(h.joules_per_token_at_users_at_90pct_speed),
            "joules_per_token_at_users_at_90pct_speed",
        ),
        ("KV capacity demand per group", fmt_bytes(h.kv_capacity_demand_bytes_per_group), "kv_capacity_demand_bytes_per_group"),
        ("KV bandwidth demand per group", fmt_bw(h.kv_bw_demand_bytes_per_s_per_group), "kv_bw_demand_bytes_per_s_per_group"),
        ("KV read bandwidth / capacity", fmt_per_s(h.kv_bw_to_capacity_ratio_per_s), "kv_bw_to_capacity_ratio_per_s"),
        ("HBM3E bandwidth / capacity", fmt_per_s(h.hbm3e_bw_to_capacity_ratio_per_s), "hbm3e_bw_to_capacity_ratio_per_s"),
        ("KV bits moved per token", fmt_number(h.kv_bits_per_token), "kv_bits_per_token"),
        ("Required KV energy", fmt_pj_per_bit(h.required_kv_pj_per_bit), "required_kv_pj_per_bit"),
        ("HBM3E read energy", fmt_pj_per_bit(h.hbm3e_pj_per_bit), "hbm3e_pj_per_bit"),
        (
            "Required pJ/bit improvement vs HBM3E",
            fmt_factor(h.required_kv_pj_per_bit_improvement_vs_hbm3e),
            "required_kv_pj_per_bit_improvement_vs_hbm3e",
        ),
        (
            "Required KV bandwidth per reticle die",
            fmt_bw(h.required_kv_bw_per_reticle_die_bytes_per_s),
            "required_kv_bw_per_reticle_die_bytes_per_s",
        ),
        (
            "HBM3E best bandwidth per reticle die",
            fmt_bw(h.hbm3e_best_bw_per_reticle_die_bytes_per_s),
            "hbm3e_best_bw_per_reticle_die_bytes_per_s",
        ),
        (
            "Required BW per reticle die vs HBM3E",
            fmt_factor(h.required_kv_bw_per_reticle_die_vs_hbm3e),
            "required_kv_bw_per_reticle_die_vs_hbm3e",
        ),
        ("Reticle dies per chip group", fmt_number(h.reticle_dies_per_group), "reticle_dies_per_group"),
    ]


def headline_table(h: Headline) -> Table:
    return Table(
        title=f"Headline: {h.model} at {fmt_tokens(h.context_tokens)} of context",
        columns=("Quantity", "Value", "headline.json key"),
        rows=tuple(headline_rows(h)),
    )


MEMORY_TECH_COLUMNS: tuple[str, ...] = (
    "Technology",
    "Unit",
    "Capacity / unit",
    "BW / unit",
    "BW / capacity",
    "Read energy",
    "Units for BW",
    "Units for capacity",
    "Units per group",
    "Capacity over-provision",
    "KV energy",
    "KV effective energy",
    "KV share of J/token",
    "J/token",
    "Max units / reticle die",
    "BW / reticle die",
    "Fits beside group",
)


def memory_tech_row(t: TechAtOperatingPoint) -> tuple[str, ...]:
    m = t.tech
    return (
        m.name,
        f"{m.unit} ({m.attach})",
        fmt_bytes(m.capacity_bytes),
        fmt_bw(m.bw_bytes_per_s),
        fmt_per_s(m.bw_to_capacity_per_s),
        fmt_j_per_bit(m.read_j_per_bit),
        fmt_count(t.units_for_bandwidth),
        fmt_count(t.units_for_capacity),
        fmt_count(t.units_per_group),
        fmt_factor(t.capacity_overprovision),
        fmt_joules(t.kv_j_per_token),
        fmt_j_per_bit(t.kv_effective_j_per_bit),
        fmt_percent(t.kv_energy_share),
        fmt_joules(t.joules_per_token),
        fmt_count(t.max_units_per_reticle_die),
        fmt_bw(t.bw_per_reticle_die_bytes_per_s),
        "yes" if t.fits_beside_group else "no",
    )


def memory_tech_table(study: ModelStudy) -> Table:
    h = study.headline
    return Table(
        title=(
            f"Memory technologies at the operating point: {h.model}, {fmt_tokens(h.context_tokens)}, "
            f"{fmt_count(h.users_at_90pct_speed)} users, per chip group "
            f"{fmt_bytes(h.kv_capacity_demand_bytes_per_group)} at {fmt_bw(h.kv_bw_demand_bytes_per_s_per_group)}"
        ),
        columns=MEMORY_TECH_COLUMNS,
        rows=tuple(memory_tech_row(t) for t in study.techs),
    )


# --- assumptions -------------------------------------------------------------------------


def _source(sources: Mapping[str, str], field: str, key: str | None = None) -> str:
    candidates = [f"{field}.{key}", f"{field}[{key}]", f"{field}:{key}"] if key else []
    for c in [*candidates, field, "all", "*", "default"]:
        if c in sources and sources[c]:
            return str(sources[c])
    return NO_SOURCE


def _chip_rows(chip: Chip) -> list[tuple[str, str, str, str]]:
    part = f"chip {chip.name}"
    s = chip.sources
    rows = [
        (part, "SRAM per chip", fmt_bytes(chip.sram_bytes), _source(s, "sram_bytes")),
        (part, "SRAM bandwidth per chip", fmt_bw(chip.sram_bw_bytes_per_s), _source(s, "sram_bw_bytes_per_s")),
        (part, "SRAM read energy", fmt_j_per_bit(chip.sram_read_j_per_bit), _source(s, "sram_read_j_per_bit")),
    ]
    if chip.matrix_operand_bw_bytes_per_s > 0:  # P12: weights reach the matrix units at most this fast
        rows.append((part, "weight delivery to the matrix units", fmt_bw(chip.matrix_operand_bw_bytes_per_s),
                     _source(s, "matrix_operand_bw_bytes_per_s")))
    for p, v in chip.peak_flop_per_s.items():
        rows.append((part, f"peak compute ({p.value})", fmt_flop_per_s(v), _source(s, "peak_flop_per_s", p.value)))
    for p, v in chip.energy_j_per_flop.items():
        rows.append((part, f"energy per FLOP ({p.value})", fmt_j_per_flop(v), _source(s, "energy_j_per_flop", p.value)))
    rows += [
        (part, "static power per chip", fmt_watts(chip.static_power_w), _source(s, "static_power_w")),
        (part, "die area", fmt_mm2(chip.die_area_mm2), _source(s, "die_area_mm2")),
    ]
    return rows


def _link_rows(link: Link) -> list[tuple[str, str, str, str]]:
    part = f"link {link.name}"
    s = link.sources
    return [
        (part, "hop latency", fmt_seconds(link.hop_latency_s), _source(s, "hop_latency_s")),
        (part, "bandwidth per chip", fmt_bw(link.bw_bytes_per_s), _source(s, "bw_bytes_per_s")),
        (part, "energy", fmt_j_per_bit(link.energy_j_per_bit), _source(s, "energy_j_per_bit")),
    ]


def _memory_rows(m: MemoryTech) -> list[tuple[str, str, str, str]]:
    part = f"memory {m.name}"
    s = m.sources
    rows = [
        (part, f"capacity per {m.unit}", fmt_bytes(m.capacity_bytes), _source(s, "capacity_bytes")),
        (part, f"bandwidth per {m.unit}", fmt_bw(m.bw_bytes_per_s), _source(s, "bw_bytes_per_s")),
        (part, "read energy", fmt_j_per_bit(m.read_j_per_bit), _source(s, "read_j_per_bit")),
        (part, "write energy", fmt_j_per_bit(m.write_j_per_bit), _source(s, "write_j_per_bit")),
        (part, f"background power per {m.unit}", fmt_watts(m.background_w), _source(s, "background_w")),
        (part, f"footprint per {m.unit}", fmt_mm2(m.footprint_mm2), _source(s, "footprint_mm2")),
        (part, "attachment", m.attach, _source(s, "attach")),
    ]
    if m.attach != "3d" or m.shoreline_mm:
        rows.append((part, f"shoreline per {m.unit}", fmt_mm(m.shoreline_mm), _source(s, "shoreline_mm")))
    return rows


def catalog_model_source(name: str) -> str | None:
    """The catalog's source for model ``name`` (its config.json origin), or None if not a catalog model."""
    try:
        from kvpipe import catalog

        src = catalog.entry("model", name).sources.get("config")
    except Exception:  # not a catalog model, or no catalog: the report still renders
        return None
    return str(src) if src else None


def _model_source(name: str, model_sources: Mapping[str, str] | None) -> str:
    if model_sources and name in model_sources:
        return model_sources[name]
    return catalog_model_source(name) or "config.json given by the user (not a catalog model)"


def _model_rows(study: ModelStudy, model_sources: Mapping[str, str] | None) -> list[tuple[str, str, str, str]]:
    m = study.system.model
    a = m.arch
    part = f"model {m.name}"
    src = _model_source(m.name, model_sources)
    shape = f"{a.architecture}, {a.n_layers} layers, hidden {a.hidden_size}, {a.n_heads} heads / {a.n_kv_heads} KV heads"
    if a.mla is not None:
        shape += f", MLA (KV latent {a.mla.kv_lora_rank} + rope {a.mla.qk_rope_head_dim})"
    if a.moe is not None:
        shape += (
            f", MoE {a.moe.n_routed_experts} experts top-{a.moe.top_k}"
            f" + {a.moe.n_shared_experts} shared"
        )
    if any(w is not None for w in a.windows):
        shape += ", sliding-window layers"
    p = study.system.precisions
    sysname = f"system {study.system.name}"
    mem = study.system.kv_memory
    mo = study.system.mapping
    w = study.system.workload
    cfg = f"system configuration ({study.system.name})"
    return [
        (part, "architecture", shape, src),
        (sysname, "precisions (weights / KV / activations)", f"{p.weights.value} / {p.kv.value} / {p.activations.value}", cfg),
        (sysname, "KV memory per chip group", f"{fmt_number(mem.units_per_group)} × {mem.tech.name} {mem.tech.unit}", cfg),
        (sysname, "usable SRAM fraction", fmt_percent(mo.usable_sram_fraction), cfg),
        (sysname, "decoder layers per chip group", fmt_count(mo.layers_per_group), cfg),
        (
            sysname,
            "communication stages per layer",
            "derived from the layer structure" if mo.comm_stages_per_layer is None else fmt_count(mo.comm_stages_per_layer),
            cfg,
        ),
        (sysname, "context", fmt_tokens(w.context_tokens), cfg),
        (sysname, "micro-batch", fmt_count(w.micro_batch), cfg),
    ]


def assumptions_table(seed: SeedStudy, model_sources: Mapping[str, str] | None = None) -> Table:
    """Every figure the study used, with its value and source (parts listed once each).

    Model sources come from ``model_sources`` (name -> source) if given, else from the catalog.
    """
    rows: list[tuple[str, str, str, str]] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, name: str, new_rows: list[tuple[str, str, str, str]]) -> None:
        if (kind, name) not in seen:
            seen.add((kind, name))
            rows.extend(new_rows)

    for s in seed.studies:
        add("chip", s.system.chip.name, _chip_rows(s.system.chip))
        add("link", s.system.link.name, _link_rows(s.system.link))
    for s in seed.studies:
        add("memory", s.system.kv_memory.tech.name, _memory_rows(s.system.kv_memory.tech))
        for t in s.techs:
            add("memory", t.tech.name, _memory_rows(t.tech))
    for s in seed.studies:
        rows.extend(_model_rows(s, model_sources))
    study_src = "study definition (issue 2 / the talk's argument)"
    rows += [
        ("study", "speed kept at the operating point", fmt_percent(SPEED_FRACTION), study_src),
        ("study", "KV memory's allowed share of J/token", fmt_percent(KV_ENERGY_SHARE), study_src),
        (
            "study",
            "reticle-size die",
            f"{RETICLE_MM[0]:g} mm × {RETICLE_MM[1]:g} mm = {fmt_mm2(RETICLE_AREA_MM2)}",
            "lithography field limit (26 mm × 33 mm)",
        ),
    ]
    return Table(title="Assumptions", columns=("Part", "Figure", "Value", "Source"), rows=tuple(rows))


def table_as_dicts(table: Table) -> list[dict[str, str]]:
    """Rows as dictionaries keyed by column name (for JSON output of a table)."""
    return [dict(zip(table.columns, row, strict=True)) for row in table.rows]


__all__ = [
    "ENERGY_COMPONENTS",
    "MEMORY_TECH_COLUMNS",
    "RESULT_COLUMNS",
    "Table",
    "assumptions_table",
    "catalog_model_source",
    "headline_dict",
    "headline_json",
    "headline_rows",
    "headline_table",
    "json_value",
    "memory_tech_dict",
    "memory_tech_row",
    "memory_tech_table",
    "result_records",
    "sweep_size",
    "table_as_dicts",
    "tech_dict",
]
