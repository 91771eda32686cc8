"""Staged version snapshots -> the mirror layout: interval tables and ``segmentation/roots.parquet``.

A CAVE service hands out frozen snapshots (``id, valid, ..., P_supervoxel_id, P_root_id``), not
the annotation history, so the history is rebuilt from the mirrored versions ``v_0 < ... < v_n``:

- an annotation first seen in ``v_i`` and last seen in ``v_j`` gets ``created = ts(v_i)`` and
  ``deleted = ts(v_{j+1})`` (NULL when still present in ``v_n``); ids are immutable in CAVE
  (an update is delete + insert), so the row's content is taken from its last snapshot;
- a root seen first in ``v_i`` is valid from ``ts(v_i)`` until the first mirrored version in
  which one of its supervoxels belongs to another root (roots are immutable supervoxel sets).
  Intervals of one supervoxel never overlap (each ends where the next begins).

Queries at a mirrored version's timestamp therefore reproduce the source exactly; between two
versions, edits appear at the later version's timestamp.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq

from engine.connection import execute, new_connection
from engine.sql import quote_ident, quote_literal

CRUD = ("id", "created", "deleted", "superceded_id", "valid")
SUPERVOXEL, ROOT = "_supervoxel_id", "_root_id"


@dataclass(frozen=True)
class Snapshots:
    """One table's staged pages per mirrored version (index ``i`` = ``times[i]``; empty when absent)."""

    table: str
    pages: Sequence[Sequence[Path]]


def _union(snapshots: Snapshots, prefix: str = "f") -> tuple[str, dict[str, object]]:
    """SQL for every staged row of a table tagged with its version index ``__v``; file lists are parameters."""
    parts, params = [], {}
    for i, files in enumerate(snapshots.pages):
        if files:
            params[f"{prefix}{i}"] = [str(f) for f in files]
            parts.append(f'SELECT *, {i} AS "__v" FROM read_parquet(${prefix}{i}, union_by_name = true)')
    return " UNION ALL BY NAME ".join(parts), params


def columns(snapshots: Snapshots) -> list[str]:
    """The staged column names of a table, in the service's order (from its first page)."""
    first = next(f for files in snapshots.pages for f in files)
    return pq.read_schema(first).names


def bound_points(names: Sequence[str]) -> list[str]:
    """Point prefixes ``P`` that have both ``P_supervoxel_id`` and ``P_root_id``."""
    return [n[: -len(SUPERVOXEL)] for n in names if n.endswith(SUPERVOXEL) and n[: -len(SUPERVOXEL)] + ROOT in names]


def write_table(snapshots: Snapshots, times: Sequence[datetime], dest: Path) -> int:
    """Write the table's interval form (raw mirror columns, sorted by id) to ``dest``; returns its row count."""
    union, params = _union(snapshots)
    names = columns(snapshots)
    roots = {p + ROOT for p in bound_points(names)}
    keep = [n for n in names if n not in CRUD and n not in roots]
    select = ", ".join(f'"latest".{quote_ident(n)}' for n in keep)
    sql = f"""
        WITH "seen" AS ({union}),
        "span" AS (SELECT "id", min("__v") AS "first", max("__v") AS "last" FROM "seen" GROUP BY "id"),
        "latest" AS (
            SELECT "seen".* FROM "seen" JOIN "span" ON "seen"."id" = "span"."id" AND "seen"."__v" = "span"."last")
        SELECT "latest"."id",
               $times["span"."first" + 1] AS "created",
               CASE WHEN "span"."last" + 1 < $n THEN $times["span"."last" + 2] END AS "deleted",
               CAST(NULL AS BIGINT) AS "superceded_id",
               "span"."last" + 1 = $n AS "valid"{", " + select if select else ""}
        FROM "latest" JOIN "span" USING ("id") ORDER BY "latest"."id"
    """
    return _copy(sql, {**params, "times": list(times), "n": len(times)}, dest)


def write_roots(tables: Sequence[Snapshots], times: Sequence[datetime], dest: Path) -> int:
    """Write ``roots.parquet`` from the (supervoxel, root) pairs seen in every table and version."""
    selects, params = [], {"times": list(times)}
    for k, snapshots in enumerate(tables):
        union, part = _union(snapshots, prefix=f"t{k}_")
        if not union:
            continue
        params.update(part)
        for p in bound_points(columns(snapshots)):
            sv, root = quote_ident(p + SUPERVOXEL), quote_ident(p + ROOT)
            selects.append(f'SELECT "__v", {sv} AS "sv", {root} AS "root" FROM ({union})')
    pairs = " UNION ALL ".join(selects) or 'SELECT 0 AS "__v", 0::BIGINT AS "sv", 0::BIGINT AS "root" WHERE false'
    sql = f"""
        WITH "pairs" AS (SELECT DISTINCT * FROM ({pairs}) WHERE "sv" IS NOT NULL AND "root" IS NOT NULL),
        "runs" AS (SELECT "sv", "root", min("__v") AS "first", max("__v") AS "last" FROM "pairs" GROUP BY ALL),
        "ends" AS (
            SELECT "r"."sv", "r"."root", min("p"."__v") AS "next" FROM "runs" AS "r"
            LEFT JOIN "pairs" AS "p" ON "p"."sv" = "r"."sv" AND "p"."__v" > "r"."last" AND "p"."root" <> "r"."root"
            GROUP BY ALL),
        "life" AS (
            SELECT "root", min("first") AS "first", min("next") AS "next"
            FROM "runs" JOIN "ends" USING ("sv", "root") GROUP BY ALL),
        "rows" AS (
            SELECT "e"."sv" AS "supervoxel_id", "e"."root" AS "root_id", $times["l"."first" + 1] AS "valid_from",
                   CASE WHEN "l"."next" IS NOT NULL THEN $times["l"."next" + 1] END AS "root_end"
            FROM "ends" AS "e" JOIN "life" AS "l" USING ("root")),
        "clipped" AS (
            SELECT "supervoxel_id", "root_id", "valid_from",
                   least("root_end", lead("valid_from") OVER (
                       PARTITION BY "supervoxel_id" ORDER BY "valid_from")) AS "valid_to"
            FROM "rows")
        SELECT * FROM "clipped" WHERE "valid_to" IS NULL OR "valid_to" > "valid_from"
        ORDER BY "supervoxel_id", "valid_from"
    """
    return _copy(sql, params, dest)


def _copy(sql: str, params: dict[str, object], dest: Path) -> int:
    """Write the rows of ``sql`` to ``dest`` as zstd Parquet and return how many there are.

    ``dest`` is a temporary path the caller renames; COPY cannot bind its target, hence the quoted literal.
    """
    con = new_connection()
    try:
        con.execute("SET TimeZone = 'UTC'")
        execute(con, f"COPY ({sql}) TO {quote_literal(str(dest))} (FORMAT parquet, COMPRESSION zstd)", params)
    finally:
        con.close()
    return pq.read_metadata(dest).num_rows
