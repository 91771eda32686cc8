"""``Dataset.query``: one table, filter dicts and / or IR, ORDER BY, LIMIT / OFFSET -> a lazy ``Result``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..export.log import record_read
from ..result import Result
from ..sql import Compiled, ParamNames, quote_ident
from .ir import And, Node, as_node
from .parse import FILTER_KEYS, Resolution, check_key, parse_filter_dicts
from .relations import Relations, relation_result
from .scope import Scope
from .statement import OrderBy, count_arg, limit_sql, order_sql, paging_order, select_list, with_where
from .to_sql import compile

if TYPE_CHECKING:
    from ..dataset import Dataset


def filter_node(
    scope: Scope,
    dicts: Mapping[str, Any],
    filters: Node | Iterable[Node] | None = None,
    *,
    resolution: Sequence[float] | None = None,
    table_resolution: Resolution = None,
) -> Node:
    """The AND of the filter dicts (``{"filter_in_dict": ..., ...}``) and ``filters`` IR."""
    parsed = parse_filter_dicts(dicts, scope, resolution=resolution, table_resolution=table_resolution)
    return And((parsed, as_node(filters)))


def select(
    dataset: Dataset,
    table: str,
    columns: Sequence[str] | None = None,
    *,
    filter_in_dict: Mapping[str, Any] | None = None,
    filter_out_dict: Mapping[str, Any] | None = None,
    filter_notin_dict: Mapping[str, Any] | None = None,
    filter_equal_dict: Mapping[str, Any] | None = None,
    filter_greater_dict: Mapping[str, Any] | None = None,
    filter_less_dict: Mapping[str, Any] | None = None,
    filter_greater_equal_dict: Mapping[str, Any] | None = None,
    filter_less_equal_dict: Mapping[str, Any] | None = None,
    filter_regex_dict: Mapping[str, Any] | None = None,
    filter_spatial_dict: Mapping[str, Any] | None = None,
    filters: Node | Iterable[Node] | None = None,
    order_by: OrderBy = None,
    limit: int | None = None,
    offset: int | None = None,
    resolution: Sequence[float] | None = None,
    table_resolution: Resolution = None,
    **unknown: Any,
) -> Result:
    """Rows of ``table`` matching every filter; see docs/filters.md for each form's semantics.

    ``order_by``: ``"col"``, ``"-col"`` (descending), ``("col", "desc")`` or a list of them.
    With ``offset`` and no ``order_by`` the rows are ordered by the primary key (if the table
    has one), so pages are deterministic. ``resolution`` / ``table_resolution`` (nm per unit)
    rescale spatial boxes given in other units.

    >>> ds.query("synapses", ["id"], filter_in_dict={"pre_pt_root_id": [1, 2]}, limit=10)  # doctest: +SKIP
    """
    dicts = {key: value for key, value in locals().items() if key in FILTER_KEYS}  # first: locals() = the arguments
    for key in unknown:
        check_key(key)  # raises, naming the valid filter keys
    schema = dataset.schema(table)
    scope = Scope.of(schema)
    node = filter_node(scope, dicts, filters, resolution=resolution, table_resolution=table_resolution)
    names, relations = ParamNames(), Relations()
    where = compile(node, scope, names=names, relations=relations)
    record_read(dataset, schema.name, node)
    limit, offset = count_arg("limit", limit), count_arg("offset", offset)
    terms = paging_order(schema, order_by, offset)
    tail = " ".join(p for p in (f"ORDER BY {order_sql(terms)}" if terms else "", limit_sql(limit, offset, names)) if p)
    head = f"SELECT {select_list(schema, columns)} FROM {quote_ident(schema.name)}"
    statement = with_where(head, [where], tail)
    return relation_result(dataset, Compiled(statement.sql, names.params), relations)
