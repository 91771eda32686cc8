"""Classify cells and pairs into classes, vectorized: no Python loop over cells or pairs.

``classify_cells`` evaluates every class in one SQL pass (a boolean column per class);
``classify_pairs`` builds each (pre, post) group with array masks; the dataframe helpers compile
each class to one polars expression and pick the first match in dict order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl
import pyarrow as pa

from ..errors import BadInputError
from ..filters import Scope, polars_expr
from ..schema import TableSchema
from ..sql import Compiled, ParamNames
from .cell_class import CellClass
from .criteria import RESOLUTION_ORDER
from .groups import as_polars, label, pair_ids
from .membership import membership_sql

if TYPE_CHECKING:
    import pandas as pd

    from .database import SynphysDatabase

PairGroups = dict[tuple[CellClass, CellClass], pl.DataFrame]


def distinct_classes(cell_classes: Iterable[CellClass] | Mapping[Any, CellClass]) -> list[CellClass]:
    """The classes in order; two *different* classes sharing a name are refused (the reference merges them silently)."""
    classes = list(cell_classes.values() if isinstance(cell_classes, Mapping) else cell_classes)
    seen: dict[str, CellClass] = {}
    for cls in classes:
        if not isinstance(cls, CellClass):
            raise BadInputError(f"expected CellClass objects, got {type(cls).__name__}")
        other = seen.setdefault(cls.name, cls)
        if other is not cls and not other.same_criteria(cls):
            raise BadInputError(
                f"two different classes are both named {cls.name!r}; classes compare and hash by name, "
                "so give each a unique name="
            )
    return classes


def classify_cells(
    db: SynphysDatabase,
    cell_classes: Iterable[CellClass] | Mapping[Any, CellClass],
    cells: Any = None,
    pairs: Any = None,
) -> dict[CellClass, frozenset[int]]:
    """``{class: ids of its cells}`` for ``cells`` (ids or a frame with ``cell.id``), the cells of ``pairs``, or all."""
    classes = distinct_classes(cell_classes)
    if cells is not None and pairs is not None:
        raise BadInputError("cells and pairs are mutually exclusive")
    names = ParamNames()
    sql = membership_sql(classes, db.dataset, names, db.repeating_tables)
    table = db.dataset.result(Compiled(sql, names.params)).arrow()
    ids = table["cell_id"].to_numpy()
    keep = np.ones(len(ids), dtype=bool)
    if pairs is not None:
        frame = as_polars(pairs)
        pre, post = (_column(frame, f"pair.{side}_cell_id", f"{side}_cell_id") for side in ("pre", "post"))
        keep = np.isin(ids, np.concatenate([pre, post]))
    elif cells is not None:
        keep = np.isin(ids, _cell_ids(cells))
    return {
        cls: frozenset(ids[keep & table[f"m{i}"].to_numpy(zero_copy_only=False)].tolist())
        for i, cls in enumerate(classes)
    }


def classify_pairs(pairs: Any, cell_groups: Mapping[CellClass, Iterable[int]]) -> PairGroups:
    """``{(pre_class, post_class): rows of pairs}`` for every ordered combination; a pair lands in each it matches."""
    frame = as_polars(pairs)
    pre = _column(frame, "pair.pre_cell_id", "pre_cell_id")
    post = _column(frame, "pair.post_cell_id", "post_cell_id")
    members = {cls: np.fromiter(ids, dtype=np.int64) for cls, ids in cell_groups.items()}
    pre_in = {cls: np.isin(pre, ids) for cls, ids in members.items()}
    post_in = {cls: np.isin(post, ids) for cls, ids in members.items()}
    return {
        (a, b): frame.filter(pl.Series(pre_in[a] & post_in[b]))
        for a in members for b in members
    }


def classify_cell_dataframe(classes: Mapping[Any, CellClass], df: Any, prefix: str = "") -> Any:
    """Each row's first class key (dict order) whose criteria its ``<prefix><table>.<column>`` values match, or None."""
    frame = as_polars(df)
    scope = frame_scope(frame, prefix)
    chain: Any = None
    for key, cls in classes.items():
        test = polars_expr(cls.filter(prefix), scope).fill_null(False)
        chain = (pl.when(test) if chain is None else chain.when(test)).then(pl.lit(label(key)))
    out = frame.select((chain.otherwise(pl.lit(None, pl.String)) if chain is not None else pl.lit(None, pl.String))
                       .alias("class"))["class"]
    return _like(df, out)


def classify_pair_dataframe(
    classes: Mapping[Any, CellClass], df: Any, col_names: Sequence[str] = ("pre_class", "post_class")
) -> Any:
    """Add the pre and post cells' first matching class keys (pandas frames in place, as in the reference)."""
    pre = classify_cell_dataframe(classes, df, "pre_")
    post = classify_cell_dataframe(classes, df, "post_")
    if isinstance(df, pl.DataFrame):
        return df.with_columns(pre.alias(col_names[0]), post.alias(col_names[1]))
    if isinstance(df, pa.Table):
        return df.append_column(col_names[0], pre.to_arrow()).append_column(col_names[1], post.to_arrow())
    df[col_names[0]] = pre.to_numpy()
    df[col_names[1]] = post.to_numpy()
    return df


def frame_scope(frame: pl.DataFrame, prefix: str) -> Scope:
    """The per-cell tables found in a frame's ``<prefix><table>.<column>`` columns, as a qualified scope."""
    arrow = frame.head(0).to_arrow().schema
    tables = {}
    for table in RESOLUTION_ORDER:
        alias = prefix + table
        fields = [f.with_name(f.name[len(alias) + 1:]) for f in arrow if f.name.startswith(alias + ".")]
        if fields:
            tables[alias] = TableSchema.from_arrow(alias, pa.schema(fields))
    if not tables:
        raise BadInputError(
            f"the frame has no {prefix}cell.* / {prefix}morphology.* ... columns; "
            "query with preload=['cell'] (or pass the right prefix)"
        )
    return Scope(tables, qualify=True)


def _like(original: Any, series: pl.Series) -> Any:
    """``series`` as a pandas Series (on the original index) for pandas input, else as is."""
    if type(original).__module__.split(".")[0] == "pandas":
        out: pd.Series = series.to_pandas()
        out.index = original.index
        return out
    return series


def _column(frame: pl.DataFrame, *names: str) -> np.ndarray:
    name = next((n for n in names if n in frame.columns), None)
    if name is None:
        raise BadInputError(f"the pairs need a {names[0]!r} column (have: {', '.join(frame.columns[:10])} ...)")
    return frame[name].cast(pl.Int64).to_numpy()


def _cell_ids(cells: Any) -> np.ndarray:
    if isinstance(cells, pl.DataFrame) or hasattr(cells, "columns") or hasattr(cells, "arrow"):
        return _column(as_polars(cells), "cell.id", "id")
    return pair_ids(cells)
