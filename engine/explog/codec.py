"""How values are stored in an experiment log: JSON text, ``.npy`` arrays, opaque bytes, timestamps.

New records never use pickle. The sqlite storage class tells the formats apart, row by row, so
files mixing reference rows and ours stay readable:

- TEXT: JSON (UTF-8). numpy arrays inside it are ``{"__ndarray__": "<base64 of a .npy file>"}``;
  numpy scalars become plain numbers. NaN and infinities use Python's JSON extension.
- BLOB starting with ``OPAQUE_PREFIX``: opaque bytes we stored (strategy payloads); the rest of
  the blob is returned unchanged.
- any other BLOB: a pickle written by the reference (AEPsych); it is only unpickled with
  ``allow_pickle=True`` because unpickling runs code chosen by whoever wrote the file.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import pickle
from typing import Any

import numpy as np

from ..errors import BadInputError, EngineError

NDARRAY_KEY = "__ndarray__"
# No pickle starts with a NUL byte (it is not an opcode), so the prefix cannot be mistaken for one.
OPAQUE_PREFIX = b"\x00engine.explog:bytes\x00"
TIMESTAMP_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy writes for DATETIME on sqlite
JSON_TYPES = "dict (str keys), list, tuple, str, int, float, bool, None, numpy arrays and scalars"


class PickleRefusedError(BadInputError):
    """A reference row holds a pickle and ``allow_pickle`` was not given."""


class PayloadError(EngineError, ValueError):
    """A stored value could not be decoded (bad JSON, or a pickle needing a missing module)."""


def to_json(value: Any, what: str) -> str:
    """``value`` as JSON text; arrays become tagged ``.npy`` blobs, anything else is refused."""
    try:
        return json.dumps(value, default=_json_default, ensure_ascii=False, check_circular=True)
    except (TypeError, ValueError) as exc:
        raise BadInputError(f"{what} must be JSON-serialisable ({JSON_TYPES}): {exc}") from None


def from_json(text: str, where: str) -> Any:
    """Parse JSON text written by ``to_json``, restoring tagged arrays."""
    try:
        return json.loads(text, object_hook=_json_object_hook)
    except (json.JSONDecodeError, ValueError) as exc:
        raise PayloadError(f"{where} holds text that is not JSON: {text!r:.80} ({exc})") from None


def to_opaque(payload: Any, what: str) -> bytes:
    """Wrap bytes (or an ``io.BytesIO``, as AEPsych passes strategies) for storage."""
    if isinstance(payload, io.BytesIO):
        payload = payload.getvalue()
    if not isinstance(payload, (bytes, bytearray, memoryview)):
        raise BadInputError(
            f"{what} must be bytes (e.g. the output of torch.save into a BytesIO), not {type(payload).__name__}"
        )
    return OPAQUE_PREFIX + bytes(payload)


def decode(stored: Any, where: str, *, allow_pickle: bool) -> Any:
    """A stored cell as a Python value: JSON text, opaque bytes, or (if allowed) a reference pickle."""
    if stored is None or isinstance(stored, (int, float)):
        return stored
    if isinstance(stored, str):
        return from_json(stored, where)
    blob = bytes(stored)
    if blob.startswith(OPAQUE_PREFIX):
        return blob[len(OPAQUE_PREFIX):]
    return _unpickle(blob, where, allow_pickle)


def timestamp_text(when: dt.datetime | None) -> str:
    """A timestamp as stored by the reference: local naive time, microseconds (aware values are converted)."""
    if when is None:
        when = dt.datetime.now()
    elif not isinstance(when, dt.datetime):
        raise BadInputError(f"timestamp must be a datetime.datetime, not {type(when).__name__}")
    elif when.tzinfo is not None:
        when = when.astimezone().replace(tzinfo=None)
    return when.strftime(TIMESTAMP_FORMAT)


def parse_timestamp(text: Any) -> dt.datetime | None:
    """A stored timestamp (text in either SQLAlchemy form, with or without microseconds)."""
    if text is None or isinstance(text, dt.datetime):
        return text
    try:
        return dt.datetime.fromisoformat(str(text))
    except ValueError:
        raise PayloadError(f"stored timestamp {text!r} is not an ISO date-time") from None


def _json_default(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        buffer = io.BytesIO()
        try:
            np.save(buffer, value, allow_pickle=False)
        except ValueError:
            raise TypeError(f"numpy arrays of dtype {value.dtype} cannot be stored without pickle") from None
        return {NDARRAY_KEY: base64.b64encode(buffer.getvalue()).decode("ascii")}
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not supported")


def _json_object_hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and NDARRAY_KEY in obj and isinstance(obj[NDARRAY_KEY], str):
        try:
            return np.load(io.BytesIO(base64.b64decode(obj[NDARRAY_KEY])), allow_pickle=False)
        except (ValueError, OSError) as exc:  # surfaces as PayloadError in from_json
            raise ValueError(f"bad {NDARRAY_KEY} value: {exc}") from None
    return obj


def _unpickle(blob: bytes, where: str, allow_pickle: bool) -> Any:
    if not allow_pickle:
        raise PickleRefusedError(
            f"{where} is a Python pickle written by the reference (AEPsych). Unpickling an untrusted "
            "file runs arbitrary code; pass allow_pickle=True only for files you trust."
        )
    try:
        value = pickle.loads(blob)  # noqa: S301 - explicitly allowed by the caller
    except Exception as exc:  # any unpickling failure: missing module, truncated data, ...
        raise PayloadError(f"{where}: cannot unpickle ({type(exc).__name__}: {exc})") from None
    # AEPsych stores strategies as a pickled BytesIO around torch.save output: hand back the bytes.
    return value.getvalue() if isinstance(value, io.BytesIO) else value
