"""Contractual retention: the shifted-beta-geometric (sBG) model.

Each customer renews at the end of every period with probability ``1 - theta`` until the first
non-renewal; the churn probability ``theta`` varies across customers as ``Beta(alpha, beta)``.
Survival after ``t`` periods is ``S(t) = B(alpha, beta + t) / B(alpha, beta)``.

References
----------
* Fader & Hardie (2007), "How to project customer retention", J. Interactive Marketing 21(1),
  76-90: the model, the maximum-likelihood fit on cohort survivor counts and the
  "regular"/"high end" data reproduced in the tests.
* Fader & Hardie (2010), "Customer-base valuation in a contractual setting: the perils of
  ignoring heterogeneity", Marketing Science 29(1), 85-93: discounted expected residual lifetime
  (DERL).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import axis
from cjmodels.survival._base import maximise
from cjmodels.survival._inputs import as_array
from cjmodels.survival.btyd import _CountModel
from cjmodels.survival.closed_forms import sbg_retention_rate, sbg_survival

__all__ = ["ShiftedBetaGeometricModel"]


class ShiftedBetaGeometricModel(_CountModel):
    """The sBG model of Fader & Hardie (2007) for cohort retention in discrete periods.

    Fit either on the survivor counts of one cohort (``fit_survivors``) or on per-customer
    lifetimes in whole periods with a churn flag (``fit``).

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty: the fit maximises ``log_likelihood - penalizer * sum(theta**2)`` over the
        parameters ``theta`` (natural scale, total rather than mean log-likelihood); 0 is plain
        maximum likelihood. The reported log-likelihood excludes the penalty.
    initial_params : mapping of str to float, optional
        Starting values of the optimiser by parameter name (every one of ``alpha``, ``beta``, positive);
        ``None`` starts each at 1.
    maxiter : int, default 1000
        Iteration limit of the optimiser (BFGS on the log scale of the parameters).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals in :meth:`summary` (formed on the log scale,
        so they stay positive).

    Examples
    --------
    >>> regular = [1000, 631, 468, 382, 326, 289, 262, 241]
    >>> m = ShiftedBetaGeometricModel().fit_survivors(regular)
    >>> m.summary()["estimate"].round(3).tolist()
    [0.704, 1.182]
    >>> round(m.result_.log_likelihood, 2)
    -1680.27
    """

    model_name = "sBG"
    param_names = ("alpha", "beta")
    default_init = (1.0, 1.0)

    def fit_survivors(self, survivors: Any) -> ShiftedBetaGeometricModel:
        """Fit on the number of customers alive at the start of periods 0, 1, ..., k.

        Parameters
        ----------
        survivors : array-like of int
            ``survivors[0]`` is the cohort size; ``survivors[t]`` the number still active after
            ``t`` renewal opportunities. Non-increasing integers, at least two of them.

        Returns
        -------
        self
            With ``result_`` (a :class:`~cjmodels.survival.ParameterFit`); ``n_customers`` is
            the cohort size.

        Raises
        ------
        ValidationError
            If the counts are not integers, increase, or the cohort size is not positive.

        Examples
        --------
        >>> m = ShiftedBetaGeometricModel().fit_survivors([1000, 631, 468, 382, 326])
        >>> m.result_.n_customers
        1000.0
        """
        self.result_ = None
        s = as_array(survivors, "survivors", integer=True)
        if s.size < 2:
            raise ValidationError("survivors needs the cohort size and at least one more period.")
        if s[0] <= 0:
            raise ValidationError("survivors[0] (the cohort size) must be positive.")
        if np.any(np.diff(s) > 0):
            i = int(np.flatnonzero(np.diff(s) > 0)[0]) + 1
            raise ValidationError(
                f"survivors must not increase: survivors[{i}] == {s[i]:g} > survivors[{i - 1}] "
                f"== {s[i - 1]:g}. Give one cohort's counts of active customers per period."
            )
        k = s.size - 1
        periods = np.r_[np.arange(1, k + 1), k]
        churned = np.r_[np.ones(k), 0.0]
        weights = np.r_[-np.diff(s), s[-1]]
        return self._fit(periods, churned, weights)

    def fit(
        self,
        data: pd.DataFrame,
        *,
        periods: str = "periods",
        event: str = "event",
        weight: str | None = None,
    ) -> ShiftedBetaGeometricModel:
        """Fit on one row per customer.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer: ``periods`` paid for (an integer >= 1 when churned;
            completed periods >= 0 when still active) and ``event`` (1 churned, 0 active).
        periods, event : str
            Column names.
        weight : str, optional
            Column of counts of identical customers.

        Returns
        -------
        self
            With ``result_`` (a :class:`~cjmodels.survival.ParameterFit`).

        Examples
        --------
        >>> d = pd.DataFrame({"periods": [1, 1, 2, 3, 3, 4, 4], "event": [1, 1, 1, 1, 0, 0, 0]})
        >>> round(ShiftedBetaGeometricModel().fit(d).result_.n_customers)
        7
        """
        self.result_ = None
        if not isinstance(data, pd.DataFrame):
            raise ValidationError("sBG: data must be a DataFrame with one row per customer.")
        missing = [c for c in (periods, event) if c not in data.columns]
        if missing:
            raise ValidationError(f"sBG: data lacks columns {missing}.")
        t = as_array(data[periods], f"column {periods!r}", integer=True)
        e = as_array(data[event], f"column {event!r}", integer=True)
        if np.any(e > 1):
            raise ValidationError(f"column {event!r} must be 0 (active) or 1 (churned).")
        if np.any((e == 1) & (t < 1)):
            raise ValidationError(
                f"sBG: churned customers need {periods!r} >= 1 (a churn ends a paid period)."
            )
        if weight is not None and weight not in data.columns:
            raise ValidationError(f"sBG: weight column {weight!r} is not in the data.")
        w = np.ones(len(t)) if weight is None else as_array(data[weight], f"column {weight!r}")
        return self._fit(t, e, w)

    def _fit(self, t: np.ndarray, e: np.ndarray, w: np.ndarray) -> ShiftedBetaGeometricModel:
        self._start_fit()

        def fun(theta: np.ndarray) -> float:
            a, b = theta
            lb = special.betaln(a, b)
            # P(T = t) = B(a + 1, b + t - 1) / B(a, b); P(T > t) = B(a, b + t) / B(a, b)
            with np.errstate(invalid="ignore"):
                churn = special.betaln(a + 1.0, b + t - 1.0) - lb
            alive = special.betaln(a, b + t) - lb
            return float(w @ np.where(e == 1, churn, alive))

        self.result_ = maximise(
            fun, self._x0(), self.param_names, self.model_name, n_obs=float(w.sum()),
            penalizer=float(self.penalizer), maxiter=self.maxiter, alpha=self.alpha,
        )
        return self

    def survival(self, t: Any) -> np.ndarray:
        """S(t) = B(alpha, beta + t) / B(alpha, beta): the share still active after t periods.

        Parameters
        ----------
        t : float or array-like of float
            Periods (renewal opportunities) since acquisition, >= 0.

        Returns
        -------
        numpy.ndarray
            Survival at each ``t`` (1 at ``t = 0``).

        Examples
        --------
        >>> m = ShiftedBetaGeometricModel.from_params({"alpha": 0.704, "beta": 1.182})
        >>> m.survival([0, 1, 7]).round(3).tolist()
        [1.0, 0.627, 0.239]
        """
        p = self._p()
        return sbg_survival(as_array(t, "t"), p["alpha"], p["beta"])

    def retention_rate(self, t: Any) -> np.ndarray:
        """Retention rate ``r(t) = S(t) / S(t - 1) = (beta + t - 1) / (alpha + beta + t - 1)``.

        The share of those active after ``t - 1`` periods who renew at period ``t``; it rises
        with ``t`` because the customers most likely to churn leave first.

        Parameters
        ----------
        t : float or array-like of float
            Periods, >= 1.

        Returns
        -------
        numpy.ndarray
            Retention rate at each ``t``.
        """
        p = self._p()
        return sbg_retention_rate(as_array(t, "t"), p["alpha"], p["beta"])

    def project(self, horizon: int, cohort_size: float = 1000.0) -> pd.DataFrame:
        """Expected survivors of a cohort of ``cohort_size`` at periods 0..``horizon``.

        Parameters
        ----------
        horizon : int
            Last period to project (>= 0).
        cohort_size : float, default 1000.0
            Customers at period 0.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``period`` (0..``horizon``): ``survival``, ``survivors``
            (``cohort_size * survival``) and ``retention_rate`` (``NaN`` at period 0).

        Examples
        --------
        >>> m = ShiftedBetaGeometricModel.from_params({"alpha": 0.704, "beta": 1.182})
        >>> m.project(2)["survivors"].round(0).tolist()
        [1000.0, 627.0, 474.0]
        """
        check_scalar(horizon, "horizon", typ=int, ge=0)
        check_scalar(cohort_size, "cohort_size", typ=float, gt=0)
        t = np.arange(horizon + 1, dtype=float)
        s = self.survival(t)
        return pd.DataFrame(
            {
                "survival": s,
                "survivors": cohort_size * s,
                "retention_rate": np.r_[np.nan, self.retention_rate(t[1:])],
            },
            index=pd.Index(t.astype(int), name="period"),
        )

    def derl(self, discount_rate: float, renewals: Any = 0) -> np.ndarray:
        """Discounted expected residual lifetime, in payments, of a customer after ``renewals`` renewals.

        Evaluated just before the next renewal decision (Fader & Hardie 2010, eq. 6):
        ``DERL = (beta + n) / (alpha + beta + n) * 2F1(1, beta + n + 1; alpha + beta + n + 1;
        1 / (1 + d))`` with ``n = renewals``; that is ``sum_{k >= 0} P(renews k + 1 more times |
        survived n) / (1 + d)^k``: the payment at the imminent renewal is undiscounted, each
        later one is discounted by ``1 / (1 + d)`` per period. Multiply by the margin per period
        for a residual value.

        Parameters
        ----------
        discount_rate : float
            Discount rate ``d`` per period (> 0).
        renewals : int or array-like of int, default 0
            Renewals ``n`` made so far.

        Returns
        -------
        numpy.ndarray
            DERL for each value of ``renewals``.

        Examples
        --------
        >>> m = ShiftedBetaGeometricModel.from_params({"alpha": 0.704, "beta": 1.182})
        >>> m.derl(0.1, [0, 4]).round(2).tolist()
        [2.96, 5.89]
        """
        check_scalar(discount_rate, "discount_rate", typ=float, gt=0)
        p = self._p()
        a, b = p["alpha"], p["beta"]
        n = as_array(renewals, "renewals", integer=True)
        z = 1.0 / (1.0 + discount_rate)
        out = (b + n) / (a + b + n) * special.hyp2f1(1.0, b + n + 1.0, a + b + n + 1.0, z)
        bad = ~np.isfinite(out)
        if bad.any():  # very large alpha, beta: sum the (geometrically convergent) series
            k = np.arange(int(np.ceil(40.0 / -np.log(z))) + 1)[None, :]
            nb = n[bad][:, None]
            # term k = S(n + 1 + k) / S(n) z^k
            log_terms = np.cumsum(np.log((b + nb + k) / (a + b + nb + k)), axis=1) + k * np.log(z)
            out[bad] = np.exp(log_terms).sum(axis=1)
        return out

    def plot(self, ax: Any = None, *, survivors: Any = None, horizon: int | None = None) -> Any:
        """Projected survival up to ``horizon`` periods, with observed survivors as points.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axis to draw on; a new figure's axis when ``None``.
        survivors : array-like of int, optional
            Observed survivor counts of the cohort (as for :meth:`fit_survivors`), drawn as
            shares of ``survivors[0]``.
        horizon : int, optional
            Last period of the projection; default the last observed period, or 12 without
            ``survivors``.

        Returns
        -------
        matplotlib.axes.Axes
            The axis drawn on.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> m = ShiftedBetaGeometricModel().fit_survivors([1000, 631, 468, 382, 326])
        >>> ax = m.plot(survivors=[1000, 631, 468, 382, 326], horizon=8)
        """
        self._check_fitted()
        ax = axis(ax)
        obs = None if survivors is None else as_array(survivors, "survivors")
        k = horizon if horizon is not None else (len(obs) - 1 if obs is not None else 12)
        proj = self.project(int(k))
        ax.plot(proj.index, proj["survival"], label="sBG projection")
        if obs is not None:
            ax.plot(np.arange(len(obs)), obs / obs[0], "o", label="observed")
        ax.set(xlabel="period", ylabel="share still active")
        ax.legend()
        return ax
