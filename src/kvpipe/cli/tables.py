"""Readable terminal output (rich tables)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from kvpipe.config.units import Kind, format_quantity
from kvpipe.explore.seed_study import SeedStudy
from kvpipe.perf.gpu import GpuResult
from kvpipe.perf.hetero import HeteroResult
from kvpipe.perf.result import Limit, PerfResult
from kvpipe.system import GpuSystem, HeteroSystem
from kvpipe.workload.model import Model

if TYPE_CHECKING:  # the report (and matplotlib) is imported only by the commands that write one
    from kvpipe.report.writer import SeedReportFiles


def make_console() -> Console:
    """A console for our tables: the terminal's width, or a wide page when output is piped."""
    return Console() if sys.stdout.isatty() else Console(width=160)


def _q(value: Any, kind: Kind) -> str:
    return format_quantity(float(value), kind)


def evaluation_rows(model: str, context_tokens: int, r: PerfResult) -> list[tuple[str, str]]:
    """The rows every system kind shows (its own rows follow)."""
    e = r.energy.as_dict()
    jpt = float(r.joules_per_token)
    rows = [
        ("model", model),
        ("chips / pipeline stages / KV groups", f"{r.chips} / {r.stages} / {r.kv_groups}"),
        ("communication stages per token", f"{r.comm_stages_per_token}"),
        ("users (in flight)", f"{float(r.users):.0f} ({float(r.users_in_flight):.0f})"),
        ("context", f"{context_tokens:,} tokens"),
        ("latency through the pipeline", _q(r.latency_s, Kind.SECONDS)),
        ("time per token (per user)", _q(r.time_per_token_s, Kind.SECONDS)),
        ("tokens/s per user", f"{float(r.tokens_per_s_per_user):,.1f}"),
        ("tokens/s (aggregate)", f"{float(r.tokens_per_s):,.0f}"),
        ("binding limit", Limit(int(r.binding_limit)).label),
        ("J/token", f"{jpt:.4g} J"),
    ]
    rows += [(f"  {k}", f"{float(v):.3g} J ({float(v) / jpt:.0%})") for k, v in e.items()]
    rows += [
        ("power", _q(r.power_w, Kind.WATTS)),
        ("KV per token (whole model)", _q(r.kv_bytes_per_token, Kind.BYTES)),
        (
            "KV capacity per group: demand / supply",
            f"{_q(r.kv_capacity_demand_bytes_per_group, Kind.BYTES)} / {_q(r.kv_capacity_supply_bytes_per_group, Kind.BYTES)}",
        ),
        (
            "KV bandwidth per group: demand / available",
            f"{_q(r.kv_bw_demand_bytes_per_s_per_group, Kind.BYTES_PER_S)} / "
            f"{_q(r.kv_bw_supply_bytes_per_s_per_group, Kind.BYTES_PER_S)}",
        ),
    ]
    return rows


def gpu_evaluation_rows(system: GpuSystem, gr: GpuResult) -> list[tuple[str, str]]:
    """The GPU system's own rows, after the common ones (docs/gpu.md)."""
    par = system.parallelism
    rows = [
        ("GPU / link", f"{system.gpu.name} / {system.link.name}"),
        ("GPUs: tensor x pipeline", f"{par.tensor} x {par.pipeline} = {par.gpus}"),
        ("binding detail", str(gr.detail_labels())),
        ("weights per GPU / HBM left for KV", f"{_q(gr.hbm_weights_bytes_per_gpu, Kind.BYTES)} / "
         f"{_q(max(float(gr.hbm_free_bytes_per_gpu), 0.0), Kind.BYTES)}"),
        _hbm_bw_row(gr),
    ]
    rows += [(f"  step: {k.replace('_', ' ')}", _q(v, Kind.SECONDS)) for k, v in gr.step_breakdown().items()]
    rows.append(("utilisation (kernels running)", f"{float(gr.utilisation):.0%}"))
    return rows


def _hbm_bw_row(gr: GpuResult) -> tuple[str, str]:
    """A GPU's HBM bandwidth: the catalog's peak and the achievable share (GS0), of which the
    attention kernels' time leaves the "available" KV bandwidth of the common rows (GS8)."""
    return (
        "HBM bandwidth per GPU: peak / achievable",
        f"{_q(gr.hbm_bw_peak_bytes_per_s, Kind.BYTES_PER_S)} / {_q(gr.hbm_bw_achievable_bytes_per_s, Kind.BYTES_PER_S)}",
    )


