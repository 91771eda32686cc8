"""``versions``, ``download``, ``tables``, ``sql`` and ``mirror``: the dataset commands."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ..cli import add_command, existing_path
from .output import FORMATS, write_result


def register(sub: argparse._SubParsersAction) -> None:
    cmd = add_command(sub, "versions", versions, "list the releases in the catalog")
    cmd.add_argument("--supported", action="store_true", help="only releases this engine can read")
    cmd.add_argument("--catalog", help="catalog file or fsspec URL (default: $ENGINE_CATALOG or the embedded one)")

    cmd = add_command(sub, "download", download, "fetch a release into the cache (verified, resumable)")
    cmd.add_argument("name", help="release file name, e.g. synphys_r2.1_small.sqlite, or a size: small|medium|full")
    cmd.add_argument("--catalog")
    cmd.add_argument("--cache-dir", type=Path, help="default: $ENGINE_CACHE_DIR or the user cache dir")
    cmd.add_argument("--quiet", action="store_true", help="no progress bar")

    cmd = add_command(sub, "tables", tables, "list the tables of a dataset with row counts")
    cmd.add_argument("source", type=existing_path, help="sqlite file, DuckDB file or mirror directory")
    cmd.add_argument("--schema", metavar="TABLE", help="show the columns and keys of one table")

    cmd = add_command(sub, "sql", sql, "run a SQL query on a dataset")
    cmd.add_argument("source", type=existing_path)
    cmd.add_argument("query")
    cmd.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                     help="bind $NAME to VALUE (JSON if it parses, else text); repeatable")
    cmd.add_argument("--format", choices=FORMATS, default="table")
    cmd.add_argument("--out", type=Path, help="write to a file instead of stdout")
    cmd.add_argument("--explain", action="store_true", help="print DuckDB's plan instead of running")

    cmd = add_command(sub, "mirror", mirror, "mirror a dataset to zstd Parquet with a manifest")
    cmd.add_argument("source", type=existing_path)
    cmd.add_argument("dest", type=Path)
    cmd.add_argument("--sort", action="append", default=[], metavar="TABLE=COL[,COL]",
                     help="sort a table's rows so row-group statistics prune lookups; repeatable")
    cmd.add_argument("--row-group-size", type=int)
    cmd.add_argument("--quiet", action="store_true")


def versions(args: argparse.Namespace) -> int:
    from ..catalog import list_current_versions, list_versions

    current = {r.db_file for r in list_current_versions(catalog=args.catalog).values() if r is not None}
    for r in list_versions(only_supported=args.supported, catalog=args.catalog):
        mark = "*" if r.db_file in current else " "
        print(f"{mark} {r.db_file:<45} release {r.release_version:<10} size {r.db_size:<7} schema {r.schema_version}")
    return 0


def download(args: argparse.Namespace) -> int:
    from ..catalog import get_db_path, list_current_versions

    name = args.name
    if name in ("small", "medium", "full"):
        from ..catalog import find

        release = list_current_versions(catalog=args.catalog).get(name)
        name = release.db_file if release is not None else find(name, catalog=args.catalog).db_file
    path = get_db_path(name, catalog=args.catalog, cache_dir=args.cache_dir, progress=False if args.quiet else None)
    print(path)
    return 0


def tables(args: argparse.Namespace) -> int:
    from .. import connect

    with connect(args.source) as ds:
        if args.schema:
            schema = ds.schema(args.schema)
            fks = {k.column: f"-> {k.ref_table}.{k.ref_column}" for k in schema.foreign_keys}
            for c in schema.columns:
                pk = "PK" if c.name in schema.primary_key else ""
                print(f"{c.name:<40} {str(c.type):<22} {'null' if c.nullable else 'not null':<9} "
                      f"{pk:<3}{fks.get(c.name, '')}{'  [' + c.encoding + ']' if c.encoding else ''}")
            return 0
        for name in ds.tables:
            print(f"{name:<40} {ds.table(name).count():>12,}")
    return 0


def sql(args: argparse.Namespace) -> int:
    from .. import connect

    params = dict(_param(p) for p in args.param)
    with connect(args.source) as ds:
        result = ds.sql(args.query, params)
        if args.explain:
            print(result.explain())
            return 0
        write_result(result.arrow(), args.format, args.out)
    return 0


def mirror(args: argparse.Namespace) -> int:
    from .. import connect

    sort_by = dict(_sort(s) for s in args.sort)
    with connect(args.source) as ds:
        dest = ds.mirror(args.dest, sort_by=sort_by, row_group_size=args.row_group_size,
                         progress=False if args.quiet else None)
    print(dest)
    return 0


def _param(text: str) -> tuple[str, object]:
    from ..errors import BadInputError

    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise BadInputError(f"--param takes NAME=VALUE with NAME an identifier, got {text!r}")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


def _sort(text: str) -> tuple[str, list[str]]:
    from ..errors import BadInputError

    table, sep, cols = text.partition("=")
    if not sep or not table or not cols:
        raise BadInputError(f"--sort takes TABLE=COL[,COL], got {text!r}")
    return table, [c for c in cols.split(",") if c]
