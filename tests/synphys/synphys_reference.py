"""An independent, deliberately plain implementation of the reference's semantics (test code, not shipped).

It reads the release with ``sqlite3`` and does everything per cell, per pair and per class pair in
Python loops, the way aisynphys does: class membership by trying every combination of a cell's
detail rows (the ORM's outer joins), pair filters one argument at a time, connectivity per group,
and intervals from scipy one group at a time.
"""

from __future__ import annotations

import itertools
import math
import operator
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scipy.stats import beta

DETAILS = ("morphology", "intrinsic", "cortical_cell_location", "patch_seq")
OPS = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne}
MOUSE = ("mouse V1 coarse matrix", "mouse V1 pre-production")
STANDARD = (*MOUSE, "human coarse matrix")


def rows(con: sqlite3.Connection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r)) for r in cur.fetchall()]


@dataclass
class Release:
    """Every row the checks need, keyed the obvious way."""

    cells: dict[int, dict[str, Any]]
    details: dict[str, dict[int, list[dict[str, Any]]]]
    pairs: list[dict[str, Any]]
    synapse_types: dict[int, set[str]]
    gap_electrodes: set[int]

    @classmethod
    def load(cls, path: Path) -> Release:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            cells = {c["id"]: c for c in rows(con, "SELECT * FROM cell")}
            details = {}
            for table in DETAILS:
                by_cell: dict[int, list[dict[str, Any]]] = defaultdict(list)
                for r in rows(con, f"SELECT * FROM {table}"):
                    by_cell[r["cell_id"]].append(r)
                details[table] = by_cell
            pairs = rows(con, """
                SELECT pair.*, experiment.project_name, experiment.acsf, experiment.internal,
                       slice.species, slice.age
                FROM pair JOIN experiment ON experiment.id = pair.experiment_id
                LEFT JOIN slice ON slice.id = experiment.slice_id""")
            synapse_types: dict[int, set[str]] = defaultdict(set)
            for r in rows(con, "SELECT pair_id, synapse_type FROM synapse"):
                synapse_types[r["pair_id"]].add(r["synapse_type"])
            gap = {r["electrode_id"] for r in rows(con, "SELECT electrode_id, stim_name FROM recording")
                   if r["stim_name"] and "TargetV" in r["stim_name"]}
        finally:
            con.close()
        return cls(cells, details, pairs, synapse_types, gap)

    # -- classes ---------------------------------------------------------------------------------

    def in_class(self, cell_id: int, criteria: dict[str, Any], exprs: tuple = ()) -> bool:
        """Some combination of the cell's detail rows (or no row) satisfies every criterion."""
        cell = self.cells[cell_id]
        options = [self.details[t].get(cell_id) or [None] for t in DETAILS]
        for combo in itertools.product(*options):
            record = dict(zip(DETAILS, combo))
            if all(_matches(self._value(cell, record, k), v, lambda k2: self._value(cell, record, k2))
                   for k, v in criteria.items()) and all(
                (val := self._value(cell, record, name)) is not None and OPS[op](val, ref) for name, op, ref in exprs
            ):
                return True
        return False

    @staticmethod
    def _value(cell: dict, record: dict, name: str) -> Any:
        if name in cell:
            return cell[name]
        for table in ("morphology", "intrinsic", "cortical_cell_location", "patch_seq"):
            row = record[table]
            if row is not None and name in row:
                return row[name]
        return None

    # -- pairs -----------------------------------------------------------------------------------

    def select(self, **args: Any) -> list[dict[str, Any]]:
        """Pairs passing every pair_query argument, in id order (classes as (criteria, exprs) tuples)."""
        out = []
        for p in self.pairs:
            if p["pre_cell_id"] not in self.cells or p["post_cell_id"] not in self.cells:
                continue
            if all(self._keep(p, name, value) for name, value in args.items() if value is not None):
                out.append(p)
        return sorted(out, key=lambda p: p["id"])

    def _keep(self, p: dict[str, Any], name: str, value: Any) -> bool:
        if name in ("pre_class", "post_class"):
            return self.in_class(p[f"{name[:-6]}_cell_id"], *value)
        if name == "synapse":
            return p["has_synapse"] is not None and bool(p["has_synapse"]) == value
        if name == "electrical":
            return p["has_electrical"] is not None and bool(p["has_electrical"]) == value
        if name == "synapse_type":
            return value in self.synapse_types.get(p["id"], ())
        if name == "synapse_probed":
            return probed(p, self.cells[p["pre_cell_id"]]["cell_class"]) == value
        if name in ("project_name", "acsf", "internal", "species"):
            return p[name] in ([value] if isinstance(value, str) else value)
        if name == "experiment_type":
            return p["project_name"] in STANDARD
        if name in ("age", "distance"):
            v, (lo, hi) = p[name], value
            return v is not None and (lo is None or v >= lo) and (hi is None or v <= hi)
        raise AssertionError(f"reference does not know {name}")

    def matrix(self, pre: dict[str, tuple], post: dict[str, tuple], **args: Any) -> dict[tuple[str, str], list[int]]:
        """The concatenation over class pairs: pair ids for each (pre key, post key), one class pair at a time."""
        base = self.select(**args)
        pre_cells = {k: self.members(*c) for k, c in pre.items()}
        post_cells = {k: self.members(*c) for k, c in post.items()}
        return {(a, b): [p["id"] for p in base
                         if p["pre_cell_id"] in pre_cells[a] and p["post_cell_id"] in post_cells[b]]
                for a in pre for b in post}

    def members(self, criteria: dict[str, Any], exprs: tuple = ()) -> set[int]:
        return {c for c in self.cells if self.in_class(c, criteria, exprs)}

    # -- connectivity ----------------------------------------------------------------------------

    def connectivity(self, pair_ids: list[int], alpha: float, sigma: float | None, dist: str) -> dict[str, Any]:
        """get_cp_results + distance adjustment for one group, one pair at a time."""
        by_id = {p["id"]: p for p in self.pairs}
        group = [by_id[i] for i in pair_ids]
        probed_pairs = [p for p in group if probed(p, self.cells[p["pre_cell_id"]]["cell_class_nonsynaptic"])]
        connected = [p for p in probed_pairs if p["has_synapse"]]
        gaps_probed = [p for p in group if self._gap_probed(p)]
        gaps = [p for p in gaps_probed if p["has_electrical"]]
        out = {"n_pairs": len(group), "n_probed": len(probed_pairs), "n_connected": len(connected),
               "n_gaps_probed": len(gaps_probed), "n_gaps": len(gaps)}
        out["cp"] = (len(connected) / len(probed_pairs) if probed_pairs else math.nan,
                     *clopper_pearson(len(connected), len(probed_pairs), alpha))
        out["gap_cp"] = (len(gaps) / len(gaps_probed) if gaps_probed else math.nan,
                         *clopper_pearson(len(gaps), len(gaps_probed), alpha))
        if sigma is not None:
            out["adjusted_cp"] = adjusted([p[dist] for p in probed_pairs],
                                          [p["id"] in self.synapse_types for p in probed_pairs], sigma, alpha)
            out["adjusted_gap_cp"] = adjusted([p[dist] for p in gaps_probed],
                                              [bool(p["has_electrical"]) for p in gaps_probed], sigma, alpha)
        return out

    def _gap_probed(self, p: dict[str, Any]) -> bool:
        pre, post = self.cells[p["pre_cell_id"]], self.cells[p["post_cell_id"]]
        return pre["electrode_id"] in self.gap_electrodes and post["electrode_id"] in self.gap_electrodes


