"""One statement for query_table / join_query / query_view / live queries at one moment.

``WITH`` the roots and each table's as-of relation (by its plain name), ``SELECT`` the chosen
model columns (suffixed on collisions, positions rescaled) ``FROM`` the relations joined on the
given columns, ``WHERE`` the compiled filters, then a reproducible sample, a deterministic
``ORDER BY id`` and ``LIMIT / OFFSET``: every page of a query comes from the same order.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..errors import BadInputError
from ..filters import Equal, InSet, Node, Scope, compile
from ..filters.relations import Relations, relation_result
from ..filters.statement import count_arg, limit_sql, with_where
from ..result import Result
from ..schema import TableSchema
from ..sql import Compiled, ParamNames, quote_ident
from .mirror import Mirror
from .pushdown import raw_where, split
from .roots import push_root_filters
from .source import raw_view
from .tables import AnnotationTable, ModelColumns
from .timetravel import ROOTS_AT, Materialized, asof_sql, live_sql, roots_at_sql, with_clause
from .versions import Moment


@dataclass(frozen=True)
class Part:
    """One relation of the FROM clause: its alias, description and the model columns it contributes."""

    alias: str
    schema: TableSchema
    columns: tuple[str, ...]
    suffix: str = ""
    resolution: tuple[float, float, float] | None = None
    table: AnnotationTable | None = None

    @property
    def model(self) -> ModelColumns:
        return ModelColumns(self.schema)


@dataclass(frozen=True)
class Join:
    """``left.left_column = right.right_column`` (model names of stored, non-position columns)."""

    left: str
    left_column: str
    right: str
    right_column: str


@dataclass
class Query:
    """Everything one statement needs; ``node`` is bound IR over ``scope()``."""

    parts: list[Part]
    joins: list[Join] = field(default_factory=list)
    node: Node | None = None
    extra: list[Callable[[Scope], str]] = field(default_factory=list)
    desired_resolution: Sequence[float] | None = None
    limit: int | None = None
    offset: int | None = None
    random_sample: int | None = None
    random_seed: int | None = None
    view: str | None = None

    def scope(self) -> Scope:
        return Scope({p.alias: p.schema for p in self.parts}, qualify=True)


def check_sample(random_sample: object, random_seed: object) -> tuple[int | None, int | None]:
    """``random_sample`` (positive) and the seed it will use (drawn when not given, so attrs can report it)."""
    if random_sample is None:
        return None, None
    if isinstance(random_sample, bool) or not isinstance(random_sample, int) or random_sample <= 0:
        raise BadInputError(f"random_sample must be a positive integer, got {random_sample!r}")
    if random_seed is None:
        return random_sample, random.randrange(2**31)
    if isinstance(random_seed, bool) or not isinstance(random_seed, int):
        raise BadInputError(f"random_seed must be an integer, got {random_seed!r}")
    return random_sample, random_seed


def output_names(parts: Sequence[Part]) -> list[list[tuple[str, str]]]:
    """Per part, ``(model column, output name)``: a name selected from several relations gets each one's suffix."""
    counts = Counter(c for p in parts for c in p.columns)
    out = [[(c, c + p.suffix if counts[c] > 1 else c) for c in p.columns] for p in parts]
    seen = Counter(name for part in out for _, name in part)
    clash = sorted(n for n, k in seen.items() if k > 1)
    if clash:
        raise BadInputError(f"output columns {', '.join(clash)} would repeat; give distinct suffixes")
    return out


def push_roots(mirror: Mirror, query: Query, moment: Moment) -> Node | None:
    """The query's filter with root-id filters on tables rewritten into supervoxel filters at ``moment``."""
    if query.node is None:
        return None
    tables = {p.alias: p.table for p in query.parts if p.table is not None}
    return push_root_filters(query.node, tables, lambda alias, roots: mirror.roots.supervoxels(roots, moment.ts))


def build(
    mirror: Mirror, query: Query, moment: Moment, *, count: bool = False, node: Node | None = None
) -> tuple[Compiled, Relations]:
    """The statement (and the Arrow relations it reads) for ``query`` at ``moment``; ``node`` overrides the filter."""
    names, relations = ParamNames(), Relations()
    ts = names.bind(moment.ts)
    node = push_roots(mirror, query, moment) if node is None else node
    named = ctes(mirror, query, moment, ts, node, relations, names)
    scope = query.scope()
    selects, hidden = select_items(query, names), order_columns(query)
    source = from_clause(query)
    order = ", ".join(quote_ident(name) for _, name in hidden) or "ALL"
    where = [compile(node, scope, names=names, relations=relations)] if node is not None else []
    where += [Compiled(extra(scope)) for extra in query.extra]
    head = with_clause(named)
    items = selects + [f"{expr} AS {quote_ident(name)}" for expr, name in hidden]
    inner = with_where(f"{head} SELECT {', '.join(items)} FROM {source}", where).sql
    if query.random_sample is not None:
        keys = order if hidden else '"q"'
        inner = (f'SELECT * FROM ({inner}) AS "q" ORDER BY hash({keys}, {names.bind(query.random_seed)}) '
                 f"LIMIT {names.bind(query.random_sample)}")
    if count:
        return Compiled(f'SELECT count(*) AS "count" FROM ({inner}) AS "q"', names.params), relations
    drop = f" EXCLUDE ({order})" if hidden else ""
    limit, offset = count_arg("limit", query.limit), count_arg("offset", query.offset)
    tail = limit_sql(limit, offset, names)
    sql = f'SELECT *{drop} FROM ({inner}) AS "q" ORDER BY {order}' + (f" {tail}" if tail else "")
    return Compiled(sql, names.params), relations