def hetero_evaluation_rows(system: HeteroSystem, hr: HeteroResult) -> list[tuple[str, str]]:
    """The heterogeneous system's own rows, after the common ones (docs/afd.md)."""
    a, f = system.attention, system.ffn
    rows = [
        ("binding side", str(hr.side_labels())),
        ("attention: devices x batch", f"{a.devices} x {a.gpu.name}, {float(hr.attention_batch):.0f} sequences per step"),
        ("attention: KV in", f"{a.gpu.name} {a.kv_memory}"),
        _hbm_bw_row(hr.attention),
        ("attention: bound / utilisation", f"{float(hr.max_tokens_per_s_attention):,.0f} tokens/s / "
         f"{float(hr.utilisation_attention):.0%}"),
        ("FFN: chips x micro-batch", f"{hr.ffn_chips} x {f.chip.name}, {float(hr.ffn_batch):.0f} tokens per step"),
        ("FFN: bound / utilisation", f"{float(hr.max_tokens_per_s_ffn):,.0f} tokens/s / {float(hr.utilisation_ffn):.0%}"),
        ("A2E/E2A link", f"{system.a2e_link.name}: {_q(hr.t_a2e_s, Kind.SECONDS)} per crossing, "
         f"{2 * system.model.n_layers} per token"),
        ("A2E/E2A: bound / utilisation", f"{float(hr.max_tokens_per_s_a2e):,.0f} tokens/s / {float(hr.utilisation_a2e):.0%}"),
        ("A2E/E2A share of token latency", f"{float(hr.a2e_share):.0%}"),
    ]
    rows += [(f"  step: {k.replace('_', ' ')}", _q(v, Kind.SECONDS)) for k, v in hr.step_breakdown().items()]
    return rows


def print_rows(title: str, rows: list[tuple[str, str]], out: Console | None = None) -> None:
    """A two-column table of (quantity, value) rows."""
    t = Table(title=title, show_header=False)
    t.add_column("quantity", style="bold")
    t.add_column("value", justify="right")
    for k, v in rows:
        t.add_row(k, v)
    (out or make_console()).print(t)


# --- catalog ---------------------------------------------------------------------------

_SUFFIX_KINDS: tuple[tuple[str, Kind], ...] = (
    ("_bytes_per_s", Kind.BYTES_PER_S),
    ("_flop_per_s", Kind.FLOP_PER_S),
    ("_j_per_bit", Kind.J_PER_BIT),
    ("_j_per_flop", Kind.J_PER_FLOP),
    ("_bytes", Kind.BYTES),
    ("_mm2", Kind.AREA_MM2),
    ("_mm", Kind.LENGTH_MM),
    ("_w", Kind.WATTS),
    ("_s", Kind.SECONDS),
)


def _field_kind(field_path: str) -> Kind | None:
    """The physical kind of a part field, read from the unit in its name."""
    name = field_path.split(".")[0]
    for suffix, kind in _SUFFIX_KINDS:
        if name.endswith(suffix):
            return kind
    return None


