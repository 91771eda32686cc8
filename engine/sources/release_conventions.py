"""Storage conventions of published synaptic-physiology sqlite releases (aisynphys schema 22).

BLOB columns hold whole ``.npy`` files and these VARCHAR columns hold JSON text; every table's
``meta`` column is JSON too. A file is treated as a release when it has a ``metadata`` table.
"""

from __future__ import annotations

JSON_COLUMNS: dict[str, tuple[str, ...]] = {
    "slice": ("slice_conditions",),
    "cell": ("position",),
    "cortical_cell_location": ("position",),
    "cortical_site": ("pia_position", "wm_position", "layer_boundaries"),
    "sync_rec": ("ext_id",),
    "recording": ("stim_meta",),
    "stim_pulse": ("position",),
    "dynamics": ("stp_all_stimuli",),
    "synapse_model": (
        "parameter_space",
        "marginal_distributions",
        "confidence_intervals",
        "ml_strength_ci",
        "ml_quanta_per_spike_ci",
        "ml_sites_pr_ratio_ci",
        "ml_stp_all_stimuli",
    ),
}


def release_encodings(table: str, columns: dict[str, str]) -> dict[str, str]:
    """``{column: "npy" | "json"}`` for one release table, given ``{column: declared type}``."""
    encodings = {name: "npy" for name, declared in columns.items() if "BLOB" in declared.upper()}
    for name in (*JSON_COLUMNS.get(table, ()), "meta"):
        if name in columns:
            encodings[name] = "json"
    return encodings