def _matches(value: Any, wanted: Any, lookup) -> bool:
    if isinstance(wanted, dict):
        return any(lookup(k) == v for k, v in wanted.items())
    if isinstance(wanted, (tuple, list)):
        return value in wanted
    return value == wanted


def probed(p: dict[str, Any], cell_class: str | None) -> bool:
    ex = p["n_ex_test_spikes"] is not None and p["n_ex_test_spikes"] > 10
    inh = p["n_in_test_spikes"] is not None and p["n_in_test_spikes"] > 10
    return {"ex": ex, "in": inh}.get(cell_class, ex and inh)


def clopper_pearson(k: int, n: int, alpha: float) -> tuple[float, float]:
    """statsmodels' ``proportion_confint(method='beta')``, one group at a time."""
    if n == 0:
        return 0.0, 1.0
    lower = 0.0 if k == 0 else float(beta.ppf(alpha / 2, k, n - k + 1))
    upper = 1.0 if k == n else float(beta.isf(alpha / 2, k + 1, n - k))
    return lower, upper


def adjusted(distances: list, connected: list[bool], sigma: float, alpha: float) -> tuple[float, float, float]:
    keep = [(d, c) for d, c in zip(distances, connected) if d is not None and math.isfinite(d)]
    if not keep:
        return math.nan, math.nan, math.nan
    mean_cp = sum(math.exp(-d * d / (2 * sigma * sigma)) for d, _ in keep) / len(keep)
    k = sum(c for _, c in keep)
    lower, upper = clopper_pearson(k, len(keep), alpha)
    return (k / len(keep)) / mean_cp, lower / mean_cp, upper / mean_cp
