"""``engine serve`` and ``engine mirror-cave``: thin argparse over ``engine.server`` and ``engine.cave_mirror``."""

from __future__ import annotations

import argparse
import sys

from engine.cli import add_command, existing_path

from .config import REFERENCE_ROW_LIMIT, TOKEN_ENV


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``serve`` and ``mirror-cave`` subcommands."""
    serve = add_command(sub, "serve", _serve, "serve every datastack under a mirror root over the CAVE protocol")
    serve.add_argument("--mirror", type=existing_path, required=True, metavar="ROOT",
                       help="mirror root holding one directory per datastack")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default: 8000; 0 picks a free one)")
    serve.add_argument("--token-file", type=existing_path, metavar="FILE",
                       help=f"require one of these bearer tokens (one per line); also read from ${TOKEN_ENV}")
    limits = serve.add_mutually_exclusive_group()
    limits.add_argument("--row-limit", type=int, metavar="N", help="cap every query at N rows (default: no cap)")
    limits.add_argument("--reference-row-limit", action="store_true",
                        help=f"cap queries at the reference's {REFERENCE_ROW_LIMIT:,} rows, with its Warning header")
    serve.add_argument("--timeout", type=float, default=300.0, metavar="SECONDS",
                       help="per-request time limit (streamed answers: per chunk); default 300")
    serve.add_argument("--public-url", metavar="URL",
                       help="base URL clients use, when it differs from the bound address (e.g. behind a proxy)")

    mirror = add_command(sub, "mirror-cave", _mirror, "copy tables from a CAVE materialization service into a mirror")
    mirror.add_argument("url", help="server address, e.g. https://minnie.microns-daf.com or http://127.0.0.1:8000")
    mirror.add_argument("datastack", help="datastack name on that server")
    mirror.add_argument("dest", help="mirror root to write <dest>/<datastack> into")
    mirror.add_argument("--version", type=int, nargs="+", dest="versions", metavar="N",
                        help="versions to copy (default: every valid version)")
    mirror.add_argument("--tables", nargs="+", metavar="TABLE", help="tables to copy (default: all)")
    mirror.add_argument("--token", help="bearer token for the service (default: none)")
    mirror.add_argument("--concurrency", type=int, default=8, help="pages fetched at once (default: 8)")
    mirror.add_argument("--page-rows", type=int, default=100_000,
                        help="rows per page; keep it below the service's row cap (default: 100000)")
    mirror.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")


def _serve(args: argparse.Namespace) -> int:
    from . import load_tokens, serve

    row_limit = REFERENCE_ROW_LIMIT if args.reference_row_limit else args.row_limit
    serve(args.mirror, host=args.host, port=args.port, tokens=load_tokens(args.token_file), row_limit=row_limit,
          request_timeout=args.timeout, public_url=args.public_url)
    return 0


def _mirror(args: argparse.Namespace) -> int:
    from engine.cave_mirror import mirror_cave

    path = mirror_cave(
        args.url, args.datastack, args.dest, versions=args.versions, tables=args.tables, token=args.token,
        concurrency=args.concurrency, page_rows=args.page_rows, progress=False if args.no_progress else None,
    )
    print(path, file=sys.stdout)
    return 0
