"""The synthetic synaptic-physiology release's schema: every table's columns, types, keys and indexes in the
aisynphys schema-22 layout (whatever ``db_version`` the metadata claims), and the DDL SQLAlchemy 1.3 emits for
them on sqlite. Kept apart from the generator (``synphys``), which only creates these tables and fills them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Schema: one spec string per table, "name type [i|u]"; "->table" is a foreign key (always indexed),
# "i" an index, "u" a unique index. id (first) and meta (last) are added to every table.

_TYPES = {"int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN", "str": "VARCHAR", "datetime": "DATETIME",
          "array": "BLOB", "json": "VARCHAR"}

# intrinsic's feature columns; the generator gives each its class-dependent distribution
INTRINSIC_FEATURES = (
    "rheobase", "fi_slope", "input_resistance", "input_resistance_ss", "sag", "tau", "sag_peak_t", "sag_depol",
    "sag_peak_t_depol", "ap_upstroke_downstroke_ratio", "ap_width", "ap_upstroke", "ap_downstroke", "ap_threshold_v",
    "ap_peak_deltav", "ap_fast_trough_deltav", "firing_rate_rheo", "latency_rheo", "firing_rate_40pa", "latency_40pa",
    "adaptation_index", "isi_cv", "chirp_peak_freq", "chirp_3db_freq", "chirp_peak_ratio", "chirp_peak_impedance",
    "chirp_sync_freq", "chirp_inductive_phase", "isi_adapt_ratio", "upstroke_adapt_ratio", "downstroke_adapt_ratio",
    "width_adapt_ratio", "threshold_v_adapt_ratio")
"""The ``intrinsic`` table's feature columns, in order."""
_STP = ("stp_initial_50hz", "stp_induction_50hz", "stp_recovery_250ms", "stp_recovery_single_250ms")
PULSE_AMP = ("pulse_amp_first_50hz", "pulse_amp_stp_initial_50hz", "pulse_amp_stp_induction_50hz",
             "pulse_amp_stp_recovery_250ms", "pulse_amp_stp_recovery_single_250ms")
"""Pulse-amplitude groups of dynamics, each with ``_n`` and ``_std`` columns."""
VARIABILITY = ("resting_state", "second_pulse_50hz", "stp_induced_state_50hz", "change_initial_50hz",
               "change_induction_50hz")
"""Suffixes of the ``variability_*`` dynamics columns."""
CORRELATIONS = ("1_2", "2_4", "4_8")
"""Pulse pairs of the ``paired_event_correlation_*_r``/``_p`` dynamics columns."""
_ML_PARAMS = ("n_release_sites", "base_release_probability", "mini_amplitude", "mini_amplitude_cv",
              "depression_amount", "depression_tau", "facilitation_amount", "facilitation_tau", "measurement_stdev")
FIT_PARAMS = ("amp", "xoffset", "yoffset", "rise_time", "rise_power", "decay_tau", "exp_amp", "exp_tau", "nrmse")
"""Parameters of the ``{ic,vc}_fit_*`` synapse_prediction columns."""
_STRENGTH = ("pos_amp", "neg_amp", "pos_dec_amp", "neg_dec_amp", "pos_dec_latency", "neg_dec_latency", "crosstalk")
_PSP = ("synapse_type str i, latency float i, psp_amplitude float, psp_rise_time float, psp_decay_tau float, "
        "psc_amplitude float, psc_rise_time float, psc_decay_tau float")
_FIT7 = ("{0}fit_amp float i, {0}fit_latency float i, {0}fit_yoffset float, {0}fit_rise_time float, "
         "{0}fit_decay_tau float, {0}fit_exp_amp float, {0}fit_nrmse float")
_DEC7 = ("{0}dec_fit_amp float i, {0}dec_fit_reconv_amp float i, {0}dec_fit_latency float i, {0}dec_fit_yoffset float, "
         "{0}dec_fit_rise_time float, {0}dec_fit_decay_tau float, {0}dec_fit_nrmse float")


