"""Mirror throughput: ``Dataset.mirror`` vs DuckDB's own ``COPY`` of the attached sqlite tables.

The ratio is the engine's overhead (manifest, checksums, atomic rename) over the raw copy.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import engine
from engine.connection import load_sqlite_scanner, new_connection
from engine.sql import quote_ident, quote_literal

from .context import Context
from .datasets import synphys_release
from .harness import Measurement, measure

SCENARIO = "mirror"


def run(ctx: Context) -> list[Measurement]:
    release = synphys_release(ctx)
    ds = engine.connect(release)
    tables = ds.tables
    size_mb = release.stat().st_size / 1e6
    work = Path(tempfile.mkdtemp(prefix="bench-mirror-", dir=ctx.data_dir))
    try:
        def engine_mirror() -> Path:
            dest = work / "engine"
            shutil.rmtree(dest, ignore_errors=True)
            return ds.mirror(dest, progress=False)

        def raw_copy() -> Path:
            dest = work / "raw"
            shutil.rmtree(dest, ignore_errors=True)
            dest.mkdir()
            con = new_connection()
            load_sqlite_scanner(con)
            con.execute(f"ATTACH {quote_literal(str(release))} AS s (TYPE sqlite, READ_ONLY)")
            for t in tables:
                con.execute(
                    f"COPY (SELECT * FROM s.{quote_ident(t)}) TO {quote_literal(str(dest / (t + '.parquet')))} "
                    "(FORMAT parquet, COMPRESSION zstd)"
                )
            con.close()
            return dest

        case = f"mirror {release.name} ({size_mb:.0f} MB, {len(tables)} tables)"
        return [
            measure(SCENARIO, case, "engine", engine_mirror, repeats=ctx.repeats),
            measure(SCENARIO, case, "duckdb COPY (no manifest)", raw_copy, repeats=ctx.repeats),
        ]
    finally:
        shutil.rmtree(work, ignore_errors=True)
