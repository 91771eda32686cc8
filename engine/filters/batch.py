"""``Dataset.query_batch``: K filter sets in one statement; each row says which set it answers.

Sets that differ only in the values of the same in / equal columns (one neuron's synapses
each) become ONE join against a ``(query_index, key)`` table per column, never K queries.
Other sets fall back to one ``UNION ALL`` branch each, still a single round trip. ``limit`` /
``offset`` / ``order_by`` apply per set, so the batch returns what K ``query`` calls would.
When the dataset has a sorted-key index on a group's only keyed column (``Dataset.key_index``:
Parquet mirrors sorted by it), the group's rows come from the index instead of a join over a
scan, and the rest of its filter runs in DuckDB over those rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pyarrow as pa

from ..errors import BadInputError
from ..export.log import active, record_read
from ..result import Result
from ..schema import TableSchema
from ..sql import Compiled, ParamNames, quote_ident
from .grouping import Group, columnar, groups
from .ir import TRUE, And, Col, InSet, Node, Or, map_columns
from .parse import Resolution, check_key
from .relations import Registering, Relations, key_array, key_source, relation_result
from .scope import Scope
from .statement import OrderBy, count_arg, order_sql, paging_order, select_list, with_where
from .to_sql import IN_LIST_MAX_VALUES, compile

if TYPE_CHECKING:
    from ..dataset import Dataset

ALIAS = "t"
INDEX = "query_index"


class KeyLookup(Protocol):
    """What ``Dataset.key_index`` returns: the rows of ``(owner, key)`` pairs, each distinct pair once."""

    schema: pa.Schema

    def lookup(
        self, owners: np.ndarray, keys: Sequence[Any], columns: Sequence[str] | None
    ) -> tuple[pa.Table, np.ndarray]: ...

    def ranges(self, owners: np.ndarray, keys: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...

    def rows(self, starts: np.ndarray, counts: np.ndarray, columns: Sequence[str] | None) -> pa.Table: ...

    def slices(self, starts: np.ndarray, counts: np.ndarray, columns: Sequence[str]) -> list[pa.Table] | None: ...


class BatchResult(Result):
    """The rows of K queries with a leading ``query_index`` column; ``split()`` returns the K tables."""

    def __init__(self, connector: Any, compiled: Compiled, *, queries: int, **kwargs: Any) -> None:
        super().__init__(connector, compiled, **kwargs)
        self.queries = queries

    def split(self) -> list[pa.Table]:
        """One Arrow table per filter set, in order, without ``query_index`` (each as ``query`` would return it)."""
        table = self.arrow()
        index = table.column(INDEX).to_numpy()
        if index.size and np.any(index[1:] < index[:-1]):
            order = np.argsort(index, kind="stable")
            table, index = table.take(order), index[order]
        bounds = np.searchsorted(index, np.arange(self.queries + 1))
        body = table.drop_columns([INDEX])
        return [body.slice(a, b - a) for a, b in zip(bounds[:-1], bounds[1:])]


def query_batch(
    dataset: Dataset,
    table: str,
    filter_sets: Iterable[Any],
    columns: Sequence[str] | None = None,
    *,
    order_by: OrderBy = None,
    limit: int | None = None,
    offset: int | None = None,
    resolution: Sequence[float] | None = None,
    table_resolution: Resolution = None,
) -> BatchResult:
    """K filter sets (dicts of filter-dict kwargs, or IR) in one statement; ``limit`` / ``offset`` apply per set.

    >>> ds.query_batch("synapses", [{"filter_in_dict": {"pre_pt_root_id": [i]}} for i in ids]).split()  # doctest: +SKIP
    """
    if isinstance(filter_sets, (Mapping, str, Node)) or not isinstance(filter_sets, Iterable):
        raise BadInputError("query_batch takes a list of filter sets (dicts of filter dicts, or filter nodes)")
    sets = list(filter_sets)
    for filter_set in sets:
        if isinstance(filter_set, Mapping):
            for key in filter_set:
                check_key(key)
    schema = dataset.schema(table)
    if schema.has(INDEX):
        raise BadInputError(f"table {table!r} has a column named {INDEX!r}, which query_batch adds; use query()")
    scope = Scope({ALIAS: schema}, synonyms={schema.name: ALIAS} if schema.name != ALIAS else None, qualify=True)
    fast = columnar(sets, scope) if len(sets) > 1 and resolution is None else None
    planned = [fast] if fast is not None else groups(sets, scope, resolution, table_resolution)
    if planned and active() is not None:  # building the restriction costs; only for a logging analysis
        record_read(dataset, schema.name, _read_restriction(planned))
    names, relations = ParamNames(), Relations()
    limit, offset = count_arg("limit", limit), count_arg("offset", offset)
    terms = paging_order(schema, order_by, offset)
    if len(planned) == 1 and not terms and limit is None and not offset:
        direct = _direct(dataset, schema, planned[0], columns, len(sets))
        if direct is not None:
            return direct
    hidden = [f"__order_{i}" for i in range(len(terms))]
    # Named columns, never ``"t".*``: an indexed branch's relation also holds ``query_index``.
    outputs = select_list(schema, columns or schema.names, f"{quote_ident(ALIAS)}.") + "".join(
        f", {quote_ident(ALIAS)}.{quote_ident(name)} AS {quote_ident(h)}" for (name, _), h in zip(terms, hidden)
    )
    source = f"{quote_ident(schema.name)} AS {quote_ident(ALIAS)}"
    needed = _needed_columns(schema, columns, terms)
    branches = []
    for group in planned:
        index = dataset.key_index(schema.name, group.cols[0].name) if len(group.cols) == 1 else None
        if index is None:
            branches += _branches(group, scope, source, outputs, names, relations)
        else:
            branches.append(_indexed_branch(group, index, needed, scope, outputs, names, relations))
    sql = _per_set(" UNION ALL ".join(branches), [(h, d) for h, (_, d) in zip(hidden, terms)], limit, offset, names)
    return relation_result(  # type: ignore[return-value]
        dataset, Compiled(sql, names.params), relations, cls=BatchResult, queries=len(sets)
    )


def _branches(
    group: Group, scope: Scope, source: str, outputs: str, names: ParamNames, relations: Relations
) -> list[str]:
    """One keyed join for a group of several sets, one filtered SELECT per set otherwise."""
    if len(group.members) == 1 or not group.cols:
        return [
            with_where(
                f"SELECT CAST({k} AS BIGINT) AS {quote_ident(INDEX)}, {outputs} FROM {source}",
                [compile(node, scope, names=names, relations=relations)],
            ).sql
            for k, node in zip(group.members, group.nodes)
        ]
    joins = []
    for j, col in enumerate(group.cols):
        keys = {INDEX: pa.array(group.owners(j)), "key": key_array(group.values[j], _type(col, scope))}
        alias = quote_ident(f"k{j}")
        on = f"{scope.sql(col)} = {alias}.\"key\""
        if j:
            on = f"{alias}.{quote_ident(INDEX)} = \"k0\".{quote_ident(INDEX)} AND {on}"
        distinct = f"SELECT DISTINCT {quote_ident(INDEX)}, \"key\" FROM {key_source(keys, names, relations)}"
        joins.append(f"JOIN ({distinct}) AS {alias} ON {on}")
    index = f"CAST(\"k0\".{quote_ident(INDEX)} AS BIGINT) AS {quote_ident(INDEX)}"  # unnested lists infer INTEGER
    head = f"SELECT {index}, {outputs} FROM {source} " + " ".join(joins)
    return [with_where(head, [compile(_with_prefilter(group), scope, names=names, relations=relations)]).sql]


def _read_restriction(planned: list[Group]) -> Node:
    """Every row the batch reads, as one restriction on the bare table (the OR of its sets, logged once).

    ``limit`` / ``offset`` are left out: like ``Dataset.query``, a batch logs what its filters select.
    """
    parts = [group.restriction() for group in planned]
    return map_columns(parts[0] if len(parts) == 1 else Or(tuple(parts)), lambda col: Col(col.name))


def _needed_columns(
    schema: TableSchema, columns: Sequence[str] | None, terms: list[tuple[str, bool]]
) -> list[str] | None:
    """The columns a branch selects and orders by (None: all of them)."""
    if columns is None:
        return None
    return list(dict.fromkeys([schema.column(c).name for c in columns] + [name for name, _ in terms]))


def _indexed_branch(
    group: Group,
    index: KeyLookup,
    needed: list[str] | None,
    scope: Scope,
    outputs: str,
    names: ParamNames,
    relations: Relations,
) -> str:
    """The group's rows found through a sorted-key index, registered as a relation and filtered by the rest.

    Only the selected and ordered columns are read when the rest is empty; otherwise every column.
    """
    columns = needed if group.rest == TRUE else None
    found, owners = index.lookup(group.owners(0), group.values[0], columns)
    rows = relations.add(found.add_column(0, INDEX, pa.array(owners, type=pa.int64())))
    head = f"SELECT {quote_ident(ALIAS)}.{quote_ident(INDEX)}, {outputs} FROM {rows} AS {quote_ident(ALIAS)}"
    return with_where(head, [compile(group.rest, scope, names=names, relations=relations)]).sql


def _direct(
    dataset: Dataset, schema: TableSchema, group: Group, columns: Sequence[str] | None, queries: int
) -> BatchResult | None:
    """The batch answered by a sorted-key index alone, with no statement to run; None when that does not apply.

    Applies when the sets share one keyed column the dataset has an index on, filter nothing
    else, and every selected column has a type DuckDB returns unchanged, so the rows are
    exactly what the statement path gives.
    """
    if len(group.cols) != 1 or group.rest != TRUE:
        return None
    index = dataset.key_index(schema.name, group.cols[0].name)
    selected = schema.names if columns is None else [schema.column(c).name for c in columns]
    if index is None or len(set(selected)) != len(selected):
        return None
    if not all(_unchanged_by_duckdb(index.schema.field(name).type) for name in selected):
        return None
    return IndexedBatch(dataset, index, index.ranges(group.owners(0), group.values[0]), selected, queries)


class IndexedBatch(BatchResult):
    """A keys-only batch read straight from a sorted-key index: rows are read (or taken) once, on first use.

    ``split()`` on a resident index returns zero-copy slices of the table, so nothing is
    copied; ``sql`` reads the same rows back from a registered relation.
    """

    def __init__(self, dataset: Dataset, index: KeyLookup, ranges: tuple[np.ndarray, np.ndarray, np.ndarray],
                 columns: list[str], queries: int) -> None:
        relation = f"{Relations.prefix}0"
        compiled = Compiled(f"SELECT * FROM {quote_ident(relation)}", {})
        super().__init__(Registering(dataset, {relation: self.arrow}), compiled, queries=queries,
                         encodings=dataset.result(compiled).encodings)
        self._index, self._ranges, self._columns = index, ranges, columns

    def _compute(self) -> pa.Table:
        owners, starts, counts = self._ranges
        found = self._index.rows(starts, counts, self._columns)
        return found.add_column(0, INDEX, pa.array(np.repeat(owners, counts), type=pa.int64()))

    def split(self) -> list[pa.Table]:
        owners, starts, counts = self._ranges
        slices = self._index.slices(starts, counts, self._columns)
        if slices is None:
            return super().split()
        per_set: list[list[pa.Table]] = [[] for _ in range(self.queries)]
        for owner, part in zip(owners.tolist(), slices):
            per_set[owner].append(part)
        empty = self._index.schema.empty_table().select(self._columns)
        return [parts[0] if len(parts) == 1 else pa.concat_tables(parts) if parts else empty for parts in per_set]


def _unchanged_by_duckdb(arrow_type: pa.DataType) -> bool:
    """True for Arrow types a DuckDB round trip returns unchanged (others take the statement path)."""
    return (pa.types.is_integer(arrow_type) or arrow_type in (pa.float32(), pa.float64(), pa.bool_(), pa.string(),
                                                               pa.binary()))


def _with_prefilter(group: Group) -> Node:
    """The group's shared filter plus, for keyed columns with few distinct keys, ``col IN (...)`` of all of them.

    The join alone gives DuckDB only a min/max filter for more than 50 keys, which prunes no
    Parquet row group when the keys are spread out; a short IN list is pushed into the scan.
    """
    extra = []
    for col, values in zip(group.cols, group.values):
        distinct = list(dict.fromkeys(values))
        if len(distinct) <= IN_LIST_MAX_VALUES:
            extra.append(InSet(col, distinct))
    return And((group.rest, *extra)) if extra else group.rest


def _type(col: Col, scope: Scope) -> pa.DataType:
    return scope.resolve(col)[1].type


def _per_set(
    union: str, hidden: list[tuple[str, bool]], limit: int | None, offset: int | None, names: ParamNames
) -> str:
    """Apply ORDER BY / LIMIT / OFFSET to each set (a window over ``query_index``) and drop the sort columns."""
    if not hidden and limit is None and not offset:
        return union
    exclude = f" EXCLUDE ({', '.join(quote_ident(h) for h, _ in hidden)})" if hidden else ""
    order = order_sql(hidden)
    sql = f"SELECT *{exclude} FROM ({union}) AS \"q\""
    if limit is not None or offset:
        window = f"row_number() OVER (PARTITION BY {quote_ident(INDEX)}{' ORDER BY ' + order if order else ''})"
        first = (offset or 0) + 1
        if limit is None:
            sql += f" QUALIFY {window} >= {names.bind(first)}"
        else:
            sql += f" QUALIFY {window} BETWEEN {names.bind(first)} AND {names.bind(first + limit - 1)}"
    return sql + f" ORDER BY {quote_ident(INDEX)}{', ' + order if order else ''}"

