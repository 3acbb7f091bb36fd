"""Kaplan-Meier and Nelson-Aalen curves, medians, restricted means and the log-rank test.

Thin wrappers over :mod:`lifelines` (``KaplanMeierFitter``, ``NelsonAalenFitter``,
``multivariate_logrank_test``) that take a duration table (such as
:func:`cjmodels.data.time_to_first_purchase` returns), validate it, and return frozen result
objects. What is added on top of lifelines, and checked against R survival:

* intervals of three kinds, ``ci_type`` ``"log-log"`` (lifelines' default, R's
  ``conf.type="log-log"``), ``"log"`` (R's default) and ``"plain"``, from Greenwood's variance;
* the median with the interval where the confidence limits cross 1/2 (as R's
  ``quantile.survfit``);
* the restricted mean survival time with R's standard error (``print(fit, rmean=tau)``);
  lifelines' ``restricted_mean_survival_time(return_variance=True)`` returns the variance of
  the restricted lifetime, not of the estimator;
* Nelson-Aalen with tied events counted as ``d / n`` and variance ``sum d / n^2``
  (R's ``survfit`` ``cumhaz`` and ``std.chaz``);
* left truncation with the (start, stop] risk set of R survival (see ``entry``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import HypothesisTest, Result, result_dataclass
from cjmodels.survival._frames import check_durations, shifted_entry

__all__ = [
    "WEIGHTINGS",
    "CurveSet",
    "RestrictedMean",
    "SurvivalCurve",
    "SurvivalQuantile",
    "kaplan_meier",
    "kaplan_meier_by",
    "logrank_test",
    "nelson_aalen",
]

CI_TYPES = ("log-log", "log", "plain")


@result_dataclass
class SurvivalQuantile(Result):
    """A quantile of a Kaplan-Meier curve (the median for ``q = 0.5``) with its interval.

    Attributes
    ----------
    q : float
        The share who had the event by ``time``.
    time : float
        First time the survival falls to ``1 - q`` or below (``inf`` when never reached).
    ci_low, ci_high : float
        Where the confidence bands cross ``1 - q`` (R's ``quantile.survfit``).
    alpha : float
        1 - confidence level.

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
    >>> kaplan_meier(df).median
    SurvivalQuantile(q=0.5, time=3, ci_low=1, ci_high=inf, alpha=0.05)
    """

    q: float
    time: float
    ci_low: float
    ci_high: float
    alpha: float

    def _to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self._fields())
        if np.isinf(self.time):
            out["notes"] = [f"the time is \"inf\": the curve never falls to {1 - self.q:g}."]
        elif np.isinf(self.ci_high):
            out["notes"] = [f"the upper limit is \"inf\": the upper confidence band never "
                            f"falls to {1 - self.q:g}."]
        return out


@result_dataclass
class RestrictedMean(Result):
    """The restricted mean survival time up to ``tau`` with R's standard error.

    Attributes
    ----------
    tau : float
        The horizon.
    rmst : float
        Area under the survival curve from 0 to ``tau``.
    se : float
        Its standard error (R survival, ``survmean``).
    ci_low, ci_high : float
        Normal interval.
    alpha : float
        1 - confidence level.

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
    >>> round(kaplan_meier(df).rmst(4).rmst, 3)
    2.7
    """

    tau: float
    rmst: float
    se: float
    ci_low: float
    ci_high: float
    alpha: float


@result_dataclass
class SurvivalCurve(Result):
    """A Kaplan-Meier survival curve or a Nelson-Aalen cumulative hazard, with intervals.

    Returned by :func:`kaplan_meier` and :func:`nelson_aalen`.

    Attributes
    ----------
    kind : {"kaplan-meier", "nelson-aalen"}
        Which estimate the curve holds: survival, or cumulative hazard.
    table : pandas.DataFrame
        Indexed by ``time`` (0 and every distinct event or censoring time): ``estimate``
        (survival, or cumulative hazard), ``se`` (of the estimate), ``ci_low``,
        ``ci_high``, ``n_at_risk``, ``n_events``, ``n_censored``.
    label : str
        Name of the curve (the group, in :func:`kaplan_meier_by`).
    alpha : float
        1 - confidence level.
    ci_type : {"log-log", "log", "plain"}
        Transformation of the pointwise interval (always ``"log"`` for Nelson-Aalen).
    n_customers : float
        Number (sum of weights) of customers (rows of the duration table).
    n_events : float
        Number (sum of weights) of events.

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
    >>> km = kaplan_meier(df)
    >>> km.table[["estimate", "n_at_risk", "n_events"]].round(3)
          estimate  n_at_risk  n_events
    time
    0.0      1.000        5.0       0.0
    1.0      0.800        5.0       1.0
    2.0      0.600        4.0       1.0
    3.0      0.300        2.0       1.0
    5.0      0.300        1.0       0.0
    """

    kind: str
    table: pd.DataFrame
    label: str
    alpha: float
    ci_type: str
    n_customers: float
    n_events: float

    # ----------------------------------------------------------------- evaluation
    def at(self, times: Any) -> pd.DataFrame:
        """The step function and its interval at ``times``.

        Right-continuous: the value at the last time ``<= t``; before the first time, the
        value at 0.

        Parameters
        ----------
        times : float or array-like of float
            Times at which to read the curve.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``time``: ``estimate``, ``se``, ``ci_low``, ``ci_high`` and
            ``n_at_risk`` (the number at risk just before ``t``, as R's ``summary(fit,
            times=)``; 0 after the last time).

        Examples
        --------
        >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
        >>> kaplan_meier(df).at([0.5, 2.5])[["estimate", "n_at_risk"]]
              estimate  n_at_risk
        time
        0.5        1.0        5.0
        2.5        0.6        2.0
        """
        t = np.atleast_1d(np.asarray(times, dtype=float))
        idx = np.searchsorted(self.table.index.to_numpy(), t, side="right") - 1
        idx = np.maximum(idx, 0)
        out = self.table.iloc[idx][["estimate", "se", "ci_low", "ci_high"]].copy()
        # at-risk count just before t (R's summary(fit, times=) n.risk)
        tt = self.table.index.to_numpy()
        after = np.searchsorted(tt, t, side="left")
        risk = self.table["n_at_risk"].to_numpy()
        out["n_at_risk"] = np.where(after < len(tt), risk[np.minimum(after, len(tt) - 1)], 0.0)
        out.index = pd.Index(t, name="time")
        return out

    def quantile(self, q: float = 0.5) -> SurvivalQuantile:
        """Time at which survival first falls to ``1 - q`` or below, with its interval.

        ``q = 0.5`` gives the median. Limits are where the confidence bands cross ``1 - q`` (R's
        ``quantile.survfit``); a plateau exactly at ``1 - q`` gives the midpoint of the
        plateau. ``inf`` when not reached (for instance, fewer than half ever buy).

        Parameters
        ----------
        q : float, default 0.5
            Share who had the event, in (0, 1).

        Returns
        -------
        SurvivalQuantile
            ``time``, ``ci_low`` and ``ci_high`` (``inf`` where a curve never falls to
            ``1 - q``).

        Raises
        ------
        ValidationError
            For a Nelson-Aalen curve.

        Examples
        --------
        >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
        >>> kaplan_meier(df).quantile(0.25).time
        2.0
        """
        if self.kind != "kaplan-meier":
            raise ValidationError("quantiles are defined for Kaplan-Meier curves only.")
        check_scalar(q, "q", typ=float, gt=0, lt=1)
        times = self.table.index.to_numpy()
        level = 1.0 - q
        return SurvivalQuantile(
            q=float(q),
            time=_cross(times, self.table["estimate"].to_numpy(), level),
            ci_low=_cross(times, self.table["ci_low"].to_numpy(), level),
            ci_high=_cross(times, self.table["ci_high"].to_numpy(), level),
            alpha=self.alpha,
        )

    @property
    def median(self) -> SurvivalQuantile:
        """Median time with interval (``time``, ``ci_low``, ``ci_high``)."""
        return self.quantile(0.5)

    def rmst(self, tau: float) -> RestrictedMean:
        """Restricted mean survival time up to ``tau`` with R's standard error.

        ``RMST = integral_0^tau S(t) dt``; ``se^2 = sum_{t_j <= tau} A_j^2 d_j / (n_j (n_j -
        d_j))`` with ``A_j`` the area under the curve from ``t_j`` to ``tau`` (R survival,
        ``survmean``).

        Parameters
        ----------
        tau : float
            The horizon (> 0, finite), in the time unit of the durations.

        Returns
        -------
        RestrictedMean
            ``rmst``, ``se`` and a normal interval ``ci_low``, ``ci_high``.

        Raises
        ------
        ValidationError
            For a Nelson-Aalen curve, or an infinite ``tau``.

        Examples
        --------
        >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
        >>> kaplan_meier(df).rmst(4).tau
        4.0
        """
        if self.kind != "kaplan-meier":
            raise ValidationError("the restricted mean is defined for Kaplan-Meier curves only.")
        if not np.isfinite(check_scalar(tau, "tau", typ=float, gt=0)):
            raise ValidationError(f"tau == {tau!r}: the restricted mean needs a finite horizon; "
                                  "pass a time within the follow-up, such as the longest duration.")
        t = self.table.index.to_numpy()
        s = self.table["estimate"].to_numpy()
        keep = t < tau
        grid = np.r_[t[keep], tau]
        pieces = s[keep] * np.diff(grid)
        total = float(pieces.sum())
        # A_j = area from each event time t_j to tau, summed from tau backwards over the steps
        # S(t_j) = prod (1 - d/n) of the curve (no cancellation); times with Y_j = d_j add 0
        d = self.table["n_events"].to_numpy()
        ev = keep & (d > 0)
        te, d, n = t[ev], d[ev], self.table["n_at_risk"].to_numpy()[ev]
        area_after = np.cumsum((np.cumprod(1.0 - d / n) * np.diff(np.r_[te, tau]))[::-1])[::-1]
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(n > d, d / (n * (n - d)), 0.0)
        se = float(np.sqrt(np.sum(area_after**2 * w)))
        z = stats.norm.ppf(1 - self.alpha / 2)
        return RestrictedMean(tau=float(tau), rmst=total, se=se, ci_low=total - z * se,
                              ci_high=total + z * se, alpha=self.alpha)

    # ----------------------------------------------------------------- output
    def _summary(self) -> pd.DataFrame:
        """The curve table."""
        return self.table

    def _repr_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "label": self.label,
                               "n_customers": self.n_customers,
                               "n_events": self.n_events}
        if self.kind == "kaplan-meier":
            out["median"] = self.median.time
        return out

    def _to_dict(self) -> dict[str, Any]:
        """The curve as columns of lists."""
        out: dict[str, Any] = {
            "kind": self.kind,
            "label": self.label,
            "alpha": self.alpha,
            "ci_type": self.ci_type,
            "n_customers": self.n_customers,
            "n_events": self.n_events,
            "time": self.table.index.tolist(),
            **{c: self.table[c].tolist() for c in self.table.columns},
        }
        if self.kind == "kaplan-meier":
            m = self.median
            out["median"] = {"time": m.time, "ci_low": m.ci_low, "ci_high": m.ci_high}
        out["notes"] = self.notes
        return out

    @property
    def notes(self) -> list[str]:
        """Plain sentences on the curve's infinite or undefined numbers."""
        notes = []
        if self.kind == "kaplan-meier":
            m = self.median
            if np.isinf(m.time):
                notes.append(f"{self.label}: the median is \"inf\": the curve never falls to "
                             "0.5 (fewer than half have the event within the follow-up).")
            elif np.isinf(m.ci_high):
                notes.append(f"{self.label}: the median's upper limit is \"inf\": the upper "
                             "confidence band never falls to 0.5.")
        bad = ~np.isfinite(self.table[["se", "ci_low", "ci_high"]].to_numpy(dtype=float))
        if bad.any():
            notes.append(f"{self.label}: the standard error and interval are undefined (null) "
                         "where the estimate reaches 0 (or no one is at risk): the "
                         f"{self.ci_type} interval has no value there.")
        return notes

    def _plot(self, ax: Any, ci: bool = True, **kwargs: Any) -> None:
        """Step plot of the estimate with its band (``ci=True``)."""
        t = self.table.index.to_numpy()
        (line,) = ax.step(t, self.table["estimate"], where="post", label=self.label, **kwargs)
        if ci:
            ax.fill_between(t, self.table["ci_low"], self.table["ci_high"], step="post",
                            alpha=0.2, color=line.get_color())
        ax.set_xlabel("time")
        ax.set_ylabel("survival" if self.kind == "kaplan-meier" else "cumulative hazard")


