"""The filter compiler: every WHERE clause in the engine comes from here.

Input forms (wire filter dicts, cell-class criteria, ranges, hand-built IR) parse to one IR
(``ir.py``), which is bound to a ``Scope`` (columns and value types checked), normalised
(``passes.py``) and compiled to DuckDB SQL with bound parameters (``to_sql.py``) or to a
polars expression (``to_polars.py``). See docs/filters.md.

>>> from engine.filters import InSet, Range, compile
>>> compile(InSet("pre_pt_root_id", [1, 2]) & Range("size", lo=10), schema)  # doctest: +SKIP
Compiled(sql='"pre_pt_root_id" IN ($p0, $p1) AND ("size" >= $p2 AND NOT isnan("size"))', ...)
"""

from __future__ import annotations

from .batch import BatchResult
from .bind import bind, prepare
from .criteria import COMPARISONS, between, compare, parse_criteria
from .ir import (
    NODES, TRUE, And, BBox, Col, Equal, InSet, IsNull, Node, Not, NotInSet, Or, Range, Regex, as_node, columns_of, leaves,
    map_columns,
)
from .parse import FILTER_KEYS, FilterKey, any_of, equal, none_of, parse_filter_dicts
from .passes import PASSES, optimize
from .relations import KEY_TABLE_MIN_VALUES, Relations, relation_result
from .scope import Point, Scope
from .statement import with_where
from .to_polars import filter_frame, polars_expr
from .to_sql import compile

__all__ = [
    "COMPARISONS",
    "FILTER_KEYS",
    "KEY_TABLE_MIN_VALUES",
    "NODES",
    "PASSES",
    "TRUE",
    "And",
    "BBox",
    "BatchResult",
    "Col",
    "Equal",
    "FilterKey",
    "InSet",
    "IsNull",
    "Node",
    "Not",
    "NotInSet",
    "Or",
    "Point",
    "Range",
    "Regex",
    "Relations",
    "Scope",
    "any_of",
    "as_node",
    "between",
    "bind",
    "columns_of",
    "compare",
    "compile",
    "equal",
    "filter_frame",
    "leaves",
    "map_columns",
    "none_of",
    "optimize",
    "parse_criteria",
    "parse_filter_dicts",
    "polars_expr",
    "prepare",
    "relation_result",
    "with_where",
]
