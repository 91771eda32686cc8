"""``live_query``, ``live_live_query`` and ``map_filters``, computed from the interval tables.

No chunkedgraph and no "closest version" step: a live query reads the state at its timestamp
directly (rows live then, roots owning their supervoxels then). ``live_query(post_filter=False)``
keeps the reference's meaning: root-id in / equal filters select rows by their root at the
newest valid version before the timestamp, mapped through ``map_filters``, while the returned
root ids are those at the timestamp.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import BadInputError
from ..filters import Col, Equal, InSet, IsNull, Node, Not, NotInSet
from ..filters.ir import And, Or
from . import plan
from .execute import Options, check_roots_at, root_columns, root_values
from .query import Query, run
from .roots import push_root_filters
from .versions import Moment, utc

if TYPE_CHECKING:
    from .mirror import Mirror

logger = logging.getLogger("engine.materialize")
Filter = Mapping[str, Any] | None


class LiveMethods:
    """Mixin of MaterializationClient: queries at arbitrary timestamps and root-id mapping."""

    _mirror: Mirror

    def live_query(
        self,
        table: str,
        timestamp: Any,
        filter_in_dict: Filter = None,
        filter_out_dict: Filter = None,
        filter_equal_dict: Filter = None,
        filter_spatial_dict: Filter = None,
        filter_regex_dict: Filter = None,
        select_columns: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
        offset: int | None = None,
        limit: int | None = None,
        datastack_name: str | None = None,
        split_positions: bool = False,
        post_filter: bool = True,
        metadata: bool = True,
        merge_reference: bool = True,
        desired_resolution: Sequence[float] | None = None,
        random_sample: int | None = None,
        log_warning: bool = True,
        *,
        filter_greater_dict: Filter = None,
        filter_less_dict: Filter = None,
        filter_greater_equal_dict: Filter = None,
        filter_less_equal_dict: Filter = None,
        random_seed: int | None = None,
        return_format: str = "pandas",
    ) -> Any:
        """Rows of ``table`` live at ``timestamp`` with root ids at ``timestamp`` (root-id filters are ids current then)."""
        filters = plan.filter_args(locals())
        self._datastack(datastack_name)  # type: ignore[attr-defined]
        moment = Moment(utc(timestamp))
        query = plan.simple(self._mirror, table, select_columns, merge_reference)
        node_for = None if post_filter else (lambda q: self._past_node(q, moment))
        return self._execute(  # type: ignore[attr-defined]
            query, filters, moment, Options(split_positions, metadata, True, return_format, log_warning),
            select_columns=select_columns, offset=offset, limit=limit, random_sample=random_sample,
            random_seed=random_seed, desired_resolution=desired_resolution, timestamp=timestamp, node_for=node_for,
        )

    def live_live_query(
        self,
        table: str,
        timestamp: Any,
        joins: Sequence[Sequence[str]] | None = None,
        filter_in_dict: Filter = None,
        filter_out_dict: Filter = None,
        filter_equal_dict: Filter = None,
        filter_spatial_dict: Filter = None,
        filter_regex_dict: Filter = None,
        select_columns: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
        offset: int | None = None,
        limit: int | None = None,
        datastack_name: str | None = None,
        split_positions: bool = False,
        metadata: bool = True,
        suffixes: Mapping[str, str] | Sequence[str] | None = None,
        desired_resolution: Sequence[float] | None = None,
        allow_missing_lookups: bool = False,
        allow_invalid_root_ids: bool = False,
        random_sample: int | None = None,
        log_warning: bool = True,
        *,
        filter_greater_dict: Filter = None,
        filter_less_dict: Filter = None,
        filter_greater_equal_dict: Filter = None,
        filter_less_equal_dict: Filter = None,
        random_seed: int | None = None,
        return_format: str = "pandas",
    ) -> Any:
        """``table`` (joined along ``joins`` = ``[[t1, c1, t2, c2], ...]``) at ``timestamp``; filters keyed by table.

        ``allow_invalid_root_ids`` drops filter root ids not current at the timestamp (an error
        if none is left); ``allow_missing_lookups`` drops rows whose supervoxel is not looked up
        yet (otherwise such rows are an error).
        """
        filters = plan.filter_args(locals())
        self._datastack(datastack_name)  # type: ignore[attr-defined]
        moment = Moment(utc(timestamp))
        if joins:
            query = plan.chain(self._mirror, table, joins, select_columns, suffixes)
        else:
            own = select_columns.get(table) if isinstance(select_columns, Mapping) else select_columns
            query = plan.simple(self._mirror, table, own, merge_reference=False)

        def node_for(q: Query) -> Node | None:
            node = q.node
            if allow_invalid_root_ids:
                node = _drop_invalid(self._mirror, q, node, moment)
            else:
                check_roots_at(self._mirror, q, moment)
            return self._missing_lookups(q, node, moment, allow_missing_lookups)

        return self._execute(  # type: ignore[attr-defined]
            query, filters, moment, Options(split_positions, metadata, True, return_format, log_warning),
            select_columns=select_columns, offset=offset, limit=limit, random_sample=random_sample,
            random_seed=random_seed, desired_resolution=desired_resolution, timestamp=timestamp,
            strict_roots=False, node_for=node_for,
        )

    def map_filters(
        self, filters: Sequence[Mapping[str, Any] | None], timestamp: Any, timestamp_past: Any
    ) -> tuple[list[dict[str, Any] | None], dict[int, Any]]:
        """Filter dicts with root ids current at ``timestamp`` -> the ids at ``timestamp_past`` that became them.

        Returns ``(new_filters, future_map)``; ``future_map`` is empty, as the reference's
        chunkedgraph returns it. Root ids not current at ``timestamp`` are an error.
        """
        ts, past = utc(timestamp), utc(timestamp_past, "timestamp_past")
        wanted = [v for d in filters if d for c, val in d.items() if c.endswith("root_id") for v in _listed(val)]
        if not wanted:
            return [None if d is None else dict(d) for d in filters], {}
        self._mirror.roots.check_current(wanted, ts)
        mapping = self._mirror.roots.past_ids(wanted, ts, past)
        out: list[dict[str, Any] | None] = []
        for d in filters:
            if d is None:
                out.append(None)
                continue
            out.append({
                c: _past(val, mapping) if c.endswith("root_id") else val for c, val in d.items()
            })
        return out, {}

    def _past_node(self, query: Query, moment: Moment) -> Node | None:
        """Root in / equal filters resolved at the newest valid version before ``moment`` via past ids."""
        version = self._mirror.versions.latest_at(moment.ts)
        if version is None:
            raise BadInputError(
                f"timestamp {moment.ts.isoformat()} is older than every valid version; post_filter=False "
                "maps root ids to the newest version before the timestamp"
            )
        if query.node is None:
            return None
        tables = {p.alias: p.table for p in query.parts if p.table is not None}
        roots = self._mirror.roots

        def lookup(alias: str, values: Sequence[Any]) -> np.ndarray:
            past = [p for ids in roots.past_ids(values, moment.ts, version.time_stamp).values() for p in ids]
            return roots.supervoxels(past, version.time_stamp)

        return push_root_filters(query.node, tables, lookup)

    def _missing_lookups(self, query: Query, node: Node | None, moment: Moment, allow: bool) -> Node | None:
        """Rows with a supervoxel not looked up yet (NULL): dropped when allowed, else an error if any match."""
        missing = [IsNull(Col(sv, p.alias)) for p in query.parts if p.table for sv in p.table.supervoxel_columns()]
        if not missing:
            return node
        if allow:
            return And((node, *(Not(m) for m in missing))) if node is not None else And(tuple(Not(m) for m in missing))
        probe = And((node, Or(tuple(missing)))) if node is not None else Or(tuple(missing))
        pending = int(run(self._mirror, query, moment, count=True, node=probe).arrow().column(0)[0].as_py())
        if pending:
            raise BadInputError(
                f"{pending} matching annotations have no supervoxel lookup yet; "
                "pass allow_missing_lookups=True to drop them"
            )
        return node


def _listed(value: Any) -> list[Any]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return [value]
    return list(np.asarray(list(value)).ravel().tolist())


def _past(value: Any, mapping: Mapping[int, list[int]]) -> Any:
    """One value -> its past ids (a list, as the reference); a list -> all its values' past ids (an array)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        return list(mapping[int(value)])
    return np.asarray([p for v in _listed(value) for p in mapping[int(v)]], dtype=np.int64)