def _each(template: str, names: Iterable[str]) -> str:
    return ", ".join(template.format(n) for n in names)


def _stp_columns(prefix: str) -> str:
    """Dynamics metrics; synapse_model repeats them as ``ml_*`` (unindexed, without the amplitude groups)."""
    i = "" if prefix else " i"
    parts = [f"{prefix}paired_pulse_ratio_50hz float{i}",
             _each(", ".join(prefix + "{0}" + suffix + " float" + i for suffix in ("", "_n", "_std")), _STP),
             f"{prefix}pulse_amp_90th_percentile float, {prefix}noise_amp_90th_percentile float"]
    if not prefix:
        parts.append(_each("{0} float, {0}_n float, {0}_std float", PULSE_AMP))
    parts += [f"{prefix}noise_std float", _each(prefix + "variability_{0} float", VARIABILITY),
              _each(prefix + "paired_event_correlation_{0}_r float, " + prefix + "paired_event_correlation_{0}_p float",
                    CORRELATIONS),
              f"{prefix}stp_all_stimuli json"]
    return ", ".join(parts)


def _prediction_columns(p: str) -> str:
    return ", ".join([
        f"{p}_n_samples int, {p}_crosstalk_mean float, {p}_base_crosstalk_mean float",
        _each(p + "_{0}_mean float, " + p + "_{0}_stdev float, " + p + "_base_{0}_mean float, " + p
              + "_base_{0}_stdev float, " + p + "_{0}_ttest float, " + p + "_{0}_ks2samp float",
              ("amp", "deconv_amp", "latency")),
        f"{p}_average_response array, {p}_average_response_t0 float, {p}_average_base_stdev float",
        _each(p + "_fit_{0} float", FIT_PARAMS)])


def _resting_columns(p: str) -> str:
    return (f"{p}_amp float, {p}_latency float, {p}_rise_time float, {p}_decay_tau float, {p}_exp_amp float, "
            f"{p}_exp_tau float, {p}_avg_data array, {p}_avg_data_start_time float, {p}_pulse_ids array, "
            f"{p}_nrmse float")


