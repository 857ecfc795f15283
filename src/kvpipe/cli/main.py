"""The ``kvpipe`` command line.

User mistakes (a malformed YAML, an unknown part, a model that cannot fit) print a message
naming the field and exit with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from kvpipe import __version__
from kvpipe.cli.errors import UserError, user_errors
from kvpipe.cli.explore import add_explore_parser
from kvpipe.cli.memory import add_memory_parser
from kvpipe.cli.simulate import add_simulate_parser

EXIT_USAGE = 2


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from kvpipe.cli.run import evaluate_file
    from kvpipe.cli.tables import print_rows

    evaluation = evaluate_file(Path(args.file), args.memory_model)
    if args.json:
        print(json.dumps(evaluation.to_json(), indent=2))
    else:
        print_rows(f"kvpipe evaluate: {evaluation.system_name}", evaluation.rows())
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from kvpipe.cli.validate import run_validate

    return run_validate(args)


def _cmd_catalog(args: argparse.Namespace) -> int:
    from kvpipe.cli.kinds import systems_json
    from kvpipe.cli.tables import catalog_json, print_catalog, print_systems

    if args.kind == "systems":
        if args.json:
            print(json.dumps(systems_json(), indent=2))
        else:
            print_systems(systems_json())
        return 0
    if args.json:
        print(json.dumps(catalog_json(args.kind), indent=2))
    else:
        print_catalog(args.kind)
    return 0


def _cmd_study(args: argparse.Namespace) -> int:
    from kvpipe.cli.progress import progress_bar
    from kvpipe.cli.run import run_study
    from kvpipe.cli.tables import print_study_summary

    with progress_bar("study", None, quiet=args.quiet) as progress:
        study, files = run_study(
            args.name, Path(args.out) if args.out else None, Path(args.config) if args.config else None, args.memory_model,
            progress,
        )
    if args.json:
        print(json.dumps({"report": str(files.report_html), "out_dir": str(files.out_dir)}, indent=2))
    else:
        print_study_summary(study, files)
    return 0


def _memory_model_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--memory-model",
        choices=["scalar", "analytic", "cycle"],
        default="scalar",
        help="KV memory figures: catalog scalars (default), or the closed-form / cycle-level device model "
        "for the system's KV access pattern",
    )


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="kvpipe",
        description="Model LLM decode on deep spatial pipelines and the KV-cache memory they need.",
    )
    ap.add_argument("--version", action="version", version=f"kvpipe {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ev = sub.add_parser("evaluate", help="evaluate one system YAML with the analytic model")
    ev.add_argument("file", help="system YAML (see README)")
    ev.add_argument("--json", action="store_true", help="print one JSON object (SI units)")
    _memory_model_option(ev)
    ev.set_defaults(func=_cmd_evaluate)

    cat = sub.add_parser("catalog", help="list catalog parts with their figures and sources")
    cat.add_argument("kind", choices=["models", "chips", "links", "memories", "gpus", "systems"])
    cat.add_argument("--json", action="store_true")
    cat.set_defaults(func=_cmd_catalog)

    st = sub.add_parser("study", help="run a study and write its report (default: the seed study)")
    st.add_argument("name", nargs="?", default="seed", choices=["seed"])
    st.add_argument("--out", help="output directory (default: out/<name>)")
    st.add_argument("--config", help="system YAML to study instead of the built-in seed system")
    st.add_argument("--json", action="store_true", help="print where the outputs are as JSON")
    st.add_argument("--quiet", action="store_true", help="no progress bar (there is none when stderr is not a terminal)")
    _memory_model_option(st)
    st.set_defaults(func=_cmd_study)

    add_memory_parser(sub)
    add_simulate_parser(sub)
    add_explore_parser(sub)

    va = sub.add_parser("validate", help="predict published results (and measured GPU step times) and print the errors")
    va.add_argument("--json", action="store_true", help="print one JSON object: rows and median_abs_error")
    va.add_argument("--data", nargs="+", metavar="CSV",
                    help="CSVs in the layout of validation/published.csv, predicted together (default: that file)")
    va.add_argument("--measured", help="folder of benchmarks/gpu_decode.py CSVs (default: validation/measured)")
    va.set_defaults(func=_cmd_validate)
    return ap


@functools.cache
def _parser() -> argparse.ArgumentParser:
    """The parser, built once per process: parsing leaves it as it was, and building it (a dozen
    subparsers, ~100 options) takes milliseconds that in-process callers would pay per call."""
    return build_parser()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        with user_errors():
            return func(args)
    except UserError as e:
        print(f"kvpipe {args.command}: error:\n{e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # the reader (e.g. `head`) stopped early: not an error of ours
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:  # Ctrl-C: outputs were left as they were (docs/outputs.md)
        print(f"kvpipe {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
