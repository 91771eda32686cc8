"""``engine explog summarize|update|export FILE``: the experiment-log subcommand.

Data goes to stdout, progress and notes to stderr; failures are ``EngineError`` for the main CLI
to print as one line. ``summarize`` and ``export`` open the file read-only, so they are safe on
a log a live experiment is writing.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .analytics import LAYOUTS
from .log import ExperimentLog

SUMMARY_FORMATS = ("text", "csv", "json")


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Register ``explog`` and its sub-subcommands on the main CLI's subparsers."""
    parser = subparsers.add_parser("explog", help="experiment logs (AEPsych-compatible sqlite files)",
                                   description=__doc__.splitlines()[0])
    parser.set_defaults(handler=run)
    commands = parser.add_subparsers(dest="explog_command", required=True, metavar="{summarize,update,export}")

    summarize = commands.add_parser("summarize", help="one line per experiment")
    summarize.add_argument("file", type=Path)
    summarize.add_argument("--format", choices=SUMMARY_FORMATS, default="text")

    update = commands.add_parser("update", help="upgrade an older reference layout in place")
    update.add_argument("file", type=Path)
    update.add_argument("--allow-pickle", action="store_true",
                        help="needed to rebuild trials from pickled tell messages; runs code from the file")

    export = commands.add_parser("export", help="write the trials to Parquet")
    export.add_argument("file", type=Path)
    export.add_argument("--out", type=Path, help="default: FILE with suffix .trials.parquet")
    export.add_argument("--format", choices=("parquet",), default="parquet")
    export.add_argument("--layout", choices=LAYOUTS, default="wide",
                        help="wide: a column per parameter/outcome; long: a row per value")
    export.add_argument("--experiment", type=int, action="append", dest="experiments",
                        help="master id to export (repeatable; default all)")


def run(args: argparse.Namespace) -> int:
    """Run the parsed ``explog`` subcommand; returns the exit status."""
    if args.explog_command == "summarize":
        with ExperimentLog(args.file, read_only=True) as log:
            frame = log.summarize_experiments().df()
        if args.format == "csv":
            sys.stdout.write(frame.to_csv(index=False))
        elif args.format == "json":
            sys.stdout.write(frame.to_json(orient="records", date_format="iso") + "\n")
        else:
            sys.stdout.write(frame.to_string(index=False) + "\n")
        return 0
    if args.explog_command == "update":
        with ExperimentLog(args.file, update=False, allow_pickle=args.allow_pickle) as log:
            done = log.perform_updates() if log.is_update_required() else []
        print(f"{args.file}: {'upgraded' if done else 'already current'}", file=sys.stderr)
        sys.stdout.write("".join(line + "\n" for line in done))
        return 0
    out = args.out or args.file.with_suffix(".trials.parquet")
    with ExperimentLog(args.file, read_only=True) as log:
        path = log.export_parquet(out, layout=args.layout, experiment_ids=args.experiments)
    print(path)
    return 0
