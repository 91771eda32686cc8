"""IR -> DuckDB SQL text with ``$p`` parameters: one ``singledispatch`` visitor per node class.

Identifiers come only from ``Scope.sql`` (validated, quoted); every value is a bound parameter.
A value list takes one of three shapes by length (measured, see docs/filters.md):
``col IN ($p0, $p1, ...)`` up to ``IN_LIST_MAX_VALUES`` (DuckDB pushes it into Parquet scans as
a row-group filter), then ONE list parameter ``col = ANY($p0)`` (a hash semi join; the text is
the same for any length), and from ``KEY_TABLE_MIN_VALUES`` on, when the caller can register
tables, a join against an Arrow key table (``relations.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import singledispatch

from ..sql import Compiled, ParamNames
from .bind import prepare
from .ir import And, BBox, Equal, InSet, IsNull, Node, Not, NotInSet, Or, Range, Regex
from .relations import KEY_TABLE_MIN_VALUES, Relations, key_array, key_source
from .scope import Scope, nan_above
from .values import family

IN_LIST_MAX_VALUES = 256


@dataclass(frozen=True, slots=True)
class SqlContext:
    """What the visitors need: the scope (identifiers), the parameter names and, optionally, key relations."""

    scope: Scope
    names: ParamNames
    relations: Relations | None = None


def compile(  # noqa: A001 - the public name is engine.filters.compile
    expr: Node | Iterable[Node] | None,
    scope: Scope | object,
    *,
    names: ParamNames | None = None,
    relations: Relations | None = None,
) -> Compiled:
    """A WHERE fragment (without ``WHERE``) and its parameters; ``TRUE`` when there is no filter.

    Pass the statement's ``names`` when combining several fragments so parameters don't clash,
    and ``relations`` if the statement will run through ``relation_result`` (large lists then
    become key tables). The returned params are this fragment's only.

    >>> compile(InSet("pre_pt_root_id", [1, 2]), schema)  # doctest: +SKIP
    Compiled(sql='"pre_pt_root_id" IN ($p0, $p1)', params={'p0': 1, 'p1': 2})
    """
    scope = Scope.of(scope)  # type: ignore[arg-type]
    names = names if names is not None else ParamNames()
    before = len(names.params)
    sql = to_sql(prepare(expr, scope), SqlContext(scope, names, relations))
    return Compiled(sql, dict(list(names.params.items())[before:]))


@singledispatch
def to_sql(node: Node, ctx: SqlContext) -> str:
    """SQL for one bound node."""
    raise TypeError(f"no SQL for {type(node).__name__}")


@to_sql.register
def _(node: Equal, ctx: SqlContext) -> str:
    return f"{ctx.scope.sql(node.col)} = {ctx.names.bind(node.value)}"


@to_sql.register
def _(node: IsNull, ctx: SqlContext) -> str:
    return f"{ctx.scope.sql(node.col)} IS NULL"


def _member(node: InSet | NotInSet, ctx: SqlContext) -> str:
    """``col IN ($p0, ...)``, ``col = ANY($p)`` or ``col IN (SELECT key FROM <key table>)``, by list length.

    A float column is compared as ``(col + 0.0)``: DuckDB 1.5.5 pushes IN / ANY lists into Arrow
    scans and there tells -0.0 from 0.0 (bitwise), so ``0.0 IN (-0.0, ...)`` failed on registered
    tables; the expression keeps the filter in DuckDB, where -0.0 = 0.0 as SQL says.
    """
    column = ctx.scope.sql(node.col)
    arrow_type = ctx.scope.resolve(node.col)[1].type
    if family(arrow_type) == "float":
        column = f"({column} + 0.0)"
    if len(node.values) <= IN_LIST_MAX_VALUES:
        return f"{column} IN ({', '.join(ctx.names.bind(v) for v in node.values)})"
    if ctx.relations is None or len(node.values) < KEY_TABLE_MIN_VALUES:
        return f"{column} = ANY({ctx.names.bind(list(node.values))})"
    source = key_source({"key": key_array(node.values, arrow_type)}, ctx.names, ctx.relations)
    return f'{column} IN (SELECT "key" FROM {source})'


@to_sql.register
def _(node: InSet, ctx: SqlContext) -> str:
    return _member(node, ctx)


@to_sql.register
def _(node: NotInSet, ctx: SqlContext) -> str:
    negated = f"NOT ({_member(node, ctx)})"
    return f"({ctx.scope.sql(node.col)} IS NULL OR {negated})" if node.keep_null else negated


def _between(column: str, lo: object, hi: object, lo_inc: bool, hi_inc: bool, names: ParamNames) -> list[str]:
    if lo is not None and hi is not None and lo_inc and hi_inc:
        return [f"{column} BETWEEN {names.bind(lo)} AND {names.bind(hi)}"]
    parts = []
    if lo is not None:
        parts.append(f"{column} {'>=' if lo_inc else '>'} {names.bind(lo)}")
    if hi is not None:
        parts.append(f"{column} {'<=' if hi_inc else '<'} {names.bind(hi)}")
    return parts


def _conjunction(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " AND ".join(parts) + ")"


@to_sql.register
def _(node: Range, ctx: SqlContext) -> str:
    column = ctx.scope.sql(node.col)
    parts = _between(column, node.lo, node.hi, node.lo_inclusive, node.hi_inclusive, ctx.names)
    if nan_above(node, ctx.scope):
        parts.append(f"NOT isnan({column})")
    return _conjunction(parts)


@to_sql.register
def _(node: Regex, ctx: SqlContext) -> str:
    return f"regexp_matches({ctx.scope.sql(node.col)}, {ctx.names.bind(node.pattern)})"


@to_sql.register
def _(node: BBox, ctx: SqlContext) -> str:
    point = ctx.scope.point(node.col, len(node.lo))[1]
    if point.kind == "split":
        coords = [ctx.scope.sql(node.col, name) for name in point.columns]
    else:
        column = ctx.scope.sql(node.col)
        coords = [f"{column}[{axis + 1}]" for axis in range(len(node.lo))]
    parts = [_between(c, lo, hi, True, True, ctx.names)[0] for c, lo, hi in zip(coords, node.lo, node.hi)]
    return _conjunction(parts)


def _operand(node: Node, ctx: SqlContext) -> str:
    sql = to_sql(node, ctx)
    return f"({sql})" if isinstance(node, (And, Or)) and len(node.items) > 1 else sql


@to_sql.register
def _(node: And, ctx: SqlContext) -> str:
    return " AND ".join(_operand(item, ctx) for item in node.items) or "TRUE"


@to_sql.register
def _(node: Or, ctx: SqlContext) -> str:
    return " OR ".join(_operand(item, ctx) for item in node.items) or "FALSE"


@to_sql.register
def _(node: Not, ctx: SqlContext) -> str:
    return f"NOT ({to_sql(node.item, ctx)})"
