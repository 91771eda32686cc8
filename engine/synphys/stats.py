"""Connection-probability statistics, vectorized over all class pairs at once.

``clopper_pearson`` is the exact binomial interval the reference gets from statsmodels'
``proportion_confint(method='beta')``; ``distance_adjusted`` is its Gaussian-profile correction
(proportion and both bounds divided by the mean Gaussian weight of the probed distances, unclipped).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import beta

from ..errors import BadInputError


def proportion(k: ArrayLike, n: ArrayLike) -> np.ndarray:
    """``k / n``, NaN where ``n == 0``."""
    k, n = _counts(k, n)
    return np.divide(k, n, out=np.full(np.broadcast(k, n).shape, np.nan), where=n > 0)


def clopper_pearson(k: ArrayLike, n: ArrayLike, alpha: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Exact (Clopper–Pearson) ``1 - alpha`` interval for ``k`` successes in ``n`` trials; ``(0, 1)`` when ``n == 0``.

    >>> lo, hi = clopper_pearson(12, 32)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.211, 0.5631)
    """
    _check_alpha(alpha)
    k, n = _counts(k, n)
    k, n = np.broadcast_arrays(k, n)
    # Placeholder shape parameters where the bound is fixed, so scipy never sees a zero.
    lower = beta.ppf(alpha / 2, np.where(k > 0, k, 1), np.where(k > 0, n - k + 1, 1))
    upper = beta.isf(alpha / 2, np.where(k < n, k + 1, 1), np.where(k < n, n - k, 1))
    lower = np.where(k > 0, lower, 0.0)
    upper = np.where(k < n, upper, 1.0)
    return lower, upper


def gaussian_weight(distance: ArrayLike, sigma: float) -> np.ndarray:
    """``exp(-d² / 2σ²)``: the connection probability at ``d`` of a Gaussian profile whose peak is 1."""
    _check_sigma(sigma)
    d = np.asarray(distance, dtype=float)
    return np.exp(-(d * d) / (2.0 * sigma * sigma))


def distance_adjusted(
    k: ArrayLike, n: ArrayLike, mean_weight: ArrayLike, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(pmax, lower, upper)``: proportion and Clopper–Pearson bounds each divided by ``mean_weight``.

    Not clipped (values above 1 are possible, as in the reference); NaN where ``n == 0``.

    >>> p, lo, hi = distance_adjusted(12, 32, 0.76345)
    >>> [round(float(v), 4) for v in (p, lo, hi)]
    [0.4912, 0.2764, 0.7375]
    """
    k, n = _counts(k, n)
    w = np.asarray(mean_weight, dtype=float)
    lower, upper = clopper_pearson(k, n, alpha)
    valid = (n > 0) & (w > 0)
    out = np.full(np.broadcast(k, n, w).shape, np.nan)

    def scaled(value: np.ndarray) -> np.ndarray:
        return np.divide(value, w, out=out.copy(), where=valid)

    return scaled(proportion(k, n)), scaled(lower), scaled(upper)


def distance_adjusted_connectivity(
    x_probed: ArrayLike, connected: ArrayLike, sigma: float, alpha: float = 0.05
) -> tuple[float, float, float]:
    """The reference's single-group form: distances of probed pairs and their connected flags."""
    x = np.asarray(x_probed, dtype=float)
    c = np.asarray(connected, dtype=bool)
    if x.shape != c.shape:
        raise BadInputError(f"x_probed and connected differ in shape: {x.shape} vs {c.shape}")
    mean_weight = gaussian_weight(x, sigma).mean() if x.size else np.nan
    p, lo, hi = distance_adjusted(int(c.sum()), x.size, mean_weight, alpha)
    return float(p), float(lo), float(hi)


def _counts(k: ArrayLike, n: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    if np.any((k < 0) | (k > n) | (k != np.round(k)) | (n != np.round(n))):
        raise BadInputError("counts must be whole numbers with 0 <= k <= n")
    return k, n


def _check_alpha(alpha: float) -> None:
    if not isinstance(alpha, (int, float)) or not 0 < alpha < 1:
        raise BadInputError(f"alpha must be a number between 0 and 1 (exclusive), not {alpha!r}")


def _check_sigma(sigma: float) -> None:
    if not isinstance(sigma, (int, float)) or not np.isfinite(sigma) or sigma <= 0:
        raise BadInputError(f"sigma must be a positive distance in meters, not {sigma!r}")
