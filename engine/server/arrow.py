"""Arrow IPC framing the way caveclient decodes it: one stream, pandas metadata, optional buffer compression.

caveclient reads ``pa.ipc.open_stream(body).read_pandas()``; the ``b"pandas"`` schema metadata
decides the dtypes it gets back. Compression is Arrow *buffer* compression (never HTTP
``Content-Encoding``, which requests decodes only with an optional package), chosen from
``Accept-Encoding``.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator, Sequence

import pyarrow as pa

from engine.materialize.frames import to_pandas

CONTENT_TYPE = "data.arrow"  # compared by string equality in caveclient: no charset, no parameters


def compression_for(accept_encoding: str, ipc_compress: bool = True) -> str | None:
    """Arrow buffer codec for a request: lz4 before zstd, as the reference checks them."""
    if not ipc_compress:
        return None
    accepted = accept_encoding.lower()
    return "lz4" if "lz4" in accepted else "zstd" if "zstd" in accepted else None


def wire_schema(schema: pa.Schema) -> pa.Schema:
    """``schema`` with pandas metadata for the dtypes the local client returns (``frames.to_pandas``).

    One dtype policy for both clients: nullable ``Int64``/``boolean``/``Float32`` for annotation
    columns, plain ``int32`` positions. Without the metadata caveclient would get ``float64`` for an
    integer column with nulls and ``object`` for booleans.

    >>> wire_schema(pa.schema([("id", pa.int64())])).pandas_metadata["columns"][0]["numpy_type"]
    'Int64'
    """
    described = pa.Schema.from_pandas(to_pandas(schema.empty_table(), split_positions=True), preserve_index=False)
    return schema.with_metadata({**(schema.metadata or {}), b"pandas": described.metadata[b"pandas"]})


def ipc_stream(
    batches: Iterable[pa.RecordBatch], schema: pa.Schema, compression: str | None
) -> Iterator[bytes]:
    """Encode ``batches`` as one IPC stream, yielding the bytes after the schema and after each batch.

    Nothing is held beyond the batch being written, so a 10M-row answer streams in constant memory.
    """
    target = wire_schema(schema)
    sink = _Chunks()
    options = pa.ipc.IpcWriteOptions(compression=compression)
    with pa.ipc.new_stream(sink, target, options=options) as writer:
        for batch in batches:
            if batch.num_rows:
                writer.write_batch(batch.cast(target) if batch.schema != target else batch)
                yield sink.take()
    yield sink.take()  # the schema (when no batch had rows) and the end-of-stream marker


def encode_table(table: pa.Table, compression: str | None) -> bytes:
    """A whole (small) table as one IPC stream body."""
    return b"".join(ipc_stream(table.to_batches(), table.schema, compression))


def resolution_header(resolution: Sequence[float]) -> str:
    """``dataframe_resolution`` as caveclient parses it: ``[float(r) for r in s.split(", ")]``."""
    return ", ".join(repr(float(r)) for r in resolution)


class _Chunks(io.RawIOBase):
    """A write-only sink whose bytes are taken out after every batch."""

    def __init__(self) -> None:
        super().__init__()
        self._parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | memoryview) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out
