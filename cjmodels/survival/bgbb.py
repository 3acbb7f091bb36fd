"""Discrete-time non-contractual repeat buying: the BG/BB model.

Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
setting", Marketing Science 29(6), 1086-1108. Fitting, standard errors and the estimator
interface are those of the other customer-base models (:mod:`.btyd`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.survival._base import maximise
from cjmodels.survival._inputs import as_array, case_weights, compress
from cjmodels.survival.btyd import _CountModel

__all__ = ["BGBBModel"]


class BGBBModel(_CountModel):
    """The beta-geometric/beta-Bernoulli model of Fader, Hardie & Shang (2010).

    Discrete purchase (or donation, visit) opportunities: while alive, a customer transacts at
    each opportunity with probability ``p ~ Beta(alpha, beta)``; at the start of each later
    opportunity they die with probability ``theta ~ Beta(gamma, delta)``. Data per customer:
    ``frequency`` x (transactions in the ``n`` opportunities after the first), ``recency``
    t_x (the opportunity of the last transaction, 0 if none) and ``n_periods`` n.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty: the fit maximises ``log_likelihood - penalizer * sum(theta**2)`` over the
        parameters ``theta`` (natural scale, total rather than mean log-likelihood); 0 is plain
        maximum likelihood. The reported log-likelihood excludes the penalty.
    initial_params : mapping of str to float, optional
        Starting values of the optimiser by parameter name (every one of ``alpha``, ``beta``, ``gamma``, ``delta``, positive);
        ``None`` starts each at 1.
    maxiter : int, default 1000
        Iteration limit of the optimiser (BFGS on the log scale of the parameters).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals in :meth:`summary` (formed on the log scale,
        so they stay positive).

    Examples
    --------
    >>> m = BGBBModel.from_params({"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783})
    >>> m.prob_alive(6, 6, 6).round(3).tolist()
    [0.93]
    """

    model_name = "BG/BB"
    param_names = ("alpha", "beta", "gamma", "delta")
    default_init = (1.0, 1.0, 1.0, 1.0)

    @staticmethod
    def _check(x: np.ndarray, tx: np.ndarray, n: np.ndarray) -> None:
        bad = (x > tx) | (tx > n) | ((x == 0) & (tx > 0)) | ((x > 0) & (tx == 0))
        if bad.any():
            rows = np.flatnonzero(bad)[:5].tolist()
            raise ValidationError(
                f"BG/BB: {int(bad.sum())} rows (first {rows}) break 0 <= frequency <= recency "
                "<= n_periods with recency == 0 exactly when frequency == 0."
            )

    def _columns(self, data, frequency, recency, n_periods, weight):
        if not isinstance(data, pd.DataFrame):
            raise ValidationError("BG/BB: data must be a DataFrame with one row per customer.")
        missing = [c for c in (frequency, recency, n_periods) if c not in data.columns]
        if missing:
            raise ValidationError(f"BG/BB: data lacks columns {missing}.")
        x = as_array(data[frequency], f"column {frequency!r}", integer=True)
        tx = as_array(data[recency], f"column {recency!r}", integer=True)
        n = as_array(data[n_periods], f"column {n_periods!r}", integer=True, allow_zero=False)
        w = case_weights(data, weight, len(x))
        self._check(x, tx, n)
        return x, tx, n, w

    def fit(
        self,
        data: pd.DataFrame,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        n_periods: str = "n_periods",
        weight: str | Sequence[float] | None = None,
    ) -> BGBBModel:
        """Fit by maximum likelihood.

        Parameters
        ----------
        data : pandas.DataFrame
            One row per customer (or per group of identical customers, with ``weight``):
            ``frequency`` (transactions in the opportunities after the first), ``recency``
            (the opportunity of the last transaction, 0 if none) and ``n_periods``.
        frequency, recency, n_periods : str
            Column names.
        weight : str or array-like, optional
            Column name or values: how many identical customers each row stands for.

        Returns
        -------
        self
            With ``result_``, a :class:`~cjmodels.survival.ParameterFit`.

        Examples
        --------
        >>> d = pd.DataFrame({"frequency": [6, 5, 0, 3, 1, 2], "recency": [6, 6, 0, 5, 1, 4],
        ...                   "n_periods": 6, "count": [100, 60, 300, 40, 80, 50]})
        >>> BGBBModel().fit(d, weight="count").result_.n_customers
        630.0
        """
        self._start_fit()
        x, tx, n, w = self._columns(data, frequency, recency, n_periods, weight)
        (x, tx, n), w = compress(x, tx, n, weights=w)
        fun = self._make_loglik(x, tx, n, w)
        self.result_ = maximise(
            fun, self._x0(), self.param_names, self.model_name, n_obs=float(w.sum()),
            penalizer=float(self.penalizer), maxiter=self.maxiter, alpha=self.alpha,
        )
        return self

    @staticmethod
    def _individual(theta, x, tx, n):
        alpha, beta, gamma, delta = theta
        lb_ab = special.betaln(alpha, beta)
        lb_gd = special.betaln(gamma, delta)
        first = (
            special.betaln(alpha + x, beta + n - x) - lb_ab
            + special.betaln(gamma, delta + n) - lb_gd
        )
        k_max = int(np.max(n - tx)) if len(n) else 0
        i = np.arange(k_max)[None, :]
        valid = i < (n - tx)[:, None]
        terms = (
            special.betaln(alpha + x[:, None], beta + tx[:, None] - x[:, None] + i) - lb_ab
            + special.betaln(gamma + 1.0, delta + tx[:, None] + i) - lb_gd
        )
        terms = np.where(valid, terms, -np.inf)
        if k_max == 0:
            return first
        return np.logaddexp(first, special.logsumexp(terms, axis=1))

    def _make_loglik(self, x, tx, n, w):
        def fun(theta: np.ndarray) -> float:
            return float(w @ self._individual(theta, x, tx, n))

        return fun

    def prob_alive(
        self, frequency: Any, recency: Any, n_periods: Any, m_periods: int = 1
    ) -> np.ndarray:
        """P(alive at opportunity n + m | x, t_x, n) of each customer.

        ``m_periods=1`` (the default) is eq. (11) of Fader, Hardie & Shang (2010), the
        probability of being alive at the next opportunity; ``m_periods=0`` the probability of
        being alive at ``n``.

        Parameters
        ----------
        frequency : array-like of int
            Transactions ``x`` in the ``n`` opportunities after the first.
        recency : array-like of int
            Opportunity ``t_x`` of the last transaction (0 when ``x == 0``).
        n_periods : array-like of int
            Number ``n`` of opportunities after the first (``x <= t_x <= n``).
        m_periods : int, default 1
            Opportunities ahead (>= 0).

        Returns
        -------
        numpy.ndarray
            One probability per customer.

        Raises
        ------
        ValidationError
            If a row breaks ``0 <= x <= t_x <= n`` with ``t_x == 0`` exactly when ``x == 0``.
        """
        check_scalar(m_periods, "m_periods", typ=int, ge=0)
        p = self._p()
        df = pd.DataFrame(
            {
                "x": np.atleast_1d(frequency),
                "tx": np.atleast_1d(recency),
                "n": np.atleast_1d(n_periods),
            }
        )
        x, tx, n, _ = self._columns(df, "x", "tx", "n", None)
        theta = np.array([p[k] for k in self.param_names])
        alpha, beta, gamma, delta = theta
        num = (
            special.betaln(alpha + x, beta + n - x) - special.betaln(alpha, beta)
            + special.betaln(gamma, delta + n + m_periods) - special.betaln(gamma, delta)
        )
        return np.exp(num - self._individual(theta, x, tx, n))

    def expected_transactions(self, n: Any) -> np.ndarray:
        """Unconditional expected transactions in the first ``n`` opportunities, FHS eq. (8).

        For a customer drawn from the population, counting the opportunities after the first.

        Parameters
        ----------
        n : int or array-like of int
            Numbers of opportunities (>= 0).

        Returns
        -------
        numpy.ndarray
            Expected transactions in each number of opportunities.
        """
        p = self._p()
        n = as_array(n, "n")
        alpha, beta, gamma, delta = (p[k] for k in self.param_names)
        lead = alpha / (alpha + beta) * delta / (gamma - 1.0)
        ratio = np.exp(
            special.gammaln(gamma + delta) - special.gammaln(gamma + delta + n)
            + special.gammaln(1.0 + delta + n) - special.gammaln(1.0 + delta)
        )
        return lead * (1.0 - ratio)

    def conditional_expected_transactions(
        self, n_star: float, frequency: Any, recency: Any, n_periods: Any
    ) -> np.ndarray:
        """E[X(n, n + n*) | x, t_x, n]: expected transactions in the next ``n_star`` opportunities.

        Fader, Hardie & Shang (2010) eq. (13).

        Parameters
        ----------
        n_star : float
            Number of future opportunities (>= 0).
        frequency : array-like of int
            Transactions ``x`` in the ``n`` opportunities after the first.
        recency : array-like of int
            Opportunity ``t_x`` of the last transaction (0 when ``x == 0``).
        n_periods : array-like of int
            Number ``n`` of opportunities after the first (``x <= t_x <= n``).

        Returns
        -------
        numpy.ndarray
            Expected transactions of each customer in opportunities ``n + 1, ..., n + n_star``.
        """
        check_scalar(n_star, "n_star", typ=float, ge=0)
        p = self._p()
        alpha, beta, gamma, delta = (p[k] for k in self.param_names)
        x = np.atleast_1d(np.asarray(frequency, float))
        n = np.atleast_1d(np.asarray(n_periods, float))
        if abs(gamma - 1.0) < 1e-9:
            gamma = 1.0 + 1e-9  # removable singularity (the bracket vanishes too)
        lead = np.exp(
            special.betaln(alpha + x + 1.0, beta + n - x) - special.betaln(alpha, beta)
            + special.gammaln(gamma + delta) - special.gammaln(1.0 + delta)
        ) * (delta / (gamma - 1.0))
        bracket = np.exp(
            special.gammaln(1.0 + delta + n) - special.gammaln(gamma + delta + n)
        ) - np.exp(
            special.gammaln(1.0 + delta + n + n_star)
            - special.gammaln(gamma + delta + n + n_star)
        )
        lik = np.exp(self._individual(np.array([alpha, beta, gamma, delta]), x,
                                      np.atleast_1d(np.asarray(recency, float)), n))
        return lead * bracket / lik
