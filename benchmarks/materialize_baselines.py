"""Baselines for the materialize benchmark: the same mirror in sqlite and PostgreSQL (B-tree indexes) and in pandas.

Every baseline answers the engine's question exactly: rows live at ``T`` (``created <= T`` and not
deleted by then), each point's root the one owning its supervoxel at ``T`` (half-open intervals).
The SQL is the hand-written query a user of an indexed database would run; sqlite and PostgreSQL
get the same text (only the placeholder style differs). PostgreSQL 15 keeps its defaults except
``work_mem = 256MB`` for the session (its 4 MB default makes the matrix spill to disk).
"""

from __future__ import annotations

import re
import sqlite3
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.dataset as pds

from engine.connection import load_sqlite_scanner, new_connection
from engine.files import atomic_path
from engine.sql import quote_literal

LIVE = "{a}.created <= :t AND ({a}.deleted IS NULL OR {a}.deleted > :t) AND ({a}.valid OR {a}.deleted IS NOT NULL)"
OWNER = "r.valid_from <= :t AND (r.valid_to IS NULL OR r.valid_to > :t)"
SYN_COLUMNS = (
    "s.id, s.pre_pt_position_x, s.pre_pt_position_y, s.pre_pt_position_z, s.pre_pt_supervoxel_id, {pre} AS pre_pt_root_id, "
    "s.ctr_pt_position_x, s.ctr_pt_position_y, s.ctr_pt_position_z, s.post_pt_position_x, s.post_pt_position_y, "
    "s.post_pt_position_z, s.post_pt_supervoxel_id, {post} AS post_pt_root_id, s.size"
)
ROOT_OF = "(SELECT r.root_id FROM roots r WHERE r.supervoxel_id = s.{side}_pt_supervoxel_id AND " + OWNER + ")"
SVS_OF = "(SELECT r.supervoxel_id FROM roots r WHERE r.root_id {match} AND " + OWNER + ")"

# One neuron's outgoing synapses (the per-neuron query of a client loop).
PRE_ONE = (
    f"SELECT {SYN_COLUMNS.format(pre=':root', post=ROOT_OF.format(side='post'))} FROM synapses s "
    f"WHERE s.pre_pt_supervoxel_id IN {SVS_OF.format(match='= :root')} AND {LIVE.format(a='s')} ORDER BY s.id"
)
# Many neurons in one statement: synapses whose ``side`` supervoxel belongs to one of the roots.
MANY = (
    f"SELECT {SYN_COLUMNS.format(pre=ROOT_OF.format(side='pre'), post=ROOT_OF.format(side='post'))} FROM synapses s "
    "WHERE s.{side}_pt_supervoxel_id IN " + SVS_OF.format(match="{match}") + f" AND {LIVE.format(a='s')} ORDER BY s.id"
)
CONNECTIVITY = (
    "WITH r AS (SELECT r.supervoxel_id, r.root_id FROM roots r WHERE " + OWNER + "), "
    "labels AS (SELECT r.root_id, MIN(c.cell_type) AS label FROM cell_types c "
    "JOIN r ON r.supervoxel_id = c.pt_supervoxel_id "
    "WHERE " + LIVE.format(a="c") + " AND r.root_id <> 0 GROUP BY r.root_id), "
    "syn AS (SELECT rp.root_id AS pre_root, rq.root_id AS post_root, s.size FROM synapses s "
    "JOIN r rp ON rp.supervoxel_id = s.pre_pt_supervoxel_id JOIN r rq ON rq.supervoxel_id = s.post_pt_supervoxel_id "
    "WHERE " + LIVE.format(a="s") + ") "
    "SELECT lp.label AS pre_cell_type, lq.label AS post_cell_type, count(*) AS n_synapses, sum(syn.size) AS sum_size "
    "FROM syn JOIN labels lp ON lp.root_id = syn.pre_root JOIN labels lq ON lq.root_id = syn.post_root "
    "WHERE syn.pre_root <> syn.post_root GROUP BY 1, 2 ORDER BY 1, 2"
)
INDEXES = (
    "CREATE INDEX syn_pre ON synapses (pre_pt_supervoxel_id)",
    "CREATE INDEX syn_post ON synapses (post_pt_supervoxel_id)",
    "CREATE INDEX roots_sv ON roots (supervoxel_id, valid_from)",
    "CREATE INDEX roots_root ON roots (root_id)",
    "CREATE INDEX cells_sv ON cell_types (pt_supervoxel_id)",
)
TABLES = {"synapses": "tables/synapses.parquet", "cell_types": "tables/cell_types.parquet",
          "roots": "segmentation/roots.parquet"}


