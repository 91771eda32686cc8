"""Statement pieces around compiled filters: select lists, ORDER BY, LIMIT / OFFSET, WHERE assembly.

Domain layers that build their own FROM clause (joins with aliases) compile each filter with
one shared ``ParamNames`` and assemble the statement with ``with_where``.

>>> names = ParamNames()                                                         # doctest: +SKIP
>>> where = compile(cls_filter, scope, names=names)                              # doctest: +SKIP
>>> with_where("SELECT pair.id FROM pair JOIN cell AS pre_cell ON ...", [where])  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import BadInputError
from ..schema import TableSchema
from ..sql import Compiled, ParamNames, quote_ident

OrderBy = str | tuple[str, str] | Sequence[str | tuple[str, str]] | None


def with_where(head: str | Compiled, fragments: Iterable[Compiled], tail: str = "") -> Compiled:
    """``head WHERE (f1) AND (f2) tail`` with every parameter merged; always-true fragments are left out.

    Fragments must come from one ``ParamNames`` (or disjoint ones): a name bound to two
    different values is an error rather than a silently wrong query.
    """
    head = head if isinstance(head, Compiled) else Compiled(head)
    params: dict[str, Any] = dict(head.params)
    conditions = []
    for fragment in fragments:
        for name, value in fragment.params.items():
            if name in params and params[name] is not value:
                raise BadInputError(f"parameter ${name} is bound twice; compile fragments with one ParamNames")
            params[name] = value
        if fragment.sql != "TRUE":
            conditions.append(fragment.sql)
    where = ""
    if conditions:
        where = " WHERE " + " AND ".join(c if len(conditions) == 1 else f"({c})" for c in conditions)
    return Compiled(head.sql + where + (" " + tail if tail else ""), params)


def select_list(schema: TableSchema, columns: Sequence[str] | None, prefix: str = "") -> str:
    """Validated, quoted output columns (``*`` for all); ``prefix`` qualifies them (``"t".``)."""
    if columns is None:
        return prefix + "*"
    if isinstance(columns, str) or not columns:
        raise BadInputError(f"columns must be a non-empty list of column names, got {columns!r}")
    return ", ".join(prefix + schema.ident(c) for c in columns)


def order_terms(schema: TableSchema, order_by: OrderBy) -> list[tuple[str, bool]]:
    """``(column, descending)`` pairs from ``"col"``, ``"-col"``, ``("col", "desc")`` or a list of them."""
    if order_by is None:
        return []
    items = [order_by] if isinstance(order_by, (str, tuple)) else list(order_by)
    terms = []
    for item in items:
        if isinstance(item, str):
            descending = item.startswith("-") and not schema.has(item)
            terms.append((schema.column(item[1:] if descending else item).name, descending))
        elif isinstance(item, tuple) and len(item) == 2 and str(item[1]).lower() in ("asc", "desc"):
            terms.append((schema.column(item[0]).name, str(item[1]).lower() == "desc"))
        else:
            raise BadInputError(f"order_by takes 'col', '-col' or ('col', 'asc'|'desc'), got {item!r}")
    return terms


def paging_order(schema: TableSchema, order_by: OrderBy, offset: int | None) -> list[tuple[str, bool]]:
    """``order_terms``, or the primary key when paging (``offset``) without an order, so pages are deterministic."""
    terms = order_terms(schema, order_by)
    return terms or ([(name, False) for name in schema.primary_key] if offset else [])


def order_sql(terms: Sequence[tuple[str, bool]], prefix: str = "") -> str:
    """``"a" ASC, "b" DESC`` (empty for no terms)."""
    return ", ".join(f"{prefix}{quote_ident(name)} {'DESC' if desc else 'ASC'}" for name, desc in terms)


def count_arg(name: str, value: Any) -> int | None:
    """``limit`` / ``offset``: None or a non-negative int."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise BadInputError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def limit_sql(limit: int | None, offset: int | None, names: ParamNames) -> str:
    """``LIMIT $p OFFSET $q`` (either part optional), values bound as parameters."""
    parts = []
    if limit is not None:
        parts.append(f"LIMIT {names.bind(limit)}")
    if offset:
        parts.append(f"OFFSET {names.bind(offset)}")
    return " ".join(parts)
