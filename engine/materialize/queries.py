"""``query_table``, ``join_query`` and ``query_view``: the reference's signatures, answered at a version or a timestamp.

Positional parameters follow caveclient; the comparison filters, ``timestamp`` on joins and
views, ``random_seed`` and ``return_format`` are keyword-only additions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..export.cave_reads import record_query
from . import plan
from .execute import Options, check_roots_at, execute
from .query import Query, check_sample
from .versions import Moment

if TYPE_CHECKING:
    from .mirror import Mirror

Filter = Mapping[str, Any] | None


class QueryMethods:
    """Mixin of MaterializationClient: the plain (non-live) queries."""

    _mirror: Mirror

    def query_table(
        self,
        table: str,
        filter_in_dict: Filter = None,
        filter_out_dict: Filter = None,
        filter_equal_dict: Filter = None,
        filter_spatial_dict: Filter = None,
        filter_regex_dict: Filter = None,
        select_columns: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
        offset: int | None = None,
        limit: int | None = None,
        datastack_name: str | None = None,
        return_df: bool = True,
        split_positions: bool = False,
        materialization_version: int | None = None,
        timestamp: Any = None,
        metadata: bool = True,
        merge_reference: bool = True,
        desired_resolution: Sequence[float] | None = None,
        get_counts: bool = False,
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
        """Rows of ``table`` at a version (default: the client's) or at ``timestamp``, filtered, in id order.

        A table that references another (``reference_table``) is joined to it on
        ``target_id = id`` when ``merge_reference``; the target's colliding columns get ``_ref``.
        """
        filters = plan.filter_args(locals())
        moment = self._moment(materialization_version, timestamp, datastack_name)  # type: ignore[attr-defined]
        query = plan.simple(self._mirror, table, select_columns, merge_reference)
        return self._execute(
            query, filters, moment, Options(split_positions, metadata, return_df, return_format, log_warning),
            select_columns=select_columns, offset=offset, limit=limit, random_sample=random_sample,
            random_seed=random_seed, desired_resolution=desired_resolution, timestamp=timestamp, get_counts=get_counts,
        )

    def join_query(
        self,
        tables: Sequence[Sequence[str]],
        filter_in_dict: Filter = None,
        filter_out_dict: Filter = None,
        filter_equal_dict: Filter = None,
        filter_spatial_dict: Filter = None,
        filter_regex_dict: Filter = None,
        select_columns: Sequence[str] | Mapping[str, Sequence[str]] | None = None,
        offset: int | None = None,
        limit: int | None = None,
        suffixes: Sequence[str] | Mapping[str, str] | None = None,
        datastack_name: str | None = None,
        return_df: bool = True,
        split_positions: bool = False,
        materialization_version: int | None = None,
        metadata: bool = True,
        desired_resolution: Sequence[float] | None = None,
        random_sample: int | None = None,
        log_warning: bool = True,
        *,
        filter_greater_dict: Filter = None,
        filter_less_dict: Filter = None,
        filter_greater_equal_dict: Filter = None,
        filter_less_equal_dict: Filter = None,
        timestamp: Any = None,
        random_seed: int | None = None,
        return_format: str = "pandas",
    ) -> Any:
        """Two tables inner-joined on ``[[table1, column1], [table2, column2]]``; filters keyed by table name."""
        filters = plan.filter_args(locals())
        moment = self._moment(materialization_version, timestamp, datastack_name)  # type: ignore[attr-defined]
        query = plan.join(self._mirror, tables, select_columns, suffixes)
        return self._execute(
            query, filters, moment, Options(split_positions, metadata, return_df, return_format, log_warning),
            select_columns=select_columns, offset=offset, limit=limit, random_sample=random_sample,
            random_seed=random_seed, desired_resolution=desired_resolution, timestamp=timestamp,
        )

    def query_view(
        self,
        view_name: str,
        filter_in_dict: Filter = None,
        filter_out_dict: Filter = None,
        filter_equal_dict: Filter = None,
        filter_spatial_dict: Filter = None,
        filter_regex_dict: Filter = None,
        select_columns: Sequence[str] | None = None,
        offset: int | None = None,
        limit: int | None = None,
        datastack_name: str | None = None,
        return_df: bool = True,
        split_positions: bool = False,
        materialization_version: int | None = None,
        metadata: bool = True,
        merge_reference: bool = True,
        desired_resolution: Sequence[float] | None = None,
        get_counts: bool = False,
        random_sample: int | None = None,
        *,
        filter_greater_dict: Filter = None,
        filter_less_dict: Filter = None,
        filter_greater_equal_dict: Filter = None,
        filter_less_equal_dict: Filter = None,
        timestamp: Any = None,
        random_seed: int | None = None,
        return_format: str = "pandas",
        log_warning: bool = True,
    ) -> Any:
        """Rows of a view, its SQL reading every table as of the version (or ``timestamp``).

        ``merge_reference`` is accepted and unused, as in the reference.
        """
        filters = plan.filter_args(locals())
        moment = self._moment(materialization_version, timestamp, datastack_name)  # type: ignore[attr-defined]
        query = plan.view(self._mirror, view_name, select_columns)
        return self._execute(
            query, filters, moment, Options(split_positions, metadata, return_df, return_format, log_warning),
            select_columns=select_columns, offset=offset, limit=limit, random_sample=random_sample,
            random_seed=random_seed, desired_resolution=desired_resolution, timestamp=timestamp, get_counts=get_counts,
        )

    def _execute(
        self,
        query: Query,
        filters: Mapping[str, Any],
        moment: Moment,
        options: Options,
        *,
        select_columns: Any,
        offset: int | None,
        limit: int | None,
        random_sample: int | None,
        random_seed: int | None,
        desired_resolution: Any,
        timestamp: Any,
        get_counts: bool = False,
        strict_roots: bool = True,
        node_for: Any = None,
        attrs_extra: Mapping[str, Any] | None = None,
    ) -> Any:
        """Fill in ``query``'s paging, sampling, resolution and filters, then run it (shared by every query method)."""
        query.offset, query.limit = offset, limit
        query.random_sample, query.random_seed = check_sample(random_sample, random_seed)
        query.desired_resolution = self._desired(desired_resolution)  # type: ignore[attr-defined]
        plan.parse(query, filters)
        if strict_roots:
            check_roots_at(self._mirror, query, moment)
        node = node_for(query) if node_for is not None else None
        record_query(self._mirror, query, moment, node)
        return execute(
            self._mirror, query, moment, options, filters=filters, select_columns=select_columns,
            live=moment.version is None, timestamp=timestamp, get_counts=get_counts,
            node=node, attrs_extra=attrs_extra,
        )
