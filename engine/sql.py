"""The only helpers that produce SQL text: compiled queries, identifier and literal quoting.

Values always travel as bound parameters. ``quote_literal`` exists solely for the few DuckDB
statements that reject parameters (``ATTACH``, ``COPY ... TO``), and is used for paths only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Compiled:
    """SQL text with ``$name`` placeholders plus the values bound to them."""

    sql: str
    params: dict[str, Any] = field(default_factory=dict)

    def __iter__(self):  # allows ``sql, params = compiled``
        return iter((self.sql, self.params))


def quote_ident(name: str) -> str:
    """Quote an identifier that was already validated against a schema."""
    if not isinstance(name, str) or not name or "\x00" in name:
        raise ValueError(f"invalid SQL identifier {name!r}")
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Quote a string literal for statements that cannot bind parameters (paths in ATTACH/COPY)."""
    if not isinstance(text, str) or "\x00" in text:
        raise ValueError(f"invalid SQL literal {text!r}")
    return "'" + text.replace("'", "''") + "'"


class ParamNames:
    """Hands out fresh parameter names (``p0``, ``p1``, ...) while one statement is built."""

    def __init__(self, prefix: str = "p") -> None:
        self.prefix = prefix
        self.params: dict[str, Any] = {}

    def bind(self, value: Any) -> str:
        """Register ``value`` and return its placeholder text (``$p3``)."""
        name = f"{self.prefix}{len(self.params)}"
        self.params[name] = value
        return "$" + name
