"""Conversion metrics: tests and intervals for two or more proportions.

Every choice the peers hide is a named option here:

* ``test``: ``"z-pooled"`` (default; the classical two-proportion z-test with the pooled rate
  in the standard error, identical to ``statsmodels.stats.proportion.proportions_ztest`` and to
  the uncorrected chi-square), ``"z-unpooled"`` (Wald z with each arm's own variance),
  ``"chi2"`` (Pearson, no continuity correction), ``"chi2-yates"`` (Yates' correction, scipy's
  ``chi2_contingency(correction=True)``), ``"fisher"`` (exact conditional), ``"barnard"`` and
  ``"boschloo"`` (exact unconditional, for small samples; scipy).
* ``interval`` for the difference ``arm - control``: ``"newcombe"`` (default; Newcombe's hybrid
  score interval from the two Wilson intervals, method 10 of Newcombe 1998), ``"wald"``,
  ``"score"`` (Miettinen-Nurminen) or ``"agresti-caffo"`` (the last two from statsmodels).
* ``relative`` for the lift ``arm / control - 1``: ``"log-ratio"`` (default; Wald interval for
  the log of the risk ratio, back-transformed, with its own z-test of log ratio = 0) or
  ``"delta"`` (delta-method standard error of the lift, symmetric interval, its own z-test), or
  ``None`` to skip it.

The tests run on :class:`~cjmodels.experiments.SufficientStats`, so a per-customer table and
aggregated counts (``SufficientStats.from_counts``) give the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.experiments._results import (
    Comparison,
    Comparisons,
    check_alpha,
    check_alternative,
    normal_ci,
    normal_pvalue,
    untested,
)
from cjmodels.experiments._stats import SufficientStats, sufficient_stats

__all__ = [
    "DIFF_INTERVALS",
    "PROPORTION_TESTS",
    "RELATIVE_INTERVALS",
    "compare_proportions",
]

#: The two-proportion tests of :func:`compare_proportions` (``test=``; the module docstring
#: says what each is).
PROPORTION_TESTS = ("z-pooled", "z-unpooled", "chi2", "chi2-yates", "fisher", "barnard", "boschloo")
#: The interval methods for the difference of two proportions (``interval=``).
DIFF_INTERVALS = ("newcombe", "wald", "score", "agresti-caffo")
#: The interval methods for the relative lift ``arm / control - 1`` (``relative=``).
RELATIVE_INTERVALS = ("log-ratio", "delta")
#: Exact unconditional tests enumerate a grid of tables; above this many units per arm use
#: Fisher's test or a z-test instead.
EXACT_UNCONDITIONAL_MAX_N = 1000


def _proportion_test_arrays(
    xc: Any, nc: Any, xt: Any, nt: Any, test: str = "z-pooled", alternative: str = "two-sided"
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised statistic and p-value of the z and chi-square tests (arrays broadcast).

    The statistic is signed (arm - control) for the z-tests and the chi-square value for the
    chi-square tests (two-sided only). Used by the A/A and power simulations (private: the
    user API is :func:`compare_proportions`).

    Examples
    --------
    >>> z, p = _proportion_test_arrays(200, 10000, 250, 10000)
    >>> round(float(z), 6), round(float(p), 7)
    (2.383995, 0.0171258)
    """
    xc, nc, xt, nt = (np.asarray(v, dtype=float) for v in (xc, nc, xt, nt))
    with np.errstate(invalid="ignore", divide="ignore"):
        pc, pt = xc / nc, xt / nt
        if test == "z-pooled":
            pp = (xc + xt) / (nc + nt)
            z = (pt - pc) / np.sqrt(pp * (1 - pp) * (1 / nc + 1 / nt))
            return z, normal_pvalue(z, alternative)
        if test == "z-unpooled":
            z = (pt - pc) / np.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
            return z, normal_pvalue(z, alternative)
        if test in ("chi2", "chi2-yates"):
            if alternative != "two-sided":
                raise ValidationError(
                    f"test == {test!r} is two-sided only; use 'z-pooled' for a one-sided test."
                )
            n = nc + nt
            x = xc + xt
            # |O - E| is the same in all four cells of a 2x2 table
            dev = np.abs(xt - nt * x / n)
            if test == "chi2-yates":
                dev = np.maximum(dev - 0.5, 0.0)  # scipy: correction no larger than |O - E|
            inv_e = (1 / (nc * x / n) + 1 / (nt * x / n) + 1 / (nc * (n - x) / n)
                     + 1 / (nt * (n - x) / n))
            chi2 = dev**2 * inv_e
            return chi2, sps.chi2.sf(chi2, 1)
    raise ValidationError(f"test == {test!r} is not vectorised; use one of z-pooled, "
                          "z-unpooled, chi2, chi2-yates.")


