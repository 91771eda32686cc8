"""``synapse_query`` (the reference's convenience query), ``query_batch`` and ``connectivity`` (beyond it).

``include_zeros=False`` really excludes root 0 here (the reference server drops the not-in
filter it is sent), and autapses are removed in the query, before ``limit`` / ``offset``
(the reference drops them from the page it already cut).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import BadInputError
from ..export.cave_reads import record_batch
from ..filters import Col, Scope
from . import plan
from .batch import run_batch
from .connectivity import connectivity_query
from .execute import Options, notices
from .frames import check_format, output

if TYPE_CHECKING:
    from .mirror import Mirror

PRE, POST = "pre_pt_root_id", "post_pt_root_id"


def no_autapse(alias: str) -> Any:
    """The fixed predicate ``pre root <> post root`` (NULL-safe) on ``alias``, spelled through the scope."""

    def sql(scope: Scope) -> str:
        return f"{scope.sql(Col(PRE, alias))} IS DISTINCT FROM {scope.sql(Col(POST, alias))}"

    return sql


def _ids(value: Any) -> tuple[str, Any]:
    """``("filter_equal_dict", id)`` for one id, ``("filter_in_dict", ids)`` for a list (the reference's rule)."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (Iterable, np.ndarray)):
        return "filter_equal_dict", value
    return "filter_in_dict", value


class SynapseMethods:
    """Mixin of MaterializationClient: synapse-table conveniences and batched / grouped queries."""

    _mirror: Mirror

    def _synapse_table(self, synapse_table: str | None) -> str:
        table = synapse_table or self.synapse_table  # type: ignore[attr-defined]
        if table is None:
            raise BadInputError("no synapse table: pass synapse_table= (datastack.json names none)")
        return table

    def synapse_query(
        self,
        pre_ids: Any = None,
        post_ids: Any = None,
        bounding_box: Any = None,
        bounding_box_column: str = "post_pt_position",
        timestamp: Any = None,
        remove_autapses: bool = True,
        include_zeros: bool = True,
        limit: int | None = None,
        offset: int | None = None,
        split_positions: bool = False,
        desired_resolution: Sequence[float] | None = None,
        materialization_version: int | None = None,
        synapse_table: str | None = None,
        datastack_name: str | None = None,
        metadata: bool = True,
        *,
        return_format: str = "pandas",
    ) -> Any:
        """Synapses from ``pre_ids`` and/or onto ``post_ids`` (one id or a list), optionally inside a box (voxels)."""
        table = self._synapse_table(synapse_table)
        filters: dict[str, dict[str, Any]] = {key: {} for key in plan.FILTER_ARGS}
        for column, ids in ((PRE, pre_ids), (POST, post_ids)):
            if ids is not None:
                key, value = _ids(ids)
                filters[key][column] = value
        if not include_zeros:
            filters["filter_out_dict"] = {PRE: [0], POST: [0]}
        if bounding_box is not None:
            filters["filter_spatial_dict"] = {bounding_box_column: bounding_box}
        moment = self._moment(materialization_version, timestamp, datastack_name)  # type: ignore[attr-defined]
        query = plan.simple(self._mirror, table, None, merge_reference=False)
        if remove_autapses:
            query.extra.append(no_autapse(table))
        return self._execute(  # type: ignore[attr-defined]
            query, {k: v or None for k, v in filters.items()}, moment,
            Options(split_positions, metadata, True, return_format, True),
            select_columns=None, offset=offset, limit=limit, random_sample=None, random_seed=None,
            desired_resolution=desired_resolution, timestamp=timestamp,
            attrs_extra={"remove_autapses": remove_autapses},
        )

    def query_batch(
        self,
        table: str,
        filter_sets: Sequence[Mapping[str, Any]],
        *,
        select_columns: Sequence[str] | None = None,
        materialization_version: int | None = None,
        timestamp: Any = None,
        split_positions: bool = False,
        desired_resolution: Sequence[float] | None = None,
        remove_autapses: bool = False,
        datastack_name: str | None = None,
        return_format: str = "pandas",
    ) -> Any:
        """K filter sets (``{"filter_in_dict": {...}, ...}`` each) in one statement; rows carry ``query_index``.

        Sets that differ only in the values of one in / equal filter (one neuron each) become a
        single join against a ``(query_index, key)`` table after their root ids are turned into
        supervoxels, so thousands of neurons cost one pass.

        >>> client.query_batch("synapses", [{"filter_equal_dict": {"pre_pt_root_id": r}} for r in roots])  # doctest: +SKIP
        """
        check_format(return_format)
        moment = self._moment(materialization_version, timestamp, datastack_name)  # type: ignore[attr-defined]
        query = plan.simple(self._mirror, table, select_columns, merge_reference=False)
        query.desired_resolution = self._desired(desired_resolution)  # type: ignore[attr-defined]
        if remove_autapses:
            query.extra.append(no_autapse(table))
        sets = [_check_set(s) for s in filter_sets] if not isinstance(filter_sets, Mapping) else None
        if not sets:
            raise BadInputError("query_batch takes a non-empty list of filter sets (dicts of filter dicts)")
        notices(self._mirror, query, Options())
        record_batch(self._mirror, query, sets, moment)
        return output(run_batch(self._mirror, query, sets, moment), return_format, split_positions, None)

    def synapse_query_batch(
        self,
        pre_ids: Sequence[Any] | None = None,
        post_ids: Sequence[Any] | None = None,
        **kwargs: Any,
    ) -> Any:
        """``synapse_query`` for each pre (or post) neuron in one statement; ``query_index`` is the position in the list."""
        if (pre_ids is None) == (post_ids is None):
            raise BadInputError("give pre_ids or post_ids (a list: one query per id), not both")
        column, ids = (PRE, pre_ids) if pre_ids is not None else (POST, post_ids)
        sets = [dict([(_ids(i)[0], {column: i})]) for i in ids]
        kwargs.setdefault("remove_autapses", True)
        return self.query_batch(self._synapse_table(kwargs.pop("synapse_table", None)), sets, **kwargs)

    def connectivity(
        self,
        pre_filter: Mapping[str, Any] | None = None,
        post_filter: Mapping[str, Any] | None = None,
        by: Sequence[str] = ("cell_type", "cell_type"),
        *,
        label_table: str | None = None,
        synapse_filter: Mapping[str, Any] | None = None,
        timestamp: Any = None,
        materialization_version: int | None = None,
        synapse_table: str | None = None,
        remove_autapses: bool = True,
        unlabeled: str | None = None,
        datastack_name: str | None = None,
        return_format: str = "pandas",
    ) -> Any:
        """Synapse counts and summed size between groups (e.g. cell type x cell type) in one grouped query.

        Each synapse's pre / post segment is labelled from ``label_table`` (the table holding the
        ``by`` columns; its first bound point, or its reference table's, locates the segment).
        ``pre_filter`` / ``post_filter`` are filter dicts on the label table choosing the pre / post
        segments; ``synapse_filter`` filters the synapses. A segment with several labels takes the
        smallest; unlabelled segments are left out unless ``unlabeled`` names their group.

        >>> matrix = client.connectivity(by=("cell_type", "cell_type"))  # doctest: +SKIP
        >>> matrix.pivot(index="pre_cell_type", columns="post_cell_type", values="n_synapses")  # doctest: +SKIP
        """
        check_format(return_format)
        moment = self._moment(materialization_version, timestamp, datastack_name)  # type: ignore[attr-defined]
        result = connectivity_query(
            self._mirror, self._synapse_table(synapse_table), moment, by, label_table=label_table,
            pre_filter=pre_filter, post_filter=post_filter, synapse_filter=synapse_filter,
            remove_autapses=remove_autapses, unlabeled=unlabeled,
        )
        return output(result, return_format, True, None)


def _check_set(filter_set: Any) -> dict[str, Any]:
    if not isinstance(filter_set, Mapping):
        raise BadInputError(f"each filter set is a dict of filter dicts, got {type(filter_set).__name__}")
    unknown = sorted(set(filter_set) - set(plan.FILTER_ARGS))
    if unknown:
        raise BadInputError(f"unknown filter argument(s) {', '.join(unknown)} (valid: {', '.join(plan.FILTER_ARGS)})")
    return dict(filter_set)