def _drop_invalid(mirror: Mirror, query: Query, node: Node | None, moment: Moment) -> Node | None:
    """``node`` without the root ids that are not current at ``moment`` (logged; an error if a filter empties)."""
    columns = root_columns(query)
    values = root_values(node, columns)
    if node is None or not values:
        return node
    known = mirror.roots.intervals(values)
    ts = moment.ts
    valid = {0} | {r for r, (first, last) in known.items() if first <= ts and (last is None or last > ts)}
    dropped = sorted(set(values) - valid)
    if dropped:
        logger.warning("dropping root ids not current at %s: %s", ts.isoformat(), dropped)
    return _keep_roots(node, columns, valid)


def _keep_roots(node: Node, columns: Mapping[str, set[str]], valid: set[int]) -> Node:
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_keep_roots(i, columns, valid) for i in node.items))
    if isinstance(node, Not):
        return Not(_keep_roots(node.item, columns, valid))
    if isinstance(node, (InSet, NotInSet, Equal)) and node.col.name in columns.get(node.col.table or "", ()):
        values = node.values if isinstance(node, (InSet, NotInSet)) else (node.value,)
        kept = [v for v in values if v in valid]
        if not kept:
            raise BadInputError(f"no root id in the filter on {node.col} is current at the timestamp")
        if isinstance(node, NotInSet):
            return NotInSet(node.col, kept, node.keep_null)
        return InSet(node.col, kept)
    return node
