"""Synphys: whole-matrix connectivity and pair queries vs the aisynphys-style baseline, in one run.

Contenders per case: ``engine`` (the Parquet mirror; the ratio base), the engine on the attached
sqlite file, and the aisynphys-style baseline (``synphys_baseline.py``: the reference's SQL once per
class pair through pandas on the sqlite file, then per-pair Python). The connectivity case checks that
the baseline and the engine agree on every count and interval before reporting.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from engine.synphys import SynphysDatabase, class_set
from engine.synphys.pair_query import DEFERRED, PRELOAD_GROUPS

from . import synphys_baseline as baseline
from .context import Context
from .datasets import synphys_mirror, synphys_release
from .harness import Measurement, measure

SCENARIO = "synphys"
BASELINE = "aisynphys-style (sqlite+pandas+Python)"
STANDARD_MOUSE = {"experiment_type": "standard multipatch", "species": "mouse"}
SIGMA, DIST = 100e-6, "lateral_distance"
PAIR_CASES = [
    # (case, pair_query arguments, preload groups)
    ("pair_query mouse projects, no preload", {"project_name": list(SynphysDatabase.mouse_projects)}, ()),
    ("pair_query mouse ex synapses, preload synapse+cell", {"species": "mouse", "synapse": True, "synapse_type": "ex"},
     ("synapse", "cell")),
    ("pair_query std multipatch mouse probed, preload cell", {**STANDARD_MOUSE, "synapse_probed": True}, ("cell",)),
]


def run(ctx: Context) -> list[Measurement]:
    release, mirror = synphys_release(ctx), synphys_mirror(ctx)
    dbs = {"engine": SynphysDatabase.open(mirror), "engine, attached sqlite": SynphysDatabase.load_sqlite(release)}
    classes = class_set("mouse17")
    out: list[Measurement] = []

    def case(name: str, engine: Callable[[SynphysDatabase], Any], slow: Callable[[], Any]) -> None:
        for contender, db in dbs.items():
            out.append(measure(SCENARIO, name, contender, lambda db=db: engine(db), repeats=ctx.repeats, rows=_rows))
        out.append(measure(SCENARIO, name, BASELINE, slow, repeats=1, rows=len))

    answers: dict[str, list] = {}
    case("connectivity_matrix mouse17 (289 class pairs)",
         lambda db: db.connectivity_matrix(classes, classes, STANDARD_MOUSE, SIGMA, DIST),
         lambda: answers.setdefault("baseline", baseline.connectivity(release, classes, STANDARD_MOUSE, SIGMA, DIST)))
    engine_answer = dbs["engine"].connectivity_matrix(classes, classes, STANDARD_MOUSE, SIGMA, DIST)
    _check_agreement(engine_answer, answers["baseline"])

    case("matrix_pair_query mouse17",
         lambda db: db.matrix_pair_query(classes, classes, pair_query_args=STANDARD_MOUSE).arrow(),
         lambda: _with_sqlite(release, lambda con: baseline.matrix_pair_query(con, classes, STANDARD_MOUSE)))

    for name, args, preload in PAIR_CASES:
        extra = _preload_columns(dbs["engine"], preload)
        case(name, lambda db, a=args, p=preload: db.pair_query(**a, preload=p).arrow(),
             lambda a=args, e=extra: _read(release, baseline.pair_query_sql(None, None, a, e)))
    for db in dbs.values():
        db.close()
    return out


def _rows(result: Any) -> int:
    return result.num_rows


def _preload_columns(db: SynphysDatabase, preload: tuple[str, ...]) -> tuple[str, ...]:
    """The entity columns the reference's ``preload`` returns, named like its dataframes."""
    aliases = [a for group in preload for a in PRELOAD_GROUPS[group]]
    return tuple(f'{a}.{c} AS "{a}.{c}"' for a in aliases for c in db.pair_scope.tables[a].names
                 if c not in DEFERRED.get(a, ()))


def _read(path: Path, query: tuple[str, list]) -> pd.DataFrame:
    """``pandas.read_sql`` of one baseline query on the sqlite file, as the reference's ``.dataframe()`` does."""
    sql, params = query
    return _with_sqlite(path, lambda con: pd.read_sql(sql, con, params=params))


def _with_sqlite(path: Path, fn: Callable[[sqlite3.Connection], Any]) -> Any:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return fn(con)
    finally:
        con.close()


def _check_agreement(table: Any, reference: list[dict]) -> None:
    """Same counts per class pair, intervals to 1e-9: the ratio compares the same answer."""
    rows = table.to_pylist()
    if len(rows) != len(reference):
        raise AssertionError(f"engine has {len(rows)} class pairs, baseline {len(reference)}")
    for row, ref in zip(rows, reference):
        key = (row["pre_class"], row["post_class"])
        if key != (ref["pre_class"], ref["post_class"]):
            raise AssertionError(f"class pairs out of order: {key} vs {ref['pre_class'], ref['post_class']}")
        for name in ("n_probed", "n_connected", "n_gaps_probed", "n_gaps"):
            if row[name] != ref[name]:
                raise AssertionError(f"{key} {name}: engine {row[name]}, baseline {ref[name]}")
        for name in ("cp", "adjusted_cp"):
            got = (row[name], row[f"{name}_lower"], row[f"{name}_upper"])
            if not all(math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(g) and math.isnan(w))
                       for g, w in zip(got, ref[name])):
                raise AssertionError(f"{key} {name}: engine {got}, baseline {ref[name]}")
