"""The ``engine`` command: a thin argparse layer over the public API.

Data goes to stdout; progress and errors go to stderr. An ``EngineError`` prints one line
(no traceback unless ``--debug``) and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from .errors import EngineError

Handler = Callable[[argparse.Namespace], int]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return args.handler(args)
    except EngineError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"engine: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("engine: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="engine", description="DuckDB/Arrow engine for versioned neuroscience datasets.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(title="commands", metavar="COMMAND")
    from .commands import register_all

    register_all(sub)
    return parser


def add_command(sub: argparse._SubParsersAction, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
    """Register one subcommand whose ``--debug`` and handler are wired like every other."""
    cmd = sub.add_parser(name, help=help, description=help)
    cmd.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks on errors")
    cmd.set_defaults(handler=handler)
    return cmd


def existing_path(text: str) -> Path:
    """argparse type for a path that must exist."""
    path = Path(text).expanduser()
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    return path


if __name__ == "__main__":
    raise SystemExit(main())
