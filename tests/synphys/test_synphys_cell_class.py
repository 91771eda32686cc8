"""CellClass: the is_excitatory vote table, names, equality by name, criteria validation and IR."""

from __future__ import annotations

import pytest

from engine.errors import BadInputError, UnknownNameError
from engine.filters import Col, Equal, InSet, IsNull, Or, Range
from engine.synphys import CellClass
from engine.synphys.criteria import CELL_TABLE_COLUMNS, CRITERIA_TABLE

VOTES = [
    ({"cre_type": "sst"}, False),
    ({"cre_type": "sim1"}, True),
    ({"cre_type": ["sst", "pvalb"]}, False),
    ({"cre_type": ["sst", "tlx3"]}, None),
    ({"cre_type": "sst", "dendrite_type": "spiny"}, None),
    ({"cre_type": "rorb", "dendrite_type": "spiny"}, True),
    ({"cre_type": "rorb", "dendrite_type": "sparsely spiny"}, None),
    ({"cre_type": ["sst", "vip"], "dendrite_type": "sparsely spiny"}, False),
    ({"cell_class": "in", "cell_class_nonsynaptic": "ex"}, None),
    ({"target_layer": "2/3"}, None),
    # beyond the reference's test list
    ({}, None),
    ({"cre_type": "unknown"}, None),
    ({"cre_type": None}, None),
    ({"dendrite_type": "NEI", "cre_type": "sim1"}, None),
    ({"dendrite_type": "aspiny"}, False),
    ({"cell_class": "mixed", "cre_type": "sim1"}, None),
    ({"cell_class_nonsynaptic": "ex"}, True),
    ({"cell_class": "in", "cre_type": "pvalb", "dendrite_type": "aspiny"}, False),
    ({"dendrite_type": ("aspiny", "sparsely spiny")}, False),
    ({"cell_class": ("ex", "in")}, None),
    ({"cre_type": {"cre_type": "sst", "dendrite_type": "aspiny"}}, None),
    ({"dendrite_type": {"dendrite_type": "spiny"}, "cre_type": "sim1"}, None),
]


@pytest.mark.parametrize("criteria, expected", VOTES)
def test_is_excitatory_votes(criteria, expected):
    cls = CellClass(**criteria)
    assert cls.is_excitatory is expected
    assert cls.output_synapse_type == {True: "ex", False: "in"}.get(expected)


def test_unknown_cell_class_value_raises_like_the_reference():
    with pytest.raises(BadInputError, match="'ex', 'in' or 'mixed'"):
        CellClass(cell_class="excitatory").is_excitatory


@pytest.mark.parametrize("criteria, name", [
    ({"target_layer": "2/3", "cre_type": "sst"}, "L2/3 sst"),
    ({"cortical_layer": "5", "dendrite_type": "spiny"}, "L5 spiny"),
    ({"target_layer": "4", "cortical_layer": "5"}, "L4"),
    ({"pyramidal": True, "cortical_layer": "3"}, "L3 pyr"),
    ({"pyramidal": False}, "nonpyr"),
    ({"cre_type": ("nr5a1", "rorb")}, "('nr5a1', 'rorb')"),
    ({"cortical_layer": ("6a", "6b"), "cre_type": "ntsr1"}, "L('6a', '6b') ntsr1"),
    ({"t_type": "Sst Chodl", "cre_type": "sst"}, "sst Sst Chodl"),
    ({"input_resistance": 1e8}, ""),
])
def test_default_names(criteria, name):
    assert CellClass(**criteria).name == name


def test_equality_and_hash_follow_the_name():
    a = CellClass(cre_type="sst", target_layer="6")
    assert a.name == "L6 sst" and {a: 1}["L6 sst"] == 1
    assert a == CellClass(cre_type="sst", target_layer="6") == "L6 sst"
    assert CellClass(cre_type="sst", name="x") == CellClass(cre_type="vip", name="x")
    assert a != 3 and repr(a) == "<CellClass L6 sst>" and str(a) == "L6 sst"


def test_name_must_be_a_string():
    with pytest.raises(BadInputError, match="name must be a string"):
        CellClass(cre_type="sst", name=3)


def test_unknown_criterion_suggests_the_closest():
    with pytest.raises(UnknownNameError, match="did you mean 'cre_type'"):
        CellClass(cre_typ="sst")


@pytest.mark.parametrize("bad", [[], ("layer", "<", 1), ("cortical_layer", "~", "2"), "cre_type"])
def test_positional_criteria_must_be_comparisons(bad):
    with pytest.raises((BadInputError, UnknownNameError)):
        CellClass(bad)


def test_empty_list_is_refused():
    with pytest.raises(BadInputError, match="empty"):
        CellClass(cre_type=())


def test_criteria_compile_to_filter_ir_on_the_reference_tables():
    cls = CellClass(("fractional_layer_depth", "<", 0.5), cortical_layer="3", cre_type=("sst", None),
                    cell_class={"cell_class": "in", "dendrite_type": "aspiny"})
    node = cls.filter("pre_")
    location = "pre_cortical_cell_location"
    assert node.items[0] == Equal(Col("cortical_layer", location), "3")
    assert node.items[1] == Or((InSet(Col("cre_type", "pre_cell"), ["sst"]), IsNull(Col("cre_type", "pre_cell"))))
    assert node.items[2] == Or((Equal(Col("cell_class", "pre_cell"), "in"),
                                Equal(Col("dendrite_type", "pre_morphology"), "aspiny")))
    assert node.items[3] == Range(Col("fractional_layer_depth", location), hi=0.5, hi_inclusive=False)
    assert cls.tables == {"cell", "morphology", "cortical_cell_location"}


def test_shared_names_resolve_to_the_first_table():
    assert CRITERIA_TABLE["position"] == "cell" and CRITERIA_TABLE["cell_id"] == "morphology"
    assert CRITERIA_TABLE["t_type"] == "patch_seq" and CRITERIA_TABLE["rheobase"] == "intrinsic"


def test_every_criterion_is_a_column_of_the_generated_release(db):
    for table, columns in CELL_TABLE_COLUMNS.items():
        assert set(columns) <= set(db.dataset.schema(table).names), table
