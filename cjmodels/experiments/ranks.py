"""The Hodges-Lehmann shift estimate and its distribution-free interval (the Mann-Whitney
companion).

For arm values ``y`` (``n``) and control values ``x`` (``m``), the estimate is the median of
the ``m n`` pairwise differences ``y_j - x_i`` (Hodges & Lehmann 1963) and the interval is
``[D_(k), D_(mn + 1 - k)]`` of the sorted differences (Lehmann 1975; Bauer 1972), with ``k``
the ``alpha / 2`` quantile of the Mann-Whitney statistic under the null:

* ``"exact"`` (used when there are no ties and both groups have fewer than 50 values, R's
  rule): ``k = qwilcox(alpha / 2, n, m)`` from the exact null distribution (``k = 1`` if that
  is 0), exactly as R's ``wilcox.test(y, x, conf.int = TRUE, exact = TRUE)``;
* ``"normal"``: ``k = ceil(m n / 2 - 0.5 - z_{1 - alpha/2} sigma)`` with the tie-corrected
  standard deviation ``sigma`` of the statistic (the continuity-corrected normal quantile of
  the same distribution). R's asymptotic ``wilcox.test`` instead inverts the normal statistic
  by root finding (``uniroot``, tolerance 1e-4) and reports the root as the estimate; its
  interval ends then differ from these order statistics by a fraction of the gap between
  neighbouring differences.

Order statistics of the ``m n`` differences are found by partitioning them when there are at
most :data:`BRUTE_FORCE_MAX`, else without forming them (bisection on the value with sorted
arrays and counting, O((m + n) log(m + n)) per step), so large tables fit in memory.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
from scipy import stats as sps

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.experiments._results import check_alpha, check_alternative
from cjmodels.results import Result, result_dataclass

__all__ = ["ShiftEstimate", "hodges_lehmann"]

_EXACT_MAX = 50


def _first_le(x: np.ndarray, y: np.ndarray, d: float) -> np.ndarray:
    """Per y_j, the first index i of sorted x with y_j - x_i <= d, using the computed
    differences themselves (a search on ``y - d`` can be off by rounding)."""
    idx = np.searchsorted(x, y - d, side="left")
    m = len(x)
    while True:  # move left while the previous difference is also <= d
        prev = np.maximum(idx - 1, 0)
        step = (idx > 0) & (y - x[prev] <= d)
        if not step.any():
            break
        idx = idx - step
    while True:  # move right while the difference at idx is > d
        cur = np.minimum(idx, m - 1)
        step = (idx < m) & (y - x[cur] > d)
        if not step.any():
            break
        idx = idx + step
    return idx


def _count_le(x: np.ndarray, y: np.ndarray, d: float) -> int:
    """#{(i, j): y_j - x_i <= d} for sorted x."""
    return int(np.sum(len(x) - _first_le(x, y, d)))


def _largest_le(x: np.ndarray, y: np.ndarray, d: float) -> float:
    """The largest difference y_j - x_i that is <= d (-inf if none), for sorted x."""
    idx = _first_le(x, y, d)
    ok = idx < len(x)
    if not ok.any():
        return -math.inf
    return float(np.max(y[ok] - x[idx[ok]]))


#: Up to this many pairwise differences they are formed and partitioned (exact and fast);
#: beyond it, order statistics are found by bisection without forming them.
BRUTE_FORCE_MAX = 2_000_000


def kth_difference(x: np.ndarray, y: np.ndarray, k: int, *,
                   brute_force_max: int = BRUTE_FORCE_MAX) -> float:
    """The k-th smallest (1-based) of the pairwise differences ``y_j - x_i``.

    Examples
    --------
    >>> kth_difference(np.array([0.0, 1.0]), np.array([2.0, 5.0]), 2)
    2.0
    """
    x = np.sort(np.asarray(x, dtype=float))
    y = np.sort(np.asarray(y, dtype=float))
    total = len(x) * len(y)
    if not 1 <= k <= total:
        raise ValueError(f"k == {k}, must be in [1, {total}].")
    if total <= brute_force_max:
        d = np.subtract.outer(y, x).ravel()
        return float(np.partition(d, k - 1)[k - 1])
    lo, hi = float(y[0] - x[-1]), float(y[-1] - x[0])  # count(hi) = total >= k
    if _count_le(x, y, lo) >= k:
        return lo
    # invariant: count(lo) < k <= count(hi)
    for _ in range(200):
        mid = lo + (hi - lo) / 2
        if mid <= lo or mid >= hi:
            break
        if _count_le(x, y, mid) >= k:
            hi = mid
        else:
            lo = mid
    return _largest_le(x, y, hi)


@functools.lru_cache(maxsize=256)
def _wilcox_quantile(p: float, n: int, m: int) -> int:
    """Smallest u with P(U <= u) >= p for the exact null distribution of U (no ties)."""
    # coefficients of the Gaussian binomial [n + m choose n]_q = prod (1 - q^(m+i)) / (1 - q^i)
    deg = n * m
    poly = [0] * (deg + 1)
    poly[0] = 1
    for i in range(1, n + 1):
        a = m + i
        for k in range(deg, a - 1, -1):  # multiply by (1 - q^a)
            poly[k] -= poly[k - a]
        for k in range(i, deg + 1):  # divide by (1 - q^i)
            poly[k] += poly[k - i]
    total = math.comb(n + m, n)
    cum = 0
    for u, c in enumerate(poly):
        cum += c
        if cum * 1.0 >= p * total * (1 - 1e-12):
            return u
    return deg  # pragma: no cover