def run(mirror: Mirror, query: Query, moment: Moment, *, count: bool = False, node: Node | None = None) -> Result:
    """A lazy result for ``query`` at ``moment``."""
    compiled, relations = build(mirror, query, moment, count=count, node=node)
    return relation_result(mirror.dataset, compiled, relations)


def ctes(mirror: Mirror, query: Query, moment: Moment, ts: str, node: Node | None, relations: Relations,
         names: ParamNames) -> dict[str, str]:
    """Named relations: the roots at ``ts`` and each table as of ``ts`` (resident ones from memory); views read all tables.

    Conjuncts of ``node`` on a table's stored columns run inside its as-of relation. When they
    include a key filter (in / equal, what root-id filters become) the few matching raw rows are
    fenced off first and only their supervoxels are looked up in the roots: otherwise DuckDB
    1.5.5 joins every row to the roots before applying the key filter.
    """
    if query.view is not None:
        named = mirror.table_ctes(ts)
        named[query.view] = mirror.view_sql(query.view)
        return named
    named: dict[str, str] = {ROOTS_AT: roots_at_sql(ts)}
    for i, part in enumerate(query.parts):
        table = part.table
        resident = mirror.resident.source(table, part.alias, node, moment.ts, relations)
        if resident is not None:
            named[part.alias] = resident
            continue
        where = raw_where(node, part.alias, table, names, relations)
        raw = quote_ident(raw_view(table.name))
        if not any(isinstance(n, (InSet, Equal)) for n in split(node, part.alias, table)[0]):
            named[part.alias] = asof_sql(table, ts, raw, where=where)
            continue
        fenced, owners = f"__raw_{i}", f"__owners_{i}"
        named[fenced] = Materialized(f'SELECT * FROM {raw} AS "a" WHERE {live_sql("a", ts)} AND ({where})')
        supervoxels = " UNION ALL ".join(f"SELECT {quote_ident(c)} FROM {quote_ident(fenced)}"
                                         for c in table.supervoxel_columns())
        named[owners] = (f'SELECT * FROM {quote_ident(ROOTS_AT)} WHERE "supervoxel_id" IN ({supervoxels})'
                         if supervoxels else f"SELECT * FROM {quote_ident(ROOTS_AT)}")
        named[part.alias] = asof_sql(table, ts, quote_ident(fenced), roots=owners)
    return named


def select_items(query: Query, names: ParamNames) -> list[str]:
    """Select-list items: each model column under its output name, positions scaled to the desired resolution."""
    items = []
    for part, columns in zip(query.parts, output_names(query.parts)):
        factors = _factors(part.resolution, query.desired_resolution)
        binds = [names.bind(f) for f in factors] if factors else None
        alias = quote_ident(part.alias)
        for model, out in columns:
            split = part.model.split(model)
            if len(split) == 3:
                for axis, column in enumerate(split):
                    value = f"{alias}.{quote_ident(column)}" + (f" * {binds[axis]}" if binds else "")
                    items.append(f"{value} AS {quote_ident(out + column[len(model):])}")
            else:
                items.append(f"{alias}.{quote_ident(model)} AS {quote_ident(out)}")
    if not items:
        raise BadInputError("select_columns selects no columns")
    return items


def _factors(resolution: tuple[float, ...] | None, desired: Sequence[float] | None) -> tuple[float, ...] | None:
    """Multipliers from stored voxels to the desired resolution (None when nothing changes)."""
    if desired is None or resolution is None:
        return None
    factors = tuple(r / d for r, d in zip(resolution, desired))
    return None if all(f == 1.0 for f in factors) else factors


def order_columns(query: Query) -> list[tuple[str, str]]:
    """Hidden ``(expression, name)`` id columns of each relation: the deterministic row order and sample key."""
    return [(f'{quote_ident(p.alias)}."id"', f"__order_{i}") for i, p in enumerate(query.parts) if p.schema.has("id")]


def from_clause(query: Query) -> str:
    """The relations joined on their join columns."""
    first = query.parts[0]
    source = quote_ident(first.alias)
    for join in query.joins:
        left = quote_ident(join.left)
        right = quote_ident(join.right)
        source += f" JOIN {right} ON {left}.{quote_ident(join.left_column)} = {right}.{quote_ident(join.right_column)}"
    return source
