"""Discrete-time survival on aggregated person-period counts (scale beyond lifelines).

A Cox fit on a million customers with a million distinct times takes most of a minute. When
times are recorded in days (or may be grouped into days, weeks), the same proportional-hazards
question is answered by a binomial GLM on the *person-period* table: for every time interval and
every covariate pattern, how many customers were at risk and how many had the event. A million
customers with a handful of categorical covariates reduce to a few thousand rows.

* :func:`person_period_table`: the aggregated table (interval, covariates, ``n_at_risk``,
  ``n_events``), built in one vectorised pass with cumulative sums (no per-customer expansion).
* :func:`discrete_time_survival`: the GLM with one baseline parameter per interval and a
  complementary log-log link (the grouped proportional-hazards model of Prentice & Gloeckler
  1978, whose coefficients are log hazard ratios of the underlying continuous-time model) or a
  logit link (Cox's discrete logistic model; coefficients are log odds ratios of the interval
  hazard), fitted by :class:`statsmodels.genmod.generalized_linear_model.GLM` with frequency
  weights on the aggregated rows. Its likelihood is exactly that of the expanded person-period
  data (one Bernoulli row per customer and interval).

Risk-set convention (one rule, chosen so that intervals at the resolution of the data reproduce
the (start, stop] risk sets of Cox regression in R survival and lifelines): interval
``(a, b]`` counts a customer at risk when

* their entry (left truncation time, 0 by default) is ``<= a``, and
* they had the event in ``(a, b]`` (then ``n_events`` counts them), or were still under
  observation at ``b`` (exit ``>= b``).

So a customer censored strictly inside an interval, or entering strictly inside one, does not
count for that interval (it was not observed through it). An event at the entry time itself is
kept: the customer counts as at risk in the interval that contains it (the tie convention of
:func:`cjmodels.survival.kaplan_meier`).

References
----------
* Prentice & Gloeckler (1978), "Regression analysis of grouped survival data with application
  to breast cancer data", Biometrics 34(1), 57-67.
* Allison (1982), "Discrete-time methods for the analysis of event histories", Sociological
  Methodology 13, 61-98.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass
from cjmodels.survival._base import ConvergenceError
from cjmodels.survival._frames import check_durations

__all__ = ["DiscreteTimeResult", "discrete_time_survival", "person_period_table"]

LINKS = ("cloglog", "logit")
#: Largest number of distinct event times with ``bins=None`` (one interval per distinct time).
MAX_INTERVALS = 300


def _edges(d: pd.DataFrame, duration: str, event: str, entry: str | None, bins: Any,
           width: Any) -> np.ndarray:
    t = d[duration].to_numpy(float)
    lo = float(d[entry].min()) if entry else 0.0
    lo = min(lo, float(t.min()))
    if bins is not None and width is not None:
        raise ValidationError("give bins= or width=, not both.")
    if width is not None:
        check_scalar(width, "width", typ=float, gt=0)
        n = int(np.ceil((t.max() - lo) / width - 1e-9))
        return lo + width * np.arange(max(n, 1) + 1)
    if bins is None:
        n_ev = np.unique(t[d[event].to_numpy() == 1]).size
        if n_ev > MAX_INTERVALS:
            raise ValidationError(
                f"the data have {n_ev} distinct event times; one interval per time would give "
                f"more than {MAX_INTERVALS} baseline parameters. Group time with width= (e.g. "
                "width=1.0 for days when durations are in days) or give bins= (interval edges)."
            )
        times = np.unique(np.r_[t, d[entry].to_numpy(float)] if entry else t)
        return np.r_[-np.inf, times]
    try:
        edges = np.asarray(bins, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise ValidationError("bins must be a sequence of interval edges (numbers).") from None
    if edges.size < 2 or not np.all(np.isfinite(edges)) or np.any(np.diff(edges) <= 0):
        raise ValidationError(
            f"bins == {edges.tolist()[:6]}..., must be at least two finite, strictly increasing "
            "interval edges."
        )
    if edges[0] > lo:
        raise ValidationError(
            f"bins start at {edges[0]:g} but the data start at {lo:g} (smallest entry or "
            "duration); the first edge must not exceed it."
        )
    return edges


def _patterns(d: pd.DataFrame, covs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Code of each row's covariate pattern (sorted) and the patterns' values, by factorising
    each column and combining the codes in mixed radix (fast on millions of rows)."""
    if not covs:
        return np.zeros(len(d), dtype=np.int64), np.zeros((1, 0))
    combined = np.zeros(len(d), dtype=np.int64)
    uniques, radix = [], 1
    for c in covs:
        codes, uniq = pd.factorize(d[c].to_numpy(float), sort=True)
        uniques.append(np.asarray(uniq, dtype=float))
        if radix * len(uniq) > 2**62:
            raise ValidationError(
                f"too many distinct covariate patterns to aggregate ({covs}); group continuous "
                "covariates first (e.g. pd.qcut).")
        combined += codes.astype(np.int64) * radix
        radix *= len(uniq)
    pat_codes, pat_keys = pd.factorize(combined, sort=True)
    values = np.empty((len(pat_keys), len(covs)))
    rest = np.asarray(pat_keys, dtype=np.int64)
    for k, u in enumerate(uniques):
        rest, r = np.divmod(rest, len(u))
        values[:, k] = u[r]
    # sort patterns lexicographically by the covariates (first column slowest)
    order = np.lexsort(values.T[::-1])
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[pat_codes].astype(np.int64), values[order]


