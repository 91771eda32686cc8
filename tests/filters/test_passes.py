"""Each normalisation pass on its own: what it rewrites and what it must leave alone."""

from __future__ import annotations

from engine.filters import PASSES, And, Equal, InSet, IsNull, Not, Or, Range, optimize
from engine.filters.passes import flatten, merge_in_sets, merge_ranges, single_value_sets

a, b, c = Equal("a", 1), Equal("b", 2), IsNull("c")


def test_passes_run_in_declared_order() -> None:
    assert PASSES == (flatten, merge_ranges, merge_in_sets, single_value_sets)


def test_flatten_splices_nested_and_or() -> None:
    assert flatten(And((a, And((b, c))))) == And((a, b, c))
    assert flatten(Or((Or((a, b)), c))) == Or((a, b, c))
    assert flatten(And((a, Or((b, c))))) == And((a, Or((b, c))))


def test_flatten_unwraps_single_items_and_double_negation() -> None:
    assert flatten(And((Or((a,)),))) == a
    assert flatten(Not(Not(a))) == a
    assert flatten(Not(Not(Not(a)))) == Not(a)


def test_flatten_keeps_empty_and_or() -> None:
    assert flatten(And(())) == And(())
    assert flatten(Or(())) == Or(())


def test_merge_ranges_intersects_bounds_on_one_column() -> None:
    merged = merge_ranges(And((Range("x", lo=1), b, Range("x", hi=5, hi_inclusive=False), Range("x", lo=2))))
    assert merged == And((Range("x", lo=2, hi=5, hi_inclusive=False), b))


def test_merge_ranges_prefers_the_exclusive_bound_at_a_tie() -> None:
    merged = merge_ranges(And((Range("x", lo=1), Range("x", lo=1, lo_inclusive=False))))
    assert merged == Range("x", lo=1, lo_inclusive=False)


def test_merge_ranges_leaves_empty_intersections_alone() -> None:
    """Replacing them by "false" would turn unknown (NULL) into false, which differs under Not."""
    node = And((Range("x", lo=5), Range("x", hi=1)))
    assert merge_ranges(node) == node


def test_merge_ranges_leaves_other_columns_and_or_alone() -> None:
    node = Or((Range("x", lo=5), Range("x", hi=1)))
    assert merge_ranges(node) == node
    node = And((Range("x", lo=5), Range("y", hi=1)))
    assert merge_ranges(node) == node


def test_merge_in_sets_unions_equalities_and_sets_within_or() -> None:
    node = Or((Equal("x", 1), c, InSet("x", [2, 1]), Equal("x", 3)))
    assert merge_in_sets(node) == Or((InSet("x", [1, 2, 3]), c))
    assert merge_in_sets(Or((Equal("x", 1), Equal("x", 2)))) == InSet("x", [1, 2])


def test_merge_in_sets_leaves_and_alone() -> None:
    node = And((Equal("x", 1), Equal("x", 2)))
    assert merge_in_sets(node) == node


def test_single_value_sets_become_equalities() -> None:
    assert single_value_sets(Or((InSet("x", [1]), InSet("y", [1, 2])))) == Or((Equal("x", 1), InSet("y", [1, 2])))


def test_optimize_runs_every_pass() -> None:
    node = And((Or((Equal("x", 1), Equal("x", 2))), And((Range("y", lo=0), Range("y", hi=9))), InSet("z", [3])))
    assert optimize(node) == And((InSet("x", [1, 2]), Range("y", lo=0, hi=9), Equal("z", 3)))
