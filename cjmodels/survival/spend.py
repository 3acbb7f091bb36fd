"""Spend per transaction (gamma-gamma) and discounted customer lifetime value.

References
----------
* Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves for customer base
  analysis", J. Marketing Research 42(4), 415-430; Fader & Hardie (2013), "The gamma-gamma
  model of monetary value" (note): the likelihood and the conditional expectation of spend.
* Colombo & Jiang (1999), "A stochastic RFM model", J. Interactive Marketing 13(3).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from cjmodels._checks import check_scalar
from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError
from cjmodels.survival._inputs import as_array, case_weights, compress, rfm_arrays
from cjmodels.survival.btyd import _CountModel, _FrequencyRecencyModel
from cjmodels.survival.closed_forms import gamma_gamma_mean_spend

__all__ = ["GammaGammaModel", "customer_lifetime_value"]


class GammaGammaModel(_CountModel):
    """The gamma-gamma model of spend per transaction.

    Each transaction value is ``Gamma(p, rate nu)``, with ``nu ~ Gamma(q, rate gamma)`` across
    customers, so that a customer's mean spend is ``p / nu``. It is fitted on customers with at
    least one repeat purchase, from their number of repeat purchases ``x`` and mean repeat spend
    ``m`` (``monetary_value`` of :func:`cjmodels.data.rfm_summary`). The model assumes that spend
    is independent of the purchase process: check that ``corr(frequency, monetary_value)`` is
    small before using it for CLV.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty: the fit maximises ``log_likelihood - penalizer * sum(theta**2)`` over the
        parameters ``theta`` (natural scale, total rather than mean log-likelihood); 0 is plain
        maximum likelihood. The reported log-likelihood excludes the penalty.
    initial_params : mapping of str to float, optional
        Starting values of the optimiser by parameter name (every one of ``p``, ``q``, ``gamma``, positive);
        ``None`` starts each at 1.
    maxiter : int, default 1000
        Iteration limit of the optimiser (BFGS on the log scale of the parameters).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals in :meth:`summary` (formed on the log scale,
        so they stay positive).

    Examples
    --------
    >>> m = GammaGammaModel.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    >>> m.conditional_expected_spend(2, 22.35).round(2).tolist()
    [24.66]
    """

    model_name = "gamma-gamma"
    param_names = ("p", "q", "gamma")
    default_init = (1.0, 1.0, 1.0)

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        monetary_value: str = "monetary_value",
        weight: str | Sequence[float] | None = None,
        **rfm_options: Any,
    ) -> GammaGammaModel:
        """Fit by maximum likelihood on the customers with ``frequency > 0``.

        Customers without repeat purchases carry no information on spend and are left out
        (their number is ``result_.n_excluded``). A positive ``frequency`` with a
        ``monetary_value`` of 0 or less is an error (the gamma distribution has positive
        support).

        Parameters
        ----------
        data : pandas.DataFrame or EventLog
            The RFM table: one row per customer with ``frequency`` (repeat purchases) and
            ``monetary_value`` (mean repeat spend), as :func:`cjmodels.data.rfm_summary`
            returns for a log with a value column; or an event log, reduced with
            ``rfm_summary(data, **rfm_options)``.
        frequency, monetary_value : str
            Column names.
        weight : str or array-like, optional
            Column name or values: how many identical customers each row stands for.
        **rfm_options
            Options of :func:`cjmodels.data.rfm_summary` (e.g. ``unit="W"``), only when
            ``data`` is an event log.

        Returns
        -------
        self
            With ``result_`` (a :class:`~cjmodels.survival.ParameterFit`).

        Examples
        --------
        >>> d = pd.DataFrame({"frequency": [1, 2, 3, 0, 5, 2, 1, 4],
        ...                   "monetary_value": [20.0, 35.5, 18.2, 0.0, 25.1, 60.3, 12.0, 30.0]})
        >>> GammaGammaModel().fit(d).result_.n_excluded
        1.0
        """
        self._start_fit()
        if isinstance(data, EventLog):
            from cjmodels.data import rfm_summary

            data = rfm_summary(data, **rfm_options)
        elif rfm_options:
            raise ValidationError(
                f"rfm options {sorted(rfm_options)} apply only when data is an EventLog; this "
                "data is a summary table already."
            )
        if not isinstance(data, pd.DataFrame):
            raise ValidationError("gamma-gamma: data must be a DataFrame (see rfm_summary).")
        missing = [c for c in (frequency, monetary_value) if c not in data.columns]
        if missing:
            raise ValidationError(
                f"gamma-gamma: data lacks columns {missing}; rfm_summary gives "
                "'monetary_value' when the log has a value column."
            )
        x = as_array(data[frequency], f"column {frequency!r}", integer=True)
        m = as_array(data[monetary_value], f"column {monetary_value!r}")
        w = case_weights(data, weight, len(x))
        bad = (x > 0) & (m <= 0)
        if bad.any():
            raise ValidationError(
                f"gamma-gamma: {int(bad.sum())} customers with repeat purchases have "
                f"monetary_value <= 0 (rows {np.flatnonzero(bad)[:5].tolist()}); spend must be "
                "positive. Drop refunds or zero-value orders first."
            )
        keep = x > 0
        if not keep.any():
            raise ValidationError("gamma-gamma: no customer has a repeat purchase.")
        n_excluded = float(w[~keep].sum())
        (x, m), w = compress(x[keep], m[keep], weights=w[keep])
        from cjmodels.survival._base import maximise

        def fun(theta: np.ndarray) -> float:
            p, q, g = theta
            px = p * x
            ll = (
                special.gammaln(px + q) - special.gammaln(px) - special.gammaln(q)
                + q * np.log(g) + (px - 1.0) * np.log(m) + px * np.log(x)
                - (px + q) * np.log(g + m * x)
            )
            return float(w @ ll)

        fit = maximise(
            fun, self._x0(), self.param_names, self.model_name, n_obs=float(w.sum()),
            penalizer=float(self.penalizer), maxiter=self.maxiter, alpha=self.alpha,
        )
        self.result_ = dataclasses.replace(fit, n_excluded=n_excluded)
        return self

    def conditional_expected_spend(self, frequency: Any, monetary_value: Any) -> np.ndarray:
        """Expected mean spend per transaction of each customer, given their history.

        ``E[mean spend | x, m] = (gamma + m x) p / (p x + q - 1)``: a weighted average of the
        population mean ``p gamma / (q - 1)`` and the customer's own mean ``m``, the more
        weight on ``m`` the more repeat purchases. Customers with ``x == 0`` get the
        population mean.

        Parameters
        ----------
        frequency : array-like of int
            Repeat purchases ``x``.
        monetary_value : array-like of float
            Mean spend ``m`` of the repeat purchases (ignored when ``x == 0``).

        Returns
        -------
        numpy.ndarray
            Expected mean spend per transaction of each customer.

        Raises
        ------
        ValidationError
            If ``q <= 1`` (the mean spend is infinite).
        """
        par = self._p()
        p, q, g = par["p"], par["q"], par["gamma"]
        if q <= 1:
            raise ValidationError(
                f"gamma-gamma: q == {q:.4g} <= 1, so mean spend is infinite; the data have too "
                "heavy a tail for this model."
            )
        x = as_array(frequency, "frequency", integer=True)
        m = as_array(monetary_value, "monetary_value")
        return (g + m * x) * p / (p * x + q - 1.0)

    def expected_spend(self) -> float:
        """Population mean spend per transaction, ``p gamma / (q - 1)``.

        Returns
        -------
        float
            The mean over customers of the mean spend ``p / nu`` (infinite when ``q <= 1``).
        """
        par = self._p()
        return float(gamma_gamma_mean_spend(par["p"], par["q"], par["gamma"]))


def customer_lifetime_value(
    data: pd.DataFrame,
    transactions_model: _FrequencyRecencyModel,
    spend_model: GammaGammaModel,
    *,
    horizon: int = 12,
    period: float = 4.345,
    discount_rate: float = 0.01,
    frequency: str = "frequency",
    recency: str = "recency",
    T: str = "T",
    monetary_value: str = "monetary_value",
) -> pd.DataFrame:
    """Discounted expected value of each customer's purchases over the next ``horizon`` periods.

    ``CLV = sum_{i=1..horizon} (E[Y(i * period)] - E[Y((i - 1) * period)]) * E[spend]
    / (1 + discount_rate)^i``, with ``E[Y(t) | x, t_x, T]`` from ``transactions_model`` and
    the expected spend from ``spend_model`` (the discrete-time approximation used by
    ``lifetimes.GammaGammaFitter.customer_lifetime_value``; with ``period=4.345`` weeks and the
    model in weeks the periods are months).

    Parameters
    ----------
    data : pandas.DataFrame
        The RFM table: frequency, recency, T and monetary_value columns.
    transactions_model : BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel
        Fitted (or :meth:`from_params`) purchase model, in the time unit of ``recency``/``T``.
    spend_model : GammaGammaModel
        Fitted (or :meth:`from_params`) spend model.
    horizon : int, default 12
        Number of discounting periods.
    period : float, default 4.345
        Length of one period in the model's time unit (4.345 weeks: a month).
    discount_rate : float, default 0.01
        Discount rate per period (0.01 a month is about 12.7% a year).
    frequency, recency, T, monetary_value : str
        Column names of repeat purchases, recency, age and mean repeat spend in ``data``.

    Returns
    -------
    pandas.DataFrame
        Index of ``data``; columns ``expected_transactions`` (over the horizon),
        ``expected_spend`` and ``clv``.

    Examples
    --------
    >>> from cjmodels.survival import BetaGeoModel
    >>> bg = BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
    >>> gg = GammaGammaModel.from_params({"p": 6.25, "q": 3.74, "gamma": 15.44})
    >>> d = pd.DataFrame({"frequency": [2], "recency": [30.43], "T": [38.86],
    ...                   "monetary_value": [22.35]})
    >>> round(float(customer_lifetime_value(d, bg, gg, horizon=12)["clv"].iloc[0]), 2)
    36.29
    """
    if not isinstance(transactions_model, _FrequencyRecencyModel):
        raise ValidationError(
            "transactions_model must be a BetaGeoModel, ModifiedBetaGeoModel or ParetoNBDModel."
        )
    if not isinstance(spend_model, GammaGammaModel):
        raise ValidationError("spend_model must be a GammaGammaModel.")
    check_scalar(horizon, "horizon", typ=int, ge=1)
    check_scalar(period, "period", typ=float, gt=0)
    check_scalar(discount_rate, "discount_rate", typ=float, ge=0)
    x, tx, big_t, _ = rfm_arrays(data, frequency=frequency, recency=recency, T=T)
    if monetary_value not in data.columns:
        raise ValidationError(f"data lacks the column {monetary_value!r}.")
    spend = spend_model.conditional_expected_spend(x, data[monetary_value].to_numpy(float))
    clv = np.zeros(len(x))
    prev = np.zeros(len(x))
    for i in range(1, horizon + 1):
        cur = transactions_model.conditional_expected_transactions(i * period, x, tx, big_t)
        clv += (cur - prev) * spend / (1.0 + discount_rate) ** i
        prev = cur
    return pd.DataFrame(
        {"expected_transactions": prev, "expected_spend": spend, "clv": clv}, index=data.index
    )
