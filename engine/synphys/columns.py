"""Column references written as ``"alias.column"`` (the aisynphys form)."""

from __future__ import annotations

from ..errors import BadInputError
from ..filters.ir import Col


def parse_col(spec: str | Col) -> Col:
    """``"pre_cell.cre_type"`` -> ``Col("cre_type", "pre_cell")``; a bare name stays unqualified."""
    if isinstance(spec, Col):
        return spec
    if not isinstance(spec, str) or not spec:
        raise BadInputError(f"a column is 'alias.column' or 'column', not {spec!r}")
    table, _, name = spec.rpartition(".")
    return Col(name, table or None)
