"""Clopper–Pearson intervals and the distance adjustment, against hand-computed values and scipy."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import beta
from synphys_reference import adjusted, clopper_pearson as one_group_cp

from engine.errors import BadInputError
from engine.synphys.stats import (
    clopper_pearson,
    distance_adjusted,
    distance_adjusted_connectivity,
    gaussian_weight,
    proportion,
)


def pct(x: float) -> float:
    return round(100 * float(x), 2)


def test_twelve_of_thirty_two_is_37_50_percent_21_10_to_56_31():
    lower, upper = clopper_pearson(12, 32)
    assert (pct(proportion(12, 32)), pct(lower), pct(upper)) == (37.50, 21.10, 56.31)


def test_bounds_are_the_beta_quantiles():
    k, n, alpha = 12, 32, 0.05
    lower, upper = clopper_pearson(k, n, alpha)
    assert float(lower) == pytest.approx(beta.ppf(alpha / 2, k, n - k + 1), rel=1e-12)
    assert float(upper) == pytest.approx(beta.ppf(1 - alpha / 2, k + 1, n - k), rel=1e-12)


def test_distance_adjusted_divides_value_and_both_bounds_by_the_mean_weight():
    p, lower, upper = distance_adjusted(12, 32, 0.7634)
    cp_lower, cp_upper = clopper_pearson(12, 32)
    assert float(p) == pytest.approx(0.375 / 0.7634, rel=1e-12)
    assert float(lower) == pytest.approx(float(cp_lower) / 0.7634, rel=1e-12)
    assert float(upper) == pytest.approx(float(cp_upper) / 0.7634, rel=1e-12)


def test_distance_adjusted_example_49_12_percent_27_64_to_73_75():
    # 0.7634 is the weight rounded to 4 places; at 0.76345 all three figures round as published.
    assert tuple(map(pct, distance_adjusted(12, 32, 0.76345))) == (49.12, 27.64, 73.75)


def test_adjusted_values_are_not_clipped():
    p, lower, upper = distance_adjusted(9, 10, 0.5)
    assert float(p) == pytest.approx(1.8) and float(upper) > 1.9 and float(lower) > 1.0


def test_vectorized_matches_one_group_at_a_time():
    k = np.array([0, 1, 5, 12, 32, 0, 7])
    n = np.array([0, 10, 5, 32, 40, 3, 7])
    lower, upper = clopper_pearson(k, n, 0.1)
    for i in range(len(k)):
        assert (float(lower[i]), float(upper[i])) == pytest.approx(one_group_cp(int(k[i]), int(n[i]), 0.1), rel=1e-12)


def test_edges_zero_all_and_empty():
    lower, upper = clopper_pearson([0, 4, 0], [4, 4, 0])
    assert lower.tolist()[0] == 0.0 and upper.tolist()[1] == 1.0
    assert (lower[2], upper[2]) == (0.0, 1.0)
    assert math.isnan(proportion(0, 0))
    assert all(math.isnan(v) for v in distance_adjusted(0, 0, np.nan))


def test_reference_form_with_distances():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 200e-6, 40)
    connected = rng.random(40) < 0.3
    got = distance_adjusted_connectivity(x, connected, 100e-6)
    assert got == pytest.approx(adjusted(list(x), list(connected), 100e-6, 0.05), rel=1e-12)
    assert float(gaussian_weight(100e-6, 100e-6)) == pytest.approx(math.exp(-0.5))


@pytest.mark.parametrize("k, n", [(3, 2), (-1, 5), (1.5, 3)])
def test_bad_counts(k, n):
    with pytest.raises(BadInputError, match="0 <= k <= n"):
        clopper_pearson(k, n)


@pytest.mark.parametrize("alpha", [0, 1, 1.5, "0.05"])
def test_bad_alpha(alpha):
    with pytest.raises(BadInputError, match="alpha"):
        clopper_pearson(1, 2, alpha)


def test_bad_sigma():
    with pytest.raises(BadInputError, match="sigma"):
        gaussian_weight(1e-6, 0)
