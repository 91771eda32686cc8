"""Class sets shared by the synphys tests, in both forms: engine ``CellClass`` and the plain reference's tuples."""

from __future__ import annotations

from engine.synphys import CellClass, class_set

MOUSE17 = class_set("mouse17")
REF17 = {k: (c.criteria, ()) for k, c in MOUSE17.items()}
OVERLAPPING = {
    "pv": ({"cre_type": "pvalb"}, ()),
    "l23pv": ({"cre_type": "pvalb", "cortical_layer": "2/3"}, ()),
    "ex": ({"cell_class_nonsynaptic": "ex"}, ()),
    "deep": ({}, (("fractional_depth", ">", 0.5),)),
    "fast": ({"cell_class": ("in", None)}, (("rheobase", ">=", 200e-12),)),
}


def engine_classes(ref_classes: dict) -> dict[str, CellClass]:
    return {k: CellClass(*exprs, name=k, **criteria) for k, (criteria, exprs) in ref_classes.items()}
