"""Storage conventions of published synaptic-physiology sqlite releases (aisynphys schema 22).

BLOB columns hold whole ``.npy`` files and the columns in ``JSON_COLUMNS`` hold JSON text (every
table's ``meta`` plus a few others). A sqlite file is treated as a release when it has a
``metadata`` table.
"""

from __future__ import annotations

TABLES_22: tuple[str, ...] = (
    "metadata", "pipeline", "slice", "experiment", "electrode", "cell", "pair", "intrinsic",
    "morphology", "cortical_cell_location", "cortical_site", "patch_seq", "sync_rec", "recording",
    "patch_clamp_recording", "multi_patch_probe", "test_pulse", "stim_pulse", "stim_spike",
    "pulse_response", "baseline", "pulse_response_fit", "pulse_response_strength", "synapse",
    "poly_synapse", "avg_response_fit", "resting_state_fit", "dynamics", "synapse_prediction",
    "gap_junction", "synapse_model", "conductance",
)
"""The 32 tables of schema 22, in the reference's declaration order."""

_EXTRA_JSON: dict[str, tuple[str, ...]] = {
    "slice": ("slice_conditions",),
    "cell": ("position",),
    "cortical_cell_location": ("position",),
    "cortical_site": ("pia_position", "wm_position", "layer_boundaries"),
    "sync_rec": ("ext_id",),
    "recording": ("stim_meta",),
    "stim_pulse": ("position",),
    "dynamics": ("stp_all_stimuli",),
    "synapse_model": (
        "parameter_space", "marginal_distributions", "confidence_intervals", "ml_strength_ci",
        "ml_quanta_per_spike_ci", "ml_sites_pr_ratio_ci", "ml_stp_all_stimuli",
    ),
}

JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    table: ("meta", *_EXTRA_JSON.get(table, ())) for table in TABLES_22
}
"""Schema-22 VARCHAR columns holding JSON text, per table: every table's ``meta`` plus the listed extras."""


def release_encodings(table: str, columns: dict[str, str]) -> dict[str, str]:
    """``{column: "npy" | "json"}`` for one release table, given ``{column: declared type}``."""
    encodings = {name: "npy" for name, declared in columns.items() if "BLOB" in declared.upper()}
    for name in JSON_COLUMNS.get(table, ("meta",)):
        if name in columns:
            encodings[name] = "json"
    return encodings
