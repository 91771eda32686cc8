"""Representative filtered queries: Parquet mirror vs attached sqlite vs sqlite with its indexes.

Every contender must return the same number of rows, so each ratio compares the same work.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import engine

from .context import Context
from .datasets import synphys_mirror, synphys_release
from .harness import Measurement, measure

SCENARIO = "queries"
TYPES = ["sst", "pvalb"]


@dataclass(frozen=True)
class Case:
    """One question in DuckDB SQL and in sqlite SQL, with its parameters."""

    name: str
    duckdb_sql: str
    params: dict[str, Any]
    sqlite_sql: str
    sqlite_params: tuple[Any, ...]


def cases(expt_id: int, expt_ids: list[int], pair_id: int) -> list[Case]:
    marks = ",".join("?" * len(expt_ids))
    join = ("FROM pair JOIN cell pre ON pre.id = pair.pre_cell_id "
            "JOIN cell post ON post.id = pair.post_cell_id ")
    return [
        Case("pair by id", "SELECT * FROM pair WHERE id = $id", {"id": pair_id},
             "SELECT * FROM pair WHERE id = ?", (pair_id,)),
        Case("pairs of one experiment", "SELECT * FROM pair WHERE experiment_id = $e", {"e": expt_id},
             "SELECT * FROM pair WHERE experiment_id = ?", (expt_id,)),
        Case(f"cells of {len(expt_ids)} experiments", "SELECT * FROM cell WHERE experiment_id = ANY($ids)",
             {"ids": expt_ids}, f"SELECT * FROM cell WHERE experiment_id IN ({marks})", tuple(expt_ids)),
        Case("connected sst/pvalb pairs < 100 um (join)",
             "SELECT pair.id, pair.distance " + join +
             "WHERE pair.has_synapse AND pair.distance < $d AND pre.cre_type = ANY($t)",
             {"d": 100e-6, "t": TYPES},
             "SELECT pair.id, pair.distance " + join +
             "WHERE pair.has_synapse = 1 AND pair.distance < ? AND pre.cre_type IN (?, ?)", (100e-6, *TYPES)),
        Case("connection counts per cre pair (2 joins + group)",
             "SELECT pre.cre_type, post.cre_type, count(*) AS n, sum(CAST(pair.has_synapse AS INTEGER)) AS k " + join +
             "WHERE pair.has_synapse IS NOT NULL GROUP BY 1, 2", {},
             "SELECT pre.cre_type, post.cre_type, count(*) AS n, sum(pair.has_synapse) AS k " + join +
             "WHERE pair.has_synapse IS NOT NULL GROUP BY 1, 2", ()),
        Case("psp amplitude stats by synapse type",
             "SELECT synapse_type, count(*), avg(psp_amplitude), stddev_samp(psp_amplitude) FROM synapse GROUP BY 1",
             {},
             "SELECT synapse_type, count(*), avg(psp_amplitude), "
             "sqrt((sum(psp_amplitude*psp_amplitude) - sum(psp_amplitude)*sum(psp_amplitude)/count(psp_amplitude))"
             "/(count(psp_amplitude)-1)) FROM synapse GROUP BY 1", ()),
    ]


def run(ctx: Context) -> list[Measurement]:
    release = synphys_release(ctx)
    mirror = engine.connect(synphys_mirror(ctx))
    attached = engine.connect(release)
    lite = sqlite3.connect(f"file:{release}?mode=ro", uri=True)
    try:
        ids = [r[0] for r in lite.execute("SELECT id FROM experiment ORDER BY id")]
        pair_id = lite.execute("SELECT max(id) / 2 FROM pair").fetchone()[0]
        out = []
        for case in cases(ids[len(ids) // 2], ids[:: max(1, len(ids) // 100)][:100], pair_id):
            results = [
                measure(SCENARIO, case.name, "engine",
                        lambda c=case: mirror.sql(c.duckdb_sql, c.params).arrow(),
                        repeats=ctx.repeats, rows=lambda t: t.num_rows),
                measure(SCENARIO, case.name, "duckdb on attached sqlite",
                        lambda c=case: attached.sql(c.duckdb_sql, c.params).arrow(),
                        repeats=ctx.repeats, rows=lambda t: t.num_rows),
                measure(SCENARIO, case.name, "sqlite3 with indexes",
                        lambda c=case: lite.execute(c.sqlite_sql, c.sqlite_params).fetchall(),
                        repeats=ctx.repeats, rows=len),
            ]
            counts = {m.contender: m.rows for m in results}
            if len(set(counts.values())) != 1:
                raise AssertionError(f"{case.name}: contenders disagree on row counts {counts}")
            out += results
        return out
    finally:
        lite.close()
