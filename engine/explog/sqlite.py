"""Opening an experiment-log sqlite file for writing (WAL, durable commits) or reading, and its errors.

WAL lets one writer and any number of readers (other processes, DuckDB) work at once: readers
see the last committed transaction and never block the writer. ``synchronous=FULL`` makes every
commit durable against power loss, not only against the process being killed.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from ..errors import BadInputError, EngineError, SchemaVersionError
from ..sources.sqlite import SQLITE_MAGIC

DEFAULT_TIMEOUT = 30.0


class LockedError(EngineError, TimeoutError):
    """Another process held the write lock for longer than the timeout."""


def open_sqlite(path: Path, *, read_only: bool, timeout: float = DEFAULT_TIMEOUT) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit); WAL and foreign keys for writers."""
    _check_header(path, read_only)
    if read_only:
        con = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True, timeout=timeout, isolation_level=None)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, timeout=timeout, isolation_level=None)
    try:
        with sqlite_errors(path):
            if not read_only:
                mode = con.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                if mode != "wal":
                    raise EngineError(f"{path}: cannot switch to WAL mode (got {mode!r}); is it on a network drive?")
                con.execute("PRAGMA synchronous=FULL")
                con.execute("PRAGMA foreign_keys=ON")
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        con.close()
        raise
    return con


@contextlib.contextmanager
def sqlite_errors(path: Path, *, user_query: bool = False) -> Iterator[None]:
    """Turn sqlite's errors into engine errors that say what to do.

    With ``user_query`` any other failure is the caller's SQL (``BadInputError``); otherwise an
    operational error is the engine's and a database error means the file is not a log.
    """
    try:
        yield
    except sqlite3.Error as exc:
        text = str(exc)
        if "locked" in text or "busy" in text:
            raise LockedError(f"{path} is locked by another writer ({text}); only one process may write at a time") from None
        if "readonly" in text:
            raise BadInputError(f"{path} is read-only here ({text})") from None
        if user_query:
            raise BadInputError(f"query failed: {text}") from None
        if isinstance(exc, sqlite3.OperationalError):
            raise EngineError(f"{path}: sqlite error: {text}") from None
        if type(exc) is sqlite3.DatabaseError:  # "file is not a database", "malformed"
            raise SchemaVersionError(f"{path} is not an experiment log: {text}") from None
        raise


def _check_header(path: Path, read_only: bool) -> None:
    if not path.exists():
        if read_only:
            raise BadInputError(f"{path} does not exist (open it without read_only=True to create a new log)")
        return
    if path.is_dir():
        raise BadInputError(f"{path} is a directory, not an experiment log file")
    with open(path, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head and head != SQLITE_MAGIC:
        raise SchemaVersionError(f"{path} is not an experiment log: not a sqlite database (bad file header)")
