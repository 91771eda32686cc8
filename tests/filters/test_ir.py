"""IR nodes: invariants checked on construction, value normalisation, and coverage of both backends."""

from __future__ import annotations

import inspect

import numpy as np
import polars as pl
import pyarrow as pa
import pytest

import engine
from engine import BadFilterError
from engine.filters import (
    NODES,
    TRUE,
    And,
    BBox,
    Col,
    Equal,
    InSet,
    IsNull,
    Node,
    Not,
    NotInSet,
    Or,
    Range,
    Regex,
    as_node,
    compile,
    filter_frame,
    ir,
)

EXAMPLES: dict[type[Node], Node] = {
    Equal: Equal("cell_type", "sst"),
    IsNull: IsNull("size"),
    InSet: InSet("pre_pt_root_id", [10, 30]),
    NotInSet: NotInSet("pre_pt_root_id", [10], keep_null=True),
    Range: Range("size", lo=1, hi=7, hi_inclusive=False),
    Regex: Regex("cell_type", "^s"),
    BBox: BBox("pre_pt_position", (0, 0, 0), (10, 10, 2)),
    And: And((Equal("valid", True), Range("size", lo=0))),
    Or: Or((IsNull("size"), Equal("cell_type", "pv;--"))),
    Not: Not(Equal("valid", True)),
}


def test_nodes_lists_every_node_class_in_ir() -> None:
    defined = {cls for _, cls in inspect.getmembers(ir, inspect.isclass) if issubclass(cls, Node) and cls is not Node}
    assert defined == set(NODES) == set(EXAMPLES)


@pytest.mark.parametrize("cls", NODES, ids=lambda c: c.__name__)
def test_every_node_compiles_to_sql_and_polars_with_the_same_rows(cls: type[Node], synapses: pa.Table) -> None:
    node = EXAMPLES[cls]
    with engine.connect({"synapses": synapses}) as ds:
        compiled = compile(node, ds.schema("synapses"))
        assert compiled.sql not in ("", "TRUE")
        via_sql = ds.query("synapses", ["id"], filters=node).arrow()["id"].to_pylist()
    via_polars = filter_frame(pl.from_arrow(synapses), node, table="synapses")["id"].to_list()
    assert sorted(via_sql) == sorted(via_polars)


def test_operators_build_and_or_not() -> None:
    a, b = Equal("x", 1), IsNull("y")
    assert a & b == And((a, b))
    assert a | b == Or((a, b))
    assert ~a == Not(a)


def test_nodes_are_hashable_and_compare_by_value() -> None:
    assert InSet("x", [1, 2, 2]) == InSet("x", (1, 2))
    assert len({Equal("x", 1), Equal("x", 1), Equal(Col("x"), 1)}) == 1


def test_values_are_normalised_from_numpy_pyarrow_polars() -> None:
    expected = InSet("x", [1, 2, 3])
    assert InSet("x", np.array([1, 2, 3])) == expected
    assert InSet("x", pa.array([1, 2, 3])) == expected
    assert InSet("x", pl.Series([1, 2, 3])) == expected
    assert InSet("x", range(1, 4)) == expected
    assert Equal("x", np.int64(5)) == Equal("x", 5)
    assert type(Equal("x", np.float32(0.5)).value) is float
    assert Equal("x", pa.scalar(5)) == Equal("x", 5)


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: Equal("x", None), "use IsNull"),
        (lambda: Equal("x", float("nan")), "NaN is not a valid filter value"),
        (lambda: InSet("x", []), "empty"),
        (lambda: InSet("x", [1, None]), "use IsNull"),
        (lambda: InSet("x", 5), "expected a list"),
        (lambda: Range("x"), "at least one bound"),
        (lambda: Range("x", lo=5, hi=1), "min 5 is greater than max 1"),
        (lambda: Range("x", lo="a", hi=1), "cannot be compared"),
        (lambda: Regex("x", "(unclosed"), "invalid regex '\\(unclosed'"),
        (lambda: Regex("x", 5), "must be a string"),
        (lambda: BBox("p", (0, 0, 0), (1, 1)), "same length"),
        (lambda: BBox("p", (0, 0, 0, 0), (1, 1, 1, 1)), "1 to 3 axes"),
        (lambda: BBox("p", (0, 5, 0), (1, 1, 1)), "greater than max 1 on axis y"),
        (lambda: BBox("p", (0, "a", 0), (1, 1, 1)), "coordinates must be numbers"),
        (lambda: And((Equal("x", 1), "x = 1")), "takes filter nodes"),
        (lambda: Not("x"), "takes a filter node"),
        (lambda: Col(""), "non-empty string"),
        (lambda: NotInSet("x", [1], keep_null="yes"), "keep_null must be a bool"),
        (lambda: as_node("x = 1"), "filters= takes a filter node"),
    ],
)
def test_nodes_reject_bad_input(build, message: str) -> None:
    with pytest.raises(BadFilterError, match=message):
        build()


def test_bbox_accepts_min_equal_max() -> None:
    assert BBox("p", (1, 1, 1), (1, 1, 1)).lo == (1, 1, 1)


def test_as_node_and_true() -> None:
    assert as_node(None) == TRUE
    assert as_node([Equal("x", 1)]) == And((Equal("x", 1),))


def test_large_inset_repr_is_short() -> None:
    text = repr(InSet("x", range(100_000)))
    assert len(text) < 120 and "100000 values" in text
