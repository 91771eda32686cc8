"""Connection probability per class pair: counts aggregated in SQL, intervals from vectorized scipy.

Definitions follow the reference (``get_cp_results`` / ``measure_connectivity``): a pair is probed
when it has > 10 test spikes of the type its pre cell's ``cell_class_nonsynaptic`` predicts (both
types when that is NULL or mixed); connected = probed and ``has_synapse``. A pair is probed for gap
junctions when both electrodes recorded a stimulus whose name contains ``TargetV``. The distance
adjustment uses probed pairs with a finite distance and counts a pair connected when it has a
``synapse`` row (the reference reads ``p.synapse``, not ``has_synapse``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..errors import BadInputError, UnknownNameError
from ..export.synphys_reads import record_pairs

from ..filters import TRUE, Col, Regex, Relations, Scope, relation_result
from ..filters import compile as compile_filter
from ..filters.relations import key_source
from ..sql import Compiled, ParamNames, quote_ident
from . import joins
from .groups import Groups, groups_from
from .matrix import PAIR_ID, ClassGrid, grouped_pairs_ctes, pair_selection
from .pair_query import PairSelection, pair_statement, probed
from .stats import clopper_pearson, distance_adjusted, proportion
from .vocabulary import DIST_MEASURES, GAP_JUNCTION_STIMULUS

if TYPE_CHECKING:
    from .database import SynphysDatabase

COUNTS: tuple[str, ...] = (
    "n_pairs", "n_probed", "n_connected", "n_gaps_probed", "n_gaps",
    "n_probed_distance", "n_connected_distance", "n_gaps_probed_distance", "n_gaps_distance",
)


def connectivity_matrix(
    db: SynphysDatabase,
    pre_classes: Mapping[Any, Any],
    post_classes: Mapping[Any, Any] | None = None,
    pair_query_args: Mapping[str, Any] | None = None,
    sigma: float | None = None,
    dist_measure: str = "distance",
    alpha: float = 0.05,
) -> pa.Table:
    """One row per (pre, post) class pair, in matrix order, from one SQL statement (see ``measure_connectivity``)."""
    grid = ClassGrid.of(pre_classes, post_classes if post_classes is not None else pre_classes)
    selection = pair_selection(db, dict(pair_query_args or {}))
    names = ParamNames()
    gap_cte, facts = _facts(db, dist_measure, names)
    ctes = [gap_cte, *grouped_pairs_ctes(db, grid, selection, [], names, expressions=facts)]
    record_pairs(db, selection, grid=grid, connectivity=True)
    n_post = names.bind(len(grid.post))
    ctes.append(f"member AS (SELECT *, pre_idx * {n_post} + post_idx AS grp FROM groups)")
    labels = [(pre, post) for pre in grid.pre_keys for post in grid.post_keys]
    table = db.dataset.result(Compiled(_aggregate_sql(ctes, sigma, names), names.params)).arrow()
    return _finish(table, labels, alpha, sigma)


def measure_connectivity(
    db: SynphysDatabase,
    pair_groups: Any,
    alpha: float = 0.05,
    sigma: float | None = None,
    dist_measure: str = "distance",
) -> pa.Table:
    """Connectivity of pair groups: ``{(pre, post): pairs}`` (``classify_pairs``) or a ``matrix_pair_query`` frame.

    Columns: pre_class, post_class, n_pairs, n_probed, n_connected, n_gaps_probed, n_gaps, cp, cp_lower,
    cp_upper (Clopper–Pearson, ``1 - alpha``), gap_cp / _lower / _upper and, with ``sigma`` (meters),
    mean_weight and adjusted_cp / _lower / _upper, gap_mean_weight and adjusted_gap_cp / _lower / _upper
    (bounds divided by the mean Gaussian weight of the probed distances, not clipped).
    """
    groups: Groups = groups_from(pair_groups)
    names, relations = ParamNames(), Relations()
    gap_cte, facts = _facts(db, dist_measure, names)
    source = key_source({"pair_id": groups.pair_ids, "grp": groups.group_index}, names, relations, force=True)
    member = pair_statement(db, PairSelection(TRUE), [], names, order=False, root="grid_pair", per=("grp",),
                            expressions=[*facts, ('"pair"."id"', PAIR_ID), ('"pair"."grp"', "grp")])
    ctes = [gap_cte,
            f'grid_pair AS MATERIALIZED (SELECT "pair".*, g.grp FROM {source} AS g '
            'JOIN "pair" ON "pair"."id" = g.pair_id)',
            f"member AS ({member})"]
    table = relation_result(db.dataset, Compiled(_aggregate_sql(ctes, sigma, names), names.params), relations).arrow()
    return _finish(table, groups.labels, alpha, sigma)


def _facts(db: SynphysDatabase, dist_measure: str, names: ParamNames) -> tuple[str, list[tuple[str, str]]]:
    """The ``gap_electrodes`` CTE and each pair's facts as ``(sql, name)`` over pair, pre_cell and post_cell."""
    if dist_measure not in DIST_MEASURES:
        raise UnknownNameError("dist_measure", dist_measure, DIST_MEASURES)
    scope = db.pair_scope
    probed_sql = compile_filter(probed(Col("cell_class_nonsynaptic", "pre_cell")), scope, names=names).sql
    recording = Scope.of(db.dataset.schema("recording"))
    gap_stim = compile_filter(Regex(Col("stim_name"), GAP_JUNCTION_STIMULUS), recording, names=names).sql
    gap = "IN (SELECT electrode_id FROM gap_electrodes)"
    return f"gap_electrodes AS (SELECT DISTINCT electrode_id FROM recording WHERE {gap_stim})", [
        (f"coalesce({probed_sql}, false)", "probed"),
        ('coalesce("pair"."has_synapse", false)', "connected"),
        ('EXISTS (SELECT 1 FROM "synapse" AS s WHERE s."pair_id" = "pair"."id")', "synapse_row"),
        ('coalesce("pair"."has_electrical", false)', "electrical"),
        (f'coalesce("pre_cell"."electrode_id" {gap} AND "post_cell"."electrode_id" {gap}, false)', "gap_probed"),
        (f'"pair".{quote_ident(scope.tables[joins.ROOT].column(dist_measure).name)}', "dist"),
    ]


