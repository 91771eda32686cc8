"""The file behind an ``ExperimentLog``: opening it, upgrading its layout, transactions, typed row access.

One sqlite connection per process in autocommit mode; transactions are explicit
(``session_scope``), so a single record outside a scope is one commit, as in the reference.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

import numpy as np

from ..errors import BadInputError, EngineError, IntegrityError, SchemaVersionError, UnknownNameError
from ..sql import quote_ident
from . import upgrade
from .layout import INDEXES, LAYOUT_VERSION, TABLES, FileLayout, create_index_sql, create_table_sql
from .records import MasterRecord, RawRecord, Record
from .sqlite import DEFAULT_TIMEOUT, open_sqlite, sqlite_errors
from .writes import insert

if TYPE_CHECKING:
    from ..dataset import Dataset

R = TypeVar("R", bound=Record)
PathLike = str | os.PathLike[str]


class LogStore:
    """Connection, layout and transaction handling shared by every ``ExperimentLog`` operation."""

    def __init__(
        self,
        path: PathLike,
        *,
        read_only: bool = False,
        update: bool = True,
        allow_pickle: bool = False,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise BadInputError(f"ExperimentLog needs a file path, not {type(path).__name__}")
        self.path = Path(path).expanduser()
        self.read_only = bool(read_only)
        self.allow_pickle = bool(allow_pickle)
        self._pid = os.getpid()
        self._depth = 0
        self._dataset: Dataset | None = None
        self._pending: list[upgrade.Step] = []
        self._con: sqlite3.Connection | None = open_sqlite(self.path, read_only=self.read_only, timeout=timeout)
        try:
            self._pending = self._open(update)
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "writable"
        return f"<{type(self).__name__} {self.path} ({mode})>"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the sqlite connection and the DuckDB connection used for analytics."""
        if self._dataset is not None:
            self._dataset.close()
            self._dataset = None
        if self._con is not None and self._pid == os.getpid():
            self._con.close()
        self._con = None

    def delete_db(self) -> None:
        """Close and delete the file (with its WAL and shared-memory files)."""
        self.close()
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)

    # -- layout -------------------------------------------------------------------------------

    def is_update_required(self) -> bool:
        """Whether the file has an older layout from the reference's history."""
        return bool(upgrade.pending(self._raw()))

    def perform_updates(self) -> list[str]:
        """Upgrade an older layout in one transaction; returns what was done (empty if current).

        Rebuilding trials from tell messages reads the reference's pickles: it needs ``allow_pickle``.
        """
        if self.read_only:
            raise BadInputError(f"{self.path} was opened read_only; open it writable to upgrade it")
        if self._depth:
            raise BadInputError("perform_updates() cannot run inside session_scope()")
        con = self._raw()
        with sqlite_errors(self.path):
            con.execute("PRAGMA foreign_keys=OFF")  # rebuilding master must not cascade to children
            try:
                con.execute("BEGIN IMMEDIATE")
                try:
                    notes = upgrade.run(con, allow_pickle=self.allow_pickle)
                    self._finish_layout(con)
                    con.execute("COMMIT")
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
            finally:
                con.execute("PRAGMA foreign_keys=ON")
        self._pending = []
        return notes

    def _open(self, update: bool) -> list[upgrade.Step]:
        con = self._raw()
        with sqlite_errors(self.path):
            layout = FileLayout.read(con)
            layout.check(self.path)
            if layout.is_empty:
                if self.read_only:
                    raise SchemaVersionError(f"{self.path} is an empty sqlite file, not an experiment log")
                with self.session_scope():
                    for table in TABLES:
                        con.execute(create_table_sql(table))
                    self._finish_layout(con)
                return []
        steps = upgrade.pending(con)
        if steps and update and not self.read_only:
            self.perform_updates()
            return []
        if not steps and not self.read_only and layout.user_version < LAYOUT_VERSION:
            with self.session_scope():
                self._finish_layout(con)
        return steps

    def _finish_layout(self, con: sqlite3.Connection) -> None:
        for index in INDEXES:
            con.execute(create_index_sql(index))
        con.execute(f"PRAGMA user_version = {int(LAYOUT_VERSION)}")

    # -- transactions ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def session_scope(self) -> Iterator[Self]:
        """One transaction for a batch of records: all are committed together, or none on error.

        Nested scopes are savepoints: an error inside one undoes only that scope.
        """
        con = self._writable()
        depth = self._depth
        begin, done, undo = (
            ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK") if depth == 0
            else (f"SAVEPOINT explog_{depth}", f"RELEASE explog_{depth}", f"ROLLBACK TO explog_{depth}")
        )
        with sqlite_errors(self.path):
            con.execute(begin)
        self._depth += 1
        try:
            yield self
            with sqlite_errors(self.path):
                con.execute(done)
        except BaseException:
            if self._con is not None and con.in_transaction:
                con.execute(undo)
                if depth:
                    con.execute(done)
            raise
        finally:
            self._depth = depth

    def execute_sql_query(self, query: str, vals: Mapping[str, Any] | Sequence[Any] | None = None) -> list[tuple]:
        """Run one SQL statement on the sqlite file with ``vals`` bound (``:name`` or ``?``), never formatted in."""
        if not isinstance(query, str) or not query.strip():
            raise BadInputError("execute_sql_query needs a non-empty SQL string")
        if vals is None:
            vals = ()
        elif isinstance(vals, (str, bytes)) or not isinstance(vals, (Mapping, Sequence)):
            raise BadInputError(f"vals must be a mapping (for :name) or a sequence (for ?), not {type(vals).__name__}")
        con = self._connection()
        with sqlite_errors(self.path, user_query=True):
            return con.execute(query, vals).fetchall()

    def dataset(self) -> Dataset:
        """The file attached read-only in DuckDB (what the analytics query); sees committed data only."""
        from ..dataset import connect

        self._connection()
        if self._dataset is None:
            self._dataset = connect(self.path)
        return self._dataset

    def master_ids(self) -> list[int]:
        """Every master id (experiment), ascending."""
        return [r[0] for r in self._rows("SELECT unique_id FROM master ORDER BY unique_id")]

    # -- internals ----------------------------------------------------------------------------

    def _raw(self) -> sqlite3.Connection:
        if self._con is None:
            raise BadInputError(f"{self!r} is closed")
        if self._pid != os.getpid():
            raise EngineError("an ExperimentLog cannot cross a fork; open a new one in each process")
        return self._con

    def _connection(self) -> sqlite3.Connection:
        """The connection, once the file has the current layout."""
        if self._pending:
            names = "; ".join(step.description for step in self._pending)
            hint = "run `engine explog update FILE`" if self.read_only else "call perform_updates()"
            raise SchemaVersionError(f"{self.path} has an older layout ({names}); {hint} first")
        return self._raw()

    def _writable(self) -> sqlite3.Connection:
        if self.read_only:
            raise BadInputError(f"{self.path} was opened read_only; open it without read_only=True to record")
        return self._connection()

    def _rows(self, sql: str, *params: Any) -> list[tuple]:
        with sqlite_errors(self.path):
            return self._connection().execute(sql, params).fetchall()

    def _select(self, cls: type[R], where: str, *params: Any) -> list[R]:
        cols = ", ".join(quote_ident(f.name) for f in fields(cls))
        rows = self._rows(f"SELECT {cols} FROM {quote_ident(cls.TABLE)} WHERE {where} ORDER BY unique_id", *params)
        return [cls.from_row(row, self.allow_pickle) for row in rows]

    def _children(self, cls: type[R], master_id: int, iteration_id: int | None = None) -> list[R]:
        cols = ", ".join(f"c.{quote_ident(f.name)}" for f in fields(cls))
        where, params = ("r.master_table_id = ?", [master_id])
        if iteration_id is not None:
            where, params = (where + " AND r.unique_id = ?", params + [iteration_id])
        rows = self._rows(
            f"SELECT {cols} FROM {quote_ident(cls.TABLE)} c JOIN raw_data r ON r.unique_id = c.iteration_id "
            f"WHERE {where} ORDER BY c.iteration_id, c.unique_id", *params)
        return [cls.from_row(row, self.allow_pickle) for row in rows]

    def _insert(self, table: str, values: dict[str, Any], parent_kind: str, parent_id: int) -> int:
        con = self._writable()
        with sqlite_errors(self.path), self._unknown_parent(parent_kind, parent_id):
            return insert(con, table, values)

    @contextlib.contextmanager
    def _unknown_parent(self, kind: str, parent_id: int) -> Iterator[None]:
        try:
            yield
        except sqlite3.IntegrityError as exc:
            if "FOREIGN KEY" in str(exc):
                raise self._unknown(kind, parent_id) from None
            raise IntegrityError(f"{self.path}: {exc}") from None

    def _unknown(self, kind: str, name: Any) -> UnknownNameError:
        if kind == "experiment":
            ids = self.master_ids()
        else:  # an error path: the most recent trials are enough to orient the caller
            ids = [i for (i,) in self._rows("SELECT unique_id FROM raw_data ORDER BY unique_id DESC LIMIT 1000")]
        return UnknownNameError(kind, name, (str(i) for i in ids), where=f"experiment log {self.path.name}")

    def _master_id(self, value: Any) -> int:
        return _id(value, MasterRecord, "an experiment (a MasterRecord or a master id)")

    def _iteration_id(self, value: Any) -> int:
        return _id(value, RawRecord, "a trial (a RawRecord or an iteration id)")

    def _known_master(self, master_id: Any) -> int:
        uid = self._master_id(master_id)
        if not self._rows("SELECT 1 FROM master WHERE unique_id = ?", uid):
            raise self._unknown("experiment", uid)
        return uid

    def _known_iteration(self, master_id: int, iteration_id: Any) -> int:
        uid = self._iteration_id(iteration_id)
        if not self._rows("SELECT 1 FROM raw_data WHERE unique_id = ? AND master_table_id = ?", uid, master_id):
            ids = self._rows("SELECT unique_id FROM raw_data WHERE master_table_id = ? ORDER BY unique_id", master_id)
            raise UnknownNameError("iteration", uid, (str(i) for (i,) in ids), where=f"experiment {master_id}")
        return uid


def _id(value: Any, cls: type, what: str) -> int:
    if isinstance(value, cls):
        return value.unique_id
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    raise BadInputError(f"expected {what}, got {type(value).__name__} {value!r:.60}")
