"""The export catalog: which analyses of which paper read which restricted tables, and what was exported.

A small WAL sqlite file (by default ``.engine-exports.sqlite`` next to the dataset) plus a
directory of Parquet key files (``<catalog>.keys/``) for big in-lists. Tables:

- ``export_selection(export_id, paper_id, analysis_id, engine_version, time)``, unique per
  (paper, analysis): one logging session; starting the same analysis again resumes its id.
- ``selection_table(export_id, table_id, source, table_name, restriction)``: one row per distinct
  logged restriction; ``table_id`` counts per export (the reference's is global) and duplicates
  are dropped per export (the reference's dedup cache was keyed by table only).
- ``selection_file(export_id, source, path)``: external files the read rows reference.
- ``export(export_id, paper_id, ...)`` with ``export_table`` / ``export_file``: the last bundle
  built for a paper, stored under its newest export id (older ones are replaced).

Each thread writes through its own connection, so concurrent analyses never share one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import BadInputError
from ..filters.ir import Node
from .restrictions import KeyStore, dumps, loads
from .sources import SourceRef

ENV = "ENGINE_EXPORT_CATALOG"
FILE_NAME = ".engine-exports.sqlite"

SCHEMA = """
CREATE TABLE IF NOT EXISTS export_selection (
    export_id INTEGER PRIMARY KEY AUTOINCREMENT,
    paper_id TEXT NOT NULL,
    analysis_id TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    time TEXT NOT NULL,
    UNIQUE (paper_id, analysis_id)
);
CREATE TABLE IF NOT EXISTS selection_table (
    export_id INTEGER NOT NULL REFERENCES export_selection (export_id) ON DELETE CASCADE,
    table_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    table_name TEXT NOT NULL,
    restriction TEXT NOT NULL,
    PRIMARY KEY (export_id, table_id),
    UNIQUE (export_id, source, table_name, restriction)
);
CREATE TABLE IF NOT EXISTS selection_file (
    export_id INTEGER NOT NULL REFERENCES export_selection (export_id) ON DELETE CASCADE,
    source TEXT NOT NULL,
    path TEXT NOT NULL,
    PRIMARY KEY (export_id, source, path)
);
CREATE TABLE IF NOT EXISTS export (
    export_id INTEGER PRIMARY KEY REFERENCES export_selection (export_id) ON DELETE CASCADE,
    paper_id TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    time TEXT NOT NULL,
    dest TEXT NOT NULL,
    manifest_sha256 TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS export_table (
    export_id INTEGER NOT NULL REFERENCES export (export_id) ON DELETE CASCADE,
    table_id INTEGER NOT NULL,
    source TEXT NOT NULL,
    table_name TEXT NOT NULL,
    restriction TEXT,
    rows INTEGER NOT NULL,
    PRIMARY KEY (export_id, table_id),
    UNIQUE (export_id, source, table_name)
);
CREATE TABLE IF NOT EXISTS export_file (
    export_id INTEGER NOT NULL REFERENCES export (export_id) ON DELETE CASCADE,
    file_id INTEGER NOT NULL,
    path TEXT NOT NULL,
    bytes INTEGER,
    sha256 TEXT,
    PRIMARY KEY (export_id, file_id)
);
"""


@dataclass(frozen=True)
class Selection:
    """One logged analysis of a paper."""

    export_id: int
    paper_id: str
    analysis_id: str
    engine_version: str
    time: str


@dataclass(frozen=True)
class Logged:
    """One logged restriction: which analysis, which source and table, and the IR."""

    analysis_id: str
    source: SourceRef
    table: str
    restriction: Node
    text: str


class ExportCatalog:
    """The catalog file at ``path``; use ``open_catalog`` to share one instance per file."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path).expanduser().resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.keys = KeyStore(self.path.with_name(self.path.name + ".keys"))
        self._local = threading.local()
        self._connection().executescript(SCHEMA)  # idempotent; executescript commits on its own

    def __repr__(self) -> str:
        return f"<ExportCatalog {self.path}>"

    # -- connections ------------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after ``fork``)."""
        key = (os.getpid(), threading.get_ident())
        if getattr(self._local, "key", None) != key:
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA foreign_keys=ON")
            con.execute("PRAGMA busy_timeout=30000")
            self._local.con, self._local.key = con, key
        return self._local.con

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT``: writers queue on the file lock instead of failing later."""
        con = self._connection()
        con.execute("BEGIN IMMEDIATE")
        try:
            yield con
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._connection().execute(sql, params).fetchall()

    # -- logging ----------------------------------------------------------------------------------

    def begin(self, paper_id: str, analysis_id: str) -> tuple[int, bool]:
        """The export id of (paper, analysis) and whether it was resumed (what it logged before is kept).

        Resuming makes a bundle built earlier for the paper stale, so its catalog record goes
        (the bundle directory itself is left alone).
        """
        for name, value in (("paper_id", paper_id), ("analysis_id", analysis_id)):
            if not isinstance(value, str) or not value.strip():
                raise BadInputError(f"{name} must be a non-empty string, got {value!r}")
        with self._transaction() as con:
            row = con.execute("SELECT export_id FROM export_selection WHERE paper_id = ? AND analysis_id = ?",
                              (paper_id, analysis_id)).fetchone()
            if row is None:
                cur = con.execute(
                    "INSERT INTO export_selection (paper_id, analysis_id, engine_version, time) VALUES (?, ?, ?, ?)",
                    (paper_id, analysis_id, __version__, _now()))
                return int(cur.lastrowid), False
            con.execute("DELETE FROM export WHERE paper_id = ?", (paper_id,))
            return int(row[0]), True

    def add_restriction(self, export_id: int, source: SourceRef, table: str, restriction: Node) -> bool:
        """Log one restriction (big in-lists go to key files); False if this export already had it."""
        text = dumps(restriction, self.keys)
        with self._transaction() as con:
            (next_id,) = con.execute("SELECT coalesce(max(table_id) + 1, 0) FROM selection_table WHERE export_id = ?",
                                     (export_id,)).fetchone()
            cur = con.execute(
                "INSERT OR IGNORE INTO selection_table (export_id, table_id, source, table_name, restriction) "
                "VALUES (?, ?, ?, ?, ?)", (export_id, next_id, source.key(), table, text))
            return cur.rowcount == 1

    def add_files(self, export_id: int, source: SourceRef, paths: Sequence[str]) -> None:
        with self._transaction() as con:
            con.executemany("INSERT OR IGNORE INTO selection_file (export_id, source, path) VALUES (?, ?, ?)",
                            [(export_id, source.key(), str(p)) for p in paths])

    # -- reading the log --------------------------------------------------------------------------

    def selections(self, paper_id: str, analysis_id: str | None = None) -> list[Selection]:
        """The logged analyses of ``paper_id`` (one, with ``analysis_id``), oldest first."""
        sql = "SELECT export_id, paper_id, analysis_id, engine_version, time FROM export_selection WHERE paper_id = ?"
        params: list[Any] = [paper_id]
        if analysis_id is not None:
            sql += " AND analysis_id = ?"
            params.append(analysis_id)
        return [Selection(*row) for row in self._rows(sql + " ORDER BY export_id", params)]

    def papers(self) -> list[str]:
        return [row[0] for row in self._rows("SELECT DISTINCT paper_id FROM export_selection ORDER BY 1")]

    def restrictions(self, paper_id: str, analysis_id: str | None = None) -> list[Logged]:
        """Every logged restriction of the paper (or of one analysis), in logging order."""
        sql = ("SELECT s.analysis_id, t.source, t.table_name, t.restriction FROM selection_table AS t "
               "JOIN export_selection AS s USING (export_id) WHERE s.paper_id = ?")
        params: list[Any] = [paper_id]
        if analysis_id is not None:
            sql += " AND s.analysis_id = ?"
            params.append(analysis_id)
        rows = self._rows(sql + " ORDER BY t.export_id, t.table_id", params)
        return [Logged(a, SourceRef.from_key(s), t, loads(r, self.keys), r) for a, s, t, r in rows]

    def list_file_paths(self, paper_id: str, analysis_id: str | None = None) -> list[str]:
        """External files (e.g. NWB paths) referenced by the rows the paper's analyses read, sorted."""
        sql = ("SELECT DISTINCT f.path FROM selection_file AS f JOIN export_selection AS s USING (export_id) "
               "WHERE s.paper_id = ?")
        params: list[Any] = [paper_id]
        if analysis_id is not None:
            sql += " AND s.analysis_id = ?"
            params.append(analysis_id)
        return [row[0] for row in self._rows(sql + " ORDER BY 1", params)]

    def paper_export_id(self, paper_id: str, return_all: bool = False) -> int | list[int] | None:
        """The newest export id of the paper (the one its bundle is stored under); all of them with ``return_all``."""
        ids = [s.export_id for s in self.selections(paper_id)]
        if return_all:
            return ids
        return max(ids) if ids else None

    def preview_tables(self, paper_id: str, analysis_id: str | None = None) -> dict[str, Any]:
        """Lazy ``Result``s of each logged table with its restrictions OR-merged (before the cascade).

        Keys are table names, prefixed ``<source>/`` when the paper read several sources.
        """
        from .preview import preview

        return preview(self.restrictions(paper_id, analysis_id))

    # -- exports ----------------------------------------------------------------------------------

    def record_export(self, export_id: int, paper_id: str, dest: Path, manifest: dict[str, Any],
                      manifest_sha256: str) -> None:
        """Store the bundle just built under ``export_id`` and drop the paper's older export records."""
        tables = [(source["key"], name, entry) for source in manifest["sources"]
                  for name, entry in source["tables"].items()]
        files = manifest["external_files"]
        with self._transaction() as con:
            con.execute("DELETE FROM export WHERE paper_id = ?", (paper_id,))
            con.execute("INSERT INTO export (export_id, paper_id, engine_version, time, dest, manifest_sha256) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (export_id, paper_id, __version__, _now(), str(dest), manifest_sha256))
            con.executemany(
                "INSERT INTO export_table (export_id, table_id, source, table_name, restriction, rows) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(export_id, i, key, name, json.dumps(entry["restrictions"]) if entry["restrictions"] else None,
                  entry["rows"]) for i, (key, name, entry) in enumerate(tables)])
            con.executemany(
                "INSERT INTO export_file (export_id, file_id, path, bytes, sha256) VALUES (?, ?, ?, ?, ?)",
                [(export_id, i, f["path"], f["bytes"], f["sha256"]) for i, f in enumerate(files)])

    def exports(self) -> list[dict[str, Any]]:
        """One record per paper with a bundle: export id, paper, destination, time."""
        rows = self._rows("SELECT export_id, paper_id, dest, time, manifest_sha256 FROM export ORDER BY paper_id")
        return [dict(zip(("export_id", "paper_id", "dest", "time", "manifest_sha256"), r)) for r in rows]


_open: dict[Path, ExportCatalog] = {}
_open_lock = threading.Lock()


def open_catalog(path: str | os.PathLike[str] | ExportCatalog) -> ExportCatalog:
    """The shared ``ExportCatalog`` for ``path`` (created on first use)."""
    if isinstance(path, ExportCatalog):
        return path
    resolved = Path(path).expanduser().resolve()
    with _open_lock:
        if resolved not in _open:
            _open[resolved] = ExportCatalog(resolved)
        return _open[resolved]


def resolve_catalog(catalog: str | os.PathLike[str] | ExportCatalog | None = None,
                    beside: str | os.PathLike[str] | None = None) -> ExportCatalog:
    """The catalog to use: ``catalog``, else ``$ENGINE_EXPORT_CATALOG``, else one next to ``beside`` (a dataset)."""
    if catalog is not None:
        return open_catalog(catalog)
    if os.environ.get(ENV):
        return open_catalog(os.environ[ENV])
    if beside is not None:
        return open_catalog(Path(beside).expanduser().resolve().parent / FILE_NAME)
    raise BadInputError(f"no export catalog: pass catalog=PATH (CLI: --catalog) or set {ENV}")


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
