"""Closed forms of the customer-base models: survival, retention, expected transactions, P(alive).

The model maths of :mod:`cjmodels.survival`'s customer-base estimators, as functions of the
parameters; the simulators of :mod:`cjmodels.synthetic` import them to write down the truth of
a simulated world, and the estimators use them for their predictions.

* sBG (contractual churn, Fader & Hardie 2007): :func:`sbg_survival`, :func:`sbg_retention_rate`,
  :func:`sbg_churn_probability`.
* BG/NBD (Fader, Hardie & Lee 2005): :func:`bgnbd_expected_transactions`,
  :func:`bgnbd_prob_alive`.
* Pareto/NBD (Schmittlein, Morrison & Colombo 1987): :func:`paretonbd_expected_transactions`,
  :func:`paretonbd_prob_alive`.
* Gamma-gamma spend: :func:`gamma_gamma_mean_spend`.
* Weibull proportional hazards with gamma frailty, mixed over covariate patterns:
  :func:`weibull_ph_survival`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special

__all__ = [
    "bgnbd_expected_transactions",
    "bgnbd_prob_alive",
    "gamma_gamma_mean_spend",
    "paretonbd_expected_transactions",
    "paretonbd_prob_alive",
    "sbg_churn_probability",
    "sbg_retention_rate",
    "sbg_survival",
    "weibull_ph_survival",
]


def sbg_survival(t: Any, alpha: float, beta: float) -> np.ndarray:
    """Survival of the shifted-beta-geometric model, ``S(t) = B(alpha, beta + t) / B(alpha, beta)``.

    The probability that a customer renews at least ``t`` times (is still a customer after ``t``
    periods); Fader & Hardie (2007), "How to project customer retention", J. Interactive
    Marketing 21(1), the sBG survivor function.

    Examples
    --------
    >>> sbg_survival([0, 1, 2], 0.704, 1.182).round(4).tolist()
    [1.0, 0.6267, 0.4738]
    """
    t = np.asarray(t, dtype=float)
    return np.exp(special.betaln(alpha, beta + t) - special.betaln(alpha, beta))


def sbg_churn_probability(t: Any, alpha: float, beta: float) -> np.ndarray:
    """Probability that an sBG customer churns at period ``t >= 1``.

    ``P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta) = S(t - 1) - S(t)``; Fader & Hardie
    (2007).

    Examples
    --------
    >>> sbg_churn_probability([1, 2], 0.704, 1.182).round(4).tolist()
    [0.3733, 0.1529]
    """
    t = np.asarray(t, dtype=float)
    return np.exp(special.betaln(alpha + 1.0, beta + t - 1.0) - special.betaln(alpha, beta))


def sbg_retention_rate(t: Any, alpha: float, beta: float) -> np.ndarray:
    """sBG retention rate ``r(t) = S(t) / S(t-1) = (beta + t - 1) / (alpha + beta + t - 1)``.

    The share of customers active in period ``t - 1`` who renew at period ``t`` (``t >= 1``);
    Fader & Hardie (2007). It increases with ``t`` (the population sorts itself).

    Examples
    --------
    >>> sbg_retention_rate([1, 2], 0.704, 1.182).round(4).tolist()
    [0.6267, 0.7561]
    """
    t = np.asarray(t, dtype=float)
    return (beta + t - 1.0) / (alpha + beta + t - 1.0)


def bgnbd_expected_transactions(t: Any, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """Expected repeat transactions in ``(0, t]`` after the first purchase under the BG/NBD model.

    Fader, Hardie & Lee (2005), "Counting your customers the easy way", eq. (7)::

        E[X(t)] = (a + b - 1) / (a - 1) * [1 - (alpha / (alpha + t))**r
                                           * 2F1(r, b; a + b - 1; t / (alpha + t))]

    ``t`` is in the time unit of ``alpha`` (weeks for the CDNOW estimates). At ``a == 1`` the
    removable singularity is evaluated as the mean of ``a = 1 -/+ 1e-7``.

    Examples
    --------
    >>> round(float(bgnbd_expected_transactions(39, 0.243, 4.414, 0.793, 2.426)), 4)
    1.1967
    """
    t = np.asarray(t, dtype=float)
    if abs(a - 1.0) < 1e-9:
        eps = 1e-7
        return 0.5 * (
            bgnbd_expected_transactions(t, r, alpha, 1.0 - eps, b)
            + bgnbd_expected_transactions(t, r, alpha, 1.0 + eps, b)
        )
    z = t / (alpha + t)
    bracket = 1.0 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1.0, z)
    return (a + b - 1.0) / (a - 1.0) * bracket


def bgnbd_prob_alive(t: Any, r: float, alpha: float, a: float, b: float) -> np.ndarray:
    """Probability that a BG/NBD customer is still alive ``t`` after the first purchase.

    Alive means no drop-out after any of the repeat transactions so far:
    ``P = E[(1 - p)^N(t)] = E_p[(alpha / (alpha + p t))^r] = 2F1(r, a; a + b; -t / alpha)``
    (Euler's integral for the Gauss hypergeometric function). Unconditional, i.e. before
    seeing the customer's history.

    Examples
    --------
    >>> float(bgnbd_prob_alive(0, 0.243, 4.414, 0.793, 2.426))
    1.0
    """
    t = np.asarray(t, dtype=float)
    return special.hyp2f1(r, a, a + b, -t / alpha)


def paretonbd_expected_transactions(
    t: Any, r: float, alpha: float, s: float, beta: float
) -> np.ndarray:
    """Expected repeat transactions in ``(0, t]`` under the Pareto/NBD model.

    Schmittlein, Morrison & Colombo (1987); in the notation of Fader & Hardie (2005, "A note on
    deriving the Pareto/NBD model and related expressions")::

        E[X(t)] = r beta / (alpha (s - 1)) * [1 - (beta / (beta + t))**(s - 1)]

    with the limit ``(r beta / alpha) log(1 + t / beta)`` at ``s == 1``.

    Examples
    --------
    >>> round(float(paretonbd_expected_transactions(39, 0.553, 10.578, 0.606, 11.669)), 4)
    1.213
    """
    t = np.asarray(t, dtype=float)
    if abs(s - 1.0) < 1e-12:
        return r * beta / alpha * np.log1p(t / beta)
    return r * beta / (alpha * (s - 1.0)) * (1.0 - (beta / (beta + t)) ** (s - 1.0))


def paretonbd_prob_alive(t: Any, s: float, beta: float) -> np.ndarray:
    """Probability that a Pareto/NBD customer is alive ``t`` after the first purchase.

    The lifetime is exponential with rate ``mu ~ Gamma(s, beta)``, so
    ``P(tau > t) = (beta / (beta + t))**s`` (a Pareto distribution of the second kind).

    Examples
    --------
    >>> float(paretonbd_prob_alive(11.669, 1.0, 11.669))
    0.5
    """
    t = np.asarray(t, dtype=float)
    return (beta / (beta + t)) ** s


def gamma_gamma_mean_spend(p: float, q: float, gamma: float) -> float:
    """Population mean spend per transaction of the gamma-gamma model, ``p gamma / (q - 1)``.

    Each transaction value is ``Gamma(p, rate nu)`` with ``nu ~ Gamma(q, rate gamma)``; Fader,
    Hardie & Lee (2005, "RFM and CLV", J. Marketing Research 42(4)). Infinite for ``q <= 1``.

    Examples
    --------
    >>> round(gamma_gamma_mean_spend(6.25, 3.74, 15.44), 3)
    35.219
    """
    return math.inf if q <= 1 else p * gamma / (q - 1.0)


def weibull_ph_survival(
    t: Any,
    shape: float,
    scale: float,
    eta: Any = 0.0,
    weights: Any = None,
    frailty_variance: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Survival and hazard of a Weibull PH model with gamma frailty, mixed over covariates.

    For linear predictors ``eta`` (one per covariate pattern, with probabilities ``weights``)
    returns the population survival ``S(t) = sum_k w_k S(t | eta_k)`` and hazard
    ``h(t) = -S'(t) / S(t)``, with ``S(t | eta) = exp(-e^eta (t / scale)^shape)`` without frailty
    and ``(1 + theta e^eta (t / scale)^shape)^(-1 / theta)`` with frailty variance ``theta``.

    Examples
    --------
    >>> s, h = weibull_ph_survival([0.0, 100.0], shape=1.0, scale=100.0)
    >>> s.round(4).tolist(), h.round(4).tolist()
    ([1.0, 0.3679], [0.01, 0.01])
    """
    t = np.asarray(t, dtype=float)
    eta = np.atleast_1d(np.asarray(eta, dtype=float))
    w = np.full(len(eta), 1.0 / len(eta)) if weights is None else np.asarray(weights, float)
    h0_cum = (t / scale) ** shape
    with np.errstate(divide="ignore", invalid="ignore"):
        h0 = shape / scale * (t / scale) ** (shape - 1.0)
    risk = np.exp(eta)[:, None]
    cum = risk * h0_cum[None, :]
    if frailty_variance > 0:
        base = 1.0 + frailty_variance * cum
        s_k = base ** (-1.0 / frailty_variance)
        f_k = risk * h0[None, :] * s_k / base
    else:
        s_k = np.exp(-cum)
        f_k = risk * h0[None, :] * s_k
    surv = w @ s_k
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = (w @ f_k) / surv
    return surv, hazard
