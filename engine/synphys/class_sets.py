"""Standard cell-class sets, as the reference's notebooks and matrix analyzer define them ad hoc.

Each set is ``{key: CellClass}`` whose keys are the class names (the matrix labels).

>>> sorted(class_set("ei"))
['ex', 'in']
>>> len(class_set("mouse17"))
17
"""

from __future__ import annotations

from collections.abc import Callable

from ..errors import UnknownNameError
from .cell_class import CellClass

ClassSet = dict[str, CellClass]
INHIBITORY_CRE = (("pv", "pvalb"), ("sst", "sst"), ("vip", "vip"))
MOUSE_L6 = ("6a", "6b")


def _named(**criteria: dict) -> ClassSet:
    return {name: CellClass(name=name, **c) for name, c in criteria.items()}


def _with_interneurons(prefix: str, layer: object, **pyramidal: dict) -> dict[str, dict]:
    """The layer's excitatory classes followed by its pv, sst and vip classes."""
    out = dict(pyramidal)
    for short, cre in INHIBITORY_CRE:
        out[f"{prefix}{short}"] = {"cre_type": cre, "cortical_layer": layer}
    return out


def mouse17() -> ClassSet:
    """The 17-class mouse V1 matrix (connectivity notebook): layer 2/3, 4, 5, 6 excitatory lines plus pv/sst/vip."""
    return _named(
        **_with_interneurons("l23", "2/3", l23pyr={"dendrite_type": "spiny", "cortical_layer": "2/3"}),
        **_with_interneurons("l4", "4", l4pyr={"cre_type": ("nr5a1", "rorb"), "cortical_layer": "4"}),
        **_with_interneurons(
            "l5", "5",
            l5et={"cre_type": ("sim1", "fam84b"), "cortical_layer": "5"},
            l5it={"cre_type": "tlx3", "cortical_layer": "5"},
        ),
        **_with_interneurons("l6", MOUSE_L6, l6pyr={"cre_type": "ntsr1", "cortical_layer": MOUSE_L6}),
    )


def human() -> ClassSet:
    """Human spiny (pyramidal) cells of layers 2 to 5."""
    return _named(**{f"l{n}pyr": {"dendrite_type": "spiny", "cortical_layer": str(n)} for n in (2, 3, 4, 5)})


def human_figure() -> ClassSet:
    """The human figure's set: L2, superficial / deep L3 (fractional layer depth), L4, L5 pyramidal, inhibitory."""
    spiny = {"dendrite_type": "spiny"}
    return {
        "l2pyr": CellClass(name="l2pyr", cortical_layer="2", **spiny),
        "l3pyr_sup": CellClass(("fractional_layer_depth", "<", 0.5), name="l3pyr_sup", cortical_layer="3", **spiny),
        "l3pyr_deep": CellClass(("fractional_layer_depth", ">", 0.5), name="l3pyr_deep", cortical_layer="3", **spiny),
        "l4pyr": CellClass(name="l4pyr", cortical_layer="4", **spiny),
        "l5pyr": CellClass(name="l5pyr", cortical_layer="5", **spiny),
        "inh": CellClass(name="inh", cell_class_nonsynaptic="in"),
    }


def ei() -> ClassSet:
    """Excitatory vs inhibitory by non-synaptic evidence (as the reference's MouseConnectivityModel)."""
    return _named(ex={"cell_class_nonsynaptic": "ex"}, **{"in": {"cell_class_nonsynaptic": "in"}})


def ei_cre() -> ClassSet:
    """The matrix analyzer's "Mouse E-I Cre-types"."""
    return _named(ex={"cre_type": ("nr5a1", "tlx3", "sim1", "ntsr1")}, **{"in": {"cre_type": ("pvalb", "sst", "vip")}})


def inhibitory() -> ClassSet:
    """pv, sst and vip by cre line, in every layer."""
    return _named(**{short: {"cre_type": cre} for short, cre in INHIBITORY_CRE})


def figure4() -> ClassSet:
    """The dynamics figure's set: cre / layer classes confirmed by ``cell_class``."""
    ex = {"cell_class": "ex"}
    return _named(
        l23pyr={"cortical_layer": "2/3", **ex},
        l4pyr={"cre_type": ("nr5a1", "rorb"), **ex},
        l5et={"cre_type": ("sim1", "fam84b"), **ex},
        l5it={"cre_type": "tlx3", **ex},
        l6pyr={"cre_type": "ntsr1", **ex},
        **{short: {"cre_type": cre, "cell_class": "in"} for short, cre in INHIBITORY_CRE},
    )


CLASS_SETS: dict[str, Callable[[], ClassSet]] = {
    "mouse17": mouse17,
    "human": human,
    "human_figure": human_figure,
    "ei": ei,
    "ei_cre": ei_cre,
    "inhibitory": inhibitory,
    "figure4": figure4,
}
"""Preset name -> factory (``engine synphys matrix --classes NAME`` takes these names)."""


def class_set(name: str) -> ClassSet:
    """A fresh copy of preset ``name``; ``UnknownNameError`` with the valid names otherwise."""
    if name not in CLASS_SETS:
        raise UnknownNameError("class set", name, CLASS_SETS)
    return CLASS_SETS[name]()
