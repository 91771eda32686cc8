"""Run a planned ``Query`` at a moment and shape the answer: counts, return format, attrs, owner notices."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import BadInputError
from ..filters import Equal, InSet, Node, NotInSet
from ..filters.ir import And, Not, Or
from ..filters.passes import flatten
from .frames import check_format, frame, output
from .metadata import query_attrs
from .mirror import Mirror
from .query import Query, run
from .versions import Moment

logger = logging.getLogger("engine.materialize")


@dataclass(frozen=True)
class Options:
    """How to return a query's rows (the reference's flags plus ``return_format``)."""

    split_positions: bool = False
    metadata: bool = True
    return_df: bool = True
    return_format: str = "pandas"
    log_warning: bool = True

    def __post_init__(self) -> None:
        check_format(self.return_format)


def resolution(value: Any) -> tuple[float, float, float] | None:
    """``desired_resolution`` as three positive floats (nm per unit), or None."""
    if value is None:
        return None
    items = list(np.asarray(value, dtype=object).ravel()) if not isinstance(value, (list, tuple)) else list(value)
    try:
        floats = tuple(float(v) for v in items)
    except (TypeError, ValueError):
        floats = ()
    if len(floats) != 3 or not all(f > 0 for f in floats):
        raise BadInputError(f"desired_resolution must be three positive numbers [x, y, z] in nm, got {value!r}")
    return floats  # type: ignore[return-value]


def root_values(node: Node | None, root_columns: Mapping[str, set[str]]) -> list[int]:
    """Every root id a bound filter names (``alias -> root columns``), for validity checks at a timestamp."""
    if node is None:
        return []
    found: list[int] = []
    stack = [flatten(node)]
    while stack:
        item = stack.pop()
        if isinstance(item, (And, Or)):
            stack.extend(item.items)
        elif isinstance(item, Not):
            stack.append(item.item)
        elif isinstance(item, (InSet, NotInSet, Equal)) and item.col.name in root_columns.get(item.col.table or "", ()):
            found.extend(item.values if isinstance(item, (InSet, NotInSet)) else [item.value])
    return found


def root_columns(query: Query) -> dict[str, set[str]]:
    """``alias -> its P_root_id columns`` for the tables of ``query``."""
    return {p.alias: set(p.table.root_columns()) for p in query.parts if p.table is not None}


def check_roots_at(mirror: Mirror, query: Query, moment: Moment) -> None:
    """At a timestamp (not a version), root ids in filters must be current then, as in the reference."""
    if moment.version is not None:
        return
    values = root_values(query.node, root_columns(query))
    if values:
        mirror.roots.check_current(values, moment.ts)


def notices(mirror: Mirror, query: Query, options: Options) -> None:
    """Log the owners' notice of each table read (the reference sends them as Warning headers)."""
    if not options.log_warning:
        return
    for part in query.parts:
        text = part.table.metadata.get("notice_text") if part.table is not None else None
        if text:
            logger.warning("Table Owner Notice on %s: %s", part.alias, text)


def execute(
    mirror: Mirror,
    query: Query,
    moment: Moment,
    options: Options,
    *,
    filters: Mapping[str, Any],
    select_columns: Any,
    live: bool,
    timestamp: Any,
    get_counts: bool = False,
    node: Node | None = None,
    attrs_extra: Mapping[str, Any] | None = None,
) -> Any:
    """Run ``query`` at ``moment`` and return it the way ``options`` ask (pandas with attrs by default)."""
    notices(mirror, query, options)
    attrs = None
    if options.metadata:
        attrs = query_attrs(
            mirror, query, filters, select_columns=select_columns, offset=query.offset, limit=query.limit,
            live_query=live, timestamp=timestamp, materialization_version=moment.version,
            desired_resolution=query.desired_resolution,
        )
        attrs.update(attrs_extra or {})
    result = run(mirror, query, moment, count=get_counts, node=node)
    if get_counts:
        table = result.arrow()
        return frame(table, "pandas" if options.return_format == "batches" else options.return_format, True, attrs)
    if not options.return_df:
        return _records(frame(result.arrow(), "pandas", options.split_positions, None))
    return output(result, options.return_format, options.split_positions, attrs)


def _records(df: Any) -> list[dict[str, Any]]:
    """``return_df=False``: JSON records, as the reference's JSON mode returns."""
    return json.loads(df.to_json(orient="records", default_handler=lambda v: np.asarray(v).tolist()))

