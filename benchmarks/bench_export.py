"""Paper export: a paper that read ~5% of a full release, exported vs a naive copy of every table.

The analysis (pair query with synapse and experiment details, a mouse17 pair matrix and its
connectivity, all restricted to the first 5% of experiments) is logged once; the cases are:

* logging overhead: the analysis with and without an active export;
* export from the sqlite release and from its Parquet mirror: ``export_paper`` (cascade, zstd
  Parquet slice, checksums, manifest; the sqlite source is hashed too) vs DuckDB ``COPY`` of
  every full table to zstd Parquet (what a paper without a slice would ship) and a plain copy of
  the release file / mirror directory.

Sizes (bundle vs full copy) are printed to stderr and kept in each measurement's ``extra``.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import engine
from engine.connection import load_sqlite_scanner, new_connection
from engine.export import export, export_paper, open_catalog
from engine.filters import Col, Range
from engine.sql import quote_ident, quote_literal
from engine.synphys import SynphysDatabase, class_set

from .context import Context
from .datasets import synphys_mirror, synphys_release
from .harness import Measurement, measure

SCENARIO = "export"
FRACTION = 0.05


def analysis(db: SynphysDatabase, cutoff: int) -> int:
    """The paper's reads: every table it touches is restricted to experiments with id <= cutoff."""
    scope = [Range(Col("id", "experiment"), hi=cutoff)]
    mouse = class_set("mouse17")
    pairs = db.pair_query(filter_exprs=scope, preload=["synapse", "experiment"]).arrow()
    matrix = db.matrix_pair_query(mouse, mouse, pair_query_args={"filter_exprs": scope}).arrow()
    db.connectivity_matrix(mouse, pair_query_args={"filter_exprs": scope}, sigma=100e-6)
    return pairs.num_rows + matrix.num_rows


def run(ctx: Context) -> list[Measurement]:
    release, mirror = synphys_release(ctx), synphys_mirror(ctx)
    work = Path(tempfile.mkdtemp(prefix="bench-export-", dir=ctx.data_dir))
    catalog = open_catalog(work / "exports.sqlite")
    out: list[Measurement] = []
    try:
        for kind, path in (("sqlite release", release), ("Parquet mirror", mirror)):
            db = SynphysDatabase.open(path)
            cutoff = db.sql("SELECT quantile_disc(id, $f) AS c FROM experiment", {"f": FRACTION}).arrow()["c"][0].as_py()
            paper = f"paper-{kind.split()[0]}"

            def logged() -> int:
                with export(paper, "figures", catalog=catalog):
                    return analysis(db, cutoff)

            case = f"5% paper on the {kind}"
            if kind == "sqlite release":
                out.append(measure(SCENARIO, f"analysis, {case}", "engine", logged, repeats=ctx.repeats))
                out.append(measure(SCENARIO, f"analysis, {case}", "analysis without logging",
                                   lambda: analysis(db, cutoff), repeats=ctx.repeats))
            else:
                logged()
            out += _exports(ctx, case, paper, catalog, path, db.dataset, work)
            db.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


def _exports(ctx: Context, case: str, paper: str, catalog: Any, source: Path, dataset: engine.Dataset,
             work: Path) -> list[Measurement]:
    bundle, copy, full = work / f"{paper}-bundle", work / f"{paper}-copy", work / f"{paper}-full"

    def engine_export() -> Path:
        return export_paper(paper, bundle, catalog=catalog)

    def copy_every_table() -> Path:
        shutil.rmtree(full, ignore_errors=True)
        full.mkdir()
        con = new_connection()
        if source.is_file():
            load_sqlite_scanner(con)
            con.execute(f"ATTACH {quote_literal(str(source))} AS s (TYPE sqlite, READ_ONLY)")
        for t in dataset.tables:
            relation = f"s.{quote_ident(t)}" if source.is_file() else \
                f"read_parquet({quote_literal(str(source / 'tables' / (t + '.parquet')))})"
            con.execute(f"COPY (SELECT * FROM {relation}) TO {quote_literal(str(full / (t + '.parquet')))} "
                        "(FORMAT parquet, COMPRESSION zstd)")
        con.close()
        return full

    def copy_source() -> Path:
        shutil.rmtree(copy, ignore_errors=True)
        if source.is_file():
            copy.mkdir()
            return Path(shutil.copy(source, copy))
        return Path(shutil.copytree(source, copy))

    case = f"export, {case}"
    results = [
        measure(SCENARIO, case, "engine", engine_export, repeats=ctx.repeats),
        measure(SCENARIO, case, "DuckDB COPY of every full table", copy_every_table, repeats=ctx.repeats),
        measure(SCENARIO, case, "copy of the source as is", copy_source, repeats=ctx.repeats),
    ]
    sizes = {m.contender: _bytes(p) for m, p in zip(results, (bundle, full, copy))}
    sliced = engine.connect(bundle)
    rows, pairs = (_rows(sliced), _rows(dataset)), (_rows(sliced, ["pair"]), _rows(dataset, ["pair"]))
    print(f"  {case}: bundle {sizes['engine'] / 1e6:.1f} MB, {rows[0]:,} rows = {rows[0] / rows[1]:.1%} of "
          f"{rows[1]:,} ({pairs[0] / pairs[1]:.1%} of the pairs); full Parquet copy "
          f"{sizes['DuckDB COPY of every full table'] / 1e6:.1f} MB; source {sizes['copy of the source as is'] / 1e6:.1f} MB",
          file=sys.stderr)
    extra = {"bundle_rows": rows[0], "source_rows": rows[1], "bundle_pairs": pairs[0], "source_pairs": pairs[1]}
    return [Measurement(m.scenario, m.case, m.contender, m.seconds, m.repeats, m.median, m.rows,
                        {"bytes": sizes[m.contender], **extra}) for m in results]


def _bytes(path: Path) -> int:
    return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _rows(dataset: engine.Dataset, tables: list[str] | None = None) -> int:
    counts = ", ".join(f"(SELECT count(*) FROM {quote_ident(t)})" for t in tables or dataset.tables)
    return int(dataset.sql(f"SELECT list_sum([{counts}]) AS n").arrow()["n"][0].as_py())