def postgres_sql(sql: str) -> str:
    """``:name`` placeholders -> psycopg's ``%(name)s``."""
    return re.sub(r":([a-z]+[0-9]*)", r"%(\1)s", sql)


def many(side: str, roots: list[int], postgres: bool) -> tuple[str, dict[str, Any]]:
    """The one-statement query for ``roots`` on ``side``: an array parameter (PostgreSQL) or an IN list (sqlite)."""
    if postgres:
        return postgres_sql(MANY.format(side=side, match="= ANY(:roots)")), {"roots": roots}
    marks = ", ".join(f":r{i}" for i in range(len(roots)))
    return MANY.format(side=side, match=f"IN ({marks})"), {f"r{i}": r for i, r in enumerate(roots)}


def _source(stack: Path, table: str) -> str:
    path = stack / TABLES[table]
    files = sorted(path.rglob("*.parquet")) if path.is_dir() else [path]
    return "read_parquet([" + ", ".join(quote_literal(str(f)) for f in files) + "])"


def _select(table: str, micros: bool) -> str:
    """Columns to copy; timestamps as int microseconds for sqlite (it has no timestamp type)."""
    stamps = {"synapses": ("created", "deleted"), "cell_types": ("created", "deleted"), "roots": ("valid_from", "valid_to")}
    if not micros:
        return "*"
    return "* REPLACE (" + ", ".join(f"epoch_us({c}) AS {c}" for c in stamps[table]) + ")"


def build_sqlite(stack: Path, dest: Path) -> Path:
    """The mirror's synapses, cell types and roots in one indexed sqlite file (built once, atomically)."""
    if dest.exists():
        return dest
    with atomic_path(dest) as tmp:
        tmp.unlink()
        con = new_connection()
        load_sqlite_scanner(con)
        con.execute(f"ATTACH {quote_literal(str(tmp))} AS lite (TYPE sqlite)")
        for table in TABLES:
            con.execute(f"CREATE TABLE lite.{table} AS SELECT {_select(table, True)} FROM {_source(stack, table)}")
        con.close()
        lite = sqlite3.connect(tmp)
        for statement in INDEXES:
            lite.execute(statement)
        lite.execute("ANALYZE")
        lite.commit()
        lite.close()
    return dest


def postgres(stack: Path, schema: str, scratch: Path) -> Any | None:
    """A psycopg connection on ``schema`` holding the same tables (loaded once), or None if unreachable."""
    try:
        import psycopg
    except ImportError:
        print("PostgreSQL baseline not measured: psycopg is not installed (pip install 'psycopg[binary]')",
              file=sys.stderr)
        return None
    try:
        conn = psycopg.connect("host=127.0.0.1 port=5432 dbname=test user=postgres", connect_timeout=3, autocommit=True)
    except psycopg.OperationalError as exc:
        print(f"PostgreSQL baseline not measured: 127.0.0.1:5432 unreachable ({str(exc).strip()})", file=sys.stderr)
        return None
    stamp = f"{(stack / 'datastack.json').stat().st_mtime_ns}"
    loaded = conn.execute("SELECT to_regclass(%s)", (f"{schema}._meta",)).fetchone()[0]
    if not loaded or conn.execute(f"SELECT stamp FROM {schema}._meta").fetchone()[0] != stamp:
        _load_postgres(conn, stack, schema, scratch, stamp)
    conn.execute(f"SET search_path TO {schema}")
    conn.execute("SET work_mem = '256MB'")
    return conn


