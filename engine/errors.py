"""One error tree for the whole engine: every user-facing failure is an ``EngineError``.

Subclasses also inherit the matching builtin (``ValueError``, ``LookupError``, ``OSError``) so
callers that catch builtins keep working. Messages name the problem and the valid choices.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class EngineError(Exception):
    """Root of every error the engine raises on purpose."""


class BadInputError(EngineError, ValueError):
    """An argument has the wrong type, shape or value."""


class BadFilterError(BadInputError):
    """A filter dict, range, bbox or expression cannot be compiled."""


class UnknownNameError(EngineError, LookupError):
    """A named thing (table, column, version, datastack, ...) does not exist.

    ``kind`` says what was looked up, ``name`` what was asked for and ``choices`` what exists.
    """

    def __init__(self, kind: str, name: object, choices: Iterable[str], where: str = "") -> None:
        self.kind = kind
        self.name = name
        self.choices = sorted(str(c) for c in choices)
        self.where = where
        super().__init__(_unknown_message(kind, name, self.choices, where))

    def __str__(self) -> str:  # LookupError would repr() the message otherwise
        return self.args[0]


class UnknownTableError(UnknownNameError):
    """A table name that is not in the dataset."""

    def __init__(self, name: object, choices: Iterable[str], where: str = "") -> None:
        super().__init__("table", name, choices, where)


class UnknownColumnError(UnknownNameError):
    """A column name that the table does not have."""

    def __init__(self, name: object, choices: Iterable[str], table: str) -> None:
        self.table = table
        super().__init__("column", name, choices, f"table {table!r}")


class UnknownVersionError(UnknownNameError):
    """A release / materialization version that does not exist."""

    def __init__(self, name: object, choices: Iterable[str], where: str = "") -> None:
        super().__init__("version", name, choices, where)


class QueryError(EngineError, ValueError):
    """DuckDB rejected or failed a query; the message keeps DuckDB's first line, not its internals."""


class SchemaVersionError(EngineError, ValueError):
    """A file whose schema version or layout the engine cannot read."""


class IntegrityError(EngineError, OSError):
    """A file failed verification (size, checksum, manifest) or is incomplete."""


class DownloadError(EngineError, OSError):
    """A download failed after its retries."""


def closest(name: object, choices: Iterable[str]) -> str | None:
    """The closest valid choice to ``name``, for "did you mean" hints."""
    found = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def _unknown_message(kind: str, name: object, choices: list[str], where: str) -> str:
    place = f"{where} has no {kind}" if where else f"unknown {kind}"
    message = f"{place} {name!r}"
    hint = closest(name, choices)
    if hint is not None:
        message += f"; did you mean {hint!r}?"
    shown = ", ".join(choices[:40]) + (", ..." if len(choices) > 40 else "")
    return f"{message} (valid: {shown or 'none'})"
