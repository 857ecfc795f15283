"""``kvpipe memory compare`` and ``kvpipe memory requirements``."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from rich.table import Table

from kvpipe.cli.design import add_design_parser
from kvpipe.cli.output import json_number
from kvpipe.cli.tables import make_console
from kvpipe.config.units import Kind, format_quantity


def add_memory_parser(sub: Any) -> None:
    mem = sub.add_parser("memory", help="KV-cache memory technologies: compare them, size them for a target")
    msub = mem.add_subparsers(dest="memory_command", required=True, metavar="SUBCOMMAND")

    cmp_ = msub.add_parser("compare", help="effective KV figures of every shipped DRAM device, per unit and per reticle die")
    cmp_.add_argument("--config", help="system YAML whose model, precision and context set the KV pattern (default: seed)")
    cmp_.add_argument("--context", type=int, help="tokens of context per KV run (default: the system's)")
    cmp_.add_argument("--interleaved", type=int, default=1, help="users' KV runs read at the same time (default 1)")
    cmp_.add_argument("--cycle-requests", type=int, default=0, help="also run the cycle-level model with N requests per device")
    cmp_.add_argument("--device", action="append", default=[], metavar="YAML",
                      help="add a device description of your own (repeatable; docs/memory.md, examples/devices/)")
    cmp_.add_argument("--queue-depth", type=int, default=32,
                      help="controller: requests the scheduler sees per channel, or per bank with --queue-structure per_bank (default 32)")
    cmp_.add_argument("--queue-structure", choices=("shared", "per_bank"), default="shared",
                      help="controller: one FR-FCFS queue per channel (default) or one per bank (cycle model only)")
    cmp_.add_argument("--row-policy", choices=("open", "closed"), default="open",
                      help="controller: keep rows open (default) or close after the last queued hit (cycle model only)")
    cmp_.add_argument("--max-row-hits", type=int, default=0,
                      help="controller: close a row after N hits when another row waits (0: no cap; cycle model only)")
    cmp_.add_argument("--out", default="out/memory", help="where memory_compare.png goes (default out/memory)")
    cmp_.add_argument("--json", action="store_true")
    cmp_.set_defaults(func=_cmd_compare)

    tr = msub.add_parser("trace", help="write a KV request trace for DRAMsim3 or Ramulator 2, with its address mapping beside it")
    tr.add_argument("device", help="catalog device name (e.g. HBM3) or a device YAML file")
    tr.add_argument("--format", choices=("dramsim3", "ramulator2-loadstore", "ramulator2-readwrite"), default="dramsim3")
    tr.add_argument("--context", type=int, default=8192, help="tokens of context per KV run (default 8192)")
    tr.add_argument("--kv-bytes", type=int, default=4096, help="KV bytes per token and layer (default 4096)")
    tr.add_argument("--users", type=int, default=1, help="users' runs interleaved (default 1)")
    tr.add_argument("--requests", type=int, default=100_000, help="requests to write (default 100,000)")
    tr.add_argument("--pseudo-channels", type=int, default=None,
                    help="kvpipe channels per Ramulator channel in address vectors (default: 2 for HBM, else 1)")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--out", required=True, help="trace file; the mapping goes to <out>.mapping.txt")
    tr.set_defaults(func=_cmd_trace)

    req = msub.add_parser("requirements", help="KV bandwidth, capacity and pJ/bit a target needs, and which technology meets it")
    req.add_argument("file", help="system YAML")
    req.add_argument("--users", type=int, help="users in flight (default: the file's workload)")
    req.add_argument("--context", type=int, help="context tokens (default: the file's workload)")
    req.add_argument("--tokens-per-s-per-user", type=float, help="target per-user speed (default: what the pipeline sustains)")
    req.add_argument("--joules-per-token", type=float, help="J/token budget of the whole system (default: KV <= half of J/token)")
    req.add_argument("--device", action="append", default=[], metavar="YAML",
                     help="also size a device description of your own, with its closed-form KV figures (repeatable)")
    req.add_argument("--json", action="store_true")
    req.set_defaults(func=_cmd_requirements)

    add_design_parser(msub)


MAX_CYCLE_REQUESTS = 10_000_000  # per device: ~5 s of the cycle-level model each (docs/memory.md benchmark)
MAX_QUEUE_DEPTH = 4096  # scheduler window: real controllers hold tens to a few hundred requests


def _positive(name: str, value: float | None) -> None:
    from kvpipe.cli.errors import UserError

    if value is not None and not (value > 0 and math.isfinite(value)):
        raise UserError(f"  --{name}: must be a finite number > 0, got {value}")


# --- compare -----------------------------------------------------------------------------


def _cmd_compare(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from kvpipe import catalog
    from kvpipe.cli.errors import UserError, check_context_flag
    from kvpipe.cli.run import seed_systems_for
    from kvpipe.config import load_system, seed_system
    from kvpipe.config.devices import load_device
    from kvpipe.config.limits import MAX_USERS
    from kvpipe.explore.memory_compare import device_study
    from kvpipe.explore.seed import headline
    from kvpipe.mapping import place
    from kvpipe.report.figures import render_png_and_clear
    from kvpipe.report.files import check_output_path, staged_output
    from kvpipe.report.memory_figures import fig_memory_compare

    check_output_path(Path(args.out), "--out", is_dir=True)
    for name in ("context", "interleaved", "queue_depth"):
        _positive(name.replace("_", "-"), getattr(args, name))
    if not 0 <= args.cycle_requests <= MAX_CYCLE_REQUESTS:
        raise UserError(f"  --cycle-requests: expected a whole number from 0 to {MAX_CYCLE_REQUESTS:,}, got {args.cycle_requests:,}")
    if args.interleaved > MAX_USERS:
        raise UserError(f"  --interleaved: at most {MAX_USERS:,} (kvpipe's bound on users), got {args.interleaved:,}")
    controller = _controller(args)
    system = load_system(Path(args.config)) if args.config else seed_system()
    check_context_flag(system, args.context)
    if args.context:
        system = replace(system, workload=replace(system.workload, context_tokens=args.context))
    techs = [t for t in catalog.memories() if t.name != "ideal"]
    heads = [headline(s, place(s.model, s.precisions, s.chip, s.mapping), techs) for s in seed_systems_for(system)]
    extra = [load_device(Path(p)) for p in args.device]
    with staged_output(Path(args.out), "--out", command="memory compare", owns=("memory_compare.png",)) as stage:
        ds = device_study(system, heads, techs, list(catalog.devices().values()), args.context, args.interleaved,
                          args.cycle_requests, extra, controller)
        (stage.path / "memory_compare.png").write_bytes(render_png_and_clear(fig_memory_compare(ds)))
    png = Path(args.out) / "memory_compare.png"
    if args.json:
        print(json.dumps(_compare_json(ds, png), indent=2))
    else:
        _print_compare(ds, png)
    return 0


def _controller(args: argparse.Namespace) -> Any:
    from kvpipe.cli.errors import UserError
    from kvpipe.memory import Controller

    if args.max_row_hits < 0:
        raise UserError(f"  --max-row-hits: must be >= 0, got {args.max_row_hits}")
    if args.queue_depth > MAX_QUEUE_DEPTH:
        raise UserError(f"  --queue-depth: at most {MAX_QUEUE_DEPTH:,} requests, got {args.queue_depth:,}")
    c = Controller(queue_depth=args.queue_depth, queue_structure=args.queue_structure,
                   row_policy=args.row_policy, max_row_hits=args.max_row_hits)
    if not c.is_default_structure and args.cycle_requests <= 0:
        raise UserError("  --queue-structure/--row-policy/--max-row-hits: the closed form models a shared open-page "
                        "queue; give --cycle-requests N to run the cycle model with this controller")
    return c


def _compare_json(ds: Any, png: Path) -> dict[str, Any]:
    return {
        "pattern": {
            "context_tokens": ds.context_tokens,
            "kv_bytes_per_token_layer": ds.kv_bytes_per_token_layer,
            "interleaved_runs": ds.interleaved,
        },
        "controller": {
            "queue_depth": ds.controller.queue_depth,
            "queue_structure": ds.controller.queue_structure,
            "row_policy": ds.controller.row_policy,
            "max_row_hits": ds.controller.max_row_hits,
        },
        "technologies": [
            {
                "name": r.name,
                "device": r.device,
                "unit": r.unit,
                "attach": r.attach,
                "capacity_bytes": json_number(r.capacity_bytes),
                "bw_bytes_per_s": json_number(r.peak_bw_bytes_per_s),
                "read_j_per_bit": json_number(r.read_j_per_bit),
                "effective_bw_bytes_per_s": json_number(r.effective_bw_bytes_per_s),
                "cycle_bw_bytes_per_s": json_number(r.cycle_bw_bytes_per_s) if r.cycle_bw_bytes_per_s else None,
                "row_hit_rate": json_number(r.row_hit_rate),
                "kv_core_j_per_bit": json_number(r.core_j_per_bit),
                "kv_access_path_j_per_bit": json_number(r.access_path_j_per_bit),
                "kv_effective_j_per_bit": json_number(r.effective_j_per_bit),
                "bw_to_capacity_ratio_per_s": json_number(r.bw_to_capacity_per_s),
                "units_per_reticle_die": r.units_per_reticle_die,
                "bw_per_reticle_die_bytes_per_s": json_number(r.bw_per_reticle_die_bytes_per_s),
                "capacity_per_reticle_die_bytes": json_number(r.capacity_per_reticle_die_bytes),
                "reticle_limit": r.reticle_limit,
            }
            for r in ds.rows
        ],
        "demand_points": [
            {
                "label": d.label,
                "capacity_per_reticle_die_bytes": json_number(d.capacity_per_reticle_die_bytes),
                "bw_per_reticle_die_bytes_per_s": json_number(d.bw_per_reticle_die_bytes_per_s),
            }
            for d in ds.demands
        ],
        "without_device": list(ds.without_device),
        "figure": str(png),
    }


def _print_compare(ds: Any, png: Path) -> None:
    from kvpipe.report.memory_figures import DEVICE_COLUMNS, capacity_text  # matplotlib: imported when needed

    con = make_console()
    per_layer = format_quantity(ds.kv_bytes_per_token_layer, Kind.BYTES)
    t = Table(title=f"KV memory technologies: runs of {ds.context_tokens:,} tokens x {per_layer}")
    for col in DEVICE_COLUMNS:
        t.add_column(col, justify="right" if col not in ("memory", "device") else "left")
    for r in ds.rows:
        t.add_row(
            r.name, r.device, capacity_text(r, r.capacity_bytes),
            format_quantity(r.peak_bw_bytes_per_s, Kind.BYTES_PER_S), f"{r.read_j_per_bit * 1e12:.2f}",
            format_quantity(r.effective_bw_bytes_per_s, Kind.BYTES_PER_S),
            f"{r.row_hit_rate:.1%}", f"{r.core_j_per_bit * 1e12:.2f}", f"{r.access_path_j_per_bit * 1e12:.2f}",
            f"{r.effective_j_per_bit * 1e12:.2f}", f"{r.bw_to_capacity_per_s:,.0f} /s",
            f"{r.units_per_reticle_die} x {r.unit} ({r.attach})",
            format_quantity(r.bw_per_reticle_die_bytes_per_s, Kind.BYTES_PER_S),
            capacity_text(r, r.capacity_per_reticle_die_bytes),
        )
    con.print(t)
    for d in ds.demands:
        con.print(
            f"needed per reticle die, {d.label}: {format_quantity(d.bw_per_reticle_die_bytes_per_s, Kind.BYTES_PER_S)}, "
            f"{format_quantity(d.capacity_per_reticle_die_bytes, Kind.BYTES)}"
        )
    con.print("capacity, peak BW, pJ/bit: the catalog memory's own figures (pJ/bit: whole access path, "
              "as `kvpipe catalog memories` shows). KV columns: the device description on this pattern; "
              "core = activation + cells to pins, path = core + interface I/O and PHY, all-in = path + "
              "standby and refresh.")
    if ds.without_device:
        con.print(f"no device description, so no row: {', '.join(ds.without_device)} (catalog figures only: "
                  "`kvpipe catalog memories`)")
    con.print(f"figure: {png}")


# --- trace -------------------------------------------------------------------------------


def _cmd_trace(args: argparse.Namespace) -> int:
    from kvpipe import catalog
    from kvpipe.catalog.entry import UnknownNameError
    from kvpipe.cli.errors import UserError
    from kvpipe.config.devices import load_device
    from kvpipe.config.limits import MAX_USERS
    from kvpipe.memory import (
        RAMULATOR2_HBM_LEVELS,
        RAMULATOR2_LEVELS,
        dramsim3_lines,
        kv_request_stream,
        mapping_lines,
        ramulator2_loadstore_lines,
        ramulator2_readwrite_lines,
    )
    from kvpipe.report.files import check_output_path, staged_output
    from kvpipe.workload.arch import MAX_CONTEXT_TOKENS

    for name in ("context", "kv_bytes", "users", "requests"):
        _positive(name.replace("_", "-"), getattr(args, name))
    for flag, value, most in (("--requests", args.requests, MAX_CYCLE_REQUESTS), ("--users", args.users, MAX_USERS),
                              ("--context", args.context, MAX_CONTEXT_TOKENS), ("--kv-bytes", args.kv_bytes, 2**30)):
        if value > most:
            raise UserError(f"  {flag}: at most {most:,}, got {value:,}")
    out, mapping = Path(args.out), Path(f"{args.out}.mapping.txt")
    for p in (out, mapping):
        check_output_path(p, "--out", is_dir=False)
    if Path(args.device).suffix in (".yaml", ".yml"):
        device = load_device(Path(args.device))
    else:
        try:
            device = catalog.device(args.device)
        except UnknownNameError as e:
            raise UserError(f"  device: {e}") from None
    pcs = args.pseudo_channels or (2 if device.family == "HBM" and device.organization.channels % 2 == 0 else 1)
    if pcs < 1 or device.organization.channels % pcs:
        raise UserError(f"  --pseudo-channels: {device.organization.channels} channels do not split into {pcs}")
    stream = kv_request_stream(device, args.context * args.kv_bytes, args.kv_bytes, args.users,
                               max_requests=args.requests, seed=args.seed)
    if args.format == "dramsim3":
        lines, pcs = dramsim3_lines(device, stream), 1
    elif args.format == "ramulator2-loadstore":
        lines, pcs = ramulator2_loadstore_lines(stream), 1
    else:
        levels = RAMULATOR2_HBM_LEVELS if pcs > 1 else RAMULATOR2_LEVELS
        lines = ramulator2_readwrite_lines(device, stream, levels, pseudo_channels=pcs)
    with staged_output(out, "--out", is_dir=False, command="memory trace") as trace_file, \
            staged_output(mapping, "--out", is_dir=False, command="memory trace") as mapping_file:
        trace_file.path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        mapping_file.path.write_text("\n".join(mapping_lines(device, pcs)) + "\n", encoding="utf-8")
    print(f"{len(lines):,} requests -> {out}; address mapping -> {mapping}")
    return 0


# --- requirements ------------------------------------------------------------------------


def _cmd_requirements(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from kvpipe import catalog
    from kvpipe.cli.errors import UserError, check_context_flag
    from kvpipe.config import load_system
    from kvpipe.config.devices import load_device
    from kvpipe.config.limits import MAX_USERS
    from kvpipe.explore.requirements import Target, requirements
    from kvpipe.memory import to_memory_tech
    from kvpipe.memory.select import system_pattern

    for name in ("users", "context", "tokens_per_s_per_user", "joules_per_token"):
        _positive(name.replace("_", "-"), getattr(args, name))
    if args.users is not None and args.users > MAX_USERS:
        raise UserError(f"  --users: at most {MAX_USERS:,} (kvpipe's bound), got {args.users:,}")
    system = load_system(Path(args.file))
    check_context_flag(system, args.context)
    users = args.users or system.workload.users
    context = args.context or system.workload.context_tokens
    techs = [t for t in catalog.memories() if t.name != "ideal"]
    if args.device:
        pattern = system_pattern(replace(system, workload=replace(system.workload, users=users, context_tokens=context)))
        techs += [to_memory_tech(load_device(Path(p)), pattern, model="analytic") for p in args.device]
    req = requirements(system, Target(users, context, args.tokens_per_s_per_user, args.joules_per_token), techs)
    if req.max_kv_j_per_token <= 0:
        raise UserError(
            f"  --joules-per-token: the budget {args.joules_per_token:g} J leaves nothing for the KV memory "
            f"(everything else takes {req.demand.rest_j_per_token:.4g} J/token at this target)"
        )
    if args.json:
        print(json.dumps(requirements_json(req), indent=2))
    else:
        _print_requirements(req)
    return 0


def requirements_json(req: Any) -> dict[str, Any]:
    d = req.demand
    return {
        "users": req.target.users,
        "context_tokens": req.target.context_tokens,
        "tokens_per_s_per_user": json_number(req.target.tokens_per_s_per_user),
        "pipeline_tokens_per_s_per_user": json_number(req.pipeline_tokens_per_s_per_user),
        "pipeline_meets_target": req.pipeline_meets_target,
        "joules_per_token_budget": json_number(req.target.joules_per_token) if req.target.joules_per_token else None,
        "required_bw_per_group_bytes_per_s": json_number(d.bw_bytes_per_s_per_group),
        "required_capacity_per_group_bytes": json_number(d.capacity_bytes_per_group),
        "required_bw_per_reticle_die_bytes_per_s": json_number(d.bw_per_reticle_die_bytes_per_s),
        "required_capacity_per_reticle_die_bytes": json_number(d.capacity_per_reticle_die_bytes),
        "reticle_dies_per_group": json_number(d.reticle_dies_per_group),
        "rest_j_per_token": json_number(d.rest_j_per_token),
        "max_kv_j_per_token": json_number(req.max_kv_j_per_token),
        "max_kv_pj_per_bit": json_number(req.max_kv_pj_per_bit),
        "technologies": [
            {
                "name": t.name,
                "meets": t.meets,
                "meets_energy": t.meets_energy,
                "failing": _failing(req, t),
                "fits_beside_group": t.provisioned.fits_beside_group,
                "dies_per_group": t.provisioned.units_per_group,
                "units_for_bandwidth": t.provisioned.units_for_bandwidth,
                "units_for_capacity": t.provisioned.units_for_capacity,
                "capacity_overprovision": json_number(t.provisioned.capacity_overprovision),
                "kv_j_per_token": json_number(t.provisioned.kv_j_per_token),
                "kv_effective_pj_per_bit": json_number(t.provisioned.kv_effective_j_per_bit * 1e12),
                "joules_per_token": json_number(t.provisioned.joules_per_token),
            }
            for t in req.technologies
        ],
    }


def _failing(req: Any, t: Any) -> list[dict[str, Any]]:
    """Each criterion ``t`` fails, with its figure and the limit it exceeds."""
    p = t.provisioned
    out = []
    for name in t.failing:
        if name == "energy":
            value, limit = p.kv_effective_j_per_bit * 1e12, req.max_kv_pj_per_bit
            what = f"{value:.3g} > {limit:.3g} pJ/bit allowed"
        else:
            value, limit = p.units_per_group, p.max_units_per_reticle_die * req.demand.reticle_dies_per_group
            what = f"{value} units > {limit:.3g} fit beside the group's {req.demand.reticle_dies_per_group:.3g} reticle dies"
        out.append({"criterion": name, "value": json_number(value), "limit": json_number(limit), "what": what})
    return out


def _print_requirements(req: Any) -> None:
    con = make_console()
    d = req.demand
    con.print(
        f"target: {req.target.users:,} users at {req.target.context_tokens:,} tokens of context, "
        f"{req.target.tokens_per_s_per_user:,.0f} tokens/s each "
        f"(the pipeline itself sustains {req.pipeline_tokens_per_s_per_user:,.0f} at that load"
        + ("" if req.pipeline_meets_target else ": the TARGET IS ABOVE WHAT THE PIPELINE CAN DO") + ")"
    )
    con.print(
        f"per chip group: {format_quantity(d.capacity_bytes_per_group, Kind.BYTES)} at "
        f"{format_quantity(d.bw_bytes_per_s_per_group, Kind.BYTES_PER_S)}; per reticle die: "
        f"{format_quantity(d.capacity_per_reticle_die_bytes, Kind.BYTES)} at "
        f"{format_quantity(d.bw_per_reticle_die_bytes_per_s, Kind.BYTES_PER_S)}; KV energy <= "
        f"{req.max_kv_j_per_token:.3g} J/token, i.e. <= {req.max_kv_pj_per_bit:.3g} pJ/bit"
    )
    t = Table()
    for col in ("technology", "meets", "units/group", "for BW", "for capacity", "capacity x", "KV pJ/bit", "J/token", "fits"):
        t.add_column(col, justify="left" if col == "technology" else "right")
    for r in req.technologies:
        p = r.provisioned
        t.add_row(
            r.name, "yes" if r.meets else "no: " + ", ".join(r.failing), f"{p.units_per_group}", f"{p.units_for_bandwidth}",
            f"{p.units_for_capacity}",
            f"{p.capacity_overprovision:,.1f}", f"{p.kv_effective_j_per_bit * 1e12:.2f}", f"{p.joules_per_token:.3g}",
            "yes" if p.fits_beside_group else "no",
        )
    con.print(t)
    for r in req.technologies:
        if r.failing:
            con.print(f"{r.name} fails " + "; ".join(f"{f['criterion']}: {f['what']}" for f in _failing(req, r)))
