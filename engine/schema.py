"""Table schemas: the only way a user-supplied name becomes a SQL identifier.

``TableSchema.column(name)`` validates a column name (raising ``UnknownColumnError`` with a
did-you-mean hint) and ``TableSchema.ident(name)`` returns it quoted for SQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from .errors import UnknownColumnError, UnknownTableError
from .sql import quote_ident


@dataclass(frozen=True, slots=True)
class Column:
    """One column: name, Arrow type, nullability and an optional storage encoding.

    ``encoding`` is ``"npy"`` for BLOBs holding ``.npy`` files and ``"json"`` for JSON text.
    """

    name: str
    type: pa.DataType
    nullable: bool = True
    encoding: str | None = None


@dataclass(frozen=True, slots=True)
class ForeignKey:
    """``table.column`` references ``ref_table.ref_column``."""

    column: str
    ref_table: str
    ref_column: str = "id"


@dataclass(frozen=True)
class TableSchema:
    """Columns and keys of one table, as the source declares them."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()
    _by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_name", {c.name: c for c in self.columns})

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def has(self, name: str) -> bool:
        return name in self._by_name

    def column(self, name: str) -> Column:
        """The column called ``name``; ``UnknownColumnError`` (with valid names) otherwise."""
        if not isinstance(name, str) or name not in self._by_name:
            raise UnknownColumnError(name, self.names, self.name)
        return self._by_name[name]

    def ident(self, name: str) -> str:
        """``name`` validated against this schema and quoted for SQL."""
        return quote_ident(self.column(name).name)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type, c.nullable) for c in self.columns])

    def to_json(self) -> dict[str, Any]:
        """A JSON-able description (used in mirror manifests)."""
        return {
            "columns": [
                {"name": c.name, "type": str(c.type), "nullable": c.nullable, "encoding": c.encoding}
                for c in self.columns
            ],
            "primary_key": list(self.primary_key),
            "foreign_keys": [
                {"column": k.column, "ref_table": k.ref_table, "ref_column": k.ref_column}
                for k in self.foreign_keys
            ],
        }

    @classmethod
    def from_arrow(
        cls,
        name: str,
        schema: pa.Schema,
        *,
        primary_key: Iterable[str] = (),
        foreign_keys: Iterable[ForeignKey] = (),
        encodings: Mapping[str, str] | None = None,
    ) -> TableSchema:
        encodings = encodings or {}
        columns = tuple(
            Column(f.name, f.type, f.nullable, encodings.get(f.name)) for f in schema
        )
        return cls(name, columns, tuple(primary_key), tuple(foreign_keys))


class Catalog(Mapping[str, TableSchema]):
    """The tables of a dataset by name; lookups of unknown tables raise ``UnknownTableError``."""

    def __init__(self, tables: Iterable[TableSchema], where: str = "") -> None:
        self._tables = {t.name: t for t in tables}
        self._where = where

    def __getitem__(self, name: str) -> TableSchema:
        if not isinstance(name, str) or name not in self._tables:
            raise UnknownTableError(name, self._tables, self._where)
        return self._tables[name]

    def __iter__(self):
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)
