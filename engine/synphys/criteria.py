"""Which cell attributes a ``CellClass`` may use, and which table each one is read from.

The reference validates criteria against the schema-22 columns of the five per-cell tables at
construction time (before any database is open), so the names are listed here as data.
"""

from __future__ import annotations

CELL_TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "cell": (
        "id", "experiment_id", "ext_id", "electrode_id", "cre_type", "target_layer", "position",
        "depth", "cell_class", "cell_class_nonsynaptic", "meta",
    ),
    "morphology": (
        "id", "cell_id", "pyramidal", "qual_morpho_type", "dendrite_type", "apical_trunc_distance",
        "axon_trunc_distance", "apical_truncation", "axon_truncation", "axon_origin", "meta",
    ),
    "patch_seq": (
        "id", "cell_id", "tube_id", "nucleus", "reseal", "patchseq_hash", "result_ba",
        "area_400_10000bp", "picogreen_yield", "cluster_detail", "cluster_label", "score",
        "res_index", "top_leaf", "top_leaf_score", "broad_class_label", "subclass_label",
        "quality_score", "norm_marker_sum", "seurat_cluster", "seurat_score", "tree_first_cluster",
        "tree_first_bt", "tree_first_kl", "tree_first_cor", "tree_second_cluster", "tree_second_bt",
        "tree_second_kl", "tree_second_cor", "tree_third_cluster", "tree_third_bt", "tree_call",
        "genes_detected", "t_type", "last_map", "last_score", "mapped_subclass", "batch", "meta",
    ),
    "intrinsic": (
        "id", "cell_id", "rheobase", "fi_slope", "input_resistance", "input_resistance_ss", "sag",
        "tau", "sag_peak_t", "sag_depol", "sag_peak_t_depol", "ap_upstroke_downstroke_ratio",
        "ap_width", "ap_upstroke", "ap_downstroke", "ap_threshold_v", "ap_peak_deltav",
        "ap_fast_trough_deltav", "firing_rate_rheo", "latency_rheo", "firing_rate_40pa",
        "latency_40pa", "adaptation_index", "isi_cv", "chirp_peak_freq", "chirp_3db_freq",
        "chirp_peak_ratio", "chirp_peak_impedance", "chirp_sync_freq", "chirp_inductive_phase",
        "isi_adapt_ratio", "upstroke_adapt_ratio", "downstroke_adapt_ratio", "width_adapt_ratio",
        "threshold_v_adapt_ratio", "meta",
    ),
    "cortical_cell_location": (
        "id", "cell_id", "cortical_site_id", "cortical_layer", "distance_to_pia", "distance_to_wm",
        "fractional_depth", "layer_depth", "layer_thickness", "fractional_layer_depth", "position",
        "meta",
    ),
}
"""Schema-22 columns of the per-cell tables, in the reference's criteria order."""

RESOLUTION_ORDER: tuple[str, ...] = ("cell", "morphology", "intrinsic", "cortical_cell_location", "patch_seq")
"""A name present in several tables (``id``, ``meta``, ``cell_id``, ``position``) is read from the first of these,
as the reference's ``filter_query`` does."""

DETAIL_TABLES: tuple[str, ...] = RESOLUTION_ORDER[1:]
"""The tables joined to ``cell`` on ``cell_id`` to evaluate class criteria."""

CRITERIA_TABLE: dict[str, str] = {
    name: table
    for table in reversed(RESOLUTION_ORDER)
    for name in CELL_TABLE_COLUMNS[table]
}
"""Criterion name -> the table it is read from (the dict is built so earlier tables win)."""


def criterion_table(name: str) -> str | None:
    """The table a criterion is read from, or None for a name no per-cell table has."""
    return CRITERIA_TABLE.get(name) if isinstance(name, str) else None