def _load_postgres(conn: Any, stack: Path, schema: str, scratch: Path, stamp: str) -> None:
    print(f"loading the mirror into PostgreSQL schema {schema} ...", file=sys.stderr, flush=True)
    conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
    conn.execute(f"CREATE SCHEMA {schema}")
    duck = new_connection()
    for table in TABLES:
        csv = scratch / f"{table}.csv"
        csv.parent.mkdir(parents=True, exist_ok=True)
        relation = duck.sql(f"SELECT * FROM {_source(stack, table)}")
        columns = ", ".join(f"{n} {_pg_type(str(t))}" for n, t in zip(relation.columns, relation.types))
        conn.execute(f"CREATE TABLE {schema}.{table} ({columns})")
        duck.execute(f"COPY (SELECT * FROM {_source(stack, table)}) TO {quote_literal(str(csv))} (HEADER)")
        with conn.cursor() as cur, cur.copy(f"COPY {schema}.{table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            with open(csv, "rb") as fh:
                while chunk := fh.read(1 << 22):
                    copy.write(chunk)
        csv.unlink()
    for statement in INDEXES:
        conn.execute(statement.replace(" ON ", f" ON {schema}."))
    conn.execute(f"ANALYZE {schema}.synapses; ANALYZE {schema}.roots; ANALYZE {schema}.cell_types")
    conn.execute(f"CREATE TABLE {schema}._meta (stamp text)")
    conn.execute(f"INSERT INTO {schema}._meta VALUES (%s)", (stamp,))
    duck.close()


def _pg_type(duck_type: str) -> str:
    return {"BIGINT": "bigint", "INTEGER": "integer", "FLOAT": "real", "DOUBLE": "double precision",
            "BOOLEAN": "boolean", "VARCHAR": "text", "TIMESTAMP WITH TIME ZONE": "timestamptz"}[duck_type]


class PandasMirror:
    """The mirror loaded into pandas once; each question recomputes the state at ``T`` like a notebook would."""

    def __init__(self, stack: Path) -> None:
        read = {t: pds.dataset(stack / p, format="parquet").to_table().to_pandas() for t, p in TABLES.items()}
        self.syn, self.cells, self.roots = read["synapses"], read["cell_types"], read["roots"]

    def owner(self, t: datetime) -> pd.Series:
        r = self.roots
        live = (r.valid_from <= t) & (r.valid_to.isna() | (r.valid_to > t))
        return pd.Series(r.root_id.to_numpy()[live.to_numpy()], index=r.supervoxel_id.to_numpy()[live.to_numpy()])

    def _live(self, frame: pd.DataFrame, t: datetime) -> pd.Series:
        return (frame.created <= t) & (frame.deleted.isna() | (frame.deleted > t)) & (frame.valid | frame.deleted.notna())

    def synapses_of(self, roots: list[int], t: datetime, side: str) -> pd.DataFrame:
        """Synapses whose ``side`` ("pre"/"post") root at ``t`` is one of ``roots``, both root ids attached."""
        owner = self.owner(t)
        svs = owner.index.to_numpy()[np.isin(owner.to_numpy(), roots)]
        hit = self.syn[self._live(self.syn, t) & self.syn[f"{side}_pt_supervoxel_id"].isin(svs)].copy()
        for s in ("pre", "post"):
            hit[f"{s}_pt_root_id"] = hit[f"{s}_pt_supervoxel_id"].map(owner)
        return hit.sort_values("id")

    def connectivity(self, t: datetime) -> pd.DataFrame:
        owner = self.owner(t)
        cells = self.cells[self._live(self.cells, t)]
        label = cells.assign(root=cells.pt_supervoxel_id.map(owner)).query("root != 0").groupby("root").cell_type.min()
        syn = self.syn[self._live(self.syn, t)]
        pre, post = syn.pre_pt_supervoxel_id.map(owner), syn.post_pt_supervoxel_id.map(owner)
        frame = pd.DataFrame({"pre": pre.map(label), "post": post.map(label), "size": syn["size"]})[pre != post]
        return frame.dropna(subset=["pre", "post"]).groupby(["pre", "post"]).agg(
            n_synapses=("size", "size"), sum_size=("size", "sum")).reset_index()
