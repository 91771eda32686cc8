"""``matrix_pair_query``: every (pre class, post class) combination's pairs in ONE statement.

The reference runs ``pair_query`` once per combination (N_pre x N_post queries) and concatenates.
Here class membership is computed once per cell as boolean columns (``membership.py``), turned
into (cell, class index) hits, and the pairs are hash-joined to the pre and post hits before the
pair query's joins and filters run on them: a pair appears under every combination it matches,
exactly as in the concatenation.

::

    WITH membership AS (SELECT cell_id, m0, m1, ... FROM cell LEFT JOIN <detail tables used> [GROUP BY cell_id]),
         pre_hits AS (SELECT cell_id, 0 AS idx FROM membership WHERE m0 UNION ALL ...),
         post_hits AS (...),   -- the same CTE when one class dict serves both axes
         grid_pair AS MATERIALIZED (SELECT pair.*, pre.idx AS pre_idx, post.idx AS post_idx
                                    FROM pair JOIN pre_hits AS pre ... JOIN post_hits AS post ...),
         groups AS (<pair_query without classes, FROM grid_pair AS pair>)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import BadInputError
from ..export.synphys_reads import record_pairs
from ..result import Result
from ..sql import Compiled, ParamNames, quote_ident
from .cell_class import CellClass
from .groups import label
from .membership import membership_sql
from .pair_query import PairSelection, output_columns, pair_statement, select_pairs

if TYPE_CHECKING:
    from .database import SynphysDatabase

PAIR_ID = "__pair_id"
"""The pair id in ``groups``, under a name no output column has."""


@dataclass(frozen=True)
class ClassGrid:
    """The pre and post class dicts as ordered keys (matrix labels) and classes."""

    pre_keys: tuple[str, ...]
    pre: tuple[CellClass, ...]
    post_keys: tuple[str, ...]
    post: tuple[CellClass, ...]

    @classmethod
    def of(cls, pre_classes: Mapping[Any, CellClass], post_classes: Mapping[Any, CellClass]) -> ClassGrid:
        pre_keys, pre = _classes(pre_classes, "pre_classes")
        post_keys, post = _classes(post_classes, "post_classes")
        return cls(pre_keys, pre, post_keys, post)

    @property
    def unique(self) -> list[CellClass]:
        """Each distinct class object once (a set used for both axes is classified once)."""
        out: list[CellClass] = []
        for c in (*self.pre, *self.post):
            if not any(c is u for u in out):
                out.append(c)
        return out

    def columns(self, side: str) -> list[int]:
        """Membership column index of each class on ``side`` ('pre' or 'post')."""
        unique = self.unique
        classes = self.pre if side == "pre" else self.post
        return [next(i for i, u in enumerate(unique) if u is c) for c in classes]


def grouped_pairs_ctes(
    db: SynphysDatabase,
    grid: ClassGrid,
    selection: PairSelection,
    columns: Sequence[tuple[str, str]],
    names: ParamNames,
    expressions: Sequence[tuple[str, str]] = (),
) -> list[str]:
    """CTEs ending in ``groups``: each filtered pair (``columns``, ``expressions``, hidden keys) once per class
    combination it belongs to, with ``pre_idx`` / ``post_idx``."""
    pre, post = grid.columns("pre"), grid.columns("post")
    hits = [f"pre_hits AS ({_hits(pre)})"] + ([f"post_hits AS ({_hits(post)})"] if post != pre else [])
    post_hits = "post_hits" if post != pre else "pre_hits"
    # The pairs in the grid come first, behind a materialisation barrier: otherwise DuckDB joins every
    # pair to its cells and experiment before noticing that most belong to no class (2x the work).
    grid_pair = ('SELECT "pair".*, pre_hit.idx AS pre_idx, post_hit.idx AS post_idx FROM "pair" '
                 'JOIN pre_hits AS pre_hit ON pre_hit.cell_id = "pair"."pre_cell_id" '
                 f'JOIN {post_hits} AS post_hit ON post_hit.cell_id = "pair"."post_cell_id"')
    indices = [('"pair"."pre_idx"', "pre_idx"), ('"pair"."post_idx"', "post_idx")]
    groups = pair_statement(db, selection, columns, names, order=False, root="grid_pair", per=("pre_idx", "post_idx"),
                            expressions=[*expressions, ('"pair"."id"', PAIR_ID), *indices])
    return [
        f"membership AS ({membership_sql(grid.unique, db.dataset, names, db.repeating_tables)})",
        *hits,
        f"grid_pair AS MATERIALIZED ({grid_pair})",
        f"groups AS ({groups})",
    ]


def matrix_pair_query(
    db: SynphysDatabase,
    pre_classes: Mapping[Any, CellClass],
    post_classes: Mapping[Any, CellClass],
    columns: Iterable[str] | None = None,
    pair_query_args: Mapping[str, Any] | None = None,
) -> Result:
    """The rows of ``pair_query`` for every class combination, with ``pre_class`` / ``post_class`` keys, in one query.

    Ordered like the reference's concatenation: by pre class, then post class (dict order), then pair id.
    """
    grid = ClassGrid.of(pre_classes, post_classes)
    args = dict(pair_query_args or {})
    preload = args.pop("preload", ())
    selection = pair_selection(db, args)
    out = output_columns(db, preload, columns or ())
    names = ParamNames()
    with_clause = "WITH " + ", ".join(grouped_pairs_ctes(db, grid, selection, out, names))
    pre_names, post_names = names.bind(list(grid.pre_keys)), names.bind(list(grid.post_keys))
    visible = ", ".join(quote_ident(f"{a}.{c}") for a, c in out)
    sql = (
        f"{with_clause} SELECT {visible}, {pre_names}[pre_idx + 1] AS pre_class, "
        f"{post_names}[post_idx + 1] AS post_class "
        f"FROM groups ORDER BY pre_idx, post_idx, {quote_ident(PAIR_ID)}"
    )
    result = db.dataset.result(Compiled(sql, names.params))
    record_pairs(db, selection, out, grid=grid)
    return result


def pair_selection(db: SynphysDatabase, args: Mapping[str, Any]) -> PairSelection:
    """``pair_query_args`` as a selection; the class arguments belong to the matrix, not to the args."""
    for key in ("pre_class", "post_class"):
        if key in args:
            raise BadInputError(f"pair_query_args cannot contain {key!r}: the matrix supplies the classes")
    for key in ("preload", "columns"):
        if key in args:
            raise BadInputError(f"pair_query_args cannot contain {key!r} here")
    return select_pairs(db, **args)


def _hits(columns: list[int]) -> str:
    """``(cell_id, idx)`` for every class (by position on this axis) each cell belongs to."""
    return " UNION ALL ".join(
        f"SELECT cell_id, {i} AS idx FROM membership WHERE {quote_ident(f'm{c}')}" for i, c in enumerate(columns)
    )


def _classes(classes: Mapping[Any, CellClass], name: str) -> tuple[tuple[str, ...], tuple[CellClass, ...]]:
    """Keys as labels (a CellClass key stands for its name) and the classes, in dict order."""
    if not isinstance(classes, Mapping) or not classes:
        raise BadInputError(f"{name} must be a non-empty dict of {{key: CellClass}}")
    for key, cls in classes.items():
        if not isinstance(cls, CellClass):
            raise BadInputError(f"{name}[{key!r}] must be a CellClass, not {type(cls).__name__}")
    return tuple(label(key) for key in classes), tuple(classes.values())
