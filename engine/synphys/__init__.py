"""Synaptic physiology: ``SynphysDatabase``, ``CellClass`` and whole-matrix connectivity in one query each.

Names load on first use, so ``engine synphys --help`` does not import scipy or the query layers.

>>> from engine.synphys import SynphysDatabase, class_set                     # doctest: +SKIP
>>> db = SynphysDatabase.load_current("small")                               # doctest: +SKIP
>>> db.connectivity_matrix(class_set("mouse17"), sigma=100e-6, dist_measure="lateral_distance")  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "CLASS_SETS": "class_sets",
    "METRICS": "metrics",
    "CellClass": "cell_class",
    "Metric": "metrics",
    "PlotDependencyError": "plots",
    "SynphysDatabase": "database",
    "class_set": "class_sets",
    "classify_cell_dataframe": "classify",
    "classify_pair_dataframe": "classify",
    "classify_pairs": "classify",
    "clopper_pearson": "stats",
    "distance_adjusted": "stats",
    "distance_adjusted_connectivity": "stats",
    "plot_connectivity_matrix": "plots",
    "plot_metric_matrix": "plots",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'engine.synphys' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
