"""Key relations: large value lists travel as Arrow tables registered on the cursor, never as SQL text.

Up to ``KEY_TABLE_MIN_VALUES`` values, a list is one list parameter (``col = ANY($p0)``, which
DuckDB 1.5.5 plans as a hash semi join); above it, converting the Python list to a DuckDB
value costs more than registering an Arrow table and joining it (see docs/filters.md for the
measured crossover). A statement that uses registered tables must run through
``relation_result``, whose cursor registers them before every execution.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from ..result import Result
from ..sql import Compiled, ParamNames, quote_ident

if TYPE_CHECKING:
    from ..dataset import Dataset

KEY_TABLE_MIN_VALUES = 1_000  # measured crossover on duckdb 1.5.5, see docs/filters.md


class Relations:
    """The Arrow tables one statement reads, by name (``__engine_keys_0``, ...)."""

    prefix = "__engine_keys_"

    def __init__(self) -> None:
        self.tables: dict[str, pa.Table] = {}

    def add(self, table: pa.Table) -> str:
        """Register ``table`` for the statement and return its quoted name."""
        name = f"{self.prefix}{len(self.tables)}"
        self.tables[name] = table
        return quote_ident(name)


def key_array(values: Sequence[Any], arrow_type: pa.DataType | None) -> pa.Array:
    """``values`` as an Arrow array of the column's type (so the join needs no cast)."""
    if arrow_type is not None and pa.types.is_dictionary(arrow_type):
        arrow_type = arrow_type.value_type
    if arrow_type is not None and not pa.types.is_null(arrow_type):
        try:
            return pa.array(values, type=arrow_type)
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            pass  # e.g. Decimal bounds on a float column: let Arrow infer
    return pa.array(values)


def key_source(
    columns: Mapping[str, pa.Array], names: ParamNames, relations: Relations | None, *, force: bool = False
) -> str:
    """SQL for a relation with ``columns``: a registered table when large (or ``force``), else unnested lists."""
    rows = len(next(iter(columns.values())))
    if relations is not None and (force or rows >= KEY_TABLE_MIN_VALUES):
        return relations.add(pa.table(dict(columns)))
    unnested = ", ".join(f"unnest({names.bind(arr.to_pylist())}) AS {quote_ident(c)}" for c, arr in columns.items())
    return f"(SELECT {unnested})"


class Registering:
    """A connector whose cursors see ``tables``: registered again before each query (the names are reused).

    A table may be given as a function that returns it, called when a cursor is needed.
    """

    def __init__(self, dataset: Dataset, tables: Mapping[str, pa.Table | Callable[[], pa.Table]]) -> None:
        self._dataset = dataset
        self._tables = dict(tables)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = self._dataset.cursor()
        for name, table in self._tables.items():
            cur.register(name, table if isinstance(table, pa.Table) else table())
        return cur


def relation_result(
    dataset: Dataset, compiled: Compiled, relations: Relations | None, cls: type[Result] = Result, **kwargs: Any
) -> Result:
    """A lazy ``cls`` result for ``compiled`` whose cursor sees the statement's key relations."""
    base = dataset.result(compiled)
    if cls is Result and not (relations and relations.tables):
        return base
    connector = Registering(dataset, relations.tables if relations else {})
    return cls(connector, compiled, encodings=base.encodings, **kwargs)  # type: ignore[arg-type]