_SPEC: dict[str, str] = {
    "metadata": "",
    "pipeline": "module_name str i, job_id str i, finish_time datetime, success bool i, error str",
    "slice": "ext_id str u, acq_timestamp float, species str, date_of_birth datetime, age int, sex str, weight str, "
             "genotype str, orientation str, surface str, hemisphere str, quality int, slice_time datetime, "
             "slice_conditions json, lims_specimen_name str, storage_path str",
    "experiment": "ext_id str u, slice_id ->slice, project_name str i, date datetime, target_region str, "
                  "internal str i, acsf str i, target_temperature float, rig_name str, operator_name str, "
                  "storage_path str, ephys_file str, acq_timestamp float u",
    "electrode": "experiment_id ->experiment, ext_id str, patch_status str, start_time datetime, stop_time datetime, "
                 "device_id int",
    "cell": "experiment_id ->experiment, ext_id str i, electrode_id ->electrode, cre_type str i, target_layer str i, "
            "position json, depth float, cell_class str i, cell_class_nonsynaptic str i",
    "pair": "experiment_id ->experiment, pre_cell_id ->cell, post_cell_id ->cell, has_synapse bool i, "
            "has_polysynapse bool i, has_electrical bool i, crosstalk_artifact float, n_ex_test_spikes int i, "
            "n_in_test_spikes int i, distance float, lateral_distance float, vertical_distance float, "
            "reciprocal_id ->pair",
    "intrinsic": "cell_id ->cell, " + _each("{0} float i", INTRINSIC_FEATURES),
    "morphology": "cell_id ->cell u, pyramidal bool i, qual_morpho_type str i, dendrite_type str i, "
                  "apical_trunc_distance float i, axon_trunc_distance float i, apical_truncation str i, "
                  "axon_truncation str i, axon_origin str i",
    "cortical_site": "slice_id ->slice, experiment_id ->experiment, pia_to_wm_distance float, pia_position json, "
                     "wm_position json, layer_boundaries json, brain_region str",
    "cortical_cell_location": "cell_id ->cell, cortical_site_id ->cortical_site, cortical_layer str i, "
                              "distance_to_pia float, distance_to_wm float, fractional_depth float, layer_depth float, "
                              "layer_thickness float, fractional_layer_depth float, position json",
    "patch_seq": "cell_id ->cell u, tube_id str i, nucleus str i, reseal bool i, patchseq_hash str i, result_ba str i, "
                 "area_400_10000bp float i, picogreen_yield float i, cluster_detail str i, cluster_label str i, "
                 "score float i, res_index float i, top_leaf str i, top_leaf_score float i, broad_class_label str i, "
                 "subclass_label str i, quality_score float i, norm_marker_sum float i, seurat_cluster str i, "
                 "seurat_score float i, tree_first_cluster str i, tree_first_bt float i, tree_first_kl float i, "
                 "tree_first_cor float i, tree_second_cluster str i, tree_second_bt float i, tree_second_kl float i, "
                 "tree_second_cor float i, tree_third_cluster str i, tree_third_bt float i, tree_call str i, "
                 "genes_detected int i, t_type str i, last_map str i, last_score str i, mapped_subclass str i, "
                 "batch str i",
    "sync_rec": "experiment_id ->experiment, ext_id json, temperature float",
    "recording": "sync_rec_id ->sync_rec, electrode_id ->electrode, start_time datetime, sample_rate int, "
                 "device_name str, stim_name str, stim_meta json",
    "test_pulse": "electrode_id ->electrode, recording_id ->recording, start_index int, stop_index int, "
                  "baseline_current float, baseline_potential float, access_resistance float, input_resistance float, "
                  "capacitance float, time_constant float, access_resistance_lowpass float",
    "patch_clamp_recording": "recording_id ->recording u, clamp_mode str i, patch_mode str, baseline_potential float, "
                             "baseline_current float, baseline_noise_stdev float, nearest_test_pulse_id ->test_pulse, "
                             "qc_pass bool i, access_adj_baseline_potential float",
    "multi_patch_probe": "patch_clamp_recording_id ->patch_clamp_recording u, induction_frequency float i, "
                         "recovery_delay float i, n_spikes_evoked int",
    "stim_pulse": "recording_id ->recording, pulse_number int i, cell_id ->cell, onset_time float, amplitude float, "
                  "duration float, n_spikes int, first_spike_time float, data array, data_start_time float, "
                  "position json, qc_pass bool, previous_pulse_dt float i",
    "stim_spike": "stim_pulse_id ->stim_pulse, onset_time float, max_slope_time float, max_slope float, "
                  "peak_time float, peak_diff float, peak_value float",
    "baseline": "recording_id ->recording, data array, data_start_time float, mode float, ex_qc_pass bool, "
                "in_qc_pass bool",
    "pulse_response": "recording_id ->recording, stim_pulse_id ->stim_pulse, pair_id ->pair, baseline_id ->baseline, "
                      "data array, data_start_time float, ex_qc_pass bool i, in_qc_pass bool i",
    "pulse_response_fit": "pulse_response_id ->pulse_response u, " + _FIT7.format("") + ", "
                          + _FIT7.format("baseline_") + ", " + _DEC7.format("") + ", " + _DEC7.format("baseline_"),
    "pulse_response_strength": "pulse_response_id ->pulse_response u, " + _each("{0} float", _STRENGTH)
                               + ", baseline_id ->baseline, " + _each("baseline_{0} float", _STRENGTH),
    "synapse": "pair_id ->pair, " + _PSP,
    "poly_synapse": "pair_id ->pair, " + _PSP,
    "avg_response_fit": "synapse_id ->synapse, poly_synapse_id ->poly_synapse, clamp_mode str i, holding float i, "
                        "laser_power_command float, fit_xoffset float, fit_yoffset float, fit_amp float, "
                        "fit_rise_time float, fit_rise_power float, fit_decay_tau float, fit_exp_amp float, "
                        "fit_exp_tau float, nrmse float, initial_xoffset float, manual_qc_pass bool, avg_data array, "
                        "avg_data_start_time float, n_averaged_responses int, avg_baseline_noise float",
    "resting_state_fit": "synapse_id ->synapse, poly_synapse_id ->poly_synapse, " + _resting_columns("ic") + ", "
                         + _resting_columns("vc"),
    "dynamics": "pair_id ->pair u, qc_pass bool i, n_source_events int i, " + _stp_columns(""),
    "synapse_prediction": "pair_id ->pair, synapse_type str, " + _prediction_columns("ic") + ", "
                          + _prediction_columns("vc"),
    "gap_junction": "pair_id ->pair, corr_coeff_pulse float i, corr_coeff_noise float i, p_val_pulse float i, "
                    "p_val_noise float i, coupling_coeff_pulse float i, coupling_coeff_noise float i, "
                    "junctional_conductance float i",
    "synapse_model": "pair_id ->pair u, n_source_events int i, parameter_space json, marginal_distributions json, "
                     "confidence_intervals json, sparse_pca_vector array, max_likelihood float, "
                     + _each("ml_{0} float", _ML_PARAMS)
                     + ", ml_strength float, ml_strength_ci json, ml_quanta_per_spike float, "
                     "ml_quanta_per_spike_ci json, ml_sites_pr_ratio float, ml_sites_pr_ratio_ci json, "
                     "ml_release_dependence_ratio float, " + _stp_columns("ml_"),
    "conductance": "synapse_id ->synapse, effective_conductance float, adj_psp_amplitude float, "
                   "reversal_potential float, ideal_holding_potential float, avg_baseline_potential float",
}