def _exact_test(xc: float, nc: float, xt: float, nt: float, test: str, alternative: str):
    table = np.array([[xt, nt - xt], [xc, nc - xc]], dtype=np.int64)
    if test == "fisher":
        res = sps.fisher_exact(table, alternative=alternative)
        return float("nan"), float(res.pvalue)
    if max(nc, nt) > EXACT_UNCONDITIONAL_MAX_N:
        raise ValidationError(
            f"test == {test!r} enumerates all tables and is meant for small samples; the arms "
            f"have {int(nt)} and {int(nc)} units (limit {EXACT_UNCONDITIONAL_MAX_N} per arm). "
            "Use test='fisher' or a z-test for large samples."
        )
    # scipy's table is arranged with the samples in columns
    tab = table.T
    alt = {"two-sided": "two-sided", "greater": "greater", "less": "less"}[alternative]
    res = (sps.barnard_exact if test == "barnard" else sps.boschloo_exact)(tab, alternative=alt)
    return float(res.statistic), float(res.pvalue)


def diff_interval(
    xc: float, nc: float, xt: float, nt: float, method: str, alpha: float, alternative: str
) -> tuple[float, float]:
    """Confidence interval for ``p_arm - p_control`` (one-sided: the matching bound)."""
    a = alpha if alternative == "two-sided" else 2 * alpha
    pc, pt = xc / nc, xt / nt
    if method == "wald":
        se = np.sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt)
        lo, hi = normal_ci(pt - pc, se, a)
    elif method == "newcombe":
        lt, ut = proportion_confint(xt, nt, alpha=a, method="wilson")
        lc, uc = proportion_confint(xc, nc, alpha=a, method="wilson")
        d = pt - pc
        lo = d - np.sqrt((pt - lt) ** 2 + (uc - pc) ** 2)
        hi = d + np.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)
    else:
        sm = {"score": "score", "agresti-caffo": "agresti-caffo"}[method]
        lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method=sm, compare="diff", alpha=a)
    lo, hi = float(lo), float(hi)
    if alternative == "greater":
        hi = np.inf
    elif alternative == "less":
        lo = -np.inf
    return lo, hi


