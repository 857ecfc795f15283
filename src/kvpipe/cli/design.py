"""``kvpipe memory design``: search the DRAM device space for a KV memory that meets a target."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from rich.table import Table

from kvpipe.cli.output import json_number
from kvpipe.cli.tables import make_console
from kvpipe.config.units import Kind, format_quantity


def add_design_parser(msub: Any) -> None:
    des = msub.add_parser("design", help="search DRAM device descriptions for one that meets a KV target; Pareto set and binding limits")
    des.add_argument("--target", required=True, metavar="FILE", help="target YAML (docs/memory.md, 'Inverse design'; examples/design/)")
    des.add_argument("--top", type=int, default=12, help="Pareto designs to print (default 12; --json has them all)")
    des.add_argument("--device-out", metavar="YAML",
                     help="write the Pareto design with the most bandwidth within the thermal budget as a device file "
                     "(for memory compare --device, the cycle model, ...)")
    des.add_argument("--json", action="store_true")
    des.set_defaults(func=_cmd_design)


@dataclass(frozen=True)
class DesignRun:
    """A search with what its target was made of."""

    result: Any  # explore.device_design.DesignResult
    requirements: dict[str, Any]  # bandwidth / energy / capacity -> Requirement
    reference: str
    reference_j_per_bit: float
    reference_bw_per_die_bytes_per_s: float
    needs: Any  # SystemNeeds or None
    pattern_from: str


def run_design(target_file: Path) -> DesignRun:
    from kvpipe import catalog
    from kvpipe.cli.errors import UserError
    from kvpipe.config import seed_system
    from kvpipe.config.design_target import load_design_target
    from kvpipe.config.devices import parse_device
    from kvpipe.explore.device_design import DesignTarget, Technology, search, strictest, system_needs
    from kvpipe.explore.requirements import Target
    from kvpipe.explore.seed import headline
    from kvpipe.mapping import place
    from kvpipe.memory import analytic, device_arrays, fgdram_like, reticle_figures
    from kvpipe.memory.select import system_pattern

    spec = load_design_target(target_file)
    ref_device = _reference_device(spec.reference)
    system = spec.system or seed_system()
    system = replace(system, workload=replace(system.workload, context_tokens=spec.context_tokens or system.workload.context_tokens))
    users = spec.users or system.workload.users
    if spec.users_at_operating_point:
        users = headline(system, place(system.model, system.precisions, system.chip, system.mapping),
                         list(catalog.memories())).users_at_90pct_speed
    load = replace(system.workload, users=users)
    system = replace(system, workload=load)
    pattern = system_pattern(system)
    needs = None
    if spec.system is not None:
        needs = system_needs(system, Target(load.users, load.context_tokens, spec.tokens_per_s_per_user, spec.joules_per_token))
        if needs.max_j_per_bit <= 0:
            raise UserError(f"  joules_per_token: the budget {spec.joules_per_token:g} J leaves nothing for the KV memory")
    ref = analytic(ref_device, pattern)
    ref_j = float(ref.total_j_per_bit)
    ref_bw = reticle_figures(ref_device, unit_bw_bytes_per_s_override=float(ref.effective_bw_bytes_per_s)).bw_bytes_per_s
    bw: list[tuple[str, float]] = []
    energy: list[tuple[str, float]] = []
    cap: list[tuple[str, float]] = []
    if needs is not None:
        bw.append(("the system at this load (users x tokens/s x KV bytes per token, per reticle die)", needs.bw_per_die_bytes_per_s))
        energy.append(("the system's KV energy allowance", needs.max_j_per_bit))
        cap.append(("the system at this load (all users' KV, per reticle die)", needs.capacity_per_die_bytes))
    if spec.bw_factor:
        bw.append((f"{spec.bw_factor:g}x {ref_device.name} ({_tbs(ref_bw)} per reticle die)", spec.bw_factor * ref_bw))
    if spec.pj_factor:
        energy.append((f"{ref_device.name} ({ref_j * 1e12:.2f} pJ/bit) / {spec.pj_factor:g}", ref_j / spec.pj_factor))
    for stated, figure in ((bw, spec.bw_per_die_bytes_per_s), (energy, spec.max_j_per_bit), (cap, spec.capacity_per_die_bytes)):
        if figure is not None:
            stated.append(("stated in the target file", figure))
    reqs = {"bandwidth": strictest(bw, True), "energy": strictest(energy, False), "capacity": strictest(cap, True)}
    logic = spec.logic_w_per_mm2 if spec.logic_w_per_mm2 is not None else needs.logic_w_per_mm2 if needs else 0.0
    target = DesignTarget(reqs["bandwidth"].value, reqs["energy"].value, reqs["capacity"].value, logic, spec.thermal_limit_w_per_mm2)
    base = device_arrays(parse_device(fgdram_like(name="design", attach="3d"), source="the search's base device"))
    result = search(spec.space, Technology(), target, base, pattern)
    how = f"{system.model.name}, {load.users:,} users at {load.context_tokens:,} tokens of context"
    return DesignRun(result, reqs, ref_device.name, ref_j, ref_bw, needs, how if spec.system else how + " (the seed system's)")


def _reference_device(name: str) -> Any:
    from kvpipe import catalog
    from kvpipe.catalog import UnknownNameError
    from kvpipe.cli.errors import UserError

    try:
        return catalog.device(name)
    except UnknownNameError as e:
        raise UserError(f"  reference: no device {name!r}; known: {', '.join(e.known)}") from None


def _cmd_design(args: argparse.Namespace) -> int:
    from kvpipe.cli.errors import UserError

    if args.top < 1:
        raise UserError(f"  --top: must be at least 1, got {args.top}")
    if args.device_out:
        from kvpipe.report.files import check_output_path

        check_output_path(Path(args.device_out), "--device-out", is_dir=False)
    run = run_design(Path(args.target))
    if args.device_out:
        _write_device(run, Path(args.device_out))
    if args.json:
        print(json.dumps(design_json(run), indent=2))
    else:
        _print_design(run, args.top)
    return 0


def _write_device(run: DesignRun, path: Path) -> None:
    import yaml

    from kvpipe.config.devices import parse_device
    from kvpipe.explore.device_design import Technology, device_description
    from kvpipe.report.files import staged_output

    r = run.result
    c = r.candidates
    best = max(r.pareto.tolist(), key=lambda i: (float(c.sustained_bw_bytes_per_s[i]), -float(c.j_per_bit[i])))
    what = "meets the target" if r.n_meeting else "is feasible but does NOT meet the target"
    header = f"# A KV DRAM device found by kvpipe memory design; it {what}.\n"
    desc = device_description(r.candidates, best, Technology(), r.target, name=path.stem)
    parse_device(desc, source=f"the design for {path}")  # the file is written only if it reads back as a device
    with staged_output(path, "--device-out", is_dir=False, command="memory design") as stage:
        stage.path.write_text(header + yaml.safe_dump(desc, sort_keys=False), encoding="utf-8")


def _tbs(x: float) -> str:
    return format_quantity(x, Kind.BYTES_PER_S)


def design_row(run: DesignRun, i: int) -> dict[str, Any]:
    from kvpipe.explore.device_design import binding_limit, energy_breakdown, shortfalls

    c = run.result.candidates
    name, used = binding_limit(c, i)
    bw, j = float(c.bw_per_die_bytes_per_s[i]), float(c.j_per_bit[i])
    return {
        "knobs": {k: json_number(float(v[i])) for k, v in c.knobs.items()},
        "cells_per_bitline": json_number(float(c.cells_per_bitline[i])),
        "datapath_mm": json_number(float(c.datapath_mm[i])),
        "bw_per_reticle_die_bytes_per_s": json_number(bw),
        "bw_vs_reference": json_number(bw / run.reference_bw_per_die_bytes_per_s),
        "sustained_bw_per_reticle_die_bytes_per_s": json_number(float(c.sustained_bw_bytes_per_s[i])),
        "pj_per_bit": json_number(j * 1e12),
        "pj_per_bit_better_than_reference": json_number(run.reference_j_per_bit / j),
        "pj_per_bit_parts": {k: json_number(v * 1e12) for k, v in energy_breakdown(c, i).items()},
        "capacity_per_reticle_die_bytes": json_number(float(c.capacity_bytes[i])),
        "dram_w": json_number(float(c.dram_w[i])),
        "stack_w_per_mm2": json_number(float(c.stack_w_per_mm2[i])),
        "utilisation": {k: json_number(float(v[i])) for k, v in c.utilisation.items()},
        "binding_limit": name,
        "binding_utilisation": json_number(used),
        "misses": {k: json_number(v) for k, v in shortfalls(run.result, i).items()},
    }


def design_json(run: DesignRun) -> dict[str, Any]:
    from kvpipe.explore.budgets import STACK_THERMAL_LIMIT_SOURCE, STACK_THERMAL_LIMIT_W_PER_MM2
    from kvpipe.explore.device_design import TECHNOLOGY_SOURCES, closest, forbidding_limits, relaxations

    r, t = run.result, run.result.target
    return {
        "pattern": run.pattern_from,
        "reference": {"device": run.reference, "pj_per_bit": json_number(run.reference_j_per_bit * 1e12),
                      "bw_per_reticle_die_bytes_per_s": json_number(run.reference_bw_per_die_bytes_per_s)},
        "requirements": {
            k: {"value": json_number(q.value), "basis": [{"why": why, "value": json_number(v)} for why, v in q.basis]}
            for k, q in run.requirements.items()
        },
        "logic_w_per_mm2": json_number(t.logic_w_per_mm2),
        "thermal_limit_w_per_mm2": json_number(t.thermal_limit_w_per_mm2),
        "thermal_limit_source": "the target file" if t.thermal_limit_w_per_mm2 != STACK_THERMAL_LIMIT_W_PER_MM2 else STACK_THERMAL_LIMIT_SOURCE,
        "space": asdict(r.space),
        "candidates": r.candidates.n,
        "meeting": r.n_meeting,
        "failing": r.failing,
        "pareto_of": "designs meeting the target" if r.n_meeting else "physically feasible designs (none meets the target)",
        "pareto": [design_row(run, int(i)) for i in r.pareto],
        "nearest_miss": None if r.n_meeting else design_row(run, closest(r)),
        "forbidding_limits": list(forbidding_limits(r)),
        "relaxations": [
            {"criterion": x.criterion, "designs_meeting_the_rest": x.designs,
             "best_miss_ratio": json_number(x.best_ratio) if x.designs else None}
            for x in relaxations(r)
        ],
        "technology_sources": dict(TECHNOLOGY_SOURCES),
    }


def _limits(d: dict[str, Any]) -> str:
    """The two limits a design is closest to, with how much of each it uses; energy names its largest part."""
    parts = d["pj_per_bit_parts"]
    short = {"bond_pitch": "pitch", "column_cycle": "tCCD", "activate_rate": "tFAW", "bank_cycle": "tRC",
             "energy": f"energy ({max(parts, key=parts.get)})"}
    top = sorted(d["utilisation"].items(), key=lambda kv: -kv[1])[:2]
    return " ".join(f"{short.get(k, k)} {v:.0%}" for k, v in top)


_UNITS = {"bandwidth": Kind.BYTES_PER_S, "capacity": Kind.BYTES}


def _figure(kind: str, v: float) -> str:
    return f"{v * 1e12:.3g} pJ/bit" if kind == "energy" else format_quantity(v, _UNITS[kind])


def _print_design(run: DesignRun, top: int) -> None:
    from kvpipe.explore.device_design import LIMIT_LABELS, Technology, closest, forbidding_limits, relaxations, shortfalls

    con = make_console()
    r, t = run.result, run.result.target
    con.print(f"KV pattern of {run.pattern_from}")
    words = {"bandwidth": "at least", "energy": "at most", "capacity": "at least"}
    for k, q in run.requirements.items():
        why = "; ".join(f"{w}: {_figure(k, v)}" for w, v in q.basis)
        con.print(f"{k} per reticle die {words[k]} {_figure(k, q.value)}  ({why})")
    from kvpipe.explore.budgets import STACK_THERMAL_LIMIT_W_PER_MM2

    limit_note = " (the default: an assumption, B6 in docs/model.md)" if t.thermal_limit_w_per_mm2 == STACK_THERMAL_LIMIT_W_PER_MM2 else ""
    con.print(f"budget: stack <= {t.thermal_limit_w_per_mm2:.3g} W/mm^2{limit_note} with {t.logic_w_per_mm2:.3g} W/mm^2 of logic under it; "
              f"the DRAM covers at most {Technology().usable_area_fraction:.0%} of a {t.die_area_mm2:.0f} mm^2 logic die")
    con.print(f"searched {r.candidates.n:,} devices: {r.n_meeting:,} meet every criterion; failing: "
              + ", ".join(f"{k} {n:,}" for k, n in r.failing.items()))
    rows = [design_row(run, int(i)) for i in r.pareto]
    rows.sort(key=lambda d: (-d["sustained_bw_per_reticle_die_bytes_per_s"], d["pj_per_bit"]))
    title = "Pareto set (bandwidth, pJ/bit, capacity) of the designs meeting the target" if r.n_meeting else \
        "no design meets the target: Pareto set of the physically feasible ones"
    tab = Table(title=f"{title} ({len(rows)}, first {min(top, len(rows))} by bandwidth within the thermal budget)")
    for col in ("ch x layers", "banks", "subarr (cells/BL)", "row", "width x rate", "pitch", "BW/die", "in budget", f"x {run.reference}",
                "pJ/bit", f"{run.reference}/x", "capacity", "W/mm^2", "limits (use)"):
        tab.add_column(col, justify="right")
    for d in rows[:top]:
        k = d["knobs"]
        tab.add_row(
            f"{k['channels_per_layer']:.0f} x {k['stack_height']:.0f}", f"{k['banks_per_channel']:.0f}",
            f"{k['subarrays_per_bank']:.0f} ({d['cells_per_bitline']:.0f})", f"{k['row_bytes']:.0f} B",
            f"{k['io_width_bits']:.0f} x {k['data_rate_bits_per_s'] / 1e9:g} Gb/s", f"{k['bond_pitch_m'] * 1e6:g} um",
            _tbs(d["bw_per_reticle_die_bytes_per_s"]), _tbs(d["sustained_bw_per_reticle_die_bytes_per_s"]),
            f"{d['bw_vs_reference']:.2f}", f"{d['pj_per_bit']:.3f}",
            f"{d['pj_per_bit_better_than_reference']:.2f}", format_quantity(d["capacity_per_reticle_die_bytes"], Kind.BYTES),
            f"{d['stack_w_per_mm2']:.3f}", _limits(d),
        )
    con.print(tab)
    if r.n_meeting:
        return
    i = closest(r)
    miss = shortfalls(r, i)
    con.print("nearest miss: " + ", ".join(f"{k} off by {v:.2f}x" for k, v in miss.items()))
    con.print("dropping one criterion alone:")
    for x in relaxations(r):
        if x.designs:
            con.print(f"  {LIMIT_LABELS.get(x.criterion, x.criterion)}: {x.designs:,} designs would meet every other criterion; "
                      f"the best {_best_of(x.criterion, x.best_ratio, t)}")
    physical = forbidding_limits(r)
    con.print("physical limit that forbids the target: " + (", ".join(LIMIT_LABELS[k] for k in physical) if physical else
              "none alone (no single bond-pitch, area or thermal relaxation admits a design: several bind together, "
              "or the space is too small)"))


def _best_of(criterion: str, ratio: float, t: Any) -> str:
    """How close the best design that meets everything else comes to ``criterion``, in its own units."""
    if criterion == "bandwidth":
        return f"reaches {_tbs(t.bw_per_die_bytes_per_s / ratio)} of {_tbs(t.bw_per_die_bytes_per_s)} ({ratio:.2f}x short)"
    if criterion == "energy":
        return f"needs {ratio * t.max_j_per_bit * 1e12:.3g} pJ/bit of {t.max_j_per_bit * 1e12:.3g} allowed ({ratio:.2f}x)"
    if criterion == "capacity":
        cap = t.capacity_per_die_bytes
        return f"holds {format_quantity(cap / ratio, Kind.BYTES)} of {format_quantity(cap, Kind.BYTES)} ({ratio:.2f}x short)"
    if criterion == "thermal":
        return f"runs its stack at {ratio * t.thermal_limit_w_per_mm2:.3g} W/mm^2, over the {t.thermal_limit_w_per_mm2:.3g} limit"
    return f"uses {ratio:.0%} of it"
