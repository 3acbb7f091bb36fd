"""Continuous and ratio metrics, with optional CUPED / regression adjustment.

* :func:`compare_means`: difference of means by Welch's t (Welch-Satterthwaite degrees of
  freedom), relative lift by the delta method or log ratio; with ``covariates`` the means are
  CUPED-adjusted (Deng, Xu, Kohavi & Walker 2013).
* :func:`compare_ratios`: ratio metrics such as revenue per session when the randomisation
  unit is the customer, by the delta method (Deng, Knoblich & Lu 2018), also CUPED-adjusted.
* :func:`mann_whitney` and :func:`bootstrap_means`: rank test (scipy) with the
  Hodges-Lehmann shift and its rank interval, and BCa bootstrap intervals (scipy, seeded) of
  the difference and the relative lift, on the raw per-customer table.
* :func:`winsorize` and :func:`with_missing_indicator`: declared pre-processing steps.

CUPED here is regression adjustment with the *pooled within-arm* slope: for an estimator with
per-customer linearisation ``L`` (the metric itself for a mean; ``(Y - R X) / mean(X)`` for a
ratio ``R``) and covariates ``X``, ``theta`` solves the pooled within-arm normal equations, the
arm estimate becomes ``est - theta' (mean_arm(X) - mean_all(X))`` and its variance is that of
``L - theta' X`` over ``n``. For a mean this is exactly the treatment coefficient of the OLS
regression ``y ~ arm + X`` (ANCOVA); ``theta`` is treated as known (Deng et al. 2013).
Everything runs on :class:`~cjmodels.experiments.SufficientStats`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from cjmodels._checks import as_generator, check_scalar
from cjmodels._resample import bca_bootstrap
from cjmodels.data.arms import arm_codes
from cjmodels.errors import ValidationError
from cjmodels.experiments._results import (
    Comparison,
    Comparisons,
    check_alpha,
    check_alternative,
    normal_ci,
    normal_pvalue,
    t_ci,
    t_pvalue,
    untested,
)
from cjmodels.experiments._stats import (
    SufficientStats,
    _check_column,
    check_squares,
    sufficient_stats,
)
from cjmodels.experiments.proportions import RELATIVE_INTERVALS, _relative_effect

__all__ = [
    "bootstrap_means",
    "compare_means",
    "compare_ratios",
    "mann_whitney",
    "winsorize",
    "with_missing_indicator",
]


# --------------------------------------------------------------------------- pre-processing
def _check_table(table: Any) -> None:
    if not isinstance(table, pd.DataFrame):
        raise ValidationError(
            f"table must be a pandas DataFrame with one row per customer, got "
            f"{type(table).__name__}."
        )


def with_missing_indicator(
    data: pd.DataFrame, column: str, *, fill: float = 0.0, indicator: str | None = None
) -> pd.DataFrame:
    """Fill a missing pre-period covariate and add a 0/1 indicator of missingness.

    New customers have no pre-period; CUPED then uses both the filled covariate and the
    indicator, so they get their own intercept (the variance reduction falls to
    ``1 - (1 - share_missing) rho**2`` when the correlation is ``rho`` among the others).

    Parameters
    ----------
    data : pandas.DataFrame
        The per-customer table (not changed).
    column : str
        The covariate with missing values (e.g. ``"pre_value"`` of
        :func:`cjmodels.data.experiment_table`).
    fill : float
        Value put in place of the missing ones (default 0.0).
    indicator : str, optional
        Name of the new 0/1 column; default ``f"{column}_missing"``.

    Returns
    -------
    pandas.DataFrame
        A copy with ``column`` filled (as floats) and the indicator (1.0 where it was
        missing) added; pass both as ``covariates``.

    Raises
    ------
    ValidationError
        A missing column, values that are not numbers, or an indicator name already in use.

    Examples
    --------
    >>> t = pd.DataFrame({"pre_value": [10.0, None]})
    >>> with_missing_indicator(t, "pre_value")
       pre_value  pre_value_missing
    0       10.0                0.0
    1        0.0                1.0
    """
    table = data
    _check_table(table)
    if column not in table.columns:
        raise ValidationError(
            f"column {column!r} is not in the table; its columns are {list(table.columns)}."
        )
    name = indicator or f"{column}_missing"
    if name in table.columns:
        raise ValidationError(
            f"the table already has a column {name!r}; it would be overwritten by the indicator "
            "of missing values. Name the indicator with indicator='...'."
        )
    out = table.copy()
    miss = out[column].isna()
    try:
        filled = pd.to_numeric(out[column].where(~miss, fill), errors="raise").astype(float)
    except (TypeError, ValueError):
        raise ValidationError(
            f"column {column!r} holds values that are not numbers (dtype {table[column].dtype}); "
            "convert it first, e.g. with pd.to_numeric."
        ) from None
    out[column] = filled
    out[name] = miss.astype(float)
    return out


def winsorize(
    data: pd.DataFrame,
    columns: str | Sequence[str],
    *,
    upper: float | None = 0.99,
    lower: float | None = None,
) -> pd.DataFrame:
    """Cap columns at quantiles of the pooled data (all arms together) and record the caps.

    Capping is a declared pre-processing step: the caps are computed once over all arms, so
    every arm is treated alike, and they are stored in ``attrs["winsorized"]``; results
    computed with ``compare_means(..., winsorize=...)`` state the cap in their method and notes.

    Parameters
    ----------
    data : pandas.DataFrame
        The per-customer table (not changed).
    columns : str or sequence of str
        Numeric columns to cap.
    upper : float or None
        Quantile in (0, 1] of the pooled values above which values are set to it (default
        0.99); None caps no upper tail.
    lower : float or None
        Quantile in [0, 1) below which values are raised to it (default None: no lower cap).

    Returns
    -------
    pandas.DataFrame
        A copy with the columns capped; ``attrs["winsorized"]`` holds per column the
        quantiles, the cap values (``lower``, ``upper``) and ``n_capped``.

    Raises
    ------
    ValidationError
        Neither cap given, ``lower >= upper``, an empty table, or a bad column.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["a", "b"] * 50, "y": list(range(99)) + [1000.0]})
    >>> w = winsorize(t, "y", upper=0.99)
    >>> round(float(w["y"].max()), 2), w.attrs["winsorized"]["y"]["n_capped"]
    (107.02, 1)
    """
    table = data
    cols = [columns] if isinstance(columns, str) else list(columns)
    if upper is not None:
        check_scalar(upper, "upper", typ=float, gt=0, le=1)
    if lower is not None:
        check_scalar(lower, "lower", typ=float, ge=0, lt=1)
    if upper is None and lower is None:
        raise ValidationError("give upper and/or lower quantiles to cap at.")
    if upper is not None and lower is not None and not lower < upper:
        raise ValidationError(
            f"lower == {lower!r} and upper == {upper!r}: the lower quantile must be below the "
            "upper one."
        )
    _check_table(table)
    if len(table) == 0:
        raise ValidationError(
            f"the table has no rows, so {cols} have no quantiles to cap at; winsorize a table "
            "with customers."
        )
    out = table.copy()
    caps = dict(out.attrs.get("winsorized", {}))
    for c in cols:
        x = _check_column(out, c, "metric")
        lo = float(np.quantile(x, lower)) if lower is not None else None
        hi = float(np.quantile(x, upper)) if upper is not None else None
        out[c] = np.clip(x, lo, hi)
        n_capped = int(np.sum(x > hi) if hi is not None else 0) + int(
            np.sum(x < lo) if lo is not None else 0)
        caps[c] = {"lower_quantile": lower, "upper_quantile": upper, "lower": lo, "upper": hi,
                   "n_capped": n_capped}
    out.attrs["winsorized"] = caps
    return out


# --------------------------------------------------------------------------- the engine
def _arm_estimates(
    st: SufficientStats,
    metric: str,
    *,
    denominator: str | None = None,
    covariates: Sequence[str] = (),
) -> dict[str, Any]:
    """Per-arm estimates and their variances for a mean or a ratio, optionally CUPED-adjusted.

    Returns a dict with ``estimate`` and ``variance`` (of the estimate) per arm, the
    unadjusted ``estimate_raw`` / ``variance_raw``, the per-unit variance of the
    linearisation ``unit_variance`` (adjusted), ``theta`` and the pooled ``r_squared`` of the
    linearisation on the covariates (``rho**2`` for one covariate).

    Examples
    --------
    >>> s = SufficientStats.from_moments([100, 100], {"y": [1.0, 1.2]}, {"y": [4.0, 4.0]},
    ...                                  arms=["c", "t"])
    >>> _arm_estimates(s, "y")["variance"].tolist()
    [0.04, 0.04]
    """
    cols = [metric] + ([denominator] if denominator else []) + list(covariates)
    if len(set(cols)) != len(cols):
        raise ValidationError(f"metric, denominator and covariates overlap: {cols}.")
    s = st.select(cols)
    n = s.n
    if np.any(n < 2):
        bad = [a for a, v in zip(s.arms, n, strict=True) if v < 2]
        raise ValidationError(f"arms {bad} have fewer than 2 customers; a variance needs 2.")
    m = s.means()
    cov = s.covariance()
    k, p = m.shape
    w = np.zeros((k, p))
    if denominator is None:
        est = m[:, 0]
        w[:, 0] = 1.0
    else:
        den = m[:, 1]
        if np.any(den == 0):
            bad = [a for a, v in zip(s.arms, den, strict=True) if v == 0]
            raise ValidationError(
                f"denominator {denominator!r} has mean 0 in arms {bad}; a ratio needs a "
                "non-zero denominator."
            )
        est = m[:, 0] / den
        w[:, 0] = 1.0 / den
        w[:, 1] = -est / den
    unit_var_raw = np.einsum("ki,kij,kj->k", w, cov, w)
    out: dict[str, Any] = {
        "arms": s.arms, "n": n, "estimate_raw": est, "variance_raw": unit_var_raw / n,
        "theta": np.zeros(0), "r_squared": np.nan,
    }
    if not covariates:
        out.update(estimate=est, variance=unit_var_raw / n, unit_variance=unit_var_raw,
                   unit_variance_raw=unit_var_raw)
        return out
    j = np.arange(p - len(covariates), p)
    dof = (n - 1)[:, None, None]
    sxx = (cov[:, j][:, :, j] * dof).sum(axis=0)
    sxl = (np.einsum("kij,kj->ki", cov[:, j, :], w) * dof[:, :, 0]).sum(axis=0)
    sll = (unit_var_raw * (n - 1)).sum()
    if np.linalg.matrix_rank(sxx) < len(covariates):
        raise ValidationError(
            f"covariates {list(covariates)} are constant or collinear within arms; drop the "
            "redundant ones."
        )
    theta = np.linalg.solve(sxx, sxl)
    mbar = (m[:, j] * n[:, None]).sum(axis=0) / n.sum()
    est_adj = est - (m[:, j] - mbar) @ theta
    cxl = np.einsum("kij,kj->ki", cov[:, j, :], w)
    unit_var = unit_var_raw - 2 * cxl @ theta + np.einsum("i,kij,j->k", theta, cov[:, j][:, :, j],
                                                            theta)
    unit_var = np.maximum(unit_var, 0.0)
    out.update(estimate=est_adj, variance=unit_var / n, unit_variance=unit_var,
               unit_variance_raw=unit_var_raw, theta=theta,
               r_squared=float(sxl @ theta / sll) if sll > 0 else np.nan)
    return out


def _comparisons(
    est: dict[str, Any], *, metric: str, control: str, alpha: float, alternative: str,
    relative: str | None, method: str, distribution: str, covariates: Sequence[str],
) -> tuple[list[Comparison], dict[str, Any]]:
    arms = list(est["arms"])
    if control not in arms:
        raise ValidationError(f"control {control!r} is not among the arms {arms}.")
    ci = arms.index(control)
    n = est["n"]
    comps: list[Comparison] = []
    vr: dict[str, Any] = {}
    for a, arm in enumerate(arms):
        if a == ci:
            continue
        d = est["estimate"][a] - est["estimate"][ci]
        vt, vc = est["variance"][a], est["variance"][ci]
        se = np.sqrt(vt + vc)
        common = dict(metric=metric, arm=arm, control=control,
                      control_value=est["estimate"][ci], arm_value=est["estimate"][a],
                      n_control=n[ci], n_arm=n[a], alpha=alpha, alternative=alternative)
        # a metric without variation in both arms stays untested with covariates too: its
        # adjusted variance, theta**2 var(X) from a slope pooled over other arms, is not a
        # variance of the metric (and the variance reduction would divide by 0)
        if not (se > 0 and est["variance_raw"][a] + est["variance_raw"][ci] > 0):
            raw_c, raw_t = est["estimate_raw"][ci], est["estimate_raw"][a]
            comps.append(untested(
                f"has zero variance in arms {control!r} and {arm!r} (every customer has the "
                "same value)", raw_t - raw_c, method,
                **{**common, "control_value": raw_c, "arm_value": raw_t}))
            continue
        if distribution == "t":
            # Welch-Satterthwaite, in shares of the total variance (no overflow of squares)
            ft, fc = vt / (vt + vc), vc / (vt + vc)
            df = 1.0 / (ft**2 / (n[a] - 1) + fc**2 / (n[ci] - 1))
            stat = d / se
            p = float(t_pvalue(stat, df, alternative))
            lo, hi = t_ci(d, se, df, alpha, alternative)
        else:
            df = np.inf
            stat = d / se
            p = float(normal_pvalue(stat, alternative))
            lo, hi = normal_ci(d, se, alpha, alternative)
        details: dict[str, Any] = {"se": float(se), "df": float(df)}
        if covariates:
            raw = est["variance_raw"][a] + est["variance_raw"][ci]
            details.update(
                variance_reduction=float(1 - (vt + vc) / raw),
                one_minus_r_squared=float(1 - est["r_squared"]),
                theta=[float(t) for t in est["theta"]],
                unadjusted_effect=float(est["estimate_raw"][a] - est["estimate_raw"][ci]),
            )
            vr[arm] = details["variance_reduction"]
        comps.append(Comparison(effect_type="difference", effect=d, ci_low=float(lo),
                                ci_high=float(hi), pvalue=p, statistic=float(stat),
                                method=method, details=details, **common))
        if relative is not None:
            r = _relative_effect(est["estimate"][ci], vc, est["estimate"][a], vt, relative,
                                alpha, alternative)
            comps.append(Comparison(effect_type="relative", effect=r["effect"],
                                    ci_low=r["ci_low"], ci_high=r["ci_high"],
                                    pvalue=r["pvalue"], statistic=r["statistic"],
                                    method=f"relative {relative} z" + (
                                        "; cuped" if covariates else ""), **common))
    info: dict[str, Any] = {
        "arms": {
            arm: {"n": float(n[a]), "estimate": float(est["estimate"][a]),
                  "estimate_unadjusted": float(est["estimate_raw"][a]),
                  "se": float(np.sqrt(est["variance"][a]))}
            for a, arm in enumerate(arms)
        }
    }
    if covariates:
        info.update(covariates=list(covariates), theta=[float(t) for t in est["theta"]],
                    r_squared=float(est["r_squared"]),
                    one_minus_r_squared=float(1 - est["r_squared"]),
                    variance_reduction=vr)
    return comps, info


def _stats_for(data: Any, cols: list[str], variant: str, arms: Sequence[str] | None,
               covariates: Sequence[str]) -> SufficientStats:
    if isinstance(data, SufficientStats):
        for c in cols:
            data.index(c)
        return data.select(cols, arms)
    if not isinstance(data, pd.DataFrame):
        raise ValidationError(
            "data must be a per-customer DataFrame or SufficientStats, got "
            f"{type(data).__name__}."
        )
    for c in covariates:
        _check_column(data, c, "covariate")
    return sufficient_stats(data, cols, variant=variant, arms=arms)


def _check_common(alpha, alternative, relative):
    if relative is not None:
        check_scalar(relative, "relative", in_=RELATIVE_INTERVALS)
    return check_alpha(alpha), check_alternative(alternative)


def compare_means(
    data: pd.DataFrame | SufficientStats,
    metric: str,
    *,
    control: str,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    covariates: Sequence[str] | str = (),
    relative: str | None = "delta",
    winsorize: float | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
) -> Comparisons:
    """Difference in means (Welch's t) of every arm versus control, optionally CUPED-adjusted.

    Parameters
    ----------
    data : pandas.DataFrame or SufficientStats
        Per-customer table or statistics holding ``metric`` (and the covariates).
    metric : str
        Numeric column (revenue, conversions...). Missing values raise an error.
    control : str
        The control arm.
    variant : str
        Column holding the arm, for a table (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms, in order; with statistics, the arms to compare.
    covariates : str or sequence of str
        Pre-period covariates for CUPED / regression adjustment (see the module docstring).
        Use :func:`with_missing_indicator` first when a covariate is missing for new customers.
    relative : {"delta", "log-ratio"} or None
        Interval method of the relative lift (default ``"delta"``), or ``None``.
    winsorize : float, optional
        Upper quantile at which to cap ``metric`` over all arms before testing (a declared
        pre-processing step, see :func:`winsorize`; tables only).
    alpha : float
        1 - the confidence level of the intervals (default 0.05).
    alternative : {"two-sided", "greater", "less"}
        The alternative (``"greater"``: the arm's mean is higher).

    Returns
    -------
    Comparisons
        Per arm a ``"difference"`` comparison (Welch t with Welch-Satterthwaite degrees of
        freedom, on the adjusted variances with covariates; ``details`` hold ``se``, ``df`` and,
        with covariates, ``variance_reduction`` (achieved on the variance of the effect) next to
        ``one_minus_r_squared``) and, unless ``relative is None``, a ``"relative"`` one.
        ``info`` holds per-arm estimates and, with covariates, ``theta`` and ``r_squared``.

    Raises
    ------
    ValidationError
        Missing values in the metric or a covariate, an arm with fewer than 2 customers,
        collinear covariates, ``winsorize`` with statistics, or a metric without variation.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["a"] * 4 + ["b"] * 4,
    ...                   "y": [1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 5.0, 6.0]})
    >>> r = compare_means(t, "y", control="a")
    >>> round(r.effect, 3), round(r.pvalue, 4)
    (1.5, 0.2334)
    """
    alpha, alternative = _check_common(alpha, alternative, relative)
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    notes: list[str] = []
    if winsorize is not None:
        if not isinstance(data, pd.DataFrame):
            raise ValidationError("winsorize needs the per-customer table, not statistics.")
        data = globals()["winsorize"](data, metric, upper=winsorize)
        cap = data.attrs["winsorized"][metric]
        notes.append(
            f"pre-processing: {metric!r} capped at its pooled {winsorize:g} quantile "
            f"{cap['upper']:.6g} ({cap['n_capped']} values capped)"
        )
    st = _stats_for(data, [metric, *covs], variant, arms, covs)
    est = _arm_estimates(st, metric, covariates=covs)
    method = "welch t" + (f"; cuped({', '.join(covs)})" if covs else "")
    if winsorize is not None:
        method += f"; winsorized at q={winsorize:g}"
    comps, info = _comparisons(est, metric=metric, control=control, alpha=alpha,
                               alternative=alternative, relative=relative, method=method,
                               distribution="t", covariates=covs)
    return Comparisons(tuple(comps), title=f"mean of {metric!r}: {method}, alpha={alpha:g}",
                      notes=tuple(notes), info=info)


def compare_ratios(
    data: pd.DataFrame | SufficientStats,
    numerator: str,
    denominator: str,
    *,
    control: str,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    covariates: Sequence[str] | str = (),
    relative: str | None = "delta",
    alpha: float = 0.05,
    alternative: str = "two-sided",
    name: str | None = None,
) -> Comparisons:
    """Ratio metric ``sum(numerator) / sum(denominator)`` per arm by the delta method.

    The unit of randomisation is the customer, so the sessions (denominator) of one customer
    are correlated; the delta method of Deng, Knoblich & Lu (2018) gives the variance of the
    ratio of means from the per-arm means, variances and covariance:
    ``var(R) = (var(Y) - 2 R cov(Y, X) + R**2 var(X)) / (n mean(X)**2)``. The test is a
    z-test on the difference of ratios. ``covariates`` adjust the ratio by CUPED on its
    linearisation.

    Parameters
    ----------
    data : pandas.DataFrame or SufficientStats
        Per-customer table or statistics holding both columns (and the covariates).
    numerator : str
        Column summed on top (e.g. ``"orders"`` or ``"revenue"``).
    denominator : str
        Column summed below (e.g. ``"sessions"``); its mean must not be 0 in any arm.
    control : str
        The control arm.
    variant : str
        Column holding the arm, for a table (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms, in order; with statistics, the arms to compare.
    covariates : str or sequence of str
        Pre-period covariates for CUPED on the ratio's linearisation, e.g. the pre-period
        numerator and denominator.
    relative : {"delta", "log-ratio"} or None
        Interval method of the relative lift (default ``"delta"``), or ``None``.
    alpha : float
        1 - the confidence level of the intervals (default 0.05).
    alternative : {"two-sided", "greater", "less"}
        The alternative (``"greater"``: the arm's ratio is higher).
    name : str, optional
        Metric name in the result; default ``"numerator/denominator"``.

    Returns
    -------
    Comparisons
        Per arm a ``"difference"`` comparison of the ratios (delta-method z; ``details``
        hold ``se`` and, with covariates, ``variance_reduction``) and, unless
        ``relative is None``, a ``"relative"`` one.

    Raises
    ------
    ValidationError
        A denominator with mean 0 in an arm, an arm with fewer than 2 customers, overlapping
        or collinear columns, or missing values.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["a"] * 4 + ["b"] * 4,
    ...                   "revenue": [1.0, 0.0, 3.0, 4.0, 2.0, 3.0, 5.0, 6.0],
    ...                   "sessions": [1.0, 2.0, 2.0, 3.0, 1.0, 2.0, 2.0, 2.0]})
    >>> r = compare_ratios(t, "revenue", "sessions", control="a")
    >>> round(r.primary.control_value, 4), round(r.primary.arm_value, 4)
    (1.0, 2.2857)
    """
    alpha, alternative = _check_common(alpha, alternative, relative)
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    st = _stats_for(data, [numerator, denominator, *covs], variant, arms, covs)
    est = _arm_estimates(st, numerator, denominator=denominator, covariates=covs)
    method = "delta-method z (ratio of means)" + (f"; cuped({', '.join(covs)})" if covs else "")
    label = name or f"{numerator}/{denominator}"
    comps, info = _comparisons(est, metric=label, control=control, alpha=alpha,
                               alternative=alternative, relative=relative, method=method,
                               distribution="normal", covariates=covs)
    return Comparisons(tuple(comps), title=f"ratio {label!r}: {method}, alpha={alpha:g}",
                      info=info)


# --------------------------------------------------------------------------- raw-data tests
def _raw_groups(table: pd.DataFrame, metric: str, variant: str, arms, control):
    if not isinstance(table, pd.DataFrame):
        raise ValidationError("this test needs the per-customer table (a DataFrame).")
    names, codes = arm_codes(table, variant, arms)
    if control not in names:
        raise ValidationError(f"control {control!r} is not among the arms {list(names)}.")
    x = _check_column(table, metric, "metric")
    return names, [x[codes == i] for i in range(len(names))]


def mann_whitney(
    data: pd.DataFrame,
    metric: str,
    *,
    control: str,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    shift: bool = True,
) -> Comparisons:
    """Mann-Whitney U test of every arm versus control (scipy ``mannwhitneyu``), with the
    Hodges-Lehmann shift and its rank interval.

    The first comparison per arm has the effect ``P(arm > control) + P(arm = control) / 2``
    (``U / (n_arm n_control)``, effect_type ``"auc"``; 0.5 = no shift), no interval (NaN) and
    scipy's p-value (``method="auto"``: exact for small samples without ties, else the normal
    approximation with tie correction and continuity correction). With ``shift`` a second
    comparison (effect_type ``"shift"``) gives the Hodges-Lehmann estimate of the location
    shift ``arm - control`` (median of all pairwise differences) and its distribution-free
    interval, the one of R's ``wilcox.test(arm, control, conf.int = TRUE)`` (see
    :mod:`cjmodels.experiments.ranks`), with the same p-value.

    Parameters
    ----------
    data : pandas.DataFrame
        The per-customer table (ranks need the raw values, not statistics).
    metric : str
        Numeric column.
    control : str
        The control arm.
    variant : str
        Column holding the arm (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms, in order.
    alpha : float
        1 - the confidence level of the shift interval (default 0.05).
    alternative : {"two-sided", "greater", "less"}
        The alternative (``"greater"``: the arm's values tend to be larger).
    shift : bool
        Add the Hodges-Lehmann shift comparison (default True).

    Returns
    -------
    Comparisons
        Per arm an ``"auc"`` comparison and, with ``shift``, a ``"shift"`` comparison;
        ``control_value`` and ``arm_value`` are the medians.

    Examples
    --------
    >>> t = pd.DataFrame({"variant": ["a"] * 4 + ["b"] * 4,
    ...                   "y": [1.0, 2.0, 3.0, 4.0, 2.5, 3.5, 5.0, 6.0]})
    >>> r = mann_whitney(t, "y", control="a")
    >>> r.effect, round(r.pvalue, 4)
    (0.8125, 0.2)
    >>> s = r.get(effect_type="shift")
    >>> s.effect, s.ci_low, s.ci_high
    (1.75, -1.5, 5.0)
    """
    from cjmodels.experiments.ranks import hodges_lehmann

    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    check_scalar(shift, "shift", typ=bool)
    names, groups = _raw_groups(data, metric, variant, arms, control)
    ci = names.index(control)
    comps = []
    for a, arm in enumerate(names):
        if a == ci:
            continue
        if len(groups[a]) == 0 or len(groups[ci]) == 0:  # pragma: no cover - arm_codes guards
            raise ValidationError("every arm needs customers for the Mann-Whitney test.")
        res = sps.mannwhitneyu(groups[a], groups[ci], alternative=alternative)
        auc = float(res.statistic) / (len(groups[a]) * len(groups[ci]))
        common = {"metric": metric, "arm": arm, "control": control,
                  "pvalue": float(res.pvalue), "statistic": float(res.statistic),
                  "control_value": float(np.median(groups[ci])),
                  "arm_value": float(np.median(groups[a])), "n_control": len(groups[ci]),
                  "n_arm": len(groups[a]), "alpha": alpha, "alternative": alternative}
        comps.append(Comparison(
            effect_type="auc", effect=auc, ci_low=np.nan, ci_high=np.nan,
            method="mann-whitney u (scipy, auto)", details={"values": "medians"}, **common,
        ))
        if shift:
            hl = hodges_lehmann(groups[a], groups[ci], alpha=alpha, alternative=alternative)
            comps.append(Comparison(
                effect_type="shift", effect=hl.estimate, ci_low=hl.ci_low,
                ci_high=hl.ci_high,
                method=f"hodges-lehmann shift, {hl.method} rank interval; p: mann-whitney",
                details={"values": "medians", "k": hl.k}, **common,
            ))
    return Comparisons(tuple(comps), title=f"Mann-Whitney on {metric!r}")


def _bca_pvalue(boot: np.ndarray, est: float, z0: float, acc: float, alternative: str) -> float:
    """Invert the BCa interval: the smallest alpha whose interval excludes 0."""
    q = (np.sum(boot < 0) + 0.5 * np.sum(boot == 0)) / len(boot)
    q = min(max(q, 0.5 / len(boot)), 1 - 0.5 / len(boot))
    zq = sps.norm.ppf(q)
    # BCa: the percentile q corresponds to the nominal level Phi(z) with
    # Phi(z0 + (z0 + z) / (1 - acc (z0 + z))) = q  =>  solve for z
    u = zq - z0
    zz = u / (1 + acc * u) - z0
    lower_tail = float(sps.norm.cdf(zz))  # nominal P(theta <= 0) under the BCa mapping
    if alternative == "greater":
        return min(1.0, lower_tail)
    if alternative == "less":
        return min(1.0, 1 - lower_tail)
    return min(1.0, 2 * min(lower_tail, 1 - lower_tail))


def bootstrap_means(
    data: pd.DataFrame,
    metric: str,
    *,
    control: str,
    variant: str = "variant",
    arms: Sequence[str] | None = None,
    n_boot: int = 1000,
    alpha: float = 0.05,
    alternative: str = "two-sided",
    relative: bool = False,
    random_state: int | np.random.Generator | None = None,
) -> Comparisons:
    """Difference in means (and relative lift) with BCa bootstrap intervals
    (``scipy.stats.bootstrap``).

    Customers are resampled within each arm (``n_boot`` times, default 1000, seeded by
    ``random_state``; scipy draws the resamples in batches of 200 from one generator). The interval is scipy's BCa; the p-value inverts the same BCa mapping
    (the smallest level whose interval excludes 0), using the bias correction ``z0`` from the
    bootstrap distribution and the jackknife acceleration (computed as scipy does). With
    ``relative=True`` a second comparison per arm (effect_type ``"relative"``) bootstraps the
    lift ``mean_arm / mean_control - 1`` the same way, with resamples drawn after those of the
    difference from the same generator.

    Parameters
    ----------
    data : pandas.DataFrame
        The per-customer table (the bootstrap needs the raw values).
    metric : str
        Numeric column.
    control : str
        The control arm.
    variant : str
        Column holding the arm (default ``"variant"``).
    arms : sequence of str, optional
        Declared arms, in order.
    n_boot : int
        Bootstrap resamples (at least 99; default 1000).
    alpha : float
        1 - the confidence level (default 0.05); a one-sided interval is the matching end of
        the two-sided interval at level ``1 - 2 alpha``.
    alternative : {"two-sided", "greater", "less"}
        The alternative (``"greater"``: the arm's mean is higher).
    relative : bool
        Also bootstrap the relative lift (default False).
    random_state : int, numpy.random.Generator or None
        Seed or generator of the resamples; None draws fresh entropy.

    Returns
    -------
    Comparisons
        Per arm a ``"difference"`` comparison (and a ``"relative"`` one with ``relative``);
        ``details`` hold ``z0``, ``acceleration`` and the bootstrap standard error ``se``.

    Raises
    ------
    ValidationError
        An arm with fewer than 2 customers, a metric constant in both arms, or (with
        ``relative``) a control mean of 0.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = pd.DataFrame({"variant": ["a"] * 50 + ["b"] * 50,
    ...                   "y": np.r_[rng.exponential(1, 50), rng.exponential(2, 50)]})
    >>> r = bootstrap_means(t, "y", control="a", n_boot=999, random_state=1)
    >>> r.ci_low < r.effect < r.ci_high, r.pvalue < 0.05
    (True, True)
    """
    alpha = check_alpha(alpha)
    alternative = check_alternative(alternative)
    check_scalar(n_boot, "n_boot", typ=int, ge=99)
    rng = as_generator(random_state)
    names, groups = _raw_groups(data, metric, variant, arms, control)
    # the resampled means and the jackknife acceleration (sums of cubes of deviations) must
    # stay finite floats: refuse a column whose squares overflow, as analyze does
    check_squares(np.concatenate(groups), metric)
    ci = names.index(control)
    comps = []

    def diff(t: np.ndarray, c: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean(t, axis=axis) - np.mean(c, axis=axis)

    for a, arm in enumerate(names):
        if a == ci:
            continue
        t, c = groups[a], groups[ci]
        if len(t) < 2 or len(c) < 2:
            raise ValidationError("each arm needs at least 2 customers for the bootstrap.")
        if np.ptp(t) == 0 and np.ptp(c) == 0:
            raise ValidationError(f"metric {metric!r} has zero variance in both arms.")
        level = 1 - alpha if alternative == "two-sided" else 1 - 2 * alpha
        # BCa's jackknife cubes the deviations, which overflow beyond about 1e102: bootstrap
        # huge values divided by a power of two (exact: the means, the interval and the
        # replicates scale back without rounding); ordinary values are not touched
        big = float(max(np.max(np.abs(t)), np.max(np.abs(c))))
        scale = 2.0 ** np.floor(np.log2(big)) if big > 2.0**300 else 1.0
        res = bca_bootstrap((t / scale, c / scale), diff, n_boot, level, rng)
        boot = res.bootstrap_distribution * scale
        est = float(diff(t, c))
        z0 = float(sps.norm.ppf((np.sum(boot < est) + 0.5 * np.sum(boot == est)) / len(boot)))
        # jackknife acceleration of a difference of means: influence (x - mean) / n per arm
        u = np.r_[(t - t.mean()) / len(t), -(c - c.mean()) / len(c)]
        if np.any(u):  # scale-free: divided by the largest |u|, its cubes cannot overflow
            u = u / np.max(np.abs(u))
        acc = float(np.sum(u**3) / (6 * np.sum(u**2) ** 1.5)) if np.any(u) else 0.0
        lo = float(res.confidence_interval.low) * scale
        hi = float(res.confidence_interval.high) * scale
        if alternative == "greater":
            hi = np.inf
        elif alternative == "less":
            lo = -np.inf
        comps.append(Comparison(
            metric=metric, arm=arm, control=control, effect_type="difference", effect=est,
            ci_low=lo, ci_high=hi,
            pvalue=_bca_pvalue(boot, est, z0, acc, alternative),
            method=f"bootstrap BCa ({n_boot} resamples)",
            control_value=float(c.mean()), arm_value=float(t.mean()), n_control=len(c),
            n_arm=len(t), alpha=alpha, alternative=alternative,
            details={"z0": z0, "acceleration": acc, "se": float(np.std(boot, ddof=1))},
        ))
        if relative:
            comps.append(_bootstrap_lift(t, c, metric, arm, control, n_boot, alpha,
                                         alternative, rng))
    return Comparisons(tuple(comps), title=f"bootstrap difference in mean {metric!r}")


def _bootstrap_lift(t, c, metric, arm, control, n_boot, alpha, alternative, rng):
    if c.mean() == 0:
        raise ValidationError(
            f"metric {metric!r} has mean 0 in the control: the relative lift is undefined."
        )

    def lift(tt: np.ndarray, cc: np.ndarray, axis: int = -1) -> np.ndarray:
        return np.mean(tt, axis=axis) / np.mean(cc, axis=axis) - 1

    level = 1 - alpha if alternative == "two-sided" else 1 - 2 * alpha
    res = bca_bootstrap((t, c), lift, n_boot, level, rng)
    boot = res.bootstrap_distribution
    est = float(lift(t, c))
    z0 = float(sps.norm.ppf((np.sum(boot < est) + 0.5 * np.sum(boot == est)) / len(boot)))
    # jackknife acceleration as scipy computes it, with closed-form leave-one-out means
    mt, mc = t.mean(), c.mean()
    jt = ((t.sum() - t) / (len(t) - 1)) / mc - 1
    jc = mt / ((c.sum() - c) / (len(c) - 1)) - 1
    us = [(len(j) - 1) * (j.mean() - j) for j in (jt, jc)]
    num = sum(np.sum(u**3) / len(u) ** 3 for u in us)
    den = sum(np.sum(u**2) / len(u) ** 2 for u in us)
    acc = float(num / (6 * den**1.5)) if den > 0 else 0.0
    lo, hi = float(res.confidence_interval.low), float(res.confidence_interval.high)
    if alternative == "greater":
        hi = np.inf
    elif alternative == "less":
        lo = -np.inf
    return Comparison(
        metric=metric, arm=arm, control=control, effect_type="relative", effect=est,
        ci_low=lo, ci_high=hi, pvalue=_bca_pvalue(boot, est, z0, acc, alternative),
        method=f"bootstrap BCa ({n_boot} resamples)", control_value=float(mc),
        arm_value=float(mt), n_control=len(c), n_arm=len(t), alpha=alpha,
        alternative=alternative,
        details={"z0": z0, "acceleration": acc, "se": float(np.std(boot, ddof=1))},
    )
