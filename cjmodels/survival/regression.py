"""Cox proportional hazards and accelerated failure time regression on lifelines.

Wrappers over ``lifelines.CoxPHFitter``, ``CoxTimeVaryingFitter`` and the parametric AFT
fitters that validate the duration table, apply the (start, stop] convention for delayed entry
and return a frozen :class:`RegressionResult`. The lifelines fitter stays available as
``result.fitter`` for anything not wrapped.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import HypothesisTest, Result, result_dataclass
from cjmodels.survival._base import ConvergenceError
from cjmodels.survival._frames import check_durations, shifted_entry

__all__ = ["RegressionResult", "aft", "cox_ph", "cox_time_varying"]

AFT_DISTRIBUTIONS = ("weibull", "loglogistic", "lognormal")


@result_dataclass
class RegressionResult(Result):
    """A fitted survival regression (Cox, time-varying Cox, AFT, Fine-Gray).

    Attributes
    ----------
    model : str
        ``"cox"``, ``"cox-time-varying"``, ``"aft-<distribution>"`` or ``"fine-gray"``.
    table : pandas.DataFrame
        One row per coefficient: ``coef``, ``se``, ``ci_low``, ``ci_high``, ``z``, ``pvalue``
        and (Cox) ``hazard_ratio``. AFT rows are indexed by (parameter, covariate) as in
        lifelines (``lambda_``/``rho_`` for Weibull, ``mu_``/``sigma_`` for log-normal,
        ``alpha_``/``beta_`` for log-logistic).
    log_likelihood : float
        Maximised (partial, for Cox and Fine-Gray) log-likelihood.
    concordance : float
        Harrell's concordance index (NaN for the time-varying Cox model, and when no pair of
        customers can be compared: every event at one time, with nobody at risk after it).
    n_customers : float
        Customers (sum of weights; distinct customers for the time-varying Cox model).
    n_events : float
        Events (sum of weights; events of interest for Fine-Gray).
    alpha : float
        1 - confidence level of the intervals in ``table``.
    fitter : object
        The fitted lifelines model (not part of ``to_dict``, equality or hashing).

    Examples
    --------
    >>> from lifelines.datasets import load_lung
    >>> res = cox_ph(load_lung(), ["age", "sex"], duration="time", event="status")
    >>> res.summary().columns.tolist()[:3]
    ['coef', 'se', 'ci_low']
    """

    model: str
    table: pd.DataFrame
    log_likelihood: float
    concordance: float
    n_customers: float
    n_events: float
    alpha: float
    fitter: Any = field(default=None, repr=False, compare=False)

    def _summary(self) -> pd.DataFrame:
        return self.table

    def _to_dict(self) -> dict[str, Any]:
        tab = self.table.copy()
        tab.index = [
            "|".join(map(str, i)) if isinstance(i, tuple) else str(i) for i in tab.index
        ]
        return {
            "model": self.model,
            "coefficients": tab.to_dict(orient="index"),
            "log_likelihood": self.log_likelihood,
            "concordance": self.concordance,
            "n_customers": self.n_customers,
            "n_events": self.n_events,
            "alpha": self.alpha,
        }

    def ph_test(self, data: pd.DataFrame | None = None) -> HypothesisTest:
        """Schoenfeld-residual test of proportional hazards, per covariate and overall.

        lifelines' ``proportional_hazard_test`` with rank-transformed time; Cox models
        (:func:`cox_ph`) only.

        Each covariate gets a chi-square test on 1 degree of freedom (``table``: ``statistic``,
        ``df``, ``pvalue`` per covariate). The overall test of proportional hazards for every
        covariate is their Bonferroni combination: its statistic is the largest per-covariate
        statistic and its p-value ``min(1, k * smallest p-value)`` for ``k`` covariates.

        Note: R survival >= 3.0 ``cox.zph`` uses a different (score) statistic, so its
        numbers differ from these; both test the same hypothesis.

        Parameters
        ----------
        data : pandas.DataFrame, optional
            The data the model was fitted on; ``None`` uses the copy kept at fitting.

        Returns
        -------
        cjmodels.results.HypothesisTest
            The Bonferroni-combined test, with the per-covariate tests in ``table``.

        Raises
        ------
        ValidationError
            For a result other than :func:`cox_ph`'s.

        Examples
        --------
        >>> from lifelines.datasets import load_lung
        >>> res = cox_ph(load_lung(), ["age", "sex"], duration="time", event="status")
        >>> t = res.ph_test()
        >>> t.method, t.table.index.tolist()
        ('schoenfeld-rank', ['age', 'sex'])
        """
        from lifelines.statistics import proportional_hazard_test

        if self.model != "cox" or self.fitter is None:
            raise ValidationError("ph_test applies to cox_ph results only.")
        df = self.fitter._cj_data if data is None else data
        res = proportional_hazard_test(self.fitter, df, time_transform="rank")
        table = pd.DataFrame({
            "statistic": res.summary["test_statistic"].to_numpy(float),
            "df": 1,
            "pvalue": res.summary["p"].to_numpy(float),
        }, index=pd.Index([str(i) for i in res.summary.index], name="covariate"))
        k = len(table)
        return HypothesisTest(
            statistic=float(table["statistic"].max()), df=1.0,
            pvalue=float(min(1.0, k * table["pvalue"].min())), method="schoenfeld-rank",
            hypothesis="hazards are proportional for every covariate (Bonferroni over the "
            f"{k} per-covariate tests)",
            table=table, info={"combination": "bonferroni", "time_transform": "rank"},
        )

    def _plot(self, ax: Any) -> None:
        """Coefficients with intervals (a forest plot)."""
        tab = self.table
        y = np.arange(len(tab))
        ax.errorbar(tab["coef"], y, xerr=[tab["coef"] - tab["ci_low"], tab["ci_high"] - tab["coef"]],
                    fmt="o")
        ax.axvline(0, color="grey", lw=0.8)
        ax.set_yticks(y, [str(i) for i in tab.index])
        ax.set_xlabel("coefficient (log time)" if self.model.startswith("aft")
                      else "coefficient (log hazard ratio)")


def _table(fitter: Any, hazard_ratio: bool) -> pd.DataFrame:
    s = fitter.summary
    lo = [c for c in s.columns if c.startswith("coef lower")][0]
    hi = [c for c in s.columns if c.startswith("coef upper")][0]
    out = pd.DataFrame(
        {
            "coef": s["coef"],
            "se": s["se(coef)"],
            "ci_low": s[lo],
            "ci_high": s[hi],
            "z": s["z"],
            "pvalue": s["p"],
        }
    )
    if hazard_ratio:
        out["hazard_ratio"] = np.exp(out["coef"])
    return out


def _concordance(fitter: Any) -> float:
    """Harrell's concordance of a fitted lifelines model, NaN when it is undefined (lifelines
    raises ZeroDivisionError when no pair of customers is comparable)."""
    try:
        return float(fitter.concordance_index_)
    except ZeroDivisionError:
        return float("nan")


def _require_events(df: pd.DataFrame, event: str, what: str) -> None:
    """At least two rows and one event, or a clear error (lifelines would return estimates
    with meaningless standard errors, or fail inside its concordance index)."""
    if len(df) < 2:
        raise ValidationError(
            f"{what} needs at least two rows; the data have {len(df)}. Fit it to more customers."
        )
    if not (df[event].to_numpy(float) > 0).any():
        raise ValidationError(
            f"column {event!r} has no events (every row is censored), so {what} has nothing "
            "to estimate. Check the event column, or use a longer follow-up."
        )


def _degenerate_covariates(df: pd.DataFrame | None, covs: Sequence[str]) -> str:
    """Name the covariates that make the information matrix singular: constant ones, and
    those that are linear combinations of the covariates before them."""
    if df is None or not covs:
        return ""
    x = df[list(covs)].to_numpy(dtype=float)
    with np.errstate(all="ignore"):
        x = x - x.mean(axis=0)
        scale = np.abs(x).max(axis=0)
        x = x / np.where(scale > 0, scale, 1.0)
    if not np.isfinite(x).all():
        return ""
    constant = [c for c, sc in zip(covs, scale, strict=True) if not sc > 0]
    collinear, kept = [], []
    for j, c in enumerate(covs):
        if c in constant:
            continue
        if np.linalg.matrix_rank(x[:, [*kept, j]]) <= len(kept):
            collinear.append(c)
        else:
            kept.append(j)
    parts = []
    if constant:
        parts.append(f"covariates {constant} are constant")
    if collinear:
        parts.append(f"covariates {collinear} are linear combinations of the others")
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + ", so their effects cannot be told apart: drop them. "


def _fit_quietly(
    fn: Any, what: str, data: pd.DataFrame | None = None, covariates: Sequence[str] = (),
) -> Any:
    from lifelines.exceptions import ConvergenceError as LifelinesConvergenceError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            return fn()
    except np.linalg.LinAlgError:
        raise ConvergenceError(
            f"{what} failed: its information matrix is singular. "
            + (_degenerate_covariates(data, covariates) or
               "Check for covariates that are constant or collinear, or that are constant "
               "among the customers with events. ")
            + "A small penalizer (e.g. 0.01) also makes the fit possible."
        ) from None
    except LifelinesConvergenceError as exc:
        raise ConvergenceError(
            f"{what} did not converge ({str(exc).splitlines()[0]}). Remedies: check for "
            "covariates that separate events perfectly or are constant within strata, drop "
            "collinear covariates, standardise numeric covariates, or set a small penalizer "
            "(e.g. 0.01)."
        ) from None


def cox_ph(
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    duration: str = "duration",
    event: str = "event",
    entry: str | None = None,
    strata: str | Sequence[str] | None = None,
    weight: str | None = None,
    cluster: str | None = None,
    penalizer: float = 0.0,
    alpha: float = 0.05,
) -> RegressionResult:
    """Cox proportional hazards with Efron ties (lifelines ``CoxPHFitter``).

    Parameters
    ----------
    data : pandas.DataFrame
        Duration table, one row per customer (e.g. :func:`cjmodels.data.time_to_first_purchase`
        with ``covariates=``); covariates must be numeric (dummy-encode categories first).
    covariates : sequence of str
        Covariate columns (a single name is accepted).
    duration : str, default "duration"
        Column of times (>= 0).
    event : str, default "event"
        Column of event flags (1 event, 0 censored).
    entry : str, optional
        Delayed entry (left truncation), with the (start, stop] risk set of R survival.
    strata : str or sequence of str, optional
        Separate baseline hazards per stratum (R ``strata()``).
    weight : str, optional
        Column of case weights; with non-integer weights use ``cluster`` or robust errors.
    cluster : str, optional
        Cluster-robust (sandwich) standard errors by this column (R ``cluster=``).
    penalizer : float, default 0.0
        Ridge penalty (lifelines' ``penalizer``).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals.

    Returns
    -------
    RegressionResult
        ``model="cox"``; ``table`` has ``coef`` (log hazard ratio), ``se``, ``ci_low``,
        ``ci_high``, ``z``, ``pvalue`` and ``hazard_ratio``; :meth:`RegressionResult.ph_test`
        tests proportional hazards.

    Raises
    ------
    ValidationError
        For invalid durations, events or covariates, fewer than two rows or no events.
    ConvergenceError
        If the information matrix is singular (constant or collinear covariates) or the
        Newton-Raphson iterations do not converge (e.g. a covariate separating events).

    Examples
    --------
    >>> from lifelines.datasets import load_lung
    >>> res = cox_ph(load_lung(), ["age", "sex"], duration="time", event="status")
    >>> res.table["coef"].round(4).tolist()
    [0.017, -0.5132]
    """
    from lifelines import CoxPHFitter

    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    check_scalar(penalizer, "penalizer", typ=float, ge=0)
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    strata_l = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    extra = [c for c in [*strata_l, cluster] if c]
    d = check_durations(data, duration=duration, event=event, entry=entry, weights=weight,
                        covariates=covs)
    for c in extra:
        if c not in d.columns or d[c].isna().any():
            raise ValidationError(f"column {c!r} (strata/cluster) must exist without missing values.")
    cols = list(dict.fromkeys([duration, event, *covs, *extra, *([weight] if weight else [])]))
    df = d[cols].copy()
    entry_col = None
    if entry:
        entry_col = "__entry__"
        df[entry_col] = shifted_entry(d[entry].to_numpy(float), d[duration].to_numpy(float))
    _require_events(df, event, "Cox regression")
    cph = CoxPHFitter(penalizer=penalizer, alpha=alpha)
    _fit_quietly(
        lambda: cph.fit(df, duration_col=duration, event_col=event, strata=strata_l or None,
                        weights_col=weight, cluster_col=cluster, entry_col=entry_col,
                        robust=cluster is not None),
        "Cox regression", df, covs,
    )
    cph._cj_data = df.drop(columns=[c for c in [cluster] if c])
    w = df[weight].to_numpy(float) if weight else np.ones(len(df))
    return RegressionResult("cox", _table(cph, True), float(cph.log_likelihood_),
                            _concordance(cph), float(w.sum()),
                            float((w * df[event]).sum()), alpha, cph)


def cox_time_varying(
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    customer: str = "customer_id",
    start: str = "start",
    stop: str = "stop",
    event: str = "event",
    strata: str | Sequence[str] | None = None,
    penalizer: float = 0.0,
    alpha: float = 0.05,
) -> RegressionResult:
    """Cox model with time-varying covariates in counting-process (start, stop] form.

    lifelines' ``CoxTimeVaryingFitter``; R ``coxph(Surv(start, stop, event) ~ ...)``.

    Each row is an interval of one customer with the covariate values that held during it;
    ``event`` is 1 only on the interval that ends with the event (``lifelines.utils.
    to_long_format`` / ``add_covariate_to_timeline`` build such rows). Standard errors are
    model-based (R's ``naive.var``). :func:`cjmodels.data.counting_process` builds these rows
    from an event log (touches so far as a time-varying covariate).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per interval of a customer.
    covariates : sequence of str
        Numeric covariate columns (values during the interval).
    customer : str, default "customer_id"
        Column identifying each customer's rows.
    start, stop : str, default "start" and "stop"
        Columns of the interval ends, ``start < stop``.
    event : str, default "event"
        Column of event flags (1 on the interval that ends with the event).
    strata : str or sequence of str, optional
        Separate baseline hazards per stratum.
    penalizer : float, default 0.0
        Ridge penalty (lifelines' ``penalizer``).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals.

    Returns
    -------
    RegressionResult
        ``model="cox-time-varying"``, with hazard ratios; ``concordance`` is NaN and
        ``n_customers`` counts distinct customers.

    Raises
    ------
    ValidationError
        For a missing customer column, empty intervals, no events.
    ConvergenceError
        As in :func:`cox_ph`.

    Examples
    --------
    >>> d = pd.DataFrame({"customer_id": [1, 1, 2, 3, 3, 4, 5, 6],
    ...                   "start": [0.0, 2, 0, 0, 1, 0, 0, 0],
    ...                   "stop": [2.0, 5, 3, 1, 4, 6, 2, 7],
    ...                   "event": [0, 1, 1, 0, 0, 1, 1, 0],
    ...                   "touches": [0, 1, 1, 0, 1, 0, 2, 1]})
    >>> cox_time_varying(d, ["touches"]).model
    'cox-time-varying'
    """
    from lifelines import CoxTimeVaryingFitter

    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    check_scalar(penalizer, "penalizer", typ=float, ge=0)
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    d = check_durations(data, duration=stop, event=event, entry=start, covariates=covs)
    if customer not in d.columns:
        raise ValidationError(f"customer column {customer!r} is not in the data.")
    empty = d[stop] <= d[start]
    if empty.any():
        raise ValidationError(
            f"{int(empty.sum())} intervals have stop <= start (rows "
            f"{d.index[empty][:5].tolist()}); (start, stop] intervals must have positive length."
        )
    strata_l = [] if strata is None else ([strata] if isinstance(strata, str) else list(strata))
    df = d[list(dict.fromkeys([customer, start, stop, event, *covs, *strata_l]))]
    _require_events(df, event, "time-varying Cox regression")
    ctv = CoxTimeVaryingFitter(penalizer=penalizer, alpha=alpha)
    _fit_quietly(
        lambda: ctv.fit(df, id_col=customer, start_col=start, stop_col=stop, event_col=event,
                        strata=strata_l or None),
        "time-varying Cox regression", df, covs,
    )
    return RegressionResult("cox-time-varying", _table(ctv, True), float(ctv.log_likelihood_),
                            float("nan"), float(df[customer].nunique()), float(df[event].sum()),
                            alpha, ctv)


def aft(
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    distribution: str = "weibull",
    duration: str = "duration",
    event: str = "event",
    weight: str | None = None,
    penalizer: float = 0.0,
    alpha: float = 0.05,
) -> RegressionResult:
    """Accelerated failure time model: covariates stretch or shrink time.

    lifelines' ``WeibullAFTFitter``, ``LogLogisticAFTFitter`` and ``LogNormalAFTFitter``.

    Coefficients act on log time (R ``survreg``: the ``lambda_``/``mu_``/``alpha_`` rows equal
    ``coef(survreg(...))``, and the intercept of ``rho_``/``sigma_``/``beta_`` is ``-log(scale)``
    (Weibull, log-logistic) or ``log(scale)`` (log-normal)). Durations must be positive.
    ``exp(coef)`` of a covariate is a time ratio: above 1, later events.

    Parameters
    ----------
    data : pandas.DataFrame
        Duration table, one row per customer; positive durations.
    covariates : sequence of str
        Numeric covariate columns (on the scale parameter, ``lambda_``/``mu_``/``alpha_``).
    distribution : {"weibull", "loglogistic", "lognormal"}, default "weibull"
        Distribution of the durations.
    duration : str, default "duration"
        Column of times (> 0).
    event : str, default "event"
        Column of event flags (1 event, 0 censored).
    weight : str, optional
        Column of case weights.
    penalizer : float, default 0.0
        Ridge penalty (lifelines' ``penalizer``).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals.

    Returns
    -------
    RegressionResult
        ``model="aft-<distribution>"``; ``table`` indexed by (parameter, covariate), without
        ``hazard_ratio``.

    Raises
    ------
    ValidationError
        For zero or negative durations, invalid columns, or no events.
    ConvergenceError
        As in :func:`cox_ph`.

    Examples
    --------
    >>> from lifelines.datasets import load_lung
    >>> res = aft(load_lung(), ["age", "sex"], duration="time", event="status")
    >>> round(float(res.table.loc[("lambda_", "sex"), "coef"]), 4)
    0.3821
    """
    from lifelines import LogLogisticAFTFitter, LogNormalAFTFitter, WeibullAFTFitter

    check_scalar(distribution, "distribution", in_=AFT_DISTRIBUTIONS)
    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    check_scalar(penalizer, "penalizer", typ=float, ge=0)
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    d = check_durations(data, duration=duration, event=event, weights=weight, covariates=covs,
                        positive=True)
    cls = {"weibull": WeibullAFTFitter, "loglogistic": LogLogisticAFTFitter,
           "lognormal": LogNormalAFTFitter}[distribution]
    df = d[list(dict.fromkeys([duration, event, *covs, *([weight] if weight else [])]))]
    _require_events(df, event, f"AFT ({distribution}) regression")
    f = cls(penalizer=penalizer, alpha=alpha)
    _fit_quietly(lambda: f.fit(df, duration_col=duration, event_col=event, weights_col=weight),
                 f"AFT ({distribution}) regression", df, covs)
    w = df[weight].to_numpy(float) if weight else np.ones(len(df))
    return RegressionResult(f"aft-{distribution}", _table(f, False), float(f.log_likelihood_),
                            _concordance(f), float(w.sum()),
                            float((w * df[event]).sum()), alpha, f)
