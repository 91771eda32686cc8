"""DuckDB connections: offline extensions, one cursor per thread, re-opened after ``fork``.

DuckDB connections must not be shared across threads without a cursor each, and must never be
used in a forked child. ``Connector`` hands every thread its own cursor and notices a new
process id, rebuilding the database from the source's setup function in the child.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import duckdb

from .errors import QueryError

Setup = Callable[[duckdb.DuckDBPyConnection], None]

# Connections inherited from a parent process: never used, never closed (closing could
# touch state owned by the parent's threads), only kept alive.
_abandoned: list[duckdb.DuckDBPyConnection] = []


def new_connection(database: str = ":memory:", *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never scans Python variables by name and caches Parquet footers."""
    con = duckdb.connect(database, read_only=read_only, config={"python_enable_replacements": False})
    # Parquet footers are cached: mirrors are immutable (replaced only by atomic rename).
    con.execute("SET parquet_metadata_cache = true")
    return con


def execute(cursor: duckdb.DuckDBPyConnection, sql: str, params: object = None) -> duckdb.DuckDBPyConnection:
    """Run one statement, turning DuckDB's exceptions into a one-line ``QueryError``."""
    try:
        return cursor.execute(sql, params or None)
    except duckdb.Error as exc:
        raise QueryError(f"query failed: {str(exc).splitlines()[0]}") from None


def load_sqlite_scanner(con: duckdb.DuckDBPyConnection) -> None:
    """Load the sqlite scanner from the ``duckdb-extension-sqlite-scanner`` wheel (no network)."""
    import duckdb_extensions

    duckdb_extensions.import_extension("sqlite_scanner", con=con)


class Connector:
    """A DuckDB database prepared by ``setup``; ``cursor()`` is per thread and per process.

    ``per_cursor`` runs once on every new cursor (used to register in-memory Arrow tables,
    which DuckDB keeps per connection).
    """

    def __init__(
        self,
        setup: Setup,
        per_cursor: Setup | None = None,
        prepared: duckdb.DuckDBPyConnection | None = None,
    ) -> None:
        self._setup = setup
        self._per_cursor = per_cursor
        self._lock = threading.Lock()
        self._root = prepared
        self._pid: int | None = os.getpid() if prepared is not None else None
        self._local = threading.local()
        self._generation = 0

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor, opening (or re-opening after fork) the database first."""
        root = self._ensure_root()
        local = self._local
        if getattr(local, "key", None) != (self._pid, self._generation):
            cur = root.cursor()
            if self._per_cursor is not None:
                self._per_cursor(cur)
            local.cursor = cur
            local.key = (self._pid, self._generation)
        return local.cursor

    def close(self) -> None:
        with self._lock:
            if self._root is not None and self._pid == os.getpid():
                self._root.close()
            self._root = None
            self._generation += 1

    def _ensure_root(self) -> duckdb.DuckDBPyConnection:
        pid = os.getpid()
        if self._root is not None and self._pid == pid:
            return self._root
        with self._lock:
            if self._root is not None and self._pid != pid:
                _abandoned.append(self._root)
                self._root = None
                self._local = threading.local()
            if self._root is None:
                root = new_connection()
                self._setup(root)
                self._root, self._pid = root, pid
                self._generation += 1
            return self._root
