"""Writing query results to stdout or a file: pretty table, CSV, JSON lines or Parquet."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa

FORMATS = ("table", "csv", "json", "parquet")


def write_result(table: pa.Table, fmt: str, out: Path | None) -> None:
    """Write ``table`` in ``fmt`` to ``out`` (atomically) or to stdout."""
    import polars as pl

    frame = pl.from_arrow(table)
    if fmt == "table":
        with pl.Config(tbl_rows=50, tbl_cols=20, fmt_str_lengths=40):
            text = str(frame) + "\n"
        _emit(text.encode(), out)
    elif fmt == "csv":
        _emit(frame.write_csv().encode(), out)
    elif fmt == "json":
        _emit(frame.write_ndjson().encode(), out)
    elif fmt == "parquet":
        if out is None and sys.stdout.isatty():
            raise_bad("--format parquet writes binary; give --out FILE or redirect stdout")
        import io

        import pyarrow.parquet as pq

        buf = io.BytesIO()
        pq.write_table(table, buf, compression="zstd")
        _emit(buf.getvalue(), out)


def raise_bad(message: str) -> None:
    from ..errors import BadInputError

    raise BadInputError(message)


def _emit(data: bytes, out: Path | None) -> None:
    if out is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        from ..files import atomic_write_bytes

        atomic_write_bytes(out, data)