def person_period_table(
    data: pd.DataFrame,
    covariates: Sequence[str] = (),
    *,
    duration: str = "duration",
    event: str = "event",
    entry: str | None = None,
    weight: str | None = None,
    bins: Sequence[float] | None = None,
    width: float | None = None,
) -> pd.DataFrame:
    """Customers at risk and events per time interval and covariate pattern.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer (e.g. :func:`cjmodels.data.time_to_first_purchase`), or per group
        of identical customers with ``weight``.
    covariates : sequence of str
        Numeric columns (dummy-encode categories first); each distinct combination of values is
        one pattern, so continuous covariates give as many patterns as customers.
    duration, event : str
        Exit time and event flag (1 event, 0 censored).
    entry : str, optional
        Left-truncation (delayed entry) times.
    weight : str, optional
        Column: number of customers each row stands for.
    bins : sequence of float, optional
        Interval edges ``e0 < e1 < ... < eJ``; intervals are ``(e_{j-1}, e_j]`` (the first one
        also includes ``e0``). Events after ``eJ`` are censored at ``eJ`` (with a warning).
    width : float, optional
        Equal intervals of this width from the smallest entry (or 0). With neither ``bins`` nor
        ``width``, one interval per distinct time (at most 300 distinct event times).

    Returns
    -------
    pandas.DataFrame
        One row per (interval, pattern) with someone at risk: ``interval`` (1-based), ``start``,
        ``stop`` (the interval's edges), the covariates, ``n_at_risk`` and ``n_events``; rows
        ordered by pattern, then interval. ``attrs`` records the edges and the conventions.

    Notes
    -----
    See the module docstring for the risk-set rule. The table is built from per-pattern counts
    of entries and exits per interval and their cumulative sums: memory and time grow with
    ``patterns x intervals``, not with customers x intervals.

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 2, 3], "event": [1, 1, 0, 0], "x": [0, 0, 1, 1]})
    >>> person_period_table(df, ["x"], width=1.0)[["interval", "x", "n_at_risk", "n_events"]]
       interval    x  n_at_risk  n_events
    0         1  0.0        2.0       1.0
    1         2  0.0        1.0       1.0
    2         1  1.0        2.0       0.0
    3         2  1.0        2.0       0.0
    4         3  1.0        1.0       0.0
    """
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    d = check_durations(data, duration=duration, event=event, entry=entry, weights=weight,
                        covariates=covs)
    edges = _edges(d, duration, event, entry, bins, width)
    t = d[duration].to_numpy(float)
    ev = d[event].to_numpy(np.int64)
    w = d[weight].to_numpy(float) if weight else np.ones(len(d))
    n_int = edges.size - 1
    over = t > edges[-1]
    if over.any():
        n_ev = int((ev[over] == 1).sum())
        if n_ev:
            warnings.warn(
                f"{n_ev} events after the last interval edge {edges[-1]:g} are censored there; "
                "extend bins to keep them.", UserWarning, stacklevel=2)
        ev = np.where(over, 0, ev)
        t = np.where(over, edges[-1], t)
    # interval index (1..J) of the last interval a customer counts in
    k_event = np.maximum(np.searchsorted(edges, t, side="left"), 1)  # interval containing t
    k_cens = np.searchsorted(edges, t, side="right") - 1  # last interval ending at or before t
    k_exit = np.where(ev == 1, k_event, k_cens)
    # first interval counted: the first starting at or after the entry
    if entry:
        e = d[entry].to_numpy(float)
        k_entry = np.searchsorted(edges, e, side="left") + 1
        k_entry = np.where((ev == 1) & (k_entry > k_exit), k_exit, k_entry)  # event at entry
    else:
        k_entry = np.ones(len(d), dtype=np.int64)
    keep = k_exit >= k_entry
    pat_codes, pat_values = _patterns(d, covs)
    n_pat = pat_values.shape[0]
    size = n_pat * (n_int + 2)
    if size > 50_000_000:
        raise ValidationError(
            f"{n_pat} covariate patterns x {n_int} intervals is too large to aggregate; group "
            "continuous covariates (e.g. pd.qcut) or use wider intervals."
        )
    p, kk = pat_codes[keep], k_entry[keep]
    kx, wk, evk = k_exit[keep], w[keep], ev[keep]
    stride = n_int + 2
    enter = np.bincount(p * stride + kk, weights=wk, minlength=size).reshape(n_pat, stride)
    leave = np.bincount(p * stride + kx + 1, weights=wk, minlength=size).reshape(n_pat, stride)
    at_risk = np.cumsum(enter - leave, axis=1)[:, 1 : n_int + 1]
    events = np.bincount(p * stride + kx, weights=wk * evk, minlength=size).reshape(
        n_pat, stride)[:, 1 : n_int + 1]
    at_risk = np.round(at_risk, 9)  # cumulative sums of weights: clear rounding noise
    pi, ji = np.nonzero(at_risk > 0)
    out = pd.DataFrame({
        "interval": ji + 1,
        "start": np.where(np.isfinite(edges[ji]), edges[ji], edges[np.minimum(ji + 1, n_int)]),
        "stop": edges[ji + 1],
    })
    for c, col in enumerate(covs):
        out[col] = pat_values[pi, c]
    out["n_at_risk"] = at_risk[pi, ji]
    out["n_events"] = events[pi, ji]
    out.attrs = {"edges": edges.tolist(), "covariates": covs, "n_customers": float(w.sum()),
                 "n_events": float(out["n_events"].sum()),
                 "n_outside": float(w[~keep].sum())}
    return out


