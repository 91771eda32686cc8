"""The aisynphys-style contender: the SQL its ORM emits, run once per class pair through pandas on the sqlite file.

``pair_query`` in the reference always emits 18 joins and adds 4 fresh outer joins per cell-class
filter; ``matrix_pair_query`` runs it once per (pre, post) combination and concatenates. Its
connectivity code then walks the pairs in Python. This module reproduces that shape, but it is
generous: the per-pair attributes the reference lazy-loads one query at a time (``p.synapse``,
electrode recordings) come back in the same query or are read once.
"""

from __future__ import annotations

import math
import sqlite3
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
from scipy.stats import beta

from engine.synphys import CellClass
from engine.synphys.criteria import CRITERIA_TABLE
from engine.synphys.vocabulary import STANDARD_MULTIPATCH_PROJECTS

BASE_JOINS = """
FROM pair
JOIN cell AS pre_cell ON pre_cell.id = pair.pre_cell_id
JOIN cell AS post_cell ON post_cell.id = pair.post_cell_id
LEFT OUTER JOIN morphology AS pre_morphology ON pre_morphology.cell_id = pre_cell.id
LEFT OUTER JOIN morphology AS post_morphology ON post_morphology.cell_id = post_cell.id
LEFT OUTER JOIN patch_seq AS pre_patch_seq ON pre_patch_seq.cell_id = pre_cell.id
LEFT OUTER JOIN patch_seq AS post_patch_seq ON post_patch_seq.cell_id = post_cell.id
LEFT OUTER JOIN intrinsic AS pre_intrinsic ON pre_intrinsic.cell_id = pre_cell.id
LEFT OUTER JOIN intrinsic AS post_intrinsic ON post_intrinsic.cell_id = post_cell.id
LEFT OUTER JOIN cortical_cell_location AS pre_cortical_cell_location ON pre_cortical_cell_location.cell_id = pre_cell.id
LEFT OUTER JOIN cortical_cell_location AS post_cortical_cell_location
  ON post_cortical_cell_location.cell_id = post_cell.id
JOIN experiment ON pair.experiment_id = experiment.id
LEFT OUTER JOIN slice ON experiment.slice_id = slice.id
LEFT OUTER JOIN synapse ON synapse.pair_id = pair.id
LEFT OUTER JOIN synapse_prediction ON synapse_prediction.pair_id = pair.id
LEFT OUTER JOIN dynamics ON dynamics.pair_id = pair.id
LEFT OUTER JOIN resting_state_fit ON resting_state_fit.synapse_id = synapse.id
LEFT OUTER JOIN synapse_model ON synapse_model.pair_id = pair.id
LEFT OUTER JOIN conductance ON conductance.synapse_id = synapse.id
"""
CLASS_TABLES = ("morphology", "intrinsic", "cortical_cell_location", "patch_seq")
PAIR_COLUMNS = ("id", "experiment_id", "pre_cell_id", "post_cell_id", "has_synapse", "has_polysynapse",
                "has_electrical", "crosstalk_artifact", "n_ex_test_spikes", "n_in_test_spikes", "distance",
                "lateral_distance", "vertical_distance", "reciprocal_id", "meta")


def pair_query_sql(pre: CellClass | None, post: CellClass | None, args: Mapping[str, Any],
                   extra: tuple[str, ...] = ()) -> tuple[str, list[Any]]:
    """The reference's pair query for one class combination (only the arguments the benchmark uses)."""
    select = ", ".join([f"pair.{c} AS pair_{c}" for c in PAIR_COLUMNS] + list(extra))
    joins, where, params = [BASE_JOINS], [], []
    standard = args.get("experiment_type") == "standard multipatch"
    projects = STANDARD_MULTIPATCH_PROJECTS if standard else args.get("project_name")
    if projects:
        where.append(f"experiment.project_name IN ({', '.join('?' * len(projects))})")
        params += list(projects)
    if args.get("synapse_probed") is True:
        where.append("((pre_cell.cell_class = 'ex' AND pair.n_ex_test_spikes > 10) OR (pre_cell.cell_class = 'in' "
                     "AND pair.n_in_test_spikes > 10) OR (pair.n_ex_test_spikes > 10 AND pair.n_in_test_spikes > 10))")
    for key, column in (("species", "slice.species"), ("synapse", "pair.has_synapse"),
                        ("synapse_type", "synapse.synapse_type")):
        if args.get(key) is not None:
            where.append(f"{column} = ?")
            params.append(args[key])
    for n, (cls, cell) in enumerate(((pre, "pre_cell"), (post, "post_cell")), start=1):
        if cls is None:
            continue
        joins += [f"LEFT OUTER JOIN {t} AS {t}_{n} ON {t}_{n}.cell_id = {cell}.id" for t in CLASS_TABLES]
        for key, value in cls.criteria.items():
            column = f"{cell}.{key}" if CRITERIA_TABLE[key] == "cell" else f"{CRITERIA_TABLE[key]}_{n}.{key}"
            values = list(value) if isinstance(value, (tuple, list)) else [value]
            where.append(f"{column} IN ({', '.join('?' * len(values))})")
            params += values
    return f"SELECT {select} {' '.join(joins)} WHERE {' AND '.join(where) or '1'}", params