def _part_figures(part: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for name, value in vars(part).items():
        numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
        if numeric and (_field_kind(name) or name.endswith("_fraction") or name in getattr(part, "sources", {})):
            out[name] = float(value)
        elif isinstance(value, dict) or hasattr(value, "items") and name != "sources":
            for k, v in value.items():
                key = getattr(k, "value", k)
                out[f"{name}.{key}"] = float(v)
    return out


def _model_figures(model: Model) -> dict[str, float]:
    from kvpipe.workload import Precision, Precisions, active_param_count, kv_bytes_per_token, param_count

    bf16 = Precisions(Precision.BF16, Precision.BF16, Precision.BF16)
    return {
        "parameters": param_count(model),
        "active_parameters": active_param_count(model),
        "layers": float(model.n_layers),
        "kv_bytes_per_token_bf16": kv_bytes_per_token(model, bf16),
    }


_DERIVED = "derived by kvpipe.workload from the model's config.json (docs/model.md, W1-W8)"


def catalog_json(kind: str) -> list[dict[str, Any]]:
    """Every entry of one catalog kind: figures (SI), each with its source and firmness."""
    from kvpipe import catalog

    out = []
    for e in catalog.entries(kind):
        figures = _model_figures(e.part) if kind == "models" else _part_figures(e.part)
        item: dict[str, Any] = {"name": e.name, "description": e.description, "figures": {}}
        for field_name, value in figures.items():
            src = e.sources.get(field_name)
            if src is None and kind != "models" and value == 0.0:
                continue  # an optional figure the entry does not give (e.g. a link's boundary levels)
            item["figures"][field_name] = {
                "value": value,
                "source": src.text if src else _DERIVED,
                "firmness": src.firmness.value if src else "D",
            }
            if src is not None and src.range is not None:
                r = src.range
                item["figures"][field_name]["range"] = {"low": r.low, "high": r.high, "source": r.source}
        if kind == "models":
            item["source"] = str(e.sources["config"].text) if "config" in e.sources else None
        else:
            item["attach"] = getattr(e.part, "attach", None)
            item["unit"] = getattr(e.part, "unit", None)
            if item["attach"] is None:
                del item["attach"], item["unit"]
            if kind == "gpus":
                item["link"] = e.part.link
            if kind == "links":
                item["collective"] = e.part.collective.value  # docs/model.md C2 (the description says why)
            if kind == "memories":
                item["device"] = e.part.device or None
        out.append(item)
    return out


def print_systems(systems: list[dict[str, Any]], out: Console | None = None) -> None:
    """The rows of :func:`kvpipe.cli.kinds.systems_json` as a table."""
    con = out or make_console()
    t = Table(title="shipped systems (kvpipe evaluate NAME runs one; the files: src/kvpipe/catalog/data/systems/)")
    for col in ("name", "kind", "model", "parts", "users", "context", "description"):
        t.add_column(col, justify="right" if col in ("users", "context") else "left",
                     overflow="fold", max_width=70 if col == "description" else None)
    for s in systems:
        parts = s["parts"]
        t.add_row(s["name"], s["kind"], s["model"], parts, f"{s['users']:,}", f"{s['context_tokens']:,}", s["description"])
    con.print(t)


def _show_figure(name: str, value: float) -> str:
    kind = _field_kind(name)
    if kind is None:  # a count or plain number: a whole count in full (900,000 cores, not 9e+05)
        whole = float(value).is_integer() and abs(value) < 1e15  # False for inf and nan
        return f"{value:,.0f}" if whole else f"{value:,.4g}"
    return format_quantity(value, kind)


def print_catalog(kind: str, out: Console | None = None) -> None:
    con = out or make_console()
    for item in catalog_json(kind):
        t = Table(title=f"{item['name']}: {item['description']}", title_justify="left", expand=False)
        t.add_column("figure")
        t.add_column("value", justify="right")
        t.add_column("", justify="center")
        t.add_column("source", overflow="fold", max_width=90)
        for name, fig in item["figures"].items():
            source = fig["source"] or ""
            if "range" in fig:
                r = fig["range"]
                source += f" | range {_show_figure(name, r['low'])} - {_show_figure(name, r['high'])}: {r['source']}"
            t.add_row(name, _show_figure(name, fig["value"]), fig["firmness"] or "", source)
        if kind == "models" and item.get("source"):
            t.add_row("config.json", "", "V", item["source"])
        con.print(t)
    con.print("firmness: V vendor claim or standard, D derived, U uncertain, A assumption (the source says why)")


# --- study -----------------------------------------------------------------------------


SUMMARY_KEYS: tuple[str, ...] = (
    "chips", "comm_stages_per_token", "single_user_tokens_per_s_ideal_kv", "single_user_tokens_per_s", "users_at_90pct_speed",
    "joules_per_token_1_user",
    "joules_per_token_at_users_at_90pct_speed", "kv_capacity_demand_bytes_per_group", "kv_bw_demand_bytes_per_s_per_group",
    "kv_bw_to_capacity_ratio_per_s", "hbm3e_bw_to_capacity_ratio_per_s", "required_kv_pj_per_bit",
    "required_kv_pj_per_bit_improvement_vs_hbm3e", "required_kv_bw_per_reticle_die_bytes_per_s",
    "required_kv_bw_per_reticle_die_vs_hbm3e",
)


def print_study_summary(study: SeedStudy, files: SeedReportFiles, out: Console | None = None) -> None:
    """The headline of each model (formatted as in the report) and where the report is."""
    from kvpipe.report.tables import headline_rows

    con = out or make_console()
    t = Table(title="kvpipe study seed: headline", title_justify="left")
    t.add_column("")
    for m in study.studies:
        t.add_column(m.headline.model, justify="right")
    by_model = [{key: (label, value) for label, value, key in headline_rows(m.headline)} for m in study.studies]
    for key in SUMMARY_KEYS:
        t.add_row(by_model[0][key][0], *(rows[key][1] for rows in by_model))
    con.print(t)
    if study.uncertainty:
        from kvpipe.report.robustness import hold_sentence

        con.print(hold_sentence(study.uncertainty[0]))
    con.print(f"report: {files.report_html}")
