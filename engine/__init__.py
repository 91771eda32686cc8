"""engine: a DuckDB/Arrow analytical engine for versioned neuroscience datasets.

Heavy parts (the HTTP server, the domain packages) load on first use.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .dataset import Dataset, connect
from .errors import (
    BadFilterError,
    BadInputError,
    EngineError,
    IntegrityError,
    QueryError,
    SchemaVersionError,
    UnknownColumnError,
    UnknownNameError,
    UnknownTableError,
    UnknownVersionError,
)
from .result import Result
from .schema import Column, ForeignKey, TableSchema

__all__ = [
    "__version__",
    "BadFilterError",
    "BadInputError",
    "Column",
    "Dataset",
    "EngineError",
    "ForeignKey",
    "IntegrityError",
    "QueryError",
    "Result",
    "SchemaVersionError",
    "TableSchema",
    "UnknownColumnError",
    "UnknownNameError",
    "UnknownTableError",
    "UnknownVersionError",
    "connect",
]