def matrix_pair_query(con: sqlite3.Connection, classes: Mapping[str, CellClass], args: Mapping[str, Any],
                      extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """One pandas query per class combination, concatenated (``SynphysDatabase.matrix_pair_query``)."""
    frames = []
    for pre_name, pre in classes.items():
        for post_name, post in classes.items():
            sql, params = pair_query_sql(pre, post, args, extra)
            df = pd.read_sql(sql, con, params=params)
            df["pre_class"], df["post_class"] = pre_name, post_name
            frames.append(df)
    with warnings.catch_warnings():  # pandas' notice about all-NA columns in concat: not the reference's concern
        warnings.simplefilter("ignore", FutureWarning)
        return pd.concat(frames, axis=0, join="outer")


CONNECTIVITY_COLUMNS = ("pre_cell.cell_class_nonsynaptic AS pre_class_nonsyn", "pre_cell.electrode_id AS pre_electrode",
                        "post_cell.electrode_id AS post_electrode", "synapse.id AS synapse_id")


def connectivity(path: Path, classes: Mapping[str, CellClass], args: Mapping[str, Any], sigma: float,
                 dist: str, alpha: float = 0.05) -> list[dict[str, Any]]:
    """Per class pair: query, de-duplicate, then walk the pairs in Python (``get_cp_results`` + adjustment)."""
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        recordings = con.execute("SELECT electrode_id, stim_name FROM recording")
        gap = {e for e, stim in recordings if stim and "TargetV" in stim}
        results = []
        for pre_name, pre in classes.items():
            for post_name, post in classes.items():
                sql, params = pair_query_sql(pre, post, args, CONNECTIVITY_COLUMNS)
                pairs = pd.read_sql(sql, con, params=params).drop_duplicates("pair_id")
                results.append({"pre_class": pre_name, "post_class": post_name,
                                **_group(pairs.to_dict("records"), gap, sigma, dist, alpha)})
        return results
    finally:
        con.close()


def _group(pairs: list[dict[str, Any]], gap: set[int], sigma: float, dist: str, alpha: float) -> dict[str, Any]:
    probed, connected, gaps_probed, gaps, d_probed, c_probed = 0, 0, 0, 0, [], []
    for p in pairs:
        ex = p["pair_n_ex_test_spikes"] is not None and p["pair_n_ex_test_spikes"] > 10
        inh = p["pair_n_in_test_spikes"] is not None and p["pair_n_in_test_spikes"] > 10
        if {"ex": ex, "in": inh}.get(p["pre_class_nonsyn"], ex and inh):
            probed += 1
            connected += bool(p["pair_has_synapse"] == 1)
            d = p[f"pair_{dist}"]
            if d is not None and math.isfinite(d):
                d_probed.append(d)
                c_probed.append(not pd.isna(p["synapse_id"]))
        if p["pre_electrode"] in gap and p["post_electrode"] in gap:
            gaps_probed += 1
            gaps += bool(p["pair_has_electrical"] == 1)
    weight = sum(math.exp(-d * d / (2 * sigma * sigma)) for d in d_probed) / len(d_probed) if d_probed else math.nan
    lower, upper = _ci(connected, probed, alpha)
    k = sum(c_probed)
    adj_lower, adj_upper = _ci(k, len(d_probed), alpha)
    adjusted = (k / len(d_probed) / weight, adj_lower / weight, adj_upper / weight) if d_probed else (math.nan,) * 3
    return {"n_probed": probed, "n_connected": connected, "n_gaps_probed": gaps_probed, "n_gaps": gaps,
            "cp": (connected / probed if probed else math.nan, lower, upper), "adjusted_cp": adjusted}


def _ci(k: int, n: int, alpha: float) -> tuple[float, float]:
    if n == 0:
        return 0.0, 1.0
    lower = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    upper = 1.0 if k == n else float(beta.isf(alpha / 2, k + 1, n - k))
    return lower, upper
