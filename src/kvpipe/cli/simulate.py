"""``kvpipe simulate``: the serving simulator on one system YAML (edge code around kvpipe.sim)."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from kvpipe.cli.errors import UserError, check_context_flag
from kvpipe.config.limits import MAX_USERS
from kvpipe.workload.arch import MAX_CONTEXT_TOKENS


def add_simulate_parser(sub: Any) -> None:
    sp = sub.add_parser(
        "simulate",
        help="simulate serving: arrivals, prefill and decode, KV admission, latency percentiles, energy over time",
    )
    sp.add_argument("file", help="system YAML (its workload's users are the seats, its micro-batch the unit size)")
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument("--arrival-rate", type=float, metavar="R", help="open-loop arrivals, requests per second")
    src.add_argument(
        "--trace", metavar="PATH", help="request trace: Azure CSV (TIMESTAMP,ContextTokens,GeneratedTokens) or JSONL"
    )
    src.add_argument("--closed-loop", type=int, metavar="N", help="N clients, each sending its next request after the last")
    sp.add_argument("--trace-format", choices=["csv", "jsonl"], help="default: from the file's extension")
    sp.add_argument("--cv", type=float, default=1.0, help="coefficient of variation of inter-arrival times (1: Poisson)")
    sp.add_argument("--think", default="0 s", help="closed loop: mean think time (exponential), e.g. '50 ms'")
    sp.add_argument("--prompt", default="lognormal:1024:1.0", help="prompt tokens: N | uniform:LO:HI | lognormal:MEDIAN:SIGMA")
    sp.add_argument("--output", default="lognormal:256:1.0", help="output tokens, same forms as --prompt")
    sp.add_argument("--duration", help="arrivals stop after this long, e.g. '60 s' (default 60 s; a trace: all of it)")
    sp.add_argument("--no-drain", action="store_true", help="stop at --duration instead of finishing every request")
    sp.add_argument("--warmup", default="0 s", help="exclude this first part of the run from the metrics")
    sp.add_argument("--seed", type=int, default=0)
    sp.add_argument("--mode", choices=["fast", "reference"], default="fast",
                    help="fast: fluid steps between events; reference: every pass of every unit through every group")
    sp.add_argument("--slots", type=int, help="users in flight (default: the file's workload users)")
    sp.add_argument("--chunk", type=int, default=16, help="prefill chunk in tokens (0: the whole prompt in one chunk)")
    sp.add_argument(
        "--no-prefill", action="store_true", help="prompts arrive with their KV (prefix cache, disaggregated prefill)"
    )
    sp.add_argument("--fixed-context", type=int, help="every decode step attends to this many tokens (the analytic model's case)")
    sp.add_argument("--admission", choices=["reserve", "preempt"], default="reserve",
                    help="reserve KV for prompt + output at admission, or grow it and preempt-and-recompute when full")
    sp.add_argument("--max-queue", type=int, help="reject arrivals that find this many requests waiting")
    sp.add_argument("--slo-ttft", help="time-to-first-token SLO for goodput, e.g. '2 s'")
    sp.add_argument("--slo-tpot", help="time-per-output-token SLO for goodput, e.g. '5 ms'")
    sp.add_argument("--json", action="store_true", help="print one JSON object (SI units)")
    sp.add_argument("--series", action="store_true", help="with --json: include the power / occupancy time series")
    sp.add_argument("--timeline", metavar="PATH", help="write a Chrome-trace / Perfetto JSON timeline")
    sp.add_argument("--plots", metavar="DIR", help="write latency_cdf.png and power_occupancy.png into DIR")
    sp.add_argument("--quiet", action="store_true", help="no progress bar (there is none when stderr is not a terminal)")
    sp.set_defaults(func=cmd_simulate)


def _seconds(flag: str, text: str | None) -> float | None:
    from kvpipe.config.units import Kind, UnitError, parse_quantity

    if text is None:
        return None
    try:
        return parse_quantity(text, Kind.SECONDS)
    except UnitError as e:
        raise UserError(f"  --{flag}: {e.message}") from None


_LENGTH_FORMS = (f"N, uniform:LO:HI or lognormal:MEDIAN:SIGMA (token counts: integers from 1 to {MAX_CONTEXT_TOKENS:,}, "
                 "LO <= HI, SIGMA from 0 to 10)")


def _lengths(flag: str, text: str) -> Any:
    from kvpipe.sim import Fixed, LogNormal, Uniform

    parts = [p.strip() for p in text.split(":")]
    bad = UserError(f"  --{flag}: expected {_LENGTH_FORMS}, got {text[:60]!r}")
    try:
        if len(parts) == 1 and int(parts[0]) <= MAX_CONTEXT_TOKENS:
            return Fixed(int(parts[0]))
        if parts[0] == "uniform" and len(parts) == 3 and int(parts[2]) <= MAX_CONTEXT_TOKENS:
            return Uniform(int(parts[1]), int(parts[2]))
        if parts[0] == "lognormal" and len(parts) == 3:
            median, sigma = float(parts[1]), float(parts[2])
            if not (1 <= median <= MAX_CONTEXT_TOKENS and 0 <= sigma <= 10):
                raise bad
            return LogNormal(median, sigma, high=MAX_CONTEXT_TOKENS)  # draws past any context are cut off
    except ValueError:
        raise bad from None
    raise bad


def _traffic(args: argparse.Namespace, duration: float | None) -> Any:
    from kvpipe.config.limits import MAX_TRACE_BYTES, InputLimitError, read_user_text
    from kvpipe.sim import ClosedLoop, TraceError, open_loop, parse_trace

    prompt, output = _lengths("prompt", args.prompt), _lengths("output", args.output)
    if args.trace:
        path = Path(args.trace)
        fmt = args.trace_format or ("jsonl" if path.suffix.lower() in (".jsonl", ".json") else "csv")
        try:
            text = read_user_text(path, MAX_TRACE_BYTES)
        except InputLimitError as e:
            raise UserError(f"  --trace: {e.message}") from None
        except (OSError, UnicodeDecodeError) as e:
            raise UserError(f"  --trace: cannot read {path}: {getattr(e, 'strerror', None) or e}") from None
        try:
            return parse_trace(text, fmt)
        except TraceError as e:
            raise UserError(f"  --trace: {path}:{e.line}: {e.message}") from None
    if args.closed_loop is not None:
        if args.closed_loop < 1:
            raise UserError("  --closed-loop: needs at least one client")
        think = _seconds("think", args.think) or 0.0
        return ClosedLoop(args.closed_loop, prompt, output, think_s=think)
    return open_loop(args.arrival_rate, duration or 60.0, prompt, output, seed=args.seed, cv=args.cv)


def _spatial_document(path: Path) -> tuple[Any, Path, str, str]:
    """The system file read and parsed once (document, folder, source label, default name, as
    :func:`~kvpipe.config.loader.read_system_file` gives them); a GPU system YAML (top-level
    ``gpu:``) cannot be simulated: say so before anything else."""
    from kvpipe.config.loader import read_system_file, read_yaml

    text, folder, source, name = read_system_file(path)  # an unreadable, oversized or malformed file: ConfigError
    data = read_yaml(text, source)
    if isinstance(data, dict) and "gpu" in data:
        gpu = data["gpu"]
        what = gpu[:60] if isinstance(gpu, str) else "an inline GPU"
        raise UserError(
            f"  kvpipe simulate models spatial pipelines only; {path} describes a GPU system (gpu: {what}). "
            "GPU systems are evaluated by kvpipe evaluate and compared in the study report (docs/gpu.md)"
        )
    return data, folder, source, name


MAX_REQUESTS = 10_000_000  # one run's open-loop arrivals (rate x duration): ~1 GB of request state


def _check_args(args: argparse.Namespace) -> tuple[float | None, float]:
    """Check the numeric flags, naming each flag and its expected form; return (duration, warmup)."""
    errors: list[str] = []
    if args.arrival_rate is not None and not (math.isfinite(args.arrival_rate) and args.arrival_rate > 0):
        errors.append(f"  --arrival-rate: expected a finite number of requests per second > 0, got {args.arrival_rate}")
    if not (args.cv == 0 or 1e-3 <= args.cv <= 100):
        errors.append(f"  --cv: expected 0 (evenly spaced) or a finite number >= 0.001 and <= 100 (1: Poisson), got {args.cv}")
    if not 0 <= args.seed < 2**63:
        errors.append(f"  --seed: expected a whole number from 0 to 2^63 - 1, got {args.seed}")
    for flag, value, low, high in (("slots", args.slots, 1, MAX_USERS), ("closed-loop", args.closed_loop, 1, MAX_USERS),
                                   ("chunk", args.chunk, 0, None), ("fixed-context", args.fixed_context, 1, None),
                                   ("max-queue", args.max_queue, 0, None)):
        if value is not None and value < low:
            errors.append(f"  --{flag}: expected an integer >= {low}, got {value}")
        elif value is not None and high is not None and value > high:
            errors.append(f"  --{flag}: at most {high:,} (kvpipe's bound), got {value:,}")
    duration = warmup = None
    for flag, text in (("duration", args.duration), ("warmup", args.warmup), ("slo-ttft", args.slo_ttft),
                       ("slo-tpot", args.slo_tpot), ("think", args.think)):
        try:
            x = _seconds(flag, text)
        except UserError as e:
            errors.append(str(e))
            continue
        if flag in ("duration", "slo-ttft", "slo-tpot") and x is not None and not x > 0:
            errors.append(f"  --{flag}: expected a time > 0 such as '60 s', got {text!r}")
        if flag == "duration":
            duration = x
        elif flag == "warmup":
            warmup = x or 0.0
    if duration is None and not args.trace:
        duration = 60.0
    if args.arrival_rate is not None and duration is not None and args.arrival_rate * duration > MAX_REQUESTS:
        errors.append(f"  --arrival-rate: {args.arrival_rate:g} requests/s for {_fmt_s(duration)} is "
                      f"{args.arrival_rate * duration:.3g} requests, more than the {MAX_REQUESTS:,} one run may simulate; "
                      "lower the rate or shorten --duration")
    if warmup is not None and duration is not None and duration > 0 and warmup >= duration:
        errors.append(f"  --warmup: must be shorter than the run (--duration {_fmt_s(duration)}), got {args.warmup!r}")
    if errors:
        raise UserError("\n".join(errors))
    return duration, warmup or 0.0


PLOT_NAMES = ("latency_cdf.png", "power_occupancy.png")


def _check_outputs(args: argparse.Namespace) -> None:
    from kvpipe.report.files import check_output_path

    if args.timeline:
        check_output_path(Path(args.timeline), "--timeline", is_dir=False)
    if args.plots:
        check_output_path(Path(args.plots), "--plots", is_dir=True)


def cmd_simulate(args: argparse.Namespace) -> int:
    from contextlib import ExitStack

    from kvpipe.cli.progress import progress_bar
    from kvpipe.config import parse_system
    from kvpipe.report.files import staged_output
    from kvpipe.sim import SimConfig, SimulationError, simulate

    _check_outputs(args)
    document, folder, source, name = _spatial_document(Path(args.file))
    duration, warmup = _check_args(args)
    system = parse_system(document, folder, source=source, default_name=name)
    check_context_flag(system, args.fixed_context, "--fixed-context")
    try:
        cfg = SimConfig(
            mode=args.mode,
            slots=args.slots,
            chunk_tokens=args.chunk or None,
            prefill=not args.no_prefill,
            fixed_context_tokens=args.fixed_context,
            admission=args.admission,
            max_queue=args.max_queue,
            duration_s=duration,
            drain=not args.no_drain,
            warmup_s=warmup,
            slo_ttft_s=_seconds("slo-ttft", args.slo_ttft),
            slo_tpot_s=_seconds("slo-tpot", args.slo_tpot),
            record_timeline=bool(args.timeline),
        )
    except ValueError as e:
        raise UserError(f"  {e}") from None
    traffic = _traffic(args, duration)
    _check_closed_loop_budget(system, traffic, duration)
    with ExitStack() as stack:
        timeline = (stack.enter_context(staged_output(Path(args.timeline), "--timeline", is_dir=False, command="simulate"))
                    if args.timeline else None)
        plots = (stack.enter_context(staged_output(Path(args.plots), "--plots", command="simulate", owns=PLOT_NAMES))
                 if args.plots else None)
        arrivals_end = duration if duration is not None else _last_arrival_s(traffic)
        bar = stack.enter_context(progress_bar("simulate", arrivals_end, quiet=args.quiet))

        def progress(t_s: float) -> None:  # simulated time; past the arrivals the run drains
            if arrivals_end and t_s >= arrivals_end:
                bar(arrivals_end, f"simulate: draining at {_fmt_s(t_s)}")
            else:
                bar(t_s)

        try:
            result = simulate(system, traffic, cfg, seed=args.seed, progress=progress)
        except SimulationError as e:
            raise UserError(f"  {e}") from None
        if timeline is not None:
            bar(arrivals_end or 0.0, "writing the timeline")
            _write_timeline(result, timeline.path)
        if plots is not None:
            bar(arrivals_end or 0.0, "drawing the plots")
            _write_plots(result, plots.path)
    if args.json:
        out = result.to_json()
        if not args.series:
            out.pop("series", None)
        print(json.dumps(out, indent=2))
    else:
        _print_summary(result, args.timeline, args.plots)
    return 0


def _last_arrival_s(traffic: Any) -> float | None:
    t = getattr(traffic, "arrival_s", None)
    return float(t[-1]) if t is not None and len(t) else None


def _write_timeline(result: Any, path: Path) -> None:
    from kvpipe.sim import chrome_trace

    path.write_text(json.dumps(chrome_trace(result)), encoding="utf-8")  # one-shot: the C encoder


def _check_closed_loop_budget(system: Any, traffic: Any, duration: float | None) -> None:
    """Closed-loop clients send about ``clients x duration / (think + output x time per token)``
    requests; hold that (with one user's time per token, the shortest there is) to the budget."""
    from dataclasses import replace

    from kvpipe.perf import evaluate_system
    from kvpipe.sim import ClosedLoop, Fixed, LogNormal, Uniform

    if not isinstance(traffic, ClosedLoop) or duration is None:
        return
    one_user = replace(system, workload=replace(system.workload, users=1))
    per_token_s = float(evaluate_system(one_user).time_per_token_s)
    out = traffic.output
    if isinstance(out, Fixed):
        tokens: float = out.tokens
    elif isinstance(out, Uniform):
        tokens = (out.low + out.high) / 2
    else:
        assert isinstance(out, LogNormal)  # the three forms _lengths reads
        tokens = out.median
    requests = traffic.clients * duration / (traffic.think_s + tokens * per_token_s)
    if requests > MAX_REQUESTS:
        raise UserError(
            f"  --closed-loop: {traffic.clients:,} clients for {_fmt_s(duration)} would send about {requests:.3g} requests "
            f"(one every {_fmt_s(traffic.think_s + tokens * per_token_s)} each at best), more than the {MAX_REQUESTS:,} "
            "one run may simulate; use fewer clients, a shorter --duration or a longer --think"
        )


def _write_plots(result: Any, out_dir: Path) -> None:
    from kvpipe.report.figures import render_png_and_clear
    from kvpipe.report.sim_figures import fig_latency_cdf, fig_power_and_occupancy

    (out_dir / "latency_cdf.png").write_bytes(render_png_and_clear(fig_latency_cdf(result)))
    (out_dir / "power_occupancy.png").write_bytes(render_png_and_clear(fig_power_and_occupancy(result)))


def _fmt_s(x: float | None) -> str:
    from kvpipe.config.units import Kind, format_quantity

    if x is None or not math.isfinite(x):
        return "-"
    return format_quantity(x, Kind.SECONDS)


def _fmt_num(x: float, spec: str, unit: str = "") -> str:
    return f"{x:{spec}}{unit}" if math.isfinite(x) else "-"


def _print_summary(result: Any, timeline: str | None, plots: str | None) -> None:
    m = result.metrics
    print(f"{result.system_name}: {result.mode} mode, {result.slots} seats, micro-batch {result.micro_batch}, "
          f"{_fmt_s(m.window_s)} measured")
    print(f"requests: {m.requests_arrived} arrived, {m.requests_completed} completed, {m.requests_rejected} rejected, "
          f"{m.requests_preempted} preempted")
    if m.requests_rejected:
        words = {"queue_full": "queue full (--max-queue)", "kv_never_fits": "KV never fits in a chip group"}
        by = ", ".join(f"{n} {words.get(why, why)}" for why, n in m.requests_rejected_by_reason.items() if n)
        print(f"  rejected: {by}")
    if m.requests_completed == 0:
        print("note: no request finished in the measured window, so latencies and J/token are undefined (-); "
              "power is the system's static and memory background power over the run")
    print(f"{'':12s}{'mean':>10s}{'p50':>10s}{'p90':>10s}{'p99':>10s}")
    for label, st in (("TTFT", m.ttft_s), ("TPOT", m.tpot_s), ("end to end", m.e2e_s), ("queueing", m.queueing_s)):
        print(f"{label:12s}" + "".join(f"{_fmt_s(getattr(st, k)):>10s}" for k in ("mean", "p50", "p90", "p99")))
    print(f"throughput: {_fmt_num(m.tokens_per_s, ',.0f')} tokens/s, "
          f"{_fmt_num(m.throughput_requests_per_s, '.4g')} requests/s; "
          f"goodput {_fmt_num(m.goodput_requests_per_s, '.4g')} requests/s")
    print(f"energy: {_fmt_num(m.joules_per_token, '.4g')} J/token, mean power {_fmt_num(m.mean_power_w, ',.0f')} W")
    u = m.utilization
    busiest = max(range(len(u.processing)), key=lambda i: u.processing[i] if math.isfinite(u.processing[i]) else -1)
    names = result.group_class_names or tuple(f"group class {i}" for i in range(len(u.processing)))
    print(f"busiest: {names[busiest]} (x{u.group_counts[busiest]}): "
          f"processing {_fmt_num(100 * u.processing[busiest], '.1f', '%')}, "
          f"KV bandwidth {_fmt_num(100 * u.kv_bandwidth[busiest], '.1f', '%')}, "
          f"KV capacity {_fmt_num(100 * max(u.kv_capacity), '.1f', '%')}")
    print(f"mean requests in the system {_fmt_num(m.mean_requests_in_system, '.4g')} "
          f"(queued {_fmt_num(m.mean_requests_queued, '.4g')})")
    if timeline:
        print(f"timeline: {timeline}")
    if plots:
        print(f"plots: {plots}")