@result_dataclass
class DiscreteTimeResult(Result):
    """A fitted discrete-time (grouped) survival regression.

    Returned by :func:`discrete_time_survival`.

    Attributes
    ----------
    link : {"cloglog", "logit"}
        Link of the interval hazard: complementary log-log (grouped proportional hazards) or
        logit.
    table : pandas.DataFrame
        One row per covariate: ``coef``, ``se``, ``ci_low``, ``ci_high``, ``z``, ``pvalue`` and
        ``hazard_ratio`` (cloglog) or ``odds_ratio`` (logit).
    baseline : pandas.DataFrame
        Per interval: ``start``, ``stop``, ``hazard`` (probability of the event in the interval
        for a customer at risk with all covariates 0; 0 for intervals without events, 1 for
        intervals in which everyone at risk had the event),
        ``survival`` (baseline survival at ``stop``), ``n_at_risk``, ``n_events``.
    log_likelihood : float
        Log-likelihood of the expanded person-period (Bernoulli) data.
    n_customers : float
        Customers (sum of weights).
    n_events : float
        Events counted in the intervals.
    n_rows : int
        Rows of the aggregated table the GLM was fitted on.
    alpha : float
        1 - confidence level of the Wald intervals.
    fitter : statsmodels GLMResults
        The fitted statsmodels GLM.
        Not part of ``to_dict``, equality or hashing.

    Examples
    --------
    >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 3, 4, 5, 5], "event": [1, 1, 0, 1, 1, 0, 1, 0],
    ...                    "x": [0, 1, 0, 1, 0, 1, 0, 1]})
    >>> res = discrete_time_survival(df, ["x"], width=1.0)
    >>> res.summary().index.tolist()
    ['x']
    """

    link: str
    table: pd.DataFrame
    baseline: pd.DataFrame
    log_likelihood: float
    n_customers: float
    n_events: float
    n_rows: int
    alpha: float
    fitter: Any = field(default=None, repr=False, compare=False)

    def _summary(self) -> pd.DataFrame:
        """The coefficient table."""
        return self.table

    def _to_dict(self) -> dict[str, Any]:
        """Coefficients and baseline."""
        return {
            "link": self.link,
            "coefficients": self.table.to_dict(orient="index"),
            "baseline": {c: self.baseline[c].tolist() for c in self.baseline.columns},
            "log_likelihood": self.log_likelihood, "n_customers": self.n_customers,
            "n_events": self.n_events,
            "n_rows": self.n_rows, "alpha": self.alpha,
        }

    def hazard(self, data: pd.DataFrame) -> pd.DataFrame:
        """Interval hazards for each row of ``data`` (rows) and interval (columns: ``stop``).

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer profile with the covariate columns.

        Returns
        -------
        pandas.DataFrame
            Probability of the event in each interval for a customer at risk at its start;
            columns are the intervals' right ends ``stop``.

        Examples
        --------
        >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 3, 4, 5, 5],
        ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0], "x": [0, 1, 0, 1, 0, 1, 0, 1]})
        >>> res = discrete_time_survival(df, ["x"], width=1.0)
        >>> res.hazard(pd.DataFrame({"x": [0.0, 1.0]})).shape
        (2, 5)
        """
        covs = list(self.table.index)
        missing = [c for c in covs if c not in data.columns]
        if missing:
            raise ValidationError(f"data lacks covariate columns {missing}.")
        x = data[covs].to_numpy(float)
        if not np.all(np.isfinite(x)):
            raise ValidationError("covariates must be finite to predict.")
        lp = x @ self.table["coef"].to_numpy()
        h0 = self.baseline["hazard"].to_numpy()
        with np.errstate(divide="ignore"):
            if self.link == "cloglog":
                h = 1.0 - (1.0 - h0)[None, :] ** np.exp(lp)[:, None]
            else:
                eta = np.log(h0)[None, :] - np.log1p(-h0)[None, :] + lp[:, None]
                h = 1.0 / (1.0 + np.exp(-eta))
        return pd.DataFrame(h, index=data.index, columns=pd.Index(self.baseline["stop"],
                                                                   name="stop"))

    def predict_survival(self, data: pd.DataFrame, times: Sequence[float] | None = None
                         ) -> pd.DataFrame:
        """Survival of each row of ``data`` at ``times`` (default: every interval end).

        A step function: ``S(t)`` is the product of ``1 - hazard`` over intervals ending at or
        before ``t``.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer profile with the covariate columns.
        times : sequence of float, optional
            Times at which to read the survival; ``None`` gives every interval end.

        Returns
        -------
        pandas.DataFrame
            Rows: the rows of ``data``; columns: ``times`` (or the interval ends ``stop``).

        Examples
        --------
        >>> df = pd.DataFrame({"duration": [1, 2, 2, 3, 3, 4, 5, 5],
        ...                    "event": [1, 1, 0, 1, 1, 0, 1, 0], "x": [0, 1, 0, 1, 0, 1, 0, 1]})
        >>> res = discrete_time_survival(df, ["x"], width=1.0)
        >>> s = res.predict_survival(pd.DataFrame({"x": [0.0]}), [0.5, 2.0])
        >>> s.columns.tolist(), float(s.iloc[0, 0])
        ([0.5, 2.0], 1.0)
        """
        h = self.hazard(data)
        s = np.cumprod(1.0 - h.to_numpy(), axis=1)
        stops = self.baseline["stop"].to_numpy()
        if times is None:
            return pd.DataFrame(s, index=data.index, columns=h.columns)
        t = np.atleast_1d(np.asarray(times, dtype=float))
        idx = np.searchsorted(stops, t, side="right") - 1
        vals = np.where(idx[None, :] >= 0, s[:, np.maximum(idx, 0)], 1.0)
        return pd.DataFrame(vals, index=data.index, columns=pd.Index(t, name="time"))

    def _plot(self, ax: Any) -> None:
        """Baseline survival (all covariates 0) as a step curve."""
        b = self.baseline
        ax.step(np.r_[b["start"].iloc[0], b["stop"]], np.r_[1.0, b["survival"]], where="post")
        ax.set(xlabel="time", ylabel="baseline survival")


