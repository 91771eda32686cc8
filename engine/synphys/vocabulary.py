"""Fixed vocabulary of the synaptic-physiology releases: projects, cre lines, thresholds.

Values are the reference's (``aisynphys.constants`` and ``SynphysDatabase`` class attributes).
"""

from __future__ import annotations

MOUSE_PROJECTS: tuple[str, ...] = ("mouse V1 coarse matrix", "mouse V1 pre-production")
HUMAN_PROJECTS: tuple[str, ...] = ("human coarse matrix",)
STANDARD_MULTIPATCH_PROJECTS: tuple[str, ...] = (*MOUSE_PROJECTS, *HUMAN_PROJECTS)
"""What ``experiment_type='standard multipatch'`` selects."""

EXPERIMENT_TYPES: dict[str, tuple[str, ...]] = {"standard multipatch": STANDARD_MULTIPATCH_PROJECTS}

SYNAPSE_TYPES: tuple[str, ...] = ("ex", "in", "mixed")

PROBED_TEST_SPIKE_LIMIT = 10
"""A pair is probed for a synapse type with strictly more test spikes than this."""

DIST_MEASURES: tuple[str, ...] = ("distance", "lateral_distance", "vertical_distance")
"""Pair columns a distance adjustment may use (meters)."""

GAP_JUNCTION_STIMULUS = "TargetV"
"""Long-pulse protocols whose stimulus name contains this probe for gap junctions."""

INHIBITORY_CRE_TYPES: frozenset[str] = frozenset({
    "sst", "pvalb", "vip", "ndnf", "chat", "htr3a", "nos1", "chrna2", "mDlx", "3xcorehI56i", "tac1",
})
EXCITATORY_CRE_TYPES: frozenset[str] = frozenset({
    "tlx3", "sim1", "fam84b", "rorb", "ntsr1", "rbp4", "ctgf", "glt25d2", "slc17a8", "cux2", "nr5a1",
    "eHGT_078m", "3xHGT_073m(core)",
})

EXCITATORY_DENDRITES: frozenset[str] = frozenset({"spiny"})
INHIBITORY_DENDRITES: frozenset[str] = frozenset({"aspiny", "sparsely spiny"})
