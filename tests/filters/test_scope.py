"""Multi-table scopes: how domain layers compile filters against a FROM clause with aliases they build."""

from __future__ import annotations

import polars as pl
import pyarrow as pa
import pytest

import engine
from engine import BadInputError, UnknownColumnError, UnknownTableError
from engine.filters import (
    Col,
    Equal,
    Scope,
    between,
    compare,
    compile,
    parse_criteria,
    parse_filter_dicts,
    polars_expr,
    with_where,
)
from engine.sql import Compiled, ParamNames

CELL = pa.table(
    {"id": [1, 2, 3, 4], "cre_type": ["sst", "pvalb", "sst", None], "cortical_layer": ["2/3", "2/3", "5", "5"]}
)
MORPHOLOGY = pa.table({"id": [10, 11, 12], "cell_id": [1, 2, 3], "dendrite_type": ["aspiny", "aspiny", "spiny"]})
LOCATION = pa.table({"cell_id": [1, 2, 3, 4], "fractional_layer_depth": [0.2, 0.7, 0.4, 0.9]})
PAIR = pa.table({"id": [100, 101, 102, 103], "pre_cell_id": [1, 2, 3, 1], "post_cell_id": [2, 1, 4, 3],
                 "distance": [50e-6, 50e-6, 150e-6, None]})

FROM = (
    "SELECT pair.id FROM pair "
    "JOIN cell AS pre_cell ON pre_cell.id = pair.pre_cell_id "
    "JOIN cell AS post_cell ON post_cell.id = pair.post_cell_id "
    "LEFT JOIN morphology AS pre_morphology ON pre_morphology.cell_id = pre_cell.id "
    "LEFT JOIN cortical_cell_location AS pre_location ON pre_location.cell_id = pre_cell.id"
)


@pytest.fixture(scope="module")
def synphys() -> engine.Dataset:
    tables = {"cell": CELL, "morphology": MORPHOLOGY, "cortical_cell_location": LOCATION, "pair": PAIR}
    with engine.connect(tables) as ds:
        yield ds


@pytest.fixture(scope="module")
def scope(synphys: engine.Dataset) -> Scope:
    cell, morphology = synphys.schema("cell"), synphys.schema("morphology")
    return Scope(
        {
            "pair": synphys.schema("pair"),
            "pre_cell": cell,
            "post_cell": cell,
            "pre_morphology": morphology,
            "pre_location": synphys.schema("cortical_cell_location"),
        },
        synonyms={"cell": "pre_cell"},
    )


def _pairs(synphys: engine.Dataset, scope: Scope, *filters: object) -> list[int]:
    names = ParamNames()
    statement = with_where(FROM, [compile(f, scope, names=names) for f in filters])
    return sorted(synphys.result(statement).arrow()["id"].to_pylist())


def test_qualified_columns_and_aliases(scope: Scope) -> None:
    compiled = compile(Equal(Col("cre_type", "post_cell"), "sst"), scope)
    assert compiled == Compiled('"post_cell"."cre_type" = $p0', {"p0": "sst"})


def test_unqualified_columns_resolve_to_the_first_table_that_has_them(scope: Scope) -> None:
    assert scope.column_map()["id"] == "pair"
    assert compile(Equal("dendrite_type", "spiny"), scope).sql == '"pre_morphology"."dendrite_type" = $p0'
    role = scope.subset(["pre_cell", "pre_morphology", "pre_location"])
    assert compile(Equal("id", 1), role).sql == '"pre_cell"."id" = $p0'  # cell before morphology


def test_cell_class_criteria_span_the_role_tables(synphys: engine.Dataset, scope: Scope) -> None:
    role = scope.subset(["pre_cell", "pre_morphology", "pre_location"])
    sst_or_pv = parse_criteria({"cre_type": ("sst", "pvalb"), "dendrite_type": "aspiny"}, role)
    assert _pairs(synphys, scope, sst_or_pv) == [100, 101, 103]
    superficial = parse_criteria({"cre_type": "sst"}, role, exprs=[("fractional_layer_depth", "<", 0.5)])
    assert _pairs(synphys, scope, superficial) == [100, 102, 103]
    missing = parse_criteria({"cre_type": None}, scope.subset(["post_cell"]))
    assert _pairs(synphys, scope, missing) == [102]


def test_pair_query_style_ranges_and_several_fragments(synphys: engine.Dataset, scope: Scope) -> None:
    near = between(Col("distance", "pair"), (None, 100e-6))
    pre_sst = parse_criteria({"cre_type": "sst"}, scope.subset(["pre_cell"]))
    assert _pairs(synphys, scope, near, pre_sst) == [100]
    assert between("distance", (None, None)) is None


def test_nested_filter_dicts_use_aliases_and_synonyms(synphys: engine.Dataset, scope: Scope) -> None:
    node = parse_filter_dicts({"filter_equal_dict": {"post_cell": {"cre_type": "sst"}, "cell": {"cortical_layer": "2/3"}}}, scope)
    assert _pairs(synphys, scope, node) == [101, 103]


def test_polars_spells_qualified_columns_as_alias_dot_name(scope: Scope) -> None:
    frame = pl.DataFrame({"pre_cell.cre_type": ["sst", "pvalb", None]})
    expr = polars_expr(Equal(Col("cre_type", "pre_cell"), "sst"), scope)
    assert frame.filter(expr).height == 1


def test_scope_errors(scope: Scope) -> None:
    with pytest.raises(UnknownColumnError, match="any of pair, pre_cell.*did you mean 'cre_type'"):
        compile(Equal("cre_typ", "x"), scope)
    with pytest.raises(UnknownTableError, match="no table 'post_morphology'"):
        compile(Equal(Col("dendrite_type", "post_morphology"), "x"), scope)
    with pytest.raises(UnknownTableError):
        Scope({"a": scope.tables["pair"]}, synonyms={"b": "c"})


def test_criteria_errors(scope: Scope) -> None:
    from engine import BadFilterError

    with pytest.raises(BadFilterError, match="unknown comparison '=~'"):
        compare("x", "=~", 1)
    with pytest.raises(BadFilterError, match="dict values"):
        parse_criteria({"cre_type": {"t_type": "x"}}, scope)
    with pytest.raises(BadFilterError, match="\\(min, max\\) pair"):
        between("distance", (1, 2, 3))
    assert compare("cre_type", "!=", None) == ~compare("cre_type", "==", None)


def test_with_where_merges_params_and_refuses_clashes() -> None:
    names = ParamNames()
    a = Compiled(f'"x" = {names.bind(1)}', {"p0": 1})
    b = Compiled(f'"y" = {names.bind(2)} OR "z"', {"p1": 2})
    assert with_where("SELECT 1", [a, Compiled("TRUE"), b], "LIMIT 1") == Compiled(
        'SELECT 1 WHERE ("x" = $p0) AND ("y" = $p1 OR "z") LIMIT 1', {"p0": 1, "p1": 2}
    )
    with pytest.raises(BadInputError, match="bound twice"):
        with_where("SELECT 1", [Compiled("a", {"p0": 1}), Compiled("b", {"p0": 2})])
