"""IR -> polars expression: one ``singledispatch`` visitor per node class, same semantics as ``to_sql``.

Polars already follows SQL's three-valued logic (comparisons with null are null, ``&``/``|``
are Kleene, ``is_in`` of a null is null) and orders NaN above +inf like DuckDB. Literals are
built with the column's own dtype, because polars 2 refuses ``is_in`` across dtypes.
Regex runs on Rust's regex crate, not RE2: the two agree on the common syntax, but ``\\w``,
``\\d`` and ``\\b`` are Unicode-aware in polars and ASCII in RE2.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial, reduce, singledispatch
from typing import Any, TypeVar

import polars as pl
import pyarrow as pa

from ..schema import TableSchema
from .bind import prepare
from .ir import And, BBox, Col, Equal, InSet, IsNull, Node, Not, NotInSet, Or, Range, Regex
from .relations import key_array
from .scope import Scope, nan_above

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)


@dataclass(frozen=True, slots=True)
class PolarsContext:
    """The scope that spells columns (``name``, or ``alias.name`` in a qualified scope)."""

    scope: Scope


def polars_expr(expr: Node | Iterable[Node] | None, scope: Scope | TableSchema) -> pl.Expr:
    """A boolean ``pl.Expr`` for ``expr`` (for ``frame.filter``); checked against ``scope`` like SQL."""
    scope = Scope.of(scope)
    return to_polars(prepare(expr, scope), PolarsContext(scope))


def filter_frame(
    frame: Frame | pa.Table, expr: Node | Iterable[Node] | None, *, table: str = "frame"
) -> Frame | pa.Table:
    """Rows of a polars DataFrame / LazyFrame or Arrow table where ``expr`` is true (no DuckDB involved).

    ``table`` names the frame for IR whose columns are qualified (e.g. parsed from nested dicts).
    """
    if isinstance(frame, pa.Table):
        return filter_frame(pl.from_arrow(frame), expr, table=table).to_arrow()  # type: ignore[union-attr]
    schema = frame.collect_schema() if isinstance(frame, pl.LazyFrame) else frame.schema
    arrow = pl.DataFrame(schema=schema).to_arrow().schema
    return frame.filter(polars_expr(expr, TableSchema.from_arrow(table, arrow)))


@singledispatch
def to_polars(node: Node, ctx: PolarsContext) -> pl.Expr:
    """The polars expression for one bound node."""
    raise TypeError(f"no polars expression for {type(node).__name__}")


def _col(col: Col, ctx: PolarsContext, name: str | None = None) -> pl.Expr:
    return pl.col(ctx.scope.frame_name(col, name))


def _arrow_type(col: Col, ctx: PolarsContext) -> pa.DataType:
    return ctx.scope.resolve(col)[1].type


def _literal(value: Any, col: Col, ctx: PolarsContext) -> pl.Expr:
    """``value`` as a literal of the column's dtype (a float stays a float: 1.5 must not become 1)."""
    arrow_type = _arrow_type(col, ctx)
    if isinstance(value, float) or pa.types.is_null(arrow_type):
        return pl.lit(value)
    return pl.lit(value, dtype=pl.from_arrow(pa.array([], arrow_type)).dtype)


@to_polars.register
def _(node: Equal, ctx: PolarsContext) -> pl.Expr:
    return _col(node.col, ctx) == _literal(node.value, node.col, ctx)


@to_polars.register
def _(node: IsNull, ctx: PolarsContext) -> pl.Expr:
    return _col(node.col, ctx).is_null()


def _is_in(node: InSet | NotInSet, ctx: PolarsContext) -> pl.Expr:
    values = pl.from_arrow(key_array(node.values, _arrow_type(node.col, ctx)))
    return _col(node.col, ctx).is_in(values.implode())


@to_polars.register
def _(node: InSet, ctx: PolarsContext) -> pl.Expr:
    return _is_in(node, ctx)


@to_polars.register
def _(node: NotInSet, ctx: PolarsContext) -> pl.Expr:
    negated = ~_is_in(node, ctx)
    return _col(node.col, ctx).is_null() | negated if node.keep_null else negated


def _between(column: pl.Expr, lo: Any, hi: Any, lo_inc: bool, hi_inc: bool, lit: Any) -> pl.Expr:
    parts = []
    if lo is not None:
        parts.append(column >= lit(lo) if lo_inc else column > lit(lo))
    if hi is not None:
        parts.append(column <= lit(hi) if hi_inc else column < lit(hi))
    return reduce(lambda a, b: a & b, parts)


@to_polars.register
def _(node: Range, ctx: PolarsContext) -> pl.Expr:
    column = _col(node.col, ctx)
    lit = partial(_literal, col=node.col, ctx=ctx)
    expr = _between(column, node.lo, node.hi, node.lo_inclusive, node.hi_inclusive, lit)
    return expr & ~column.is_nan() if nan_above(node, ctx.scope) else expr


@to_polars.register
def _(node: Regex, ctx: PolarsContext) -> pl.Expr:
    return _col(node.col, ctx).str.contains(node.pattern)


@to_polars.register
def _(node: BBox, ctx: PolarsContext) -> pl.Expr:
    point = ctx.scope.point(node.col, len(node.lo))[1]
    if point.kind == "split":
        coords = [_col(node.col, ctx, name) for name in point.columns]
    else:
        column = _col(node.col, ctx)
        getter = column.arr if point.kind == "array" else column.list
        coords = [getter.get(axis, null_on_oob=True) for axis in range(len(node.lo))]
    parts = [_between(c, lo, hi, True, True, pl.lit) for c, lo, hi in zip(coords, node.lo, node.hi)]
    return reduce(lambda a, b: a & b, parts)


@to_polars.register
def _(node: And, ctx: PolarsContext) -> pl.Expr:
    return reduce(lambda a, b: a & b, (to_polars(i, ctx) for i in node.items), pl.lit(True))


@to_polars.register
def _(node: Or, ctx: PolarsContext) -> pl.Expr:
    return reduce(lambda a, b: a | b, (to_polars(i, ctx) for i in node.items), pl.lit(False))


@to_polars.register
def _(node: Not, ctx: PolarsContext) -> pl.Expr:
    return ~to_polars(node.item, ctx)
