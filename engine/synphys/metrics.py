"""Per-class-pair summaries of synapse, dynamics and gap-junction metrics (the reference's ``cell_class_matrix``).

``METRICS`` is the reference's registry (``ui/notebook.get_metric_data``): where each metric lives,
its display label, unit and scale, and how it is coloured. ``metric_matrix`` aggregates one metric
for every class combination in one statement; like the reference, a cell with a single value
reports NaN, and the spread is the population standard deviation (``np.std``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from ..errors import UnknownNameError
from ..export.synphys_reads import record_pairs
from ..filters import Col
from ..sql import Compiled, ParamNames, quote_ident
from .matrix import PAIR_ID, ClassGrid, grouped_pairs_ctes, pair_selection

if TYPE_CHECKING:
    from .database import SynphysDatabase


@dataclass(frozen=True, slots=True)
class Metric:
    """One plottable metric: its pair-query column and how to show it (values stay in SI units)."""

    alias: str
    column: str
    label: str
    unit: str = ""
    scale: float = 1.0
    alpha: float = 1.0
    cmap: str = "bwr"
    log: bool = False
    clim: tuple[float, float] = (-1.0, 1.0)
    fmt: str = "%0.2f"

    @property
    def ref(self) -> str:
        return f"{self.alias}.{self.column}"


def _synapse(column: str, *args: Any, **kw: Any) -> Metric:
    return Metric("synapse", column, *args, **kw)


def _dynamics(column: str, label: str, **kw: Any) -> Metric:
    return Metric("dynamics", column, label, **kw)


_AMP = {"scale": 1e3, "clim": (-1.5, 1.5)}
_RECOVERY = "← Over-recovered  Not recovered →"
METRICS: dict[str, Metric] = {
    "psp_amplitude": _synapse("psp_amplitude", "PSP Amplitude", "mV", 1e3, 1, "bwr", False, (-1.5, 1.5)),
    "psp_rise_time": _synapse("psp_rise_time", "PSP Rise Time", "ms", 1e3, 0.5, "viridis_r", True, (1, 10)),
    "psp_decay_tau": _synapse("psp_decay_tau", "PSP Decay Tau", "ms", 1e3, 0.01, "viridis_r", True, (1, 50), "%0.1f"),
    "psc_amplitude": _synapse("psc_amplitude", "PSC Amplitude", "pA", 1e12, 0.3, "bwr", False, (-20, 20), "%0.2g"),
    "psc_rise_time": _synapse("psc_rise_time", "PSC Rise Time", "ms", 1e3, 1, "viridis_r", True, (0.1, 6)),
    "psc_decay_tau": _synapse("psc_decay_tau", "PSC Decay Tau", "ms", 1e3, 1, "viridis_r", True, (0.1, 20), "%0.1f"),
    "latency": _synapse("latency", "Latency", "ms", 1e3, 1, "viridis_r", False, (0.5, 2)),
    "pulse_amp_90th_percentile": _dynamics("pulse_amp_90th_percentile", "90th Percentile PSP Amplitude",
                                           unit="mV", alpha=1.5, **_AMP),
    "stp_initial_50hz": _dynamics("stp_initial_50hz", "Paired pulse STP", clim=(-0.5, 0.5)),
    "stp_induction_50hz": _dynamics("stp_induction_50hz", "← Facilitating  Depressing →", clim=(-0.5, 0.5)),
    "stp_recovery_250ms": _dynamics("stp_recovery_250ms", _RECOVERY, clim=(-0.2, 0.2)),
    "stp_recovery_single_250ms": _dynamics("stp_recovery_single_250ms", _RECOVERY, clim=(-0.2, 0.2)),
    "pulse_amp_first_50hz": _dynamics("pulse_amp_first_50hz", "1st PSP Amplitude @ 50Hz", **_AMP),
    "pulse_amp_stp_initial_50hz": _dynamics("pulse_amp_stp_initial_50hz", "2nd PSP Amplitude @ 50Hz", **_AMP),
    "pulse_amp_stp_induction_50hz": _dynamics("pulse_amp_stp_induction_50hz", "PSP Amplitude STP induced @ 50Hz",
                                              **_AMP),
    "pulse_amp_stp_recovery_single_250ms": _dynamics("pulse_amp_stp_recovery_single_250ms",
                                                     "PSP Amplitude STP recovered @ 250ms", **_AMP),
    **{f"paired_event_correlation_{k}_r": _dynamics(f"paired_event_correlation_{k}_r",
                                                   f"Paired event correlation {k.replace('_', ':')}", clim=(-0.2, 0.2))
       for k in ("1_2", "2_4", "4_8")},
    "variability_resting_state": _dynamics("variability_resting_state", "log(Resting state aCV)", cmap="viridis"),
    "variability_second_pulse_50hz": _dynamics("variability_second_pulse_50hz", "log(second pulse aCV)",
                                               cmap="viridis"),
    "variability_stp_induced_state_50hz": _dynamics("variability_stp_induced_state_50hz", "log(STP induced aCV)",
                                                    cmap="viridis"),
    "junctional_conductance": Metric("gap_junction", "junctional_conductance", "Junctional Conductance", "nS", 1e9,
                                     cmap="viridis", clim=(0, 10)),
    "coupling_coeff_pulse": Metric("gap_junction", "coupling_coeff_pulse", "Coupling Coefficient", cmap="viridis",
                                   clim=(0, 1)),
}

ESTIMATORS: dict[str, str] = {"mean": "avg", "median": "median", "min": "min", "max": "max", "sum": "sum"}
"""Estimator names computed in SQL; a callable estimator runs once per class pair on that group's values."""