def _cross(times: np.ndarray, curve: np.ndarray, level: float) -> float:
    """First time the step function ``curve`` is <= ``level`` (midpoint of an exact plateau)."""
    tol = 1e-10
    below = np.flatnonzero(curve <= level + tol)
    if below.size == 0:
        return float("inf")
    i = below[0]
    if abs(curve[i] - level) <= tol:
        nxt = np.flatnonzero(curve < level - tol)
        if nxt.size:
            return float((times[i] + times[nxt[0]]) / 2)
        return float("inf")
    return float(times[i])


# --------------------------------------------------------------------------- fitting
def _fit_inputs(
    d: pd.DataFrame, duration: str, event: str | None, entry: str | None, weights: str | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Durations, event flags, shifted entry times (or None) and weights for a lifelines fit;
    the fitter's own ``event_table`` (lifelines' ``survival_table_from_events`` of these) then
    gives the risk sets, so they are counted once."""
    dur = d[duration].to_numpy(float)
    ev = d[event].to_numpy() if event else np.ones(len(d), dtype=np.int64)
    w = d[weights].to_numpy(float) if weights else np.ones(len(d))
    ent = None
    if entry:
        ent = shifted_entry(d[entry].to_numpy(float), dur)
    return dur, ev, ent, w


def _prepare(data, duration, event, entry, weights, alpha, ci_type, positive=False):
    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    check_scalar(ci_type, "ci_type", in_=CI_TYPES)
    return check_durations(data, duration=duration, event=event, entry=entry, weights=weights,
                           positive=positive)


def kaplan_meier(
    data: pd.DataFrame,
    *,
    duration: str = "duration",
    event: str | None = "event",
    entry: str | None = None,
    weight: str | None = None,
    alpha: float = 0.05,
    ci_type: str = "log-log",
    label: str = "all",
) -> SurvivalCurve:
    """Kaplan-Meier estimate of survival (time to purchase, time to churn) via lifelines.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer, e.g. :func:`cjmodels.data.time_to_first_purchase` or
        :func:`cjmodels.data.subscription_lifetimes`.
    duration : str, default "duration"
        Column of times (>= 0): to the event, or to censoring.
    event : str or None, default "event"
        Column of event flags (1 event, 0 censored); ``None``: every row is an event.
    entry : str, optional
        Column of left-truncation (delayed entry) times: a customer is at risk for events at
        times ``t > entry`` (R survival's ``Surv(entry, duration, event)``). Tie convention:
        an exit at the entry time itself (event on the entry day) is kept, and the customer
        counts as at risk for that time, as if they entered at the start of that day (R
        rejects such rows).
    weight : str, optional
        Column of case weights (counts of identical customers).
    alpha : float, default 0.05
        1 - confidence level.
    ci_type : {"log-log", "log", "plain"}, default "log-log"
        Transformation of the Greenwood interval: ``"log-log"`` (lifelines' default, R's
        ``conf.type="log-log"``), ``"log"`` (R's default) or ``"plain"``.
    label : str, default "all"
        Name of the curve (in plots and messages).

    Returns
    -------
    SurvivalCurve
        The curve table (estimate, Greenwood standard error, interval, numbers at risk, events
        and censored at each time), with :meth:`SurvivalCurve.at`, :attr:`SurvivalCurve.median`,
        :meth:`SurvivalCurve.quantile` and :meth:`SurvivalCurve.rmst`.

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
    >>> km = kaplan_meier(df)
    >>> km.at([2, 4])["estimate"].round(3).tolist()
    [0.6, 0.3]
    >>> km.median.time
    3.0
    """
    from lifelines import KaplanMeierFitter

    d = _prepare(data, duration, event, entry, weight, alpha, ci_type)
    dur, ev, ent, w = _fit_inputs(d, duration, event, entry, weight)
    kmf = KaplanMeierFitter(alpha=alpha, label=label)
    kmf.fit(dur, ev, entry=ent, weights=w)
    tab = kmf.event_table
    s = kmf.survival_function_.iloc[:, 0].reindex(tab.index).to_numpy()
    n = tab["at_risk"].to_numpy(float)
    dd = tab["observed"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        inc = np.where(dd > 0, dd / (n * (n - dd)), 0.0)
    green = np.cumsum(inc)  # Greenwood: var(log S)
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd_log = np.sqrt(green)
        if ci_type == "log-log":
            lo_ll = kmf.confidence_interval_.iloc[:, 0].reindex(tab.index).to_numpy()
            hi_ll = kmf.confidence_interval_.iloc[:, 1].reindex(tab.index).to_numpy()
            low, high = lo_ll, hi_ll
        elif ci_type == "log":
            low = s * np.exp(-z * sd_log)
            high = np.minimum(s * np.exp(z * sd_log), 1.0)
        else:
            low = np.maximum(s - z * s * sd_log, 0.0)
            high = np.minimum(s + z * s * sd_log, 1.0)
    # where S hits 0 the interval is undefined (R gives NA): keep it at the estimate
    zero = s <= 0
    low = np.where(zero, 0.0, low)
    high = np.where(zero, 0.0, high)
    table = _curve_table(tab, s, s * sd_log, low, high)
    return SurvivalCurve("kaplan-meier", table, label, alpha, ci_type, float(w.sum()),
                         float((w * ev).sum()))


def nelson_aalen(
    data: pd.DataFrame,
    *,
    duration: str = "duration",
    event: str | None = "event",
    entry: str | None = None,
    weight: str | None = None,
    alpha: float = 0.05,
    label: str = "all",
) -> SurvivalCurve:
    """Nelson-Aalen estimate of the cumulative hazard, with R's variance and a log interval.

    Tied events count as ``d/n`` (lifelines' ``NelsonAalenFitter(nelson_aalen_smoothing=False)``,
    R's ``survfit`` ``cumhaz``); the variance is ``sum d/n^2`` (R's ``std.chaz``); the interval
    is log-transformed, ``H exp(+/- z se / H)``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer, e.g. :func:`cjmodels.data.time_to_first_purchase` or
        :func:`cjmodels.data.subscription_lifetimes`.
    duration : str, default "duration"
        Column of times (>= 0): to the event, or to censoring.
    event : str or None, default "event"
        Column of event flags (1 event, 0 censored); ``None``: every row is an event.
    entry : str, optional
        Column of left-truncation (delayed entry) times: a customer is at risk for events at
        times ``t > entry`` (R survival's ``Surv(entry, duration, event)``). Tie convention:
        an exit at the entry time itself (event on the entry day) is kept, and the customer
        counts as at risk for that time, as if they entered at the start of that day (R
        rejects such rows).
    weight : str, optional
        Column of case weights (counts of identical customers).
    alpha : float, default 0.05
        1 - confidence level.
    label : str, default "all"
        Name of the curve.

    Returns
    -------
    SurvivalCurve
        With ``kind="nelson-aalen"``: ``estimate`` is the cumulative hazard.

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 5], "event": [1, 1, 0, 1, 0]})
    >>> nelson_aalen(df).at(3)["estimate"].round(4).tolist()
    [0.95]
    """
    from lifelines import NelsonAalenFitter

    d = _prepare(data, duration, event, entry, weight, alpha, "log")
    dur, ev, ent, w = _fit_inputs(d, duration, event, entry, weight)
    naf = NelsonAalenFitter(alpha=alpha, nelson_aalen_smoothing=False, label=label)
    naf.fit(dur, ev, entry=ent, weights=w)
    tab = naf.event_table
    h = naf.cumulative_hazard_.iloc[:, 0].reindex(tab.index).to_numpy()
    n = tab["at_risk"].to_numpy(float)
    dd = tab["observed"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.sqrt(np.cumsum(np.where(dd > 0, dd / n**2, 0.0)))
        z = stats.norm.ppf(1 - alpha / 2)
        low = np.where(h > 0, h * np.exp(-z * se / h), 0.0)
        high = np.where(h > 0, h * np.exp(z * se / h), 0.0)
    table = _curve_table(tab, h, se, low, high)
    return SurvivalCurve("nelson-aalen", table, label, alpha, "log", float(w.sum()),
                         float((w * ev).sum()))


def _curve_table(tab, est, se, low, high) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "estimate": est,
            "se": se,
            "ci_low": low,
            "ci_high": high,
            "n_at_risk": tab["at_risk"].to_numpy(float),
            "n_events": tab["observed"].to_numpy(float),
            "n_censored": tab["censored"].to_numpy(float),
        },
        index=pd.Index(tab.index.to_numpy(float), name="time"),
    )
    # drop the artificial rows of nudged entry times (no event, no censoring)
    keep = (out["n_events"] > 0) | (out["n_censored"] > 0) | (out.index == 0)
    out = out[keep]
    if out.index[0] != 0:
        first = pd.DataFrame(
            {"estimate": [1.0 if est[0] <= 1 and est.max() <= 1 else 0.0], "se": [0.0],
             "ci_low": [np.nan], "ci_high": [np.nan], "n_at_risk": [np.nan], "n_events": [0.0],
             "n_censored": [0.0]},
            index=pd.Index([0.0], name="time"),
        )
        out = pd.concat([first, out])
    return out


# --------------------------------------------------------------------------- groups
@result_dataclass
class CurveSet(Result):
    """Kaplan-Meier curves of several groups, with at-risk counts and a log-rank test.

    Attributes
    ----------
    group : str
        The grouping column.
    curves : dict of str to SurvivalCurve
        One curve per group.
    logrank : HypothesisTest or None
        The log-rank test across the groups (``None`` when not computed).

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 3, 4, 5, 6], "event": [1, 1, 0, 1, 1, 0],
    ...                    "g": ["a", "a", "a", "b", "b", "b"]})
    >>> kaplan_meier_by(df, "g").at([2, 5]).round(3).to_numpy().tolist()
    [[0.333, 0.333], [1.0, 0.333]]
    """

    group: str
    curves: dict[str, SurvivalCurve]
    logrank: HypothesisTest | None

    def _summary(self) -> pd.DataFrame:
        """Per group: customers, events, median with interval."""
        rows = {}
        for g, c in self.curves.items():
            m = c.median
            rows[g] = {"n_customers": c.n_customers, "n_events": c.n_events, "median": m.time,
                       "median_ci_low": m.ci_low, "median_ci_high": m.ci_high}
        return pd.DataFrame(rows).T.rename_axis(self.group)

    def _repr_fields(self) -> dict[str, Any]:
        out: dict[str, Any] = {"group": self.group, "groups": len(self.curves)}
        if self.logrank is not None:
            out["logrank_statistic"] = self.logrank.statistic
            out["logrank_pvalue"] = self.logrank.pvalue
        return out

    def at_risk(self, times: Sequence[float]) -> pd.DataFrame:
        """Numbers at risk just before each time (rows: groups, columns: times).

        Parameters
        ----------
        times : sequence of float
            Times at which to count (the at-risk table under a Kaplan-Meier plot).

        Returns
        -------
        pandas.DataFrame
            One row per group, one column per time.

        Examples
        --------
        >>> df = pd.DataFrame({"duration": [1, 2, 3, 4, 5, 6], "event": [1, 1, 0, 1, 1, 0],
        ...                    "g": ["a", "a", "a", "b", "b", "b"]})
        >>> kaplan_meier_by(df, "g").at_risk([0, 4]).to_numpy().tolist()
        [[3.0, 0.0], [3.0, 3.0]]
        """
        return pd.DataFrame(
            {g: c.at(times)["n_at_risk"].to_numpy() for g, c in self.curves.items()},
            index=pd.Index(list(times), name="time"),
        ).T.rename_axis(self.group)

    def at(self, times: Sequence[float]) -> pd.DataFrame:
        """Survival of each group at ``times`` (rows: groups).

        Parameters
        ----------
        times : sequence of float
            Times at which to read the curves (right-continuous steps).

        Returns
        -------
        pandas.DataFrame
            One row per group, one column per time: the Kaplan-Meier estimates.

        Examples
        --------
        >>> df = pd.DataFrame({"duration": [1, 2, 3, 4, 5, 6], "event": [1, 1, 0, 1, 1, 0],
        ...                    "g": ["a", "a", "a", "b", "b", "b"]})
        >>> kaplan_meier_by(df, "g").at([1, 4]).round(3).to_numpy().tolist()
        [[0.667, 0.333], [1.0, 0.667]]
        """
        return pd.DataFrame(
            {g: c.at(times)["estimate"].to_numpy() for g, c in self.curves.items()},
            index=pd.Index(list(times), name="time"),
        ).T.rename_axis(self.group)

    def _to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "groups": {g: {"n_customers": c.n_customers, "n_events": c.n_events,
                           "median": {"time": c.median.time, "ci_low": c.median.ci_low,
                                      "ci_high": c.median.ci_high}}
                       for g, c in self.curves.items()},
            "logrank": None if self.logrank is None else self.logrank.to_dict(),
            "notes": [n for c in self.curves.values() for n in c.notes if "median" in n],
        }

    def _plot(self, ax: Any, ci: bool = True,
              at_risk_times: Sequence[float] | None = None) -> None:
        """All curves on one axis (with their bands when ``ci``); with ``at_risk_times``, a
        table of numbers at risk below."""
        for c in self.curves.values():
            c.plot(ax=ax, ci=ci)
        ax.legend(title=self.group, fontsize=8)
        if at_risk_times is not None:
            tab = self.at_risk(at_risk_times)
            text = "at risk\n" + "\n".join(
                f"{g}: " + "  ".join(f"{v:g}" for v in row) for g, row in tab.iterrows()
            )
            ax.text(0.0, -0.25, text, transform=ax.transAxes, fontsize=7, va="top",
                    family="monospace")


def kaplan_meier_by(
    data: pd.DataFrame,
    group: str,
    *,
    duration: str = "duration",
    event: str | None = "event",
    entry: str | None = None,
    weight: str | None = None,
    alpha: float = 0.05,
    ci_type: str = "log-log",
    logrank: bool = True,
) -> CurveSet:
    """Kaplan-Meier curves per value of column ``group``, with a log-rank test across groups.

    Rows with a missing group are an error (name them explicitly, e.g. ``fillna("none")``).
    Groups are sorted and named by the ``str`` of their values.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer, e.g. :func:`cjmodels.data.time_to_first_purchase`.
    group : str
        Column whose values define the groups (e.g. ``first_channel``).
    duration : str, default "duration"
        Column of times (>= 0): to the event, or to censoring.
    event : str or None, default "event"
        Column of event flags (1 event, 0 censored); ``None``: every row is an event.
    entry : str, optional
        Column of left-truncation (delayed entry) times: a customer is at risk for events at
        times ``t > entry`` (R survival's ``Surv(entry, duration, event)``). Tie convention:
        an exit at the entry time itself (event on the entry day) is kept, and the customer
        counts as at risk for that time, as if they entered at the start of that day (R
        rejects such rows).
    weight : str, optional
        Column of case weights (counts of identical customers).
    alpha : float, default 0.05
        1 - confidence level.
    ci_type : {"log-log", "log", "plain"}, default "log-log"
        Transformation of the Greenwood interval (see :func:`kaplan_meier`).
    logrank : bool, default True
        Whether to add the (unweighted) log-rank test of :func:`logrank_test`; it is computed
        only without ``entry`` and ``weight`` and with at least two groups.

    Returns
    -------
    CurveSet
        One :class:`SurvivalCurve` per group and the log-rank test (or ``None``).

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 3, 4, 5, 6], "event": [1, 1, 0, 1, 1, 0],
    ...                    "g": ["a", "a", "a", "b", "b", "b"]})
    >>> cs = kaplan_meier_by(df, "g")
    >>> cs.summary()["median"].tolist()
    [2.0, 5.0]
    """
    if not isinstance(data, pd.DataFrame) or group not in data.columns:
        raise ValidationError(f"group == {group!r} must be a column of the data.")
    miss = data[group].isna().to_numpy()
    if miss.any():
        raise ValidationError(
            f"column {group!r} has {int(miss.sum())} missing values at rows "
            f"{data.index[miss][:5].tolist()}; give them a group, e.g. "
            f"data[{group!r}].fillna('none')."
        )
    curves = {
        str(g): kaplan_meier(sub, duration=duration, event=event, entry=entry, weight=weight,
                             alpha=alpha, ci_type=ci_type, label=str(g))
        for g, sub in data.groupby(group, sort=True, observed=True)
    }
    lr = None
    if logrank and entry is None and weight is None and len(curves) > 1:
        lr = logrank_test(data, group, duration=duration, event=event)
    return CurveSet(group, curves, lr)


# --------------------------------------------------------------------------- log-rank
#: Log-rank weightings (lifelines' names; ``"logrank"`` is the unweighted test).
WEIGHTINGS = ("logrank", "wilcoxon", "tarone-ware", "peto", "fleming-harrington")


def logrank_test(
    data: pd.DataFrame, group: str, *, duration: str = "duration", event: str | None = "event",
    weighting: str = "logrank", p: float = 1.0, q: float = 0.0,
) -> HypothesisTest:
    """Log-rank test that survival is the same in every group, with observed and expected events.

    lifelines' ``multivariate_logrank_test``, with observed and expected events per group (R
    ``survdiff``) in its ``table``. ``weighting`` is one of :data:`WEIGHTINGS`, as in lifelines: ``"logrank"`` (none),
    ``"wilcoxon"`` (Gehan-Breslow: the number at risk), ``"tarone-ware"`` (its square root),
    ``"peto"`` (Peto-Peto's modified survival estimate) and ``"fleming-harrington"``
    (``S(t-)**p (1 - S(t-))**q`` with the pooled Kaplan-Meier estimate; ``p = 1, q = 0`` is R
    ``survdiff(rho = 1)``). The test has ``k - 1`` degrees of freedom for ``k`` groups. The
    ``table`` holds, per group, the observed and expected events and the variance of
    ``observed - expected`` of the unweighted test (the diagonal of R ``survdiff``'s ``var``).

    A group without events is tested like any other (its observed count is 0); at least one
    event overall is needed.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer.
    group : str
        Column whose values define the groups (compared as strings).
    duration : str, default "duration"
        Column of times (>= 0).
    event : str or None, default "event"
        Column of event flags (1 event, 0 censored); ``None``: every row is an event.
    weighting : str, default "logrank"
        One of :data:`WEIGHTINGS`.
    p, q : float, default 1.0 and 0.0
        Exponents of the Fleming-Harrington weight ``S(t-)**p (1 - S(t-))**q`` (used only
        with ``weighting="fleming-harrington"``).

    Returns
    -------
    cjmodels.results.HypothesisTest
        ``statistic`` (chi-square), ``df`` (groups - 1), ``pvalue``, ``method`` and ``table``
        (per group: ``observed``, ``expected``, ``variance``).

    Raises
    ------
    ValidationError
        With fewer than two groups, missing group values, or no events.

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 3, 4, 5, 6], "event": [1, 1, 0, 1, 1, 0],
    ...                    "g": ["a", "a", "a", "b", "b", "b"]})
    >>> t = logrank_test(df, "g")
    >>> round(t.statistic, 4), t.df
    (2.4694, 1)
    >>> t.table.columns.tolist()
    ['observed', 'expected', 'variance']
    >>> round(logrank_test(df, "g", weighting="wilcoxon").pvalue, 4)
    0.1213
    """
    from lifelines.statistics import multivariate_logrank_test

    check_scalar(weighting, "weighting", in_=WEIGHTINGS)
    check_scalar(p, "p", typ=float, ge=0)
    check_scalar(q, "q", typ=float, ge=0)
    d = check_durations(data, duration=duration, event=event)
    if group not in d.columns:
        raise ValidationError(f"group == {group!r} must be a column of the data.")
    if d[group].isna().any():
        raise ValidationError(f"column {group!r} has missing values; give them a group first.")
    ev = d[event].to_numpy() if event else np.ones(len(d), dtype=np.int64)
    g = d[group].astype(str).to_numpy()
    groups = np.unique(g)
    if groups.size < 2:
        raise ValidationError(f"column {group!r} has one group only; the log-rank test needs two.")
    if not np.any(ev == 1):
        raise ValidationError("no events in any group: the log-rank test has nothing to compare.")
    t = d[duration].to_numpy(float)
    if weighting != "logrank":
        # Rank tests depend on the order of the times only; lifelines' weights misalign when a
        # duration is 0 (its Kaplan-Meier timeline merges the 0 row), so the times are shifted
        # by 1, which changes no statistic.
        kw = {"weightings": weighting, **({"p": p, "q": q} if weighting[0] == "f" else {})}
        res = multivariate_logrank_test(t + 1.0, g, ev, **kw)
    else:
        res = multivariate_logrank_test(t, g, ev)
    # per group: observed, expected sum_t d_t n_gt / n_t, variance of O - E (hypergeometric)
    times, d_all = np.unique(t[ev == 1], return_counts=True)
    d_all = d_all.astype(float)
    ts = np.sort(t)
    n_all = (len(ts) - np.searchsorted(ts, times, side="left")).astype(float)
    obs, expected, variance = {}, {}, {}
    for k in groups:
        obs[k] = float(ev[g == k].sum())
        tk = np.sort(t[g == k])
        n_k = (len(tk) - np.searchsorted(tk, times, side="left")).astype(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            expected[k] = float(np.sum(n_k * d_all / n_all))
            v = n_k * (n_all - n_k) * d_all * (n_all - d_all) / (n_all**2 * (n_all - 1))
        variance[k] = float(np.sum(np.where(n_all > 1, v, 0.0)))
    table = pd.DataFrame({"observed": obs, "expected": expected, "variance": variance}
                         ).rename_axis(group)
    name = (f"fleming-harrington(p={p:g}, q={q:g})" if weighting == "fleming-harrington"
            else weighting)
    return HypothesisTest(
        statistic=float(res.test_statistic), df=int(res.degrees_of_freedom),
        pvalue=float(res.p_value), method="log-rank" if weighting == "logrank" else name,
        hypothesis=f"survival is the same in every group of {group!r}",
        table=table, info={"group": group, "n_customers": int(len(d)), "weighting": name},
    )
