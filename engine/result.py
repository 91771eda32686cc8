"""``Result``: a lazy query that runs once and is read as Arrow, polars, pandas or batches."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from .connection import Connector, execute
from .decode import decode_table, npy_to_numpy
from .errors import BadInputError
from .sql import Compiled

if TYPE_CHECKING:
    import pandas as pd
    import polars as pl

DEFAULT_BATCH_ROWS = 1 << 17


def run(connector: Connector, compiled: Compiled) -> duckdb.DuckDBPyConnection:
    """Execute ``compiled`` on this thread's cursor, translating DuckDB errors."""
    return execute(connector.cursor(), compiled.sql, compiled.params)


class Result:
    """A query that has not run yet.

    It runs at most once: ``arrow()``, ``pl()`` and ``df()`` share one Arrow table. ``batches()``
    streams without materialising (or replays the cached table if it already ran). ``sql`` and
    ``params`` show exactly what will run. A subclass whose rows come from another access path
    overrides ``_compute`` (``sql`` must still reproduce them).
    """

    def __init__(
        self,
        connector: Connector,
        compiled: Compiled,
        *,
        npy: Iterable[str] = (),
        json: Iterable[str] = (),
        encodings: dict[str, str] | None = None,
    ) -> None:
        self._connector = connector
        self._compiled = compiled
        self._npy = tuple(npy)
        self._json = tuple(json)
        self._encodings = encodings or {}
        self._table: pa.Table | None = None
        self._lock = threading.Lock()

    @property
    def sql(self) -> str:
        return self._compiled.sql

    @property
    def params(self) -> dict[str, Any]:
        return dict(self._compiled.params)

    @property
    def compiled(self) -> Compiled:
        return self._compiled

    @property
    def encodings(self) -> dict[str, str]:
        """Output column name -> ``"npy"`` / ``"json"``: what ``decode(True)`` picks."""
        return dict(self._encodings)

    def __repr__(self) -> str:
        state = f"{self._table.num_rows} rows" if self._table is not None else "not run"
        return f"<Result ({state}): {self.sql!r} {self.params!r}>"

    def decode(self, *, npy: bool | Iterable[str] = True, json: bool | Iterable[str] = True) -> Result:
        """The same query with ``.npy`` BLOB and JSON text columns decoded.

        ``True`` picks the columns the source declares with that encoding; a list names them.
        """
        names = self.column_names()
        npy_cols = self._pick(npy, "npy", names)
        json_cols = self._pick(json, "json", names)
        return Result(self._connector, self._compiled, npy=npy_cols, json=json_cols, encodings=self._encodings)

    def arrow(self) -> pa.Table:
        """The whole result as an Arrow table (computed once, then cached)."""
        with self._lock:
            if self._table is None:
                self._table = self._decoded(self._compute())
            return self._table

    def _compute(self) -> pa.Table:
        """The rows, as ``arrow()`` caches them before decoding: the statement's, unless a subclass knows better."""
        return run(self._connector, self._compiled).to_arrow_table()

    def pl(self) -> pl.DataFrame:
        """The result as a polars DataFrame (zero-copy from Arrow where possible)."""
        import polars as pl

        return pl.from_arrow(self.arrow())

    def df(self) -> pd.DataFrame:
        """The result as a pandas DataFrame."""
        return self.arrow().to_pandas()

    def batches(self, batch_rows: int = DEFAULT_BATCH_ROWS) -> Iterator[pa.RecordBatch]:
        """Stream record batches without holding the whole result in memory."""
        if self._table is not None:
            yield from self._table.to_batches(max_chunksize=batch_rows)
            return
        reader = run(self._connector, self._compiled).to_arrow_reader(batch_rows)
        for batch in reader:
            if self._npy or self._json:
                batch = self._decoded(pa.Table.from_batches([batch])).to_batches()[0]
            yield batch

    def count(self) -> int:
        """Number of rows, computed in DuckDB unless the result is already materialised."""
        if self._table is not None:
            return self._table.num_rows
        counted = Compiled(f"SELECT count(*) FROM ({self.sql}) AS q", self._compiled.params)
        return int(run(self._connector, counted).fetchone()[0])

    def column_names(self) -> list[str]:
        """Output column names, without running the query."""
        if self._table is not None:
            return self._table.column_names
        probe = Compiled(f"SELECT * FROM ({self.sql}) AS q LIMIT 0", self._compiled.params)
        return [d[0] for d in run(self._connector, probe).description]

    def arrays(self, column: str) -> list[Any]:
        """A ``.npy`` BLOB column as a list of numpy arrays (None for missing)."""
        table = self.arrow()
        if column not in table.column_names:
            raise BadInputError(f"result has no column {column!r} (columns: {', '.join(table.column_names)})")
        return [npy_to_numpy(b) for b in table[column].to_pylist()]

    def explain(self) -> str:
        """DuckDB's physical plan for this query."""
        rows = run(self._connector, Compiled("EXPLAIN " + self.sql, self._compiled.params)).fetchall()
        return "\n".join(r[1] for r in rows)

    def _decoded(self, table: pa.Table) -> pa.Table:
        if not (self._npy or self._json):
            return table
        return decode_table(table, self._npy, self._json)

    def _pick(self, choice: bool | Iterable[str], encoding: str, names: list[str]) -> tuple[str, ...]:
        if choice is True:
            return tuple(n for n in names if self._encodings.get(n) == encoding)
        if choice is False:
            return ()
        picked = tuple(choice)
        for name in picked:
            if name not in names:
                raise BadInputError(f"cannot decode {name!r}: not a result column (columns: {', '.join(names)})")
        return picked