def metric(name: str) -> Metric:
    """A registered metric, or an ad-hoc ``"alias.column"`` one (shown with default styling)."""
    if name in METRICS:
        return METRICS[name]
    alias, _, column = name.rpartition(".")
    if alias and column:
        return Metric(alias, column, name)
    raise UnknownNameError("metric", name, METRICS)


def metric_matrix(
    db: SynphysDatabase,
    pre_classes: Mapping[Any, Any],
    post_classes: Mapping[Any, Any] | None,
    name: str,
    estimator: str | Callable[[np.ndarray], float] = "mean",
    pair_query_args: Mapping[str, Any] | None = None,
) -> pa.Table:
    """``pre_class, post_class, n, value, std, sem`` for metric ``name`` over pairs with a non-null value."""
    spec = metric(name)
    alias, column = db.pair_scope.resolve(Col(spec.column, spec.alias))
    grid = ClassGrid.of(pre_classes, post_classes if post_classes is not None else pre_classes)
    names = ParamNames()
    selection = pair_selection(db, dict(pair_query_args or {}))
    ctes = grouped_pairs_ctes(db, grid, selection, [(alias, column.name)], names)
    record_pairs(db, selection, [(alias, column.name)], grid=grid)
    value = quote_ident(f"{alias}.{column.name}")
    n_post = names.bind(len(grid.post))
    rows = (f"WITH {', '.join(ctes)} SELECT pre_idx * {n_post} + post_idx AS grp, {value} AS v, "
            f"{quote_ident(PAIR_ID)} AS pair_id FROM groups WHERE {value} IS NOT NULL")
    labels = [(p, q) for p in grid.pre_keys for q in grid.post_keys]
    if callable(estimator):
        data = db.dataset.result(Compiled(rows + " ORDER BY grp, pair_id", names.params)).arrow()
        return _summarise(labels, *_grouped(data, len(labels), estimator))
    if estimator not in ESTIMATORS:
        raise UnknownNameError("estimator", estimator, ESTIMATORS)
    # Ordered, so float sums are the same on every run and on the file and its mirror.
    sql = (f"WITH r AS ({rows}) SELECT grp, count(v) AS n, {ESTIMATORS[estimator]}(v ORDER BY pair_id) AS value, "
           "stddev_pop(v ORDER BY pair_id) AS std FROM r GROUP BY grp")
    agg = db.dataset.result(Compiled(sql, names.params)).arrow()
    n, value, std = (np.zeros(len(labels)), np.full(len(labels), np.nan), np.full(len(labels), np.nan))
    idx = agg["grp"].to_numpy()
    n[idx] = agg["n"].to_numpy()
    value[idx] = agg["value"].to_numpy(zero_copy_only=False)
    std[idx] = agg["std"].to_numpy(zero_copy_only=False)
    return _summarise(labels, n, value, std)


def _grouped(data: pa.Table, groups: int, estimator: Callable[[np.ndarray], float]) -> tuple[np.ndarray, ...]:
    """Apply ``estimator`` to each group's values (data sorted by group): one call per class pair."""
    grp, values = data["grp"].to_numpy(), data["v"].to_numpy(zero_copy_only=False).astype(float)
    n, value, std = np.zeros(groups), np.full(groups, np.nan), np.full(groups, np.nan)
    starts = np.flatnonzero(np.r_[True, grp[1:] != grp[:-1]]) if len(grp) else np.array([], dtype=int)
    for start, stop in zip(starts, np.r_[starts[1:], len(grp)]):
        g, chunk = grp[start], values[start:stop]
        n[g], value[g], std[g] = len(chunk), float(estimator(chunk)), float(np.std(chunk))
    return n, value, std


def _summarise(labels: list[tuple[str, str]], n: np.ndarray, value: np.ndarray, std: np.ndarray) -> pa.Table:
    """The tidy table; a class pair with fewer than two values has no estimate (the reference's n == 1 rule)."""
    value = np.where(n >= 2, value, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        sem = np.where(n >= 1, std / np.sqrt(n), np.nan)
    return pa.table({
        "pre_class": [p for p, _ in labels], "post_class": [q for _, q in labels],
        "n": n.astype(np.int64), "value": value, "std": std, "sem": sem,
    })