def _relative_effect(
    mc: float, vc: float, mt: float, vt: float, method: str, alpha: float, alternative: str
) -> dict[str, float]:
    """Relative lift ``mt / mc - 1`` with interval and p-value from the estimates' variances.

    ``vc`` and ``vt`` are the variances of the two (independent) estimates ``mc`` and ``mt``.
    ``method="delta"`` uses the delta-method standard error of the ratio; ``"log-ratio"`` works
    on ``log(mt / mc)`` and back-transforms (NaN when an estimate is not positive). Private:
    the user API is ``relative=`` of :func:`compare_proportions` and ``compare_means``.

    Examples
    --------
    >>> r = _relative_effect(0.02, 0.02 * 0.98 / 1e4, 0.025, 0.025 * 0.975 / 1e4,
    ...                     "log-ratio", 0.05, "two-sided")
    >>> round(r["effect"], 4)
    0.25
    """
    # ratios, not squares: arms with means near 1e200 or 1e-300 stay within the float range;
    # a lift beyond it (a control mean too close to 0) is undefined, and the result's notes
    # say so
    with np.errstate(over="ignore", divide="ignore", invalid="ignore", under="ignore"):
        ratio = mt / mc if mc != 0 else np.nan
        lift = ratio - 1 if np.isfinite(ratio) else np.nan
        if method == "delta":
            se = (np.hypot(np.sqrt(vt), abs(ratio) * np.sqrt(vc)) / abs(mc)
                  if np.isfinite(lift) else np.nan)
            se = se if np.isfinite(se) else np.nan
            z = lift / se if se > 0 else np.nan
            z = z if np.isfinite(z) else np.nan
            lo, hi = normal_ci(lift, se, alpha, alternative)
            return {"effect": lift, "ci_low": float(lo), "ci_high": float(hi), "statistic": z,
                    "pvalue": float(normal_pvalue(z, alternative)), "se": se}
        if mc <= 0 or mt <= 0 or not np.isfinite(lift):
            return {"effect": lift, "ci_low": np.nan, "ci_high": np.nan, "statistic": np.nan,
                    "pvalue": np.nan, "se": np.nan}
        log_r = np.log(mt) - np.log(mc)
        se = np.hypot(np.sqrt(vt) / mt, np.sqrt(vc) / mc)
        se = se if np.isfinite(se) else np.nan
        z = log_r / se if se > 0 else np.nan
        z = z if np.isfinite(z) else np.nan
        lo, hi = normal_ci(log_r, se, alpha, alternative)
        return {"effect": lift, "ci_low": float(np.expm1(lo)), "ci_high": float(np.expm1(hi)),
                "statistic": z, "pvalue": float(normal_pvalue(z, alternative)), "se_log": se}


def _binary_stats(data: Any, metric: str, variant: str, arms: Sequence[str] | None):
    if isinstance(data, SufficientStats):
        st = data.select([metric]) if arms is None else data.select([metric], arms)
        s, ss = st.sums[:, 0], st.cross[:, 0, 0]
        if np.any(s < 0) or np.any(s > st.n) or not np.allclose(s, ss, rtol=1e-9, atol=1e-9):
            raise ValidationError(
                f"column {metric!r} is not a 0/1 metric in these statistics (sums must equal "
                "sums of squares and lie in [0, n]); use compare_means for other metrics."
            )
        if np.any(np.abs(s - np.round(s)) > 1e-9):
            raise ValidationError(f"successes of {metric!r} must be whole numbers.")
        return st
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            "data must be a per-customer DataFrame or SufficientStats, got "
            f"{type(data).__name__}."
        )
    st = sufficient_stats(data, [metric], variant=variant, arms=arms)
    col = data[metric]
    vals = col.to_numpy(dtype=float)
    bad = (vals != 0) & (vals != 1)
    if bad.any():
        rows = np.flatnonzero(bad)[:5].tolist()
        raise ValidationError(
            f"metric column {metric!r} must hold 0/1 (or booleans) for a conversion test; "
            f"{int(bad.sum())} rows hold other values, first at rows {rows}. Use "
            "compare_means for continuous metrics, or convert (e.g. value > 0)."
        )
    return st