@result_dataclass
class ShiftEstimate(Result):
    """The Hodges-Lehmann shift of an arm against the control, with its rank interval.

    Attributes
    ----------
    estimate : float
        The median of the pairwise differences ``arm - control``.
    ci_low, ci_high : float
        The interval at level ``1 - alpha`` (open on one side for a one-sided alternative).
    method : str
        ``"exact"`` or ``"normal"`` (how the order statistic ``k`` was found).
    k : int
        The order statistic of the sorted differences that gives the lower end.
    alpha : float
        1 - the confidence level.
    alternative : str
        ``"two-sided"``, ``"greater"`` or ``"less"``.

    Examples
    --------
    >>> hodges_lehmann(np.array([2.5, 3.5, 5.0, 6.0]), np.array([1.0, 2.0, 3.0, 4.0]))
    ShiftEstimate(estimate=1.75, ci_low=-1.5, ci_high=5, method='exact', k=1, alpha=0.05)
    """

    estimate: float
    ci_low: float
    ci_high: float
    method: str
    k: int
    alpha: float = 0.05
    alternative: str = "two-sided"


def _values(values: Any, name: str) -> np.ndarray:
    """``values`` as a non-empty 1-d array of finite floats, or a ValidationError naming them."""
    try:
        a = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValidationError(
            f"{name} must be numbers (an array of the {name}'s values), got "
            f"{type(values).__name__}.") from None
    if a.ndim != 1 or a.size == 0:
        raise ValidationError(
            f"{name} needs a 1-d array of at least one value, got shape {a.shape}; pass the "
            f"{name}'s values, one per customer.")
    bad = ~np.isfinite(a)
    if bad.any():
        raise ValidationError(
            f"{name} has {int(bad.sum())} missing or infinite values (first at position "
            f"{int(np.flatnonzero(bad)[0])}); drop or impute them before the shift estimate.")
    return a


def hodges_lehmann(
    arm: np.ndarray, control: np.ndarray, *, alpha: float = 0.05,
    alternative: str = "two-sided", method: str = "auto",
) -> ShiftEstimate:
    """Hodges-Lehmann shift ``arm - control`` with its rank interval (see the module notes).

    Parameters
    ----------
    arm : numpy.ndarray
        The arm's values (1-d, finite).
    control : numpy.ndarray
        The control's values (1-d, finite).
    alpha : float
        1 - the confidence level (default 0.05).
    alternative : {"two-sided", "greater", "less"}
        ``"greater"`` gives the interval ``[lower, inf)``, ``"less"`` ``(-inf, upper]``.
    method : {"auto", "exact", "normal"}
        How ``k`` is found: ``"auto"`` (default) is exact without ties and with fewer than 50
        values per group (R's rule), else normal.

    Returns
    -------
    ShiftEstimate
        The estimate, the interval and how it was found.

    Raises
    ------
    ValidationError
        Empty, non-numeric or non-finite values, or differences beyond the float range.

    Examples
    --------
    >>> r = hodges_lehmann(np.array([2.5, 3.5, 5.0, 6.0]), np.array([1.0, 2.0, 3.0, 4.0]))
    >>> r.estimate, r.ci_low, r.ci_high, r.method
    (1.75, -1.5, 5.0, 'exact')
    """
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    check_scalar(method, "method", in_=("auto", "exact", "normal"))
    y = np.sort(_values(arm, "arm"))
    x = np.sort(_values(control, "control"))
    with np.errstate(over="ignore"):
        span = max(y[-1] - x[0], x[-1] - y[0])
    if not np.isfinite(span):
        raise ValidationError(
            f"the differences arm - control leave the float range (arm from {y[0]:.3g} to "
            f"{y[-1]:.3g}, control from {x[0]:.3g} to {x[-1]:.3g}); rescale both, for example "
            "divide by 1e6, and read the shift in those units.")
    n, m = len(y), len(x)
    total = n * m
    pooled = np.r_[x, y]
    ties = len(np.unique(pooled)) < len(pooled)
    if method == "auto":
        method = "exact" if (not ties and n < _EXACT_MAX and m < _EXACT_MAX) else "normal"
    if total % 2:
        est = kth_difference(x, y, (total + 1) // 2)
    else:
        est = 0.5 * (kth_difference(x, y, total // 2) + kth_difference(x, y, total // 2 + 1))
    a = alpha / 2 if alternative == "two-sided" else alpha
    if method == "exact":
        k = max(_wilcox_quantile(float(a), int(n), int(m)), 1)
    else:
        _, counts = np.unique(pooled, return_counts=True)
        nn = n + m
        var = n * m / 12 * ((nn + 1) - np.sum(counts**3 - counts) / (nn * (nn - 1)))
        k = max(math.ceil(total / 2 - 0.5 - sps.norm.isf(a) * math.sqrt(var)), 1)
    k = min(k, total)
    lo = kth_difference(x, y, k) if alternative in ("two-sided", "greater") else -math.inf
    hi = (kth_difference(x, y, total + 1 - k) if alternative in ("two-sided", "less")
          else math.inf)
    return ShiftEstimate(float(est), float(lo), float(hi), method, int(k), float(alpha),
                         alternative)