def discrete_time_survival(
    data: pd.DataFrame,
    covariates: Sequence[str],
    *,
    duration: str = "duration",
    event: str = "event",
    entry: str | None = None,
    weight: str | None = None,
    bins: Sequence[float] | None = None,
    width: float | None = None,
    link: str = "cloglog",
    alpha: float = 0.05,
    maxiter: int = 100,
) -> DiscreteTimeResult:
    """Discrete-time proportional hazards (cloglog) or logistic (logit) survival regression.

    The data are reduced by :func:`person_period_table` and fitted by a statsmodels binomial GLM
    with one parameter per interval (the baseline) and the covariates, with frequency weights
    (each aggregated row stands for its events, and its non-events).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per customer (or group of identical customers, with ``weight``).
    covariates : sequence of str
        Numeric covariate columns (at least one); each distinct combination is one pattern of
        the aggregated table, so group continuous covariates first.
    duration : str, default "duration"
        Column of exit times.
    event : str, default "event"
        Column of event flags (1 event, 0 censored).
    entry : str, optional
        Column of left-truncation (delayed entry) times.
    weight : str, optional
        Column: number of customers each row stands for.
    bins : sequence of float, optional
        Interval edges (see :func:`person_period_table`).
    width : float, optional
        Equal intervals of this width; with neither ``bins`` nor ``width``, one interval per
        distinct time (at most 300 distinct event times).
    link : {"cloglog", "logit"}
        ``"cloglog"``: ``log(-log(1 - h_j(x))) = alpha_j + x'beta``, the grouped version of the
        Cox model; ``exp(beta)`` are hazard ratios, close to Cox's when intervals are short.
        ``"logit"``: ``logit h_j(x) = alpha_j + x'beta``; ``exp(beta)`` are odds ratios of the
        interval hazard (close to hazard ratios only when interval hazards are small).
    alpha : float
        1 - confidence level of the Wald intervals.
    maxiter : int
        IRLS iteration limit.

    Returns
    -------
    DiscreteTimeResult
        Coefficients in ``table`` (``hazard_ratio`` or ``odds_ratio``), baseline interval
        hazards and survival in ``baseline``.

    Raises
    ------
    ConvergenceError
        If IRLS does not converge or a coefficient is not identified (for example a covariate
        pattern in which every customer at risk has the event).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.integers(0, 2, 2000)
    >>> t = np.ceil(rng.exponential(10 / np.exp(0.5 * x)))
    >>> df = pd.DataFrame({"duration": np.minimum(t, 30), "event": (t <= 30).astype(int), "x": x})
    >>> res = discrete_time_survival(df, ["x"], width=1.0)
    >>> round(float(res.table.loc["x", "hazard_ratio"]), 2)  # truth exp(0.5) = 1.65
    1.71
    """
    from statsmodels.genmod import families
    from statsmodels.genmod.generalized_linear_model import GLM
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    check_scalar(link, "link", in_=LINKS)
    check_scalar(alpha, "alpha", typ=float, gt=0, lt=1)
    check_scalar(maxiter, "maxiter", typ=int, ge=1)
    covs = [covariates] if isinstance(covariates, str) else list(covariates)
    if not covs:
        raise ValidationError(
            "covariates is empty; a regression needs at least one (for the baseline alone use "
            "person_period_table or kaplan_meier).")
    pp = person_period_table(data, covs, duration=duration, event=event, entry=entry,
                             weight=weight, bins=bins, width=width)
    # intervals without events, or in which everyone at risk has the event, carry no
    # information on the coefficients (their baseline MLE is a hazard of 0 or 1): they are left
    # out of the GLM and reported with that hazard
    tot = pp.groupby("interval")[["n_events", "n_at_risk"]].sum()
    full = (tot["n_events"] >= tot["n_at_risk"] - 1e-9).to_numpy()
    live = tot.index[(tot["n_events"] > 0).to_numpy() & ~full].to_numpy()
    if live.size == 0:
        raise ValidationError("the data have no events; there is no hazard to model.")
    fit_rows = pp[pp["interval"].isin(live)]
    codes = np.searchsorted(live, fit_rows["interval"].to_numpy())
    nr = len(fit_rows)
    # two rows per cell: events (y = 1) and survivors (y = 0), with frequency weights
    y = np.r_[np.ones(nr), np.zeros(nr)]
    fw = np.r_[fit_rows["n_events"].to_numpy(), (fit_rows["n_at_risk"] - fit_rows["n_events"])
               .to_numpy()]
    pos = fw > 0
    base = np.zeros((2 * nr, live.size))
    base[np.arange(2 * nr), np.r_[codes, codes]] = 1.0
    xc = fit_rows[covs].to_numpy(float)
    exog = np.column_stack([base, np.r_[xc, xc]])[pos]
    names = [f"interval_{j}" for j in live] + covs
    exog = pd.DataFrame(exog, columns=names)
    # collinearity among the covariates or with the baseline (a constant): rank of the distinct
    # patterns with an intercept column
    pats = np.unique(xc, axis=0)
    if np.linalg.matrix_rank(np.column_stack([np.ones(len(pats)), pats])) < len(covs) + 1:
        raise ValidationError(
            f"the covariates {covs} are collinear with each other or with the interval "
            "baseline (e.g. constant, or a full set of dummies); drop one.")
    lk = families.links.CLogLog() if link == "cloglog" else families.links.Logit()
    model = GLM(y[pos], exog, family=families.Binomial(link=lk), freq_weights=fw[pos])
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            res = model.fit(maxiter=maxiter, tol=1e-10)
        except (ConvergenceWarning, PerfectSeparationWarning, np.linalg.LinAlgError) as exc:
            raise ConvergenceError(
                f"discrete-time survival ({link}) did not converge ({str(exc).splitlines()[0]}). "
                "Remedies: widen the intervals (width=) so that each has events and survivors, "
                "merge sparse covariate levels, drop covariates that separate events perfectly, "
                "or raise maxiter."
            ) from None
    params = res.params
    bse = res.bse
    # |log hazard ratio| > 20 or a standard error > 50: the estimate is running to infinity
    if not (np.all(np.isfinite(params)) and np.all(np.isfinite(bse))) or np.any(
        (np.abs(params[covs]) > 20) | (bse[covs] > 50)
    ):
        raise ConvergenceError(
            f"discrete-time survival ({link}): estimates are not finite or run away "
            f"({params[covs].round(3).to_dict()}); a covariate separates events perfectly. "
            "Merge sparse levels or drop it.")
    z = stats.norm.ppf(1 - alpha / 2)
    beta, se = params[covs].to_numpy(), bse[covs].to_numpy()
    table = pd.DataFrame({
        "coef": beta, "se": se, "ci_low": beta - z * se, "ci_high": beta + z * se,
        "z": beta / se, "pvalue": 2 * stats.norm.sf(np.abs(beta / se)),
    }, index=pd.Index(covs, name="covariate"))
    table["hazard_ratio" if link == "cloglog" else "odds_ratio"] = np.exp(beta)
    # baseline interval hazard at x = 0
    a = pd.Series(params.iloc[: live.size].to_numpy(), index=live)
    edges = np.asarray(pp.attrs["edges"])
    edges[0] = edges[0] if np.isfinite(edges[0]) else edges[1]
    eta = a.reindex(tot.index).to_numpy()
    with np.errstate(over="ignore"):
        h0 = 1.0 - np.exp(-np.exp(eta)) if link == "cloglog" else 1.0 / (1.0 + np.exp(-eta))
    h0 = np.where(full, 1.0, np.where(np.isnan(h0), 0.0, h0))
    baseline = pd.DataFrame({
        "start": edges[tot.index.to_numpy() - 1], "stop": edges[tot.index.to_numpy()],
        "hazard": h0, "survival": np.cumprod(1.0 - h0),
        "n_at_risk": tot["n_at_risk"].to_numpy(), "n_events": tot["n_events"].to_numpy(),
    }, index=pd.Index(tot.index.to_numpy(), name="interval"))
    return DiscreteTimeResult(
        link, table, baseline, float(res.llf), float(pp.attrs["n_customers"]),
        float(pp.attrs["n_events"]), nr, alpha, res)
