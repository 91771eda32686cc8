"""``db.table(name)`` / ``db.Experiment``: a table you can join along foreign keys, filter and select from.

Joins follow the foreign keys the release declares, so ``db.Experiment.join("slice")`` needs no
ON clause; filters go through the filter compiler; output columns are named ``table.column``
like the reference's dataframes.

>>> (db.Experiment.join("slice").filter(species="mouse")          # doctest: +SKIP
...     .join("cell").select("experiment.ext_id", "cell.ext_id", "cell.cre_type").df())
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import BadInputError
from ..export.synphys_reads import record_table_query
from ..filters import Col, Node, Scope, any_of, compare, equal
from ..filters import compile as compile_filter
from ..filters.statement import count_arg, limit_sql
from ..filters.values import is_listlike
from ..sql import Compiled, ParamNames, quote_ident
from .columns import parse_col

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl
    import pyarrow as pa

    from ..dataset import Dataset
    from ..result import Result


def table_name(attribute: str) -> str:
    """``CorticalCellLocation`` -> ``cortical_cell_location`` (snake_case names pass through)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", attribute).lower()


@dataclass(frozen=True)
class Join:
    """``<how> JOIN table AS alias ON alias.column = other.other_column``."""

    alias: str
    table: str
    column: str
    other: str
    other_column: str
    how: str

    def sql(self) -> str:
        a, o = quote_ident(self.alias), quote_ident(self.other)
        kind = "LEFT JOIN" if self.how == "left" else "JOIN"
        return (f"{kind} {quote_ident(self.table)} AS {a} "
                f"ON {a}.{quote_ident(self.column)} = {o}.{quote_ident(self.other_column)}")


@dataclass(frozen=True)
class TableQuery:
    """An immutable query builder; every method returns a new one and nothing runs until ``result()``."""

    dataset: Dataset
    base: str
    joins: tuple[Join, ...] = ()
    where: tuple[Node, ...] = ()
    columns: tuple[str, ...] | None = None
    order: tuple[str, ...] = ()
    limit_rows: int | None = None

    @property
    def aliases(self) -> dict[str, str]:
        """Alias -> table, base first."""
        return {self.base: self.base, **{j.alias: j.table for j in self.joins}}

    @property
    def scope(self) -> Scope:
        return Scope({a: self.dataset.schema(t) for a, t in self.aliases.items()}, qualify=True)

    def join(self, table: str, on: str | None = None, *, alias: str | None = None, how: str = "inner") -> TableQuery:
        """Join ``table`` along the one foreign key linking it to a table already here (``on`` picks the key column)."""
        if how not in ("inner", "left"):
            raise BadInputError(f"how must be 'inner' or 'left', not {how!r}")
        schema = self.dataset.schema(table_name(table))
        alias = alias or schema.name
        if alias in self.aliases:
            raise BadInputError(f"alias {alias!r} is already in the query; pass alias= to join {schema.name} again")
        links = self._links(schema.name, on)
        if len(links) != 1:
            found = ", ".join(f"{o}.{oc} = {schema.name}.{c}" for o, oc, c in links) or "none"
            raise BadInputError(
                f"cannot join {schema.name}: need exactly one foreign key to {', '.join(self.aliases)}"
                f"{f' using column {on!r}' if on else ''}; found {found}" + ("; pass on=" if len(links) > 1 else "")
            )
        other, other_column, column = links[0]
        return replace(self, joins=(*self.joins, Join(alias, schema.name, column, other, other_column, how)))

    def filter(self, *exprs: Node | tuple[str, str, Any], **equals: Any) -> TableQuery:
        """Rows matching every filter: IR nodes, ``(column, op, value)`` tuples, ``column=value`` (list: any of)."""
        nodes = [e if isinstance(e, Node) else _comparison(e) for e in exprs]
        nodes += [any_of(parse_col(k), v) if is_listlike(v) else equal(parse_col(k), v) for k, v in equals.items()]
        compile_filter(nodes, self.scope)  # fail now, at the call that named the column
        return replace(self, where=(*self.where, *nodes))

    def select(self, *columns: str) -> TableQuery:
        """Only these columns (``"table.column"`` or an unambiguous ``"column"``), named ``table.column``."""
        for c in columns:
            self.scope.resolve(parse_col(c))
        return replace(self, columns=tuple(columns))

    def order_by(self, *columns: str) -> TableQuery:
        """Sort ascending by these columns."""
        for c in columns:
            self.scope.resolve(parse_col(c))
        return replace(self, order=tuple(columns))

    def limit(self, rows: int) -> TableQuery:
        """At most ``rows`` rows (bound as a parameter)."""
        return replace(self, limit_rows=count_arg("limit", rows))

    def compiled(self) -> Compiled:
        """The statement and its parameters."""
        scope, names = self.scope, ParamNames()
        cols = [scope.resolve(parse_col(c)) for c in self.columns] if self.columns is not None else [
            (a, column) for a in scope.tables for column in scope.tables[a].columns
        ]
        select = ", ".join(f"{quote_ident(a)}.{quote_ident(c.name)} AS {quote_ident(f'{a}.{c.name}')}" for a, c in cols)
        where = compile_filter(list(self.where), scope, names=names).sql
        resolved = [scope.resolve(parse_col(c)) for c in self.order]
        order = ", ".join(scope.sql(Col(column.name, alias)) for alias, column in resolved)
        sql = (f"SELECT {select} FROM {quote_ident(self.base)} AS {quote_ident(self.base)} "
               + " ".join(j.sql() for j in self.joins) + f" WHERE {where}")
        if order:
            sql += f" ORDER BY {order}"
        if self.limit_rows is not None:
            sql += " " + limit_sql(self.limit_rows, None, names)
        return Compiled(sql, names.params)

    def result(self) -> Result:
        """The rows, lazily (logged for exports when an analysis is active)."""
        record_table_query(self)
        return self.dataset.result(self.compiled())

    def arrow(self) -> pa.Table:
        return self.result().arrow()

    def pl(self) -> pl.DataFrame:
        return self.result().pl()

    def df(self) -> pd.DataFrame:
        return self.result().df()

    def count(self) -> int:
        return self.result().count()

    def _links(self, table: str, on: str | None) -> list[tuple[str, str, str]]:
        """``(alias here, its column, column of table)`` for each foreign key between ``table`` and this query."""
        new = self.dataset.schema(table)
        links = []
        for alias, existing in self.aliases.items():
            for fk in self.dataset.schema(existing).foreign_keys:
                if fk.ref_table == table and on in (None, fk.column):
                    links.append((alias, fk.column, fk.ref_column))
            for fk in new.foreign_keys:
                if fk.ref_table == existing and on in (None, fk.column):
                    links.append((alias, fk.ref_column, fk.column))
        return links


def _comparison(expr: Any) -> Node:
    if not (isinstance(expr, Sequence) and not isinstance(expr, str) and len(expr) == 3):
        raise BadInputError(f"filters are IR nodes or (column, op, value) tuples, not {expr!r}")
    return compare(parse_col(expr[0]), expr[1], expr[2])
