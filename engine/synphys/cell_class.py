"""``CellClass``: a named set of criteria on a cell and its morphology, patch-seq, intrinsic and location rows.

Criteria become filter-compiler IR (``CellClass.filter``), so membership runs in DuckDB (pair
queries, matrices) or polars (``classify_cell_dataframe``) with one set of semantics. Names,
equality by name and the ``is_excitatory`` votes follow the reference (aisynphys ``cell_class.py``).

>>> l23pyr = CellClass(dendrite_type="spiny", cortical_layer="2/3", name="l23pyr")
>>> l23pyr.is_excitatory, CellClass(cre_type=("sst", "pvalb")).output_synapse_type
(True, 'in')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import BadInputError, UnknownNameError
from ..filters import COMPARISONS, And, Col, Node, Or, any_of, columns_of, compare, equal, map_columns
from .criteria import CELL_TABLE_COLUMNS, CRITERIA_TABLE, criterion_table
from .vocabulary import (
    EXCITATORY_CRE_TYPES,
    EXCITATORY_DENDRITES,
    INHIBITORY_CRE_TYPES,
    INHIBITORY_DENDRITES,
)

Comparison = tuple[str, str, Any]
SCALARS = (str, int, float, bool, type(None))


class CellClass:
    """A class of cells: keyword criteria (scalar = equals, tuple/list = any of, dict = any attribute equals)
    plus positional comparisons ``("fractional_layer_depth", "<", 0.5)`` or filter IR nodes.

    Two classes are equal (and hash alike) when their names are, and a class equals its name as a string.
    """

    __slots__ = ("criteria", "exprs", "_name")

    def __init__(self, *exprs: Comparison | Node, name: str | None = None, **criteria: Any) -> None:
        if name is not None and not isinstance(name, str):
            raise BadInputError(f"CellClass name must be a string or None, not {type(name).__name__} {name!r}")
        for key, value in criteria.items():
            _check_criterion(key, value)
        self.criteria: dict[str, Any] = dict(criteria)
        self.exprs: tuple[Node, ...] = tuple(_expr_node(e) for e in exprs)
        self._name = name

    @property
    def name(self) -> str:
        """The explicit name, else ``as_tuple`` joined with spaces (e.g. ``'L2/3 spiny'``)."""
        return self._name if self._name is not None else " ".join(self.as_tuple)

    @property
    def as_tuple(self) -> tuple[str, ...]:
        """Display parts: ``'L'`` + target_layer (else cortical_layer), dendrite type, pyr/nonpyr, cre, t-type."""
        c = self.criteria
        parts = []
        layer = c.get("target_layer")
        layer = c.get("cortical_layer") if layer is None else layer
        if layer is not None:
            parts.append("L" + str(layer))
        if "dendrite_type" in c:
            parts.append(str(c["dendrite_type"]))
        if "pyramidal" in c:
            parts.append("pyr" if c["pyramidal"] else "nonpyr")
        for key in ("cre_type", "t_type"):
            if c.get(key) is not None:
                parts.append(str(c[key]))
        return tuple(parts)

    @property
    def is_excitatory(self) -> bool | None:
        """True / False when every cre, dendrite-type and cell-class vote agrees; None when mixed or no votes."""
        votes = []
        cre = _as_values(self.criteria.get("cre_type"))
        if _all_in(cre, EXCITATORY_CRE_TYPES):
            votes.append(True)
        elif _all_in(cre, INHIBITORY_CRE_TYPES):
            votes.append(False)
        dendrite = self.criteria.get("dendrite_type")
        if dendrite is not None:
            vote = _dendrite_vote(_as_values(dendrite))
            if vote is None:
                return None
            votes.append(vote)
        for key in ("cell_class", "cell_class_nonsynaptic"):
            value = self.criteria.get(key)
            if value is not None:
                vote = _cell_class_vote(_as_values(value))
                if vote is None:
                    return None
                votes.append(vote)
        if not votes or len(set(votes)) > 1:
            return None
        return votes[0]

    @property
    def output_synapse_type(self) -> str | None:
        """``'ex'``, ``'in'`` or None, from ``is_excitatory``."""
        return {True: "ex", False: "in"}.get(self.is_excitatory)

    @property
    def tables(self) -> frozenset[str]:
        """The per-cell tables the criteria read (``cell`` always; others only when used)."""
        names = {col.table for col in columns_of(self.filter())}
        return frozenset(names | {"cell"})

    def filter(self, prefix: str = "") -> Node:
        """The criteria as filter IR over aliases ``prefix + table`` (``pre_cell``, ``pre_morphology``, ...)."""
        nodes = [_criterion_node(k, v) for k, v in self.criteria.items()] + list(self.exprs)
        return _prefixed(And(tuple(nodes)), prefix)

    def __hash__(self) -> int:
        return hash(self.name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return other == self.name
        if isinstance(other, CellClass):
            return other.name == self.name
        return NotImplemented

    def __repr__(self) -> str:
        return f"<CellClass {self.name}>"

    def __str__(self) -> str:
        return self.name

    def same_criteria(self, other: CellClass) -> bool:
        """Whether ``other`` selects with exactly the same criteria (used to refuse silent name collisions)."""
        return self.filter() == other.filter()


def _check_criterion(key: str, value: Any) -> None:
    if criterion_table(key) is None:
        raise UnknownNameError("cell class criterion", key, CRITERIA_TABLE)
    if isinstance(value, Mapping):
        if not value:
            raise BadInputError(f"criterion {key!r}: an empty dict matches nothing")
        for inner, inner_value in value.items():
            _check_criterion(inner, inner_value)
            if not isinstance(inner_value, SCALARS):
                raise BadInputError(
                    f"criterion {key!r}: dict values must be scalars, got {inner_value!r} for {inner!r}"
                )
    elif isinstance(value, (tuple, list)):
        if not value:
            raise BadInputError(f"criterion {key!r}: an empty {type(value).__name__} matches nothing")
        bad = [v for v in value if not isinstance(v, SCALARS)]
        if bad:
            raise BadInputError(f"criterion {key!r}: values must be scalars, got {bad[0]!r}")
    elif not isinstance(value, SCALARS):
        raise BadInputError(
            f"criterion {key!r}: use a scalar (equals), a tuple/list (any of) or a dict (any attribute equals), "
            f"not {type(value).__name__}"
        )


def _expr_node(expr: Comparison | Node) -> Node:
    """A positional criterion as IR: a ``(name, op, value)`` comparison or a node over criteria columns."""
    if isinstance(expr, Node):
        for col in columns_of(expr):
            _check_expr_column(col, expr)
        return _located(expr)
    if not (isinstance(expr, tuple) and len(expr) == 3 and expr[1] in COMPARISONS):
        raise BadInputError(
            f"positional CellClass criteria are (name, op, value) with op in {', '.join(COMPARISONS)} "
            f"or filter nodes, not {expr!r}"
        )
    name, op, value = expr
    if criterion_table(name) is None:
        raise UnknownNameError("cell class criterion", name, CRITERIA_TABLE)
    if not isinstance(value, SCALARS):
        raise BadInputError(f"comparison {expr!r}: the value must be a scalar")
    return compare(Col(name, criterion_table(name)), op, value)


def _check_expr_column(col: Col, expr: Node) -> None:
    if criterion_table(col.name) is None:
        raise UnknownNameError("cell class criterion", col.name, CRITERIA_TABLE)
    if col.table is not None and col.name not in CELL_TABLE_COLUMNS.get(col.table, ()):
        raise BadInputError(f"{expr!r}: {col} is not a column of a per-cell table ({', '.join(CELL_TABLE_COLUMNS)})")


def _criterion_node(key: str, value: Any) -> Node:
    """Scalar -> equality (None: IS NULL), tuple / list -> any of, dict -> any of its attributes equals."""
    if isinstance(value, Mapping):
        return Or(tuple(_criterion_node(k, v) for k, v in value.items()))
    col = Col(key, criterion_table(key))
    return any_of(col, list(value)) if isinstance(value, (tuple, list)) else equal(col, value)


def _located(node: Node) -> Node:
    """Unqualified columns pinned to the table the reference reads them from."""
    return map_columns(node, lambda c: c if c.table is not None else Col(c.name, criterion_table(c.name)))


def _prefixed(node: Node, prefix: str) -> Node:
    return node if not prefix else map_columns(node, lambda c: Col(c.name, prefix + c.table))


def _as_values(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _all_in(values: tuple[Any, ...], vocabulary: frozenset[str]) -> bool:
    """Every value is a string of ``vocabulary`` (a dict criterion, or None, is not)."""
    return all(isinstance(v, str) and v in vocabulary for v in values)


def _dendrite_vote(values: tuple[Any, ...]) -> bool | None:
    """spiny -> True, aspiny / sparsely spiny -> False; anything else (or a mix) makes the class ambiguous."""
    if _all_in(values, EXCITATORY_DENDRITES):
        return True
    if _all_in(values, INHIBITORY_DENDRITES):
        return False
    return None


def _cell_class_vote(values: tuple[Any, ...]) -> bool | None:
    """ex -> True, in -> False, mixed (or a mix) -> ambiguous; other values are errors, as in the reference."""
    bad = [v for v in values if v not in ("ex", "in", "mixed")]
    if bad:
        raise BadInputError(f"cell class criteria must be 'ex', 'in' or 'mixed', not {bad[0]!r}")
    if set(values) == {"ex"}:
        return True
    if set(values) == {"in"}:
        return False
    return None
