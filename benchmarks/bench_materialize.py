"""Connectome annotation queries at a timestamp between two versions: engine vs sqlite, PostgreSQL and pandas.

Cases: ``synapse_query`` for 1 neuron and for N neurons (1000 at full size), a cell-type x
cell-type connectivity matrix, and a live query of the synapses onto 10 neurons (the side the
synapse table is not sorted by). Every contender derives root ids from the same interval
table at the same timestamp and must return the same number of rows. Autapses are kept
(``remove_autapses=False``) so every contender does the same work.

Contenders: ``engine`` is a client with the synapse table in memory (``in_memory=("synapses",)``);
``engine, Parquet scan`` reads the Parquet per query. sqlite and PostgreSQL hold the same
tables with B-tree indexes on every supervoxel column and on roots (supervoxel, valid_from) and
(root); their N-neuron case is the per-neuron loop a client runs, plus PostgreSQL's best single
statement (an array parameter). pandas holds the tables in memory and recomputes the state at T.
PostgreSQL is skipped, with a message, when 127.0.0.1:5432 is unreachable.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from engine.materialize import MaterializationClient

from . import materialize_baselines as base
from .context import Context
from .harness import Measurement, measure

SCENARIO = "materialize"
PRESET = {"tiny": "tiny", "small": "small", "medium": "small", "full": "large"}
NEURONS = {"tiny": 20, "small": 200, "medium": 200}
T = datetime(2024, 4, 15, tzinfo=timezone.utc)  # between versions 3 (Mar 31) and 4 (Apr 30)
T_US = int(T.timestamp()) * 1_000_000
SLOW = 1  # repeats for baselines that take minutes at full size


def connectome(ctx: Context) -> Path:
    """The generated datastack for ``ctx.size`` (cached); returns ``<root>/synthetic``."""
    from engine.synth import connectome as synth

    root = ctx.path(f"connectome_{ctx.size}")
    stack = root / "synthetic"
    if not (stack / "datastack.json").exists():
        synth.write(root, "synthetic", size=PRESET.get(ctx.size, "large"))
    return stack


def _neurons(client: MaterializationClient, n: int) -> list[int]:
    """``n`` roots current at T that have outgoing synapses, drawn reproducibly."""
    counts = client.connectivity(by=("pre_pt_root_id", "post_pt_root_id"), timestamp=T, remove_autapses=False,
                                 return_format="arrow")
    roots = np.unique(counts.column("pre_pt_root_id").to_numpy())
    roots = roots[roots != 0]
    return sorted(np.random.default_rng(0).choice(roots, size=min(n, len(roots)), replace=False).tolist())


def _rows(value: Any) -> int:
    return value.num_rows if hasattr(value, "num_rows") else len(value)


def _check(case: str, results: list[Measurement]) -> list[Measurement]:
    counts = {m.contender: m.rows for m in results}
    if len(set(counts.values())) != 1:
        raise AssertionError(f"{case}: contenders disagree on row counts {counts}")
    return results


def run(ctx: Context) -> list[Measurement]:
    stack = connectome(ctx)
    lite_path = base.build_sqlite(stack, ctx.path(f"connectome_{ctx.size}.sqlite"))
    scan = MaterializationClient(stack.parent, "synthetic")
    engine = MaterializationClient(stack.parent, "synthetic", in_memory=("synapses",))
    engine.preload()
    pg = base.postgres(stack, f"engine_bench_connectome_{ctx.size}", ctx.path("pg_scratch", "x").parent)
    lite = sqlite3.connect(f"file:{lite_path}?mode=ro", uri=True)
    frames = base.PandasMirror(stack)
    neurons = _neurons(scan, NEURONS.get(ctx.size, 1000))
    try:
        return (_one(ctx, engine, scan, lite, pg, frames, neurons[0])
                + _many(ctx, engine, scan, lite, pg, frames, neurons)
                + _matrix(ctx, engine, scan, lite, pg, frames)
                + _live(ctx, engine, scan, lite, pg, frames, neurons[:10]))
    finally:
        lite.close()
        scan.close()
        engine.close()
        if pg is not None:
            pg.close()


def _engine_pair(case: str, ctx: Context, fn: Any, engine: MaterializationClient,
                 scan: MaterializationClient) -> list[Measurement]:
    return [measure(SCENARIO, case, "engine", lambda: fn(engine), repeats=ctx.repeats, rows=_rows),
            measure(SCENARIO, case, "engine, Parquet scan", lambda: fn(scan), repeats=ctx.repeats, rows=_rows)]


def _one(ctx: Context, engine: MaterializationClient, scan: MaterializationClient, lite: sqlite3.Connection,
         pg: Any, frames: base.PandasMirror, root: int) -> list[Measurement]:
    case = "synapse_query, 1 neuron"
    query = lambda c: c.synapse_query(pre_ids=root, timestamp=T, remove_autapses=False,  # noqa: E731
                                      split_positions=True, return_format="arrow")
    out = _engine_pair(case, ctx, query, engine, scan)
    out.append(measure(SCENARIO, case, "sqlite, B-tree indexes",
                       lambda: lite.execute(base.PRE_ONE, {"root": root, "t": T_US}).fetchall(),
                       repeats=ctx.repeats, rows=len))
    if pg is not None:
        out.append(measure(SCENARIO, case, "postgres, B-tree indexes",
                           lambda: pg.execute(base.postgres_sql(base.PRE_ONE), {"root": root, "t": T}).fetchall(),
                           repeats=ctx.repeats, rows=len))
    out.append(measure(SCENARIO, case, "pandas", lambda: frames.synapses_of([root], T, "pre"),
                       repeats=ctx.repeats, rows=len))
    return _check(case, out)


def _many(ctx: Context, engine: MaterializationClient, scan: MaterializationClient, lite: sqlite3.Connection,
          pg: Any, frames: base.PandasMirror, roots: list[int]) -> list[Measurement]:
    case = f"synapse_query, {len(roots)} neurons"
    batch = lambda c: c.synapse_query_batch(pre_ids=roots, timestamp=T, remove_autapses=False,  # noqa: E731
                                            split_positions=True, return_format="arrow")
    out = _engine_pair(case, ctx, batch, engine, scan)

    def loop(execute: Any, sql: str, t: Any) -> int:
        return sum(len(execute(sql, {"root": r, "t": t}).fetchall()) for r in roots)

    out.append(measure(SCENARIO, case, "sqlite, B-tree indexes, loop", lambda: loop(lite.execute, base.PRE_ONE, T_US),
                       repeats=ctx.repeats, rows=lambda n: n))
    if pg is not None:
        out.append(measure(SCENARIO, case, "postgres, B-tree indexes, loop",
                           lambda: loop(pg.execute, base.postgres_sql(base.PRE_ONE), T),
                           repeats=ctx.repeats, rows=lambda n: n))
        sql, params = base.many("pre", roots, postgres=True)
        out.append(measure(SCENARIO, case, "postgres, one query (ANY array)",
                           lambda: pg.execute(sql, {**params, "t": T}).fetchall(), repeats=SLOW, rows=len))
    out.append(measure(SCENARIO, case, "pandas", lambda: frames.synapses_of(roots, T, "pre"),
                       repeats=ctx.repeats, rows=len))
    return _check(case, out)


def _matrix(ctx: Context, engine: MaterializationClient, scan: MaterializationClient, lite: sqlite3.Connection,
            pg: Any, frames: base.PandasMirror) -> list[Measurement]:
    case = "cell-type x cell-type connectivity"
    # Resident synapses: the label relations in DuckDB, the matrix in numpy (the first call also codes the
    # synapse table, once: a few seconds at full size); Parquet scan: one DuckDB statement over the files.
    matrix = lambda c: c.connectivity(timestamp=T, return_format="arrow")  # noqa: E731
    out = _engine_pair(case, ctx, matrix, engine, scan)
    out.append(measure(SCENARIO, case, "sqlite, B-tree indexes",
                       lambda: lite.execute(base.CONNECTIVITY, {"t": T_US}).fetchall(), repeats=SLOW, rows=len))
    if pg is not None:
        out.append(measure(SCENARIO, case, "postgres, B-tree indexes",
                           lambda: pg.execute(base.postgres_sql(base.CONNECTIVITY), {"t": T}).fetchall(),
                           repeats=SLOW, rows=len))
    out.append(measure(SCENARIO, case, "pandas", lambda: frames.connectivity(T), repeats=SLOW, rows=len))
    return _check(case, out)


def _live(ctx: Context, engine: MaterializationClient, scan: MaterializationClient, lite: sqlite3.Connection,
          pg: Any, frames: base.PandasMirror, roots: list[int]) -> list[Measurement]:
    case = f"live_query, synapses onto {len(roots)} neurons"
    live = lambda c: c.live_query("synapses", T, filter_in_dict={"post_pt_root_id": roots},  # noqa: E731
                                  split_positions=True, return_format="arrow")
    out = _engine_pair(case, ctx, live, engine, scan)
    sql, params = base.many("post", roots, postgres=False)
    out.append(measure(SCENARIO, case, "sqlite, B-tree indexes",
                       lambda: lite.execute(sql, {**params, "t": T_US}).fetchall(), repeats=ctx.repeats, rows=len))
    if pg is not None:
        pg_sql, pg_params = base.many("post", roots, postgres=True)
        out.append(measure(SCENARIO, case, "postgres, B-tree indexes",
                           lambda: pg.execute(pg_sql, {**pg_params, "t": T}).fetchall(), repeats=ctx.repeats, rows=len))
    out.append(measure(SCENARIO, case, "pandas", lambda: frames.synapses_of(roots, T, "post"),
                       repeats=ctx.repeats, rows=len))
    return _check(case, out)
