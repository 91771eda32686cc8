"""Clear errors for every malformed filter, raised before anything runs."""

from __future__ import annotations

import pytest

import engine
from engine import BadFilterError, BadInputError, UnknownColumnError, UnknownTableError
from engine.filters import FILTER_KEYS, parse_filter_dicts


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        (
            {"filter_in_dict": {"pre_root_id": [1]}},
            UnknownColumnError,
            "table 'synapses' has no column 'pre_root_id'; did you mean 'pre_pt_root_id'\\?",
        ),
        ({"filter_in_dict": {"cells": {"id": [1]}}}, UnknownTableError, "no table 'cells'.*valid: synapses"),
        ({"filter_in_dict": {"pre_pt_root_id": []}}, BadFilterError, "list of values is empty"),
        ({"filter_out_dict": {"pre_pt_root_id": []}}, BadFilterError, "list of values is empty"),
        ({"filter_in_dict": {"pre_pt_root_id": 10}}, BadFilterError, "expected a list of values"),
        ({"filter_equal_dict": {"pre_pt_root_id": [10]}}, BadFilterError, "takes one value, got a list"),
        ({"filter_equal_dict": {"cell_type": 3}}, BadFilterError, "'cell_type' has type string"),
        ({"filter_greater_dict": {"created": "soon"}}, BadFilterError, "'soon' is not an ISO timestamp"),
        ({"filter_greater_dict": {"size": None}}, BadFilterError, "one non-null value"),
        ({"filter_regex_dict": {"cell_type": "[a-"}}, BadFilterError, "Regex\\(cell_type\\): invalid regex '\\[a-'"),
        ({"filter_regex_dict": {"size": "1"}}, BadFilterError, "'size' has type double; regex needs a string"),
        ({"filter_spatial_dict": {"pre_pt_position": [[0, 0], [1, 1]]}}, BadFilterError, "expected \\[\\[xmin"),
        ({"filter_spatial_dict": {"pre_pt_position": [0, 0, 0, 1, 1, 1]}}, BadFilterError, "expected \\[\\[xmin"),
        (
            {"filter_spatial_dict": {"pre_pt_position": [[0, 0, 9], [1, 1, 1]]}},
            BadFilterError,
            "min 9 is greater than max 1 on axis z",
        ),
        ({"filter_spatial_dict": {"pre_position": [[0, 0, 0], [1, 1, 1]]}}, UnknownColumnError, "did you mean 'pre_pt_position'"),
        ({"filter_spatial_dict": {"cell_type": [[0, 0, 0], [1, 1, 1]]}}, BadFilterError, "not a numeric list"),
        ({"filter_in_dict": ["pre_pt_root_id"]}, BadFilterError, "takes a dict of"),
        ({"filter_in_dct": {}}, BadFilterError, "unknown filter 'filter_in_dct'; did you mean 'filter_in_dict'"),
        ({"order_by": "-sizes"}, UnknownColumnError, "did you mean 'size'"),
        ({"order_by": [("size", "up")]}, BadInputError, "order_by takes"),
        ({"limit": -1}, BadInputError, "limit must be a non-negative integer"),
        ({"offset": 1.5}, BadInputError, "offset must be a non-negative integer"),
        ({"filters": "size > 1"}, BadFilterError, "filters= takes a filter node"),
        ({"filter_spatial_dict": {"pre_pt_position": [[0, 0, 0], [1, 1, 1]]}, "resolution": [4, 4, 40]},
         BadFilterError, "give both resolution"),
    ],
)
def test_query_errors_are_clear(ds: engine.Dataset, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        ds.query("synapses", **kwargs)


def test_unknown_filter_key_lists_every_valid_key(schema) -> None:
    with pytest.raises(BadFilterError) as info:
        parse_filter_dicts({"filter_everything": {}}, schema)
    for key in FILTER_KEYS:
        assert key in str(info.value)


def test_unknown_column_error_lists_the_columns(ds: engine.Dataset) -> None:
    with pytest.raises(UnknownColumnError) as info:
        ds.query("synapses", filter_equal_dict={"nope": 1})
    assert "valid: cell_type, created" in str(info.value)
    assert info.value.table == "synapses" and info.value.name == "nope"


def test_unknown_table(ds: engine.Dataset) -> None:
    with pytest.raises(UnknownTableError, match="did you mean 'synapses'"):
        ds.query("synapse")


def test_errors_are_value_errors_for_callers_that_catch_builtins(ds: engine.Dataset) -> None:
    with pytest.raises(ValueError):
        ds.query("synapses", filter_in_dict={"pre_pt_root_id": []})