TABLES: tuple[str, ...] = tuple(_SPEC)
"""All 32 tables, each listed after the tables its foreign keys point to (pair and its reciprocal aside)."""


@dataclass(frozen=True, slots=True)
class Column:
    """One column as declared: ``kind`` is a ``_TYPES`` key; ``ref`` the table a foreign key points to."""

    name: str
    kind: str
    ref: str | None = None
    index: bool = False
    unique: bool = False


def _parse(spec: str) -> tuple[Column, ...]:
    columns = [Column("id", "int")]
    for item in filter(None, (s.strip() for s in spec.split(","))):
        name, kind, *flags = item.split()
        if kind.startswith("->"):
            columns.append(Column(name, "int", kind[2:], True, flags == ["u"]))
        else:
            columns.append(Column(name, kind, None, bool(flags), flags == ["u"]))
    return (*columns, Column("meta", "json"))


COLUMNS: dict[str, tuple[Column, ...]] = {table: _parse(spec) for table, spec in _SPEC.items()}
"""Each table's columns in declaration order, ``id`` first and ``meta`` last."""


def create_table_sql(table: str) -> str:
    """``CREATE TABLE`` as SQLAlchemy 1.3 emits it: primary key, foreign keys, then boolean CHECKs."""
    columns = COLUMNS[table]
    lines = ["id INTEGER NOT NULL"] + [f"{c.name} {_TYPES[c.kind]}" for c in columns[1:]] + ["PRIMARY KEY (id)"]
    lines += [f"FOREIGN KEY({c.name}) REFERENCES {c.ref} (id)" for c in columns if c.ref]
    lines += [f"CHECK ({c.name} IN (0, 1))" for c in columns if c.kind == "bool"]
    return f"CREATE TABLE {table} (\n\t" + ", \n\t".join(lines) + "\n)"


def create_index_sql(table: str) -> list[str]:
    """``CREATE [UNIQUE] INDEX ix_<table>_<column>`` for every indexed column (foreign keys always are)."""
    return [f"CREATE {'UNIQUE ' if c.unique else ''}INDEX ix_{table}_{c.name} ON {table} ({c.name})"
            for c in COLUMNS[table] if c.index]