def _aggregate_sql(ctes: list[str], sigma: float | None, names: ParamNames) -> str:
    """Per-group counts (and mean Gaussian weights) over ``member``: each pair's facts once per group (``grp``)."""
    d_ok = "isfinite(f.dist)"
    conditions = [
        "TRUE", "f.probed", "f.probed AND f.connected", "f.gap_probed", "f.gap_probed AND f.electrical",
        f"f.probed AND {d_ok}", f"f.probed AND {d_ok} AND f.synapse_row",
        f"f.gap_probed AND {d_ok}", f"f.gap_probed AND {d_ok} AND f.electrical",
    ]
    select = [f"count(*) FILTER (WHERE {c}) AS {name}" for c, name in zip(conditions, COUNTS)]
    if sigma is not None:
        two_sigma_sq = names.bind(2.0 * _sigma(sigma) ** 2)
        weight = f"exp(-(f.dist * f.dist) / {two_sigma_sq})"
        # Ordered, so the float sum (and the result) is the same on every run, thread count and source.
        ordered = f"ORDER BY f.{quote_ident(PAIR_ID)}"
        select += [f"avg({weight} {ordered}) FILTER (WHERE f.probed AND {d_ok}) AS mean_weight",
                   f"avg({weight} {ordered}) FILTER (WHERE f.gap_probed AND {d_ok}) AS gap_mean_weight"]
    return f"WITH {', '.join(ctes)} SELECT f.grp, {', '.join(select)} FROM member AS f GROUP BY f.grp"


def _finish(table: pa.Table, labels: list[tuple[str, str]], alpha: float, sigma: float | None) -> pa.Table:
    """Scatter the aggregated rows into one row per label (empty groups get zeros) and add the intervals."""
    n = len(labels)
    rows = table["grp"].to_numpy()
    col = {name: _scatter(table[name], rows, n, 0.0) for name in COUNTS}
    out: dict[str, Any] = {
        "pre_class": [p for p, _ in labels],
        "post_class": [q for _, q in labels],
        **{name: col[name].astype(np.int64) for name in COUNTS[:5]},
    }
    out |= _interval(col["n_connected"], col["n_probed"], alpha, ("cp", "cp_lower", "cp_upper"))
    out |= _interval(col["n_gaps"], col["n_gaps_probed"], alpha, ("gap_cp", "gap_cp_lower", "gap_cp_upper"))
    if sigma is not None:
        for kind, k, m, w in (("adjusted_cp", "n_connected_distance", "n_probed_distance", "mean_weight"),
                              ("adjusted_gap_cp", "n_gaps_distance", "n_gaps_probed_distance", "gap_mean_weight")):
            weight = _scatter(table[w], rows, n, np.nan)
            p, lo, hi = distance_adjusted(col[k], col[m], weight, alpha)
            out |= {w: weight, kind: p, f"{kind}_lower": lo, f"{kind}_upper": hi}
    return pa.table(out)


def _interval(k: np.ndarray, n: np.ndarray, alpha: float, names: tuple[str, str, str]) -> dict[str, np.ndarray]:
    """``{p: k/n, lower, upper}`` under the given column names."""
    lower, upper = clopper_pearson(k, n, alpha)
    return dict(zip(names, (proportion(k, n), lower, upper)))


def _scatter(column: pa.ChunkedArray, rows: np.ndarray, n: int, fill: float) -> np.ndarray:
    """Per-group values at their group index; groups without pairs get ``fill``."""
    out = np.full(n, fill, dtype=float)
    out[rows] = column.to_numpy(zero_copy_only=False).astype(float)
    return out


def _sigma(sigma: Any) -> float:
    if isinstance(sigma, bool) or not isinstance(sigma, (int, float)) or not np.isfinite(sigma) or sigma <= 0:
        raise BadInputError(f"sigma must be a positive distance in meters (e.g. 100e-6), not {sigma!r}")
    return float(sigma)