def compare_proportions(
    data: pd.DataFrame | SufficientStats,
    metric: str = "converted",
    *,
    control: str,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    test: str = "z-pooled",
    interval: str = "newcombe",
    relative: str | None = "log-ratio",
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> Comparisons:
    """Compare a 0/1 metric (conversion) of every arm with the control.

    Parameters
    ----------
    data : pandas.DataFrame or SufficientStats
        A per-customer table with ``variant`` and ``metric`` columns, or statistics (e.g.
        ``SufficientStats.from_counts(successes, totals)``).
    metric : str
        The 0/1 column.
    control : str
        The control arm; every other arm is compared with it.
    variant : str
        Column holding the arm, for a table (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms, in order (see :func:`~cjmodels.experiments.sufficient_stats`); with
        statistics, the arms to compare.
    test : str
        One of :data:`PROPORTION_TESTS` (see the module docstring). Default ``"z-pooled"``.
    interval : str
        Interval for the difference, one of :data:`DIFF_INTERVALS`. Default ``"newcombe"``.
    relative : str or None
        Interval method for the relative lift, ``"log-ratio"`` (default) or ``"delta"``; each
        has its own Wald p-value. ``None`` leaves the lift out.
    alpha : float
        1 - confidence level, in (0, 1).
    alternative : {"two-sided", "greater", "less"}
        ``"greater"``: the arm's rate is higher than the control's.

    Returns
    -------
    Comparisons
        Per arm a ``"difference"`` comparison (p-value of ``test``, interval of ``interval``)
        and, unless ``relative is None``, a ``"relative"`` comparison. A pair of arms in
        which every customer has the same value raises an error (inside
        :func:`~cjmodels.experiments.analyze` it is reported as not tested instead).

    Raises
    ------
    ValidationError
        An unknown option, a metric that is not 0/1, an arm without customers, a one-sided
        chi-square test, or an exact unconditional test with more than 1,000 units per arm.

    Examples
    --------
    >>> s = SufficientStats.from_counts({"A": 200, "B": 250}, {"A": 10000, "B": 10000})
    >>> r = compare_proportions(s, control="A")
    >>> round(r.pvalue, 7), round(r.ci_low, 6), round(r.ci_high, 6)
    (0.0171258, 0.000887, 0.009138)
    >>> round(compare_proportions(s, control="A", test="fisher").pvalue, 7)
    0.0193787
    """
    check_scalar(test, "test", in_=PROPORTION_TESTS)
    check_scalar(interval, "interval", in_=DIFF_INTERVALS)
    if relative is not None:
        check_scalar(relative, "relative", in_=RELATIVE_INTERVALS)
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    st = _binary_stats(data, metric, variant, arms)
    ci = st.arm_index(control)
    xc, nc = float(st.sums[ci, 0]), float(st.n[ci])
    comps: list[Comparison] = []
    for a, arm in enumerate(st.arms):
        if a == ci:
            continue
        xt, nt = float(st.sums[a, 0]), float(st.n[a])
        if min(nc, nt) < 1:
            raise ValidationError(f"arm {arm if nt < 1 else control!r} has zero customers.")
        if xc + xt == 0 or xc + xt == nc + nt:
            comps.append(untested(
                f"is {'0' if xc + xt == 0 else '1'} for every customer of arms {control!r} and "
                f"{arm!r} (zero variance)", xt / nt - xc / nc, f"{test}; ci={interval}",
                metric=metric, arm=arm, control=control, control_value=xc / nc,
                arm_value=xt / nt, n_control=nc, n_arm=nt, alpha=alpha,
                alternative=alternative))
            continue
        if test in ("fisher", "barnard", "boschloo"):
            stat, p = _exact_test(xc, nc, xt, nt, test, alternative)
        else:
            s_arr, p_arr = _proportion_test_arrays(xc, nc, xt, nt, test, alternative)
            stat, p = float(s_arr), float(p_arr)
        lo, hi = diff_interval(xc, nc, xt, nt, interval, alpha, alternative)
        pc, pt = xc / nc, xt / nt
        common = dict(metric=metric, arm=arm, control=control, control_value=pc, arm_value=pt,
                      n_control=nc, n_arm=nt, alpha=alpha, alternative=alternative)
        comps.append(
            Comparison(effect_type="difference", effect=pt - pc, ci_low=lo, ci_high=hi,
                       pvalue=p, statistic=stat, method=f"{test}; ci={interval}",
                       details={"successes_control": xc, "successes_arm": xt}, **common)
        )
        if relative is not None:
            r = _relative_effect(pc, pc * (1 - pc) / nc, pt, pt * (1 - pt) / nt, relative,
                                alpha, alternative)
            comps.append(
                Comparison(effect_type="relative", effect=r["effect"], ci_low=r["ci_low"],
                           ci_high=r["ci_high"], pvalue=r["pvalue"], statistic=r["statistic"],
                           method=f"relative {relative} z", **common)
            )
    return Comparisons(
        tuple(comps),
        title=f"conversion {metric!r}: {test}, {interval} interval, alpha={alpha:g}",
        info={"arms": st.summary().to_dict(orient="index")},
    )
