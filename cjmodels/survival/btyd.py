"""Non-contractual repeat buying: BG/NBD, MBG/NBD and Pareto/NBD (BG/BB: :mod:`.bgbb`).

The "buy till you die" models of customer-base analysis, with our own vectorised
log-likelihoods (analytic gradient for BG/NBD and MBG/NBD), maximum likelihood on the log scale
and standard errors from the observed information. Input is the per-customer summary of
:func:`cjmodels.data.rfm_summary` in the Fader-Hardie convention:

* ``frequency`` ``x``: number of *repeat* purchases (the first purchase is not counted);
* ``recency`` ``t_x``: time from the first to the last repeat purchase (0 when ``x == 0``);
* ``T``: time from the first purchase to the end of the calibration period;

all in one time unit (the CDNOW analyses use weeks), with an optional ``weight`` (counts of
identical customers). Identical rows are collapsed before fitting, so weights and repeated rows
give the same answer.

References
----------
* Fader, Hardie & Lee (2005), "'Counting your customers' the easy way: an alternative to the
  Pareto/NBD model", Marketing Science 24(2), 275-284 (BG/NBD).
* Batislam, Denizel & Filiztekin (2007), "Empirical validation and comparison of models for
  customer base analysis", IJRM 24(3), 201-209 (MBG/NBD).
* Schmittlein, Morrison & Colombo (1987), "Counting your customers: who are they and what will
  they do next?", Management Science 33(1); Fader & Hardie (2005), "A note on deriving the
  Pareto/NBD model and related expressions" (Pareto/NBD likelihood and P(alive)).
* Fader, Hardie & Shang (2010), "Customer-base analysis in a discrete-time noncontractual
  setting", Marketing Science 29(6), 1086-1108 (BG/BB).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from cjmodels._checks import check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import Estimator
from cjmodels.survival._base import ParameterFit, check_positive_params, maximise
from cjmodels.survival._inputs import as_array, compress, rfm_arrays
from cjmodels.survival.closed_forms import (
    bgnbd_expected_transactions,
    paretonbd_expected_transactions,
)

__all__ = ["BetaGeoModel", "ModifiedBetaGeoModel", "ParetoNBDModel"]


class _CountModel(Estimator):
    """Base class: fitting, parameters and summaries shared by the customer-base models.

    The fitted result ``result_`` is a :class:`~cjmodels.survival.ParameterFit` (estimates,
    standard errors, covariance, log-likelihood, number of customers); predictions read it.
    """

    model_name: ClassVar[str] = ""
    param_names: ClassVar[tuple[str, ...]] = ()
    default_init: ClassVar[tuple[float, ...]] = ()

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        initial_params: Mapping[str, float] | None = None,
        maxiter: int = 1000,
        alpha: float = 0.05,
    ) -> None:
        self.penalizer = penalizer
        self.initial_params = initial_params
        self.maxiter = maxiter
        self.alpha = alpha

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_params(cls, params: Mapping[str, float]) -> Any:
        """A model with given parameters (e.g. published estimates), ready for prediction.

        Its ``result_`` holds the parameters, with undefined (``nan``) standard errors and
        log-likelihood.

        Parameters
        ----------
        params : mapping of str to float
            A positive value for every parameter of the model (``param_names``: ``r``,
            ``alpha``, ``a``, ``b`` for BG/NBD and MBG/NBD; ``r``, ``alpha``, ``s``, ``beta`` for
            Pareto/NBD; ``alpha``, ``beta``, ``gamma``, ``delta`` for BG/BB; ``p``, ``q``,
            ``gamma`` for gamma-gamma; ``alpha``, ``beta`` for sBG).

        Returns
        -------
        model
            A new instance of the class (default hyperparameters) whose ``result_`` is
            :meth:`ParameterFit.given`.

        Raises
        ------
        ValidationError
            If a parameter is missing, not finite or not positive.

        Examples
        --------
        >>> m = BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
        >>> m.prob_alive(2, 30.43, 38.86).round(3).tolist()
        [0.727]
        """
        m = cls()
        m.result_ = ParameterFit.given(
            cls.model_name, check_positive_params(params, cls.param_names, cls.model_name)
        )
        return m

    def _check_hyper(self) -> None:
        check_scalar(self.penalizer, "penalizer", typ=float, ge=0)
        check_scalar(self.maxiter, "maxiter", typ=int, ge=1)
        check_scalar(self.alpha, "alpha", typ=float, gt=0, lt=1)

    def _x0(self) -> list[float]:
        if self.initial_params is None:
            return list(self.default_init)
        p = check_positive_params(self.initial_params, self.param_names, self.model_name)
        return [p[k] for k in self.param_names]

    def _start_fit(self) -> None:
        """Forget an earlier fit and check the hyperparameters (refits start afresh)."""
        self.result_ = None
        self._check_hyper()

    def _p(self) -> dict[str, float]:
        self._check_fitted()
        return {k: float(self.result_.params[k]) for k in self.param_names}


# ====================================================================== frequency-recency models
class _FrequencyRecencyModel(_CountModel, ABC):
    """Models of (frequency, recency, T) data: BG/NBD, MBG/NBD, Pareto/NBD."""

    def fit(
        self,
        data: Any,
        *,
        frequency: str = "frequency",
        recency: str = "recency",
        T: str = "T",
        weight: str | Sequence[float] | None = None,
        **rfm_options: Any,
    ) -> Any:
        """Fit by maximum likelihood.

        Parameters
        ----------
        data : pandas.DataFrame or EventLog
            The RFM table: one row per customer with the columns ``frequency`` (repeat
            purchases), ``recency`` and ``T`` (see :func:`cjmodels.data.rfm_summary`); or an
            event log, reduced with ``rfm_summary(data, **rfm_options)`` (e.g. ``unit="W",
            period="D"``).
        frequency, recency, T : str
            Column names.
        weight : str or array-like, optional
            Column name or values: how many identical customers each row stands for.
        **rfm_options
            Options of :func:`cjmodels.data.rfm_summary` (``unit``, ``period``,
            ``observation_end``, ...), only when ``data`` is an event log.

        Returns
        -------
        self
            With ``result_``, a :class:`~cjmodels.survival.ParameterFit` (estimates, ``se``,
            covariance, ``log_likelihood``, ``n_customers``).

        Raises
        ------
        ValidationError
            For a table that breaks the RFM conventions (recency after ``T``, a recency without
            repeat purchases, non-integer frequencies, missing values).
        ConvergenceError
            If maximum likelihood does not converge or the estimates run to the boundary; the
            message lists remedies (rescale time, ``initial_params``, a small ``penalizer``).

        Examples
        --------
        >>> from cjmodels.survival import ParetoNBDModel
        >>> from cjmodels.synthetic import simulate_transactions
        >>> rfm = simulate_transactions(300, random_state=3).customers
        >>> ParetoNBDModel().fit(rfm).result_.n_customers
        300.0
        """
        self._start_fit()
        x, tx, big_t, w = rfm_arrays(
            data, frequency=frequency, recency=recency, T=T, weight=weight,
            rfm_options=rfm_options,
        )
        (x, tx, big_t), w = compress(x, tx, big_t, weights=w)
        fun = self._make_loglik(x, tx, big_t, w)
        self.result_ = maximise(
            fun, self._x0(), self.param_names, self.model_name, jac=self._analytic_gradient,
            n_obs=float(w.sum()), penalizer=float(self.penalizer), maxiter=self.maxiter,
            alpha=self.alpha,
        )
        return self

    _analytic_gradient: ClassVar[bool] = False

    @abstractmethod
    def _make_loglik(self, x, tx, big_t, w):
        """The model's log-likelihood (and gradient) as a function of its parameters."""

    def log_likelihood(self, data: Any, **columns: Any) -> float:
        """Weighted log-likelihood of ``data`` under the current parameters.

        Parameters
        ----------
        data : pandas.DataFrame
            An RFM table (see :meth:`fit`), e.g. held-out customers.
        **columns : str
            Column names, as in :meth:`fit`: ``frequency=``, ``recency=``, ``T=`` and
            ``weight=``.

        Returns
        -------
        float
            The log-likelihood summed over the customers (weighted), without any penalty.
        """
        x, tx, big_t, w = rfm_arrays(data, **columns)
        theta = np.array([self._p()[k] for k in self.param_names])
        out = self._make_loglik(x, tx, big_t, w)(theta)
        return float(out[0] if isinstance(out, tuple) else out)

    def individual_log_likelihood(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """Log-likelihood of each customer under the current parameters.

        Parameters
        ----------
        frequency : array-like of int
            Repeat purchases ``x`` of each customer (the first purchase not counted).
        recency : array-like of float
            Time ``t_x`` from the first to the last repeat purchase (0 when ``x == 0``).
        T : array-like of float
            Age ``T``: time from the first purchase to the end of observation, in the unit of
            the fit; ``recency <= T``.

        Returns
        -------
        numpy.ndarray
            One log-likelihood per customer.
        """
        x, tx, big_t = self._arrays(frequency, recency, T)
        return self._individual_ll(x, tx, big_t)

    @staticmethod
    def _arrays(frequency: Any, recency: Any, T: Any) -> tuple[np.ndarray, ...]:
        df = pd.DataFrame(
            {
                "frequency": np.atleast_1d(np.asarray(frequency, dtype=float)),
                "recency": np.atleast_1d(np.asarray(recency, dtype=float)),
                "T": np.atleast_1d(np.asarray(T, dtype=float)),
            }
        )
        x, tx, big_t, _ = rfm_arrays(df)
        return x, tx, big_t

    def _individual_ll(self, x, tx, big_t):
        theta = np.array([self._p()[k] for k in self.param_names])
        out = []
        for i in range(len(x)):
            v = self._make_loglik(x[i : i + 1], tx[i : i + 1], big_t[i : i + 1], np.ones(1))(theta)
            out.append(v[0] if isinstance(v, tuple) else v)
        return np.asarray(out, dtype=float)

    def predict(self, data: Any, t: float, **columns: Any) -> pd.DataFrame:
        """``prob_alive`` and ``expected_transactions`` in the next ``t`` for each customer.

        Parameters
        ----------
        data : pandas.DataFrame
            An RFM table (see :meth:`fit`); its index is kept.
        t : float
            Length of the future period, in the time unit of the fit.
        **columns : str
            Other names of the columns ``frequency=``, ``recency=`` and ``T=``.

        Returns
        -------
        pandas.DataFrame
            Index of ``data``; columns ``prob_alive`` (:meth:`prob_alive`) and
            ``expected_transactions`` (:meth:`conditional_expected_transactions` over ``t``).
        """
        if not isinstance(data, pd.DataFrame):
            raise ValidationError(
                f"predict takes an RFM table (a DataFrame), got {type(data).__name__}: build it "
                "with cjmodels.data.rfm_summary(log, ...) with the options and time unit of the "
                "fit, so that t and the table are in the same unit."
            )
        cols = {"frequency": "frequency", "recency": "recency", "T": "T", **columns}
        x, tx, big_t, _ = rfm_arrays(data, **cols)
        return pd.DataFrame(
            {
                "prob_alive": self.prob_alive(x, tx, big_t),
                "expected_transactions": self.conditional_expected_transactions(
                    t, x, tx, big_t
                ),
            },
            index=data.index,
        )

    @abstractmethod
    def prob_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(alive | x, t_x, T)."""

    @abstractmethod
    def conditional_expected_transactions(
        self, t: float, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        """E[purchases in (T, T + t] | x, t_x, T]."""

    @abstractmethod
    def expected_transactions(self, t: Any) -> np.ndarray:
        """E[purchases in (0, t]] for a new customer."""


# ---------------------------------------------------------------------------- BG/NBD
class BetaGeoModel(_FrequencyRecencyModel):
    """The BG/NBD model of Fader, Hardie & Lee (2005).

    While alive, a customer buys at Poisson rate ``lambda ~ Gamma(r, rate alpha)``; after each
    repeat purchase they drop out with probability ``p ~ Beta(a, b)``.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty: the fit maximises ``log_likelihood - penalizer * sum(theta**2)`` over the
        parameters ``theta`` (natural scale, total rather than mean log-likelihood); 0 is plain
        maximum likelihood. The reported log-likelihood excludes the penalty.
    initial_params : mapping of str to float, optional
        Starting values of the optimiser by parameter name (every one of ``r``, ``alpha``, ``a``, ``b``, positive);
        ``None`` starts each at 1.
    maxiter : int, default 1000
        Iteration limit of the optimiser (BFGS on the log scale of the parameters).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals in :meth:`summary` (formed on the log scale,
        so they stay positive).

    Examples
    --------
    >>> from cjmodels.synthetic import simulate_transactions
    >>> w = simulate_transactions(500, random_state=3)
    >>> summary = w.customers[["frequency", "recency", "T"]]
    >>> m = BetaGeoModel().fit(summary)
    >>> sorted(m.result_.params.index)
    ['a', 'alpha', 'b', 'r']
    >>> m.prob_alive(0, 0, 30).round(3).tolist()
    [1.0]
    """

    model_name = "BG/NBD"
    param_names = ("r", "alpha", "a", "b")
    default_init = (1.0, 1.0, 1.0, 1.0)
    _analytic_gradient = True

    def _make_loglik(self, x, tx, big_t, w):
        pos = x > 0
        xu, inv = np.unique(x, return_inverse=True)
        wx = np.bincount(inv, weights=w)  # weight of each distinct frequency
        xp, txp, tp, wp = x[pos], tx[pos], big_t[pos], w[pos]
        xpm1 = xp - 1.0

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
            r, alpha, a, b = theta
            # terms of x only, on distinct frequencies
            base = (
                special.gammaln(r + xu) - special.gammaln(r)
                + special.gammaln(b + xu) - special.gammaln(a + b + xu)
                - special.gammaln(b) + special.gammaln(a + b)
            )
            ll = float(wx @ base) + r * np.log(alpha) * w.sum()
            big_a = np.log(alpha + big_t)
            ll -= float(w @ ((r + x) * big_a))
            # the second term of the likelihood, only for x > 0
            a_p = big_a[pos]
            b_p = np.log(alpha + txp)
            d = np.log(a) - np.log(b + xpm1) + (r + xp) * (a_p - b_p)
            ll += float(wp @ np.logaddexp(0.0, d))
            s = special.expit(d) * wp
            dig_ab = special.digamma(a + b)
            g_r = (
                float(wx @ (special.digamma(r + xu) - special.digamma(r)))
                + np.log(alpha) * w.sum() - float(w @ big_a) + float(s @ (a_p - b_p))
            )
            g_alpha = (
                r / alpha * w.sum() - float(w @ ((r + x) / (alpha + big_t)))
                + float(s @ ((r + xp) * (1.0 / (alpha + tp) - 1.0 / (alpha + txp))))
            )
            g_a = float(wx @ (dig_ab - special.digamma(a + b + xu))) + float(s.sum()) / a
            g_b = float(
                wx @ (special.digamma(b + xu) - special.digamma(a + b + xu)
                      - special.digamma(b) + dig_ab)
            ) - float(s @ (1.0 / (b + xpm1)))
            return ll, np.array([g_r, g_alpha, g_a, g_b])

        return fun

    def prob_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(alive at T | x, t_x, T), the probability that each customer has not dropped out.

        Eq. (11) of Fader, Hardie & Lee (2005):
        ``1 / (1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))`` for ``x > 0``; 1
        when ``x == 0`` (in BG/NBD a customer can drop out only after a repeat purchase).

        Parameters
        ----------
        frequency : array-like of int
            Repeat purchases ``x`` of each customer (the first purchase not counted).
        recency : array-like of float
            Time ``t_x`` from the first to the last repeat purchase (0 when ``x == 0``).
        T : array-like of float
            Age ``T``: time from the first purchase to the end of observation, in the unit of
            the fit; ``recency <= T``.

        Returns
        -------
        numpy.ndarray
            One probability per customer.
        """
        p = self._p()
        x, tx, big_t = self._arrays(frequency, recency, T)
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        with np.errstate(divide="ignore"):
            d = np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) + (r + x) * (
                np.log(alpha + big_t) - np.log(alpha + tx)
            )
        return np.where(x > 0, special.expit(-d), 1.0)

    def conditional_expected_transactions(
        self, t: float, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in ``(T, T + t]``, FHL (2005) eq. (10).

        Parameters
        ----------
        t : float
            Length of the future period (>= 0), in the time unit of the fit.
        frequency : array-like of int
            Repeat purchases ``x`` of each customer (the first purchase not counted).
        recency : array-like of float
            Time ``t_x`` from the first to the last repeat purchase (0 when ``x == 0``).
        T : array-like of float
            Age ``T``: time from the first purchase to the end of observation, in the unit of
            the fit; ``recency <= T``.

        Returns
        -------
        numpy.ndarray
            Expected repeat purchases of each customer in the next ``t``.

        Raises
        ------
        ValidationError
            If ``a == 1``, where eq. (10) is singular.
        """
        check_scalar(t, "t", typ=float, ge=0)
        p = self._p()
        x, tx, big_t = self._arrays(frequency, recency, T)
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        if abs(a - 1.0) < 1e-9:
            raise ValidationError(
                "BG/NBD: a == 1 makes eq. (10) singular; refit or perturb a slightly."
            )
        z = t / (alpha + big_t + t)
        hyp = special.hyp2f1(r + x, b + x, a + b + x - 1.0, z)
        first = (a + b + x - 1.0) / (a - 1.0) * (
            1.0 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp
        )
        return first * self.prob_alive(x, tx, big_t)

    def expected_transactions(self, t: Any) -> np.ndarray:
        """Unconditional E[X(t)]: expected repeat purchases of a new customer by ``t``.

        Fader, Hardie & Lee (2005), for a customer drawn from the population at their first
        purchase.

        Parameters
        ----------
        t : float or array-like of float
            Times since the first purchase (>= 0), in the time unit of the fit.

        Returns
        -------
        numpy.ndarray
            Expected repeat purchases by each time.
        """
        p = self._p()
        t = as_array(t, "t")
        return bgnbd_expected_transactions(t, p["r"], p["alpha"], p["a"], p["b"])


# ---------------------------------------------------------------------------- MBG/NBD
class ModifiedBetaGeoModel(_FrequencyRecencyModel):
    """The MBG/NBD model of Batislam, Denizel & Filiztekin (2007).

    Like BG/NBD, but a customer may also drop out right after the first purchase, so customers
    without repeat purchases are not automatically alive.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty: the fit maximises ``log_likelihood - penalizer * sum(theta**2)`` over the
        parameters ``theta`` (natural scale, total rather than mean log-likelihood); 0 is plain
        maximum likelihood. The reported log-likelihood excludes the penalty.
    initial_params : mapping of str to float, optional
        Starting values of the optimiser by parameter name (every one of ``r``, ``alpha``, ``a``, ``b``, positive);
        ``None`` starts each at 1.
    maxiter : int, default 1000
        Iteration limit of the optimiser (BFGS on the log scale of the parameters).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals in :meth:`summary` (formed on the log scale,
        so they stay positive).

    Examples
    --------
    >>> m = ModifiedBetaGeoModel.from_params({"r": 0.5, "alpha": 5.0, "a": 0.8, "b": 2.5})
    >>> bool(m.prob_alive(0, 0, 30)[0] < 1)
    True
    """

    model_name = "MBG/NBD"
    param_names = ("r", "alpha", "a", "b")
    default_init = (1.0, 1.0, 1.0, 1.0)
    _analytic_gradient = True

    def _make_loglik(self, x, tx, big_t, w):
        xu, inv = np.unique(x, return_inverse=True)
        wx = np.bincount(inv, weights=w)

        def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
            r, alpha, a, b = theta
            # L = B(a, b+x+1)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
            #   + B(a+1, b+x)/B(a,b) G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))
            # = C (alpha+T)^-(r+x) [1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)],
            # C = B(a, b+x+1)/B(a,b) G(r+x) alpha^r / G(r)
            base = (
                special.gammaln(r + xu) - special.gammaln(r)
                + special.gammaln(b + xu + 1) - special.gammaln(a + b + xu + 1)
                - special.gammaln(b) + special.gammaln(a + b)
            )
            ll = float(wx @ base) + r * np.log(alpha) * w.sum()
            big_a = np.log(alpha + big_t)
            small_b = np.log(alpha + tx)
            ll -= float(w @ ((r + x) * big_a))
            d = np.log(a) - np.log(b + x) + (r + x) * (big_a - small_b)
            ll += float(w @ np.logaddexp(0.0, d))
            s = special.expit(d) * w
            dig_ab = special.digamma(a + b)
            g_r = (
                float(wx @ (special.digamma(r + xu) - special.digamma(r)))
                + np.log(alpha) * w.sum() - float(w @ big_a) + float(s @ (big_a - small_b))
            )
            g_alpha = (
                r / alpha * w.sum() - float(w @ ((r + x) / (alpha + big_t)))
                + float(s @ ((r + x) * (1.0 / (alpha + big_t) - 1.0 / (alpha + tx))))
            )
            g_a = float(wx @ (dig_ab - special.digamma(a + b + xu + 1))) + float(s.sum()) / a
            g_b = float(
                wx @ (special.digamma(b + xu + 1) - special.digamma(a + b + xu + 1)
                      - special.digamma(b) + dig_ab)
            ) - float(s @ (1.0 / (b + x)))
            return ll, np.array([g_r, g_alpha, g_a, g_b])

        return fun

    def prob_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(alive at T | x, t_x, T) = 1 / (1 + a/(b+x) ((alpha+T)/(alpha+t_x))^(r+x)).

        Below 1 also for customers without repeat purchases (they may drop out right after the
        first one).

        Parameters
        ----------
        frequency : array-like of int
            Repeat purchases ``x`` of each customer (the first purchase not counted).
        recency : array-like of float
            Time ``t_x`` from the first to the last repeat purchase (0 when ``x == 0``).
        T : array-like of float
            Age ``T``: time from the first purchase to the end of observation, in the unit of
            the fit; ``recency <= T``.

        Returns
        -------
        numpy.ndarray
            One probability per customer.
        """
        p = self._p()
        x, tx, big_t = self._arrays(frequency, recency, T)
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        d = np.log(a) - np.log(b + x) + (r + x) * (np.log(alpha + big_t) - np.log(alpha + tx))
        return special.expit(-d)

    def conditional_expected_transactions(
        self, t: float, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in ``(T, T + t]``, Batislam et al. (2007).

        Parameters
        ----------
        t : float
            Length of the future period (>= 0), in the time unit of the fit.
        frequency : array-like of int
            Repeat purchases ``x`` of each customer (the first purchase not counted).
        recency : array-like of float
            Time ``t_x`` from the first to the last repeat purchase (0 when ``x == 0``).
        T : array-like of float
            Age ``T``: time from the first purchase to the end of observation, in the unit of
            the fit; ``recency <= T``.

        Returns
        -------
        numpy.ndarray
            Expected repeat purchases of each customer in the next ``t``.
        """
        check_scalar(t, "t", typ=float, ge=0)
        p = self._p()
        x, tx, big_t = self._arrays(frequency, recency, T)
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        z = t / (alpha + big_t + t)
        hyp = special.hyp2f1(r + x, b + x + 1.0, a + b + x, z)
        first = (a + b + x) / (a - 1.0) * (
            1.0 - ((alpha + big_t) / (alpha + big_t + t)) ** (r + x) * hyp
        )
        return first * self.prob_alive(x, tx, big_t)

    def expected_transactions(self, t: Any) -> np.ndarray:
        """Unconditional E[X(t)]: expected repeat purchases of a new customer by ``t``.

        ``E[X(t)] = b/(a-1) [1 - (alpha/(alpha+t))^r 2F1(r, b+1; a+b; t/(alpha+t))]``
        (Batislam, Denizel & Filiztekin 2007).

        Parameters
        ----------
        t : float or array-like of float
            Times since the first purchase (>= 0), in the time unit of the fit.

        Returns
        -------
        numpy.ndarray
            Expected repeat purchases by each time.
        """
        p = self._p()
        t = as_array(t, "t")
        r, alpha, a, b = p["r"], p["alpha"], p["a"], p["b"]
        hyp = special.hyp2f1(r, b + 1.0, a + b, t / (alpha + t))
        return b / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyp)


# ---------------------------------------------------------------------------- Pareto/NBD
def _paretonbd_terms(r, alpha, s, beta, x, tx, big_t):
    """log of the two parts of the Pareto/NBD likelihood (without the common factor).

    ``L = G(r+x) alpha^r beta^s / G(r) * [exp(l1) + exp(l2)]`` with
    ``l1 = -(r+x) log(alpha+T) - s log(beta+T)`` and ``l2 = log(s/(r+s+x)) + log(A0)``,
    Fader & Hardie (2005, note), A0 by the Gauss hypergeometric function on whichever of
    alpha, beta is larger (so that the argument lies in [0, 1)).
    """
    rsx = r + s + x
    l1 = -(r + x) * np.log(alpha + big_t) - s * np.log(beta + big_t)
    if alpha >= beta:
        big, b2 = alpha, s + 1.0
    else:
        big, b2 = beta, r + x
    diff = abs(alpha - beta)

    def part(t):
        return np.log(special.hyp2f1(rsx, b2, rsx + 1.0, diff / (big + t))) - rsx * np.log(big + t)

    p_tx, p_t = part(tx), part(big_t)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_a0 = p_tx + np.log1p(-np.exp(np.minimum(p_t - p_tx, 0.0)))
    log_a0 = np.where(big_t > tx, log_a0, -np.inf)
    l2 = np.log(s / rsx) + log_a0
    return l1, l2


class ParetoNBDModel(_FrequencyRecencyModel):
    """The Pareto/NBD model of Schmittlein, Morrison & Colombo (1987).

    Purchases at Poisson rate ``lambda ~ Gamma(r, rate alpha)`` during an exponential lifetime
    with rate ``mu ~ Gamma(s, rate beta)``. The likelihood follows Fader & Hardie (2005, "A
    note on deriving the Pareto/NBD model"); gradients by central differences.

    Parameters
    ----------
    penalizer : float, default 0.0
        L2 penalty: the fit maximises ``log_likelihood - penalizer * sum(theta**2)`` over the
        parameters ``theta`` (natural scale, total rather than mean log-likelihood); 0 is plain
        maximum likelihood. The reported log-likelihood excludes the penalty.
    initial_params : mapping of str to float, optional
        Starting values of the optimiser by parameter name (every one of ``r``, ``alpha``, ``s``, ``beta``, positive);
        ``None`` starts each at 1.
    maxiter : int, default 1000
        Iteration limit of the optimiser (BFGS on the log scale of the parameters).
    alpha : float, default 0.05
        1 - confidence level of the Wald intervals in :meth:`summary` (formed on the log scale,
        so they stay positive).

    Examples
    --------
    >>> m = ParetoNBDModel.from_params({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
    >>> m.prob_alive(0, 0, 38.86).round(3).tolist()
    [0.295]
    """

    model_name = "Pareto/NBD"
    param_names = ("r", "alpha", "s", "beta")
    default_init = (1.0, 1.0, 1.0, 1.0)

    def _make_loglik(self, x, tx, big_t, w):
        xu, inv = np.unique(x, return_inverse=True)
        wx = np.bincount(inv, weights=w)

        def fun(theta: np.ndarray) -> float:
            r, alpha, s, beta = theta
            base = special.gammaln(r + xu) - special.gammaln(r)
            l1, l2 = _paretonbd_terms(r, alpha, s, beta, x, tx, big_t)
            return float(
                wx @ base + w.sum() * (r * np.log(alpha) + s * np.log(beta))
                + w @ np.logaddexp(l1, l2)
            )

        return fun

    def prob_alive(self, frequency: Any, recency: Any, T: Any) -> np.ndarray:
        """P(alive at T | x, t_x, T), Fader & Hardie (2005 note) eq. (18).

        Parameters
        ----------
        frequency : array-like of int
            Repeat purchases ``x`` of each customer (the first purchase not counted).
        recency : array-like of float
            Time ``t_x`` from the first to the last repeat purchase (0 when ``x == 0``).
        T : array-like of float
            Age ``T``: time from the first purchase to the end of observation, in the unit of
            the fit; ``recency <= T``.

        Returns
        -------
        numpy.ndarray
            One probability per customer.
        """
        p = self._p()
        x, tx, big_t = self._arrays(frequency, recency, T)
        l1, l2 = _paretonbd_terms(p["r"], p["alpha"], p["s"], p["beta"], x, tx, big_t)
        return np.exp(l1 - np.logaddexp(l1, l2))

    def conditional_expected_transactions(
        self, t: float, frequency: Any, recency: Any, T: Any
    ) -> np.ndarray:
        """E[Y(t) | x, t_x, T]: expected purchases in ``(T, T + t]``.

        ``(r+x)(beta+T)/((alpha+T)(s-1)) [1 - ((beta+T)/(beta+T+t))^(s-1)] P(alive)``
        (Schmittlein, Morrison & Colombo 1987); the limit
        ``(r+x)(beta+T)/(alpha+T) log(1 + t/(beta+T)) P(alive)`` at ``s = 1``.

        Parameters
        ----------
        t : float
            Length of the future period (>= 0), in the time unit of the fit.
        frequency : array-like of int
            Repeat purchases ``x`` of each customer (the first purchase not counted).
        recency : array-like of float
            Time ``t_x`` from the first to the last repeat purchase (0 when ``x == 0``).
        T : array-like of float
            Age ``T``: time from the first purchase to the end of observation, in the unit of
            the fit; ``recency <= T``.

        Returns
        -------
        numpy.ndarray
            Expected repeat purchases of each customer in the next ``t``.
        """
        check_scalar(t, "t", typ=float, ge=0)
        p = self._p()
        x, tx, big_t = self._arrays(frequency, recency, T)
        r, alpha, s, beta = p["r"], p["alpha"], p["s"], p["beta"]
        lead = (r + x) * (beta + big_t) / (alpha + big_t)
        if abs(s - 1.0) < 1e-10:
            first = lead * np.log1p(t / (beta + big_t))
        else:
            first = lead / (s - 1.0) * (1.0 - ((beta + big_t) / (beta + big_t + t)) ** (s - 1.0))
        return first * self.prob_alive(x, tx, big_t)

    def expected_transactions(self, t: Any) -> np.ndarray:
        """Unconditional E[X(t)]: expected repeat purchases of a new customer by ``t``.

        Schmittlein, Morrison & Colombo (1987), for a customer drawn from the population at
        their first purchase.

        Parameters
        ----------
        t : float or array-like of float
            Times since the first purchase (>= 0), in the time unit of the fit.

        Returns
        -------
        numpy.ndarray
            Expected repeat purchases by each time.
        """
        p = self._p()
        t = as_array(t, "t")
        return paretonbd_expected_transactions(t, p["r"], p["alpha"], p["s"], p["beta"])
