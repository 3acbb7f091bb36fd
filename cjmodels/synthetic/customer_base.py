"""Synthetic customer bases: contractual churn and non-contractual repeat buying.

Two simulators whose truth is known in closed form:

* :func:`simulate_subscriptions` -- contractual churn. Every customer has one ``subscribe``
  event and at most one ``churn`` event (if it happens before the observation end); lifetimes
  follow a Weibull proportional hazards model with covariates and optional gamma frailty
  (``model="weibull-ph"``), or the shifted-beta-geometric (sBG) model of Fader & Hardie (2007)
  (``model="sbg"``).
* :func:`simulate_transactions` -- non-contractual repeat buying ("buy till you die"). Every
  customer makes a first purchase at their birth and repeat purchases while alive; the BG/NBD
  model of Fader, Hardie & Lee (2005) (``model="bgnbd"``) or the Pareto/NBD model of Schmittlein,
  Morrison & Colombo (1987) (``model="paretonbd"``), with gamma-gamma spend per transaction
  (Fader, Hardie & Lee 2005, "RFM and CLV"; Colombo & Jiang 1999).

Weibull PH parameterisation
---------------------------
The baseline survival is that of lifelines' ``WeibullFitter``,
:math:`S_0(t) = \\exp(-(t/\\lambda)^\\rho)` with scale :math:`\\lambda` (``scale``, days) and
shape :math:`\\rho` (``shape``), cumulative hazard :math:`H_0(t) = (t/\\lambda)^\\rho`. With
linear predictor :math:`\\eta = x'\\beta` and frailty :math:`Z` (1 without frailty),

.. math:: H(t \\mid x, Z) = Z\\, e^{\\eta} H_0(t), \\qquad
          S(t \\mid x) = \\exp(-(t / \\lambda_x)^\\rho),\\;
          \\lambda_x = \\lambda\\, e^{-\\eta / \\rho} \\quad (Z = 1).

So :math:`\\beta` are the coefficients lifelines' ``CoxPHFitter`` estimates, and a
``WeibullAFTFitter`` estimates :math:`-\\beta/\\rho` on ``lambda_`` (intercept
:math:`\\log\\lambda`) and :math:`\\log\\rho` on ``rho_``. With gamma frailty of variance
:math:`\\theta` (mean 1), :math:`S(t \\mid x) = (1 + \\theta e^{\\eta} H_0(t))^{-1/\\theta}`; the
population hazard is then no longer proportional, and a Cox fit attenuates :math:`\\beta`.

Time units
----------
Subscription parameters are in days (``period_days`` sets the sBG renewal period). Transaction
parameters (:math:`\\lambda`, :math:`\\alpha`, :math:`\\beta`, :math:`\\mu`) are per *week*, as in
the CDNOW analyses; simulated times in days are weeks x 7. Timestamps are whole seconds after
``start``: entry times are rounded down, durations up (so every duration is positive).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, special

from cjmodels._checks import as_generator, check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import result_dataclass
from cjmodels.synthetic._base import SyntheticWorld, parse_start

__all__ = [
    "DEFAULT_COEFFICIENTS",
    "SubscriptionWorld",
    "TransactionWorld",
    "bgnbd_expected_transactions",
    "bgnbd_prob_alive",
    "gamma_gamma_mean_spend",
    "paretonbd_expected_transactions",
    "paretonbd_prob_alive",
    "sbg_retention_rate",
    "sbg_survival",
    "simulate_subscriptions",
    "simulate_transactions",
    "weibull_ph_survival",
]

_SECONDS_PER_DAY = 86_400
_SECONDS_PER_WEEK = 7 * _SECONDS_PER_DAY
_NUMBER = (int, float)
#: Latent times beyond this many days get no timestamp (NaT); pandas stops in 2262.
_FAR_DAYS = 36_500.0
_MAX_COUNT = 1e15  # cap of geometric draws when a churn/drop-out probability underflows

#: Covariates of the subscription world (their sampling distribution is fixed and documented).
PLANS: tuple[str, ...] = ("basic", "premium")
PLAN_PROBS: tuple[float, ...] = (0.7, 0.3)
ACQUISITION_CHANNELS: tuple[str, ...] = ("organic", "paid_search", "referral", "social")
ACQUISITION_PROBS: tuple[float, ...] = (0.4, 0.3, 0.1, 0.2)
AGE_RANGE: tuple[int, int] = (18, 75)  # integer ages, uniform, inclusive
AGE_CENTRE = 45
DEFAULT_FEES: dict[str, float] = {"basic": 9.99, "premium": 19.99}

#: Default log-hazard ratios of the Weibull PH world. Names follow
#: ``pd.get_dummies(..., drop_first=True)``: reference customer = basic plan, organic, aged 45;
#: ``age`` is per year of age (centred at 45).
DEFAULT_COEFFICIENTS: dict[str, float] = {
    "plan_premium": -0.5,
    "acquisition_channel_paid_search": 0.25,
    "acquisition_channel_referral": -0.3,
    "acquisition_channel_social": 0.4,
    "age": -0.015,
}

#: Published CDNOW estimates (time unit weeks). Checked by refitting the models by maximum
#: likelihood on the CDNOW sample summary distributed with the ``lifetimes`` package.
BGNBD_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETONBD_CDNOW = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GAMMA_GAMMA_CDNOW = {"p": 6.25, "q": 3.74, "gamma": 15.44}
#: Fader & Hardie (2007) sBG estimates for the "regular" segment (annual renewals in the paper).
SBG_REGULAR = {"alpha": 0.704, "beta": 1.182}


# --------------------------------------------------------------------------- closed forms
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


def _covariate_support(coefficients: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """Linear predictor and probability of every (plan, channel, age) combination."""
    eta_plan = np.array([0.0, coefficients["plan_premium"]])
    eta_channel = np.array(
        [0.0] + [coefficients[f"acquisition_channel_{c}"] for c in ACQUISITION_CHANNELS[1:]]
    )
    ages = np.arange(AGE_RANGE[0], AGE_RANGE[1] + 1, dtype=float)
    eta_age = coefficients["age"] * (ages - AGE_CENTRE)
    eta = eta_plan[:, None, None] + eta_channel[None, :, None] + eta_age[None, None, :]
    w = (
        np.asarray(PLAN_PROBS)[:, None, None]
        * np.asarray(ACQUISITION_PROBS)[None, :, None]
        * np.full(len(ages), 1.0 / len(ages))[None, None, :]
    )
    return eta.ravel(), w.ravel()


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


# --------------------------------------------------------------------------- worlds
@result_dataclass
class SubscriptionWorld(SyntheticWorld):
    """A :class:`SyntheticWorld` from :func:`simulate_subscriptions`, with typed shortcuts.

    Examples
    --------
    >>> w = simulate_subscriptions(200, random_state=1)
    >>> w
    SubscriptionWorld(name='subscriptions', n_events=293, n_customers=200)
    >>> round(float(w.survival.loc[365, "survival"]), 3) == round(w.truth["survival"]["365"], 3)
    True
    """

    @property
    def customers(self) -> pd.DataFrame:
        """The per-customer truth table (``tables["customers"]``)."""
        return self.tables["customers"]

    @property
    def survival(self) -> pd.DataFrame:
        """The true population survival curve (``tables["survival"]``)."""
        return self.tables["survival"]


@result_dataclass
class TransactionWorld(SyntheticWorld):
    """A :class:`SyntheticWorld` from :func:`simulate_transactions`, with typed shortcuts.

    Examples
    --------
    >>> w = simulate_transactions(200, random_state=1)
    >>> w
    TransactionWorld(name='transactions', n_events=441, n_customers=200)
    >>> len(w.customers)
    200
    """

    @property
    def customers(self) -> pd.DataFrame:
        """The per-customer truth table (``tables["customers"]``)."""
        return self.tables["customers"]

    @property
    def expected(self) -> pd.DataFrame:
        """E[X(t)] and P(alive) by weeks since the first purchase (``tables["expected"]``)."""
        return self.tables["expected"]


# --------------------------------------------------------------------------- helpers
def _stamp(t_start: pd.Timestamp, seconds: np.ndarray) -> pd.DatetimeIndex:
    """``t_start`` plus whole seconds (floats; NaN or inf -> NaT)."""
    seconds = np.asarray(seconds, dtype=float)
    finite = np.isfinite(seconds)
    td = np.full(len(seconds), np.timedelta64("NaT", "s"), dtype="timedelta64[s]")
    td[finite] = seconds[finite].astype(np.int64).astype("timedelta64[s]")
    return pd.DatetimeIndex(t_start + pd.TimedeltaIndex(td.astype("timedelta64[ns]")))


def _seed_param(random_state: Any) -> Any:
    if random_state is None or isinstance(random_state, numbers.Integral):
        return random_state
    return "Generator"


def _model_params(
    params: Mapping[str, Any] | None, model: str, owners: Mapping[str, tuple[str, ...]]
) -> dict[str, Any]:
    """``params`` checked against the parameters of ``model`` (``owners``: model -> names)."""
    if params is None:
        return {}
    if not isinstance(params, Mapping):
        raise ValidationError(
            f"params must be a mapping of {model!r} parameters such as {{{owners[model][0]!r}: "
            f"...}}, or None; got {type(params).__name__}."
        )
    given = {k: v for k, v in params.items() if v is not None}
    for owner, names in owners.items():
        bad = [k for k in given if k in names and k not in owners[model]]
        if owner != model and bad:
            raise ValidationError(
                f"params {', '.join(bad)} apply to model={owner!r} only, but model == "
                f"{model!r}. Drop them or pass model={owner!r}."
            )
    unknown = sorted(k for k in given if k not in owners[model])
    if unknown:
        raise ValidationError(
            f"params has unknown names {unknown}; model={model!r} takes {list(owners[model])}."
        )
    return given


#: Parameters each subscription model takes in ``simulate_subscriptions(params=...)``.
_SUBSCRIPTION_PARAMS = {
    "weibull-ph": ("shape", "scale", "coefficients", "frailty_variance"),
    "sbg": ("alpha", "beta", "period_days"),
}
#: Parameters each repeat-buying model takes in ``simulate_transactions(params=...)``.
_SPEND_PARAMS = ("p", "q", "gamma")
_TRANSACTION_PARAMS = {
    "bgnbd": ("r", "alpha", "a", "b", *_SPEND_PARAMS),
    "paretonbd": ("r", "alpha", "s", "beta", *_SPEND_PARAMS),
}


def _geometric(rng: np.random.Generator, prob: np.ndarray) -> np.ndarray:
    """Trials up to and including the first success (support 1, 2, ...), by inversion.

    ``P(N > k) = (1 - prob)^k``; robust to ``prob`` underflowing to 0 (capped at ``_MAX_COUNT``).
    """
    u = 1.0 - rng.random(len(prob))  # in (0, 1]
    with np.errstate(divide="ignore", invalid="ignore"):
        k = np.log(u) / np.log1p(-prob)
    k = np.nan_to_num(k, nan=0.0, posinf=_MAX_COUNT)
    return np.floor(np.minimum(k, _MAX_COUNT)).astype(np.int64) + 1


# --------------------------------------------------------------------------- subscriptions
def simulate_subscriptions(
    n_customers: int = 5000,
    *,
    model: str = "weibull-ph",
    start: Any = "2025-01-01",
    days: float = 730,
    entry_days: float | None = None,
    params: Mapping[str, Any] | None = None,
    fees: Mapping[str, float] | None = None,
    random_state: int | np.random.Generator | None = None,
) -> SubscriptionWorld:
    """Simulate contractual churn: staggered subscriptions, churn, censoring at the window end.

    Customers subscribe at times uniform on ``[start, start + entry_days)`` and stay until they
    churn; the log is censored at ``start + days``. Each customer has a plan (basic 70 %,
    premium 30 %), an acquisition channel (organic 40 %, paid_search 30 %, referral 10 %, social
    20 %) and an integer age uniform on 18..75, drawn independently.

    ``model="weibull-ph"`` (continuous time, days): hazard ``h(t | x) = Z h0(t) exp(x'beta)``
    with Weibull baseline ``S0(t) = exp(-(t / scale)^shape)`` (lifelines ``WeibullFitter``
    convention, ``lambda_ = scale``, ``rho_ = shape``), ``x'beta`` built from
    ``coefficients`` (see :data:`DEFAULT_COEFFICIENTS`; age enters as ``age - 45``) and frailty
    ``Z ~ Gamma(1 / theta, scale theta)`` (mean 1, variance ``theta = frailty_variance``;
    ``Z = 1`` when 0). See the module docstring for the relation to Cox and AFT coefficients.

    ``model="sbg"`` (discrete renewals every ``period_days``): churn probability
    ``theta ~ Beta(alpha, beta)`` per customer, lifetime ``T ~ Geometric(theta)`` periods on
    1, 2, ...; ``T = k`` means the customer paid ``k`` periods and churns at the ``k``-th renewal
    date, ``subscribe + k * period_days``. Covariates are drawn but have no effect.

    Parameters
    ----------
    n_customers : int
        Number of subscribers.
    model : {"weibull-ph", "sbg"}
    start : timestamp-like
        Start of the observation window.
    days : float
        Length of the observation window in days (at most 36,500).
    entry_days : float, optional
        Subscriptions are spread uniformly over the first ``entry_days`` days (default: the whole
        window, ``days``).
    params : mapping, optional
        The model's parameters that differ from their defaults (a missing or ``None`` entry
        keeps the default). ``model="weibull-ph"``:

        * ``shape``, ``scale``: Weibull shape ``rho`` (default 1.2) and scale ``lambda`` in days
          (default 500) of the reference customer (basic, organic, 45 years old);
        * ``coefficients``: log-hazard ratios overriding :data:`DEFAULT_COEFFICIENTS` key by
          key;
        * ``frailty_variance``: variance ``theta`` of the gamma frailty (default 0 = none).

        ``model="sbg"``:

        * ``alpha``, ``beta``: sBG beta-distribution parameters; default the "regular" segment
          estimates of Fader & Hardie (2007), alpha = 0.704, beta = 1.182 (estimated there on
          *annual* renewals; here they are applied per ``period_days``);
        * ``period_days``: length of a renewal period in days (default 30).
    fees : mapping, optional
        Price per period by plan, written to ``value`` on ``subscribe`` rows (default basic 9.99,
        premium 19.99). ``churn`` rows have ``value`` 0.0.
    random_state : int, Generator or None
        Seed or generator; the only source of randomness.

    Returns
    -------
    SubscriptionWorld
        ``events``: customer_id, timestamp, event (``subscribe``/``churn``), value, plan,
        acquisition_channel, age (covariates on every row). ``tables["customers"]``: one row per
        customer with the covariates, ``fee``, ``linear_predictor``, ``frailty``, ``subscribed_at``,
        ``entry_day``, ``lifetime`` (true latent lifetime in days, possibly beyond the window),
        ``churn_time`` (NaT beyond 100 years), ``churned`` (churn observed in the window),
        ``censored`` (= not churned, i.e. alive at the end), ``duration`` (observed days from
        subscription to churn or window end, from the timestamps) and, for sbg,
        ``churn_probability``, ``lifetime_periods`` and ``duration_periods`` (periods paid
        for when churned, completed periods when censored). ``tables["survival"]``: the true
        population survival ``S(t)`` (marginal over covariates and frailty) on a daily grid with
        ``hazard`` and ``cumulative_hazard`` (weibull-ph), or per period with ``retention_rate``
        and ``churn_pmf`` (sbg).

    Examples
    --------
    >>> w = simulate_subscriptions(300, random_state=1)
    >>> w
    SubscriptionWorld(name='subscriptions', n_events=...)
    >>> int((w.events["event"] == "subscribe").sum())
    300
    >>> w.truth["coefficients"]["plan_premium"]
    -0.5
    >>> w2 = simulate_subscriptions(300, model="sbg", random_state=1)
    >>> round(float(w2.survival.loc[1, "survival"]), 4)
    0.6267
    >>> simulate_subscriptions(300, model="sbg", params={"alpha": 2.0}, random_state=1).params[
    ...     "alpha"]
    2.0
    """
    check_scalar(n_customers, "n_customers", typ=int, ge=1)
    n = int(n_customers)
    check_scalar(model, "model", in_=("weibull-ph", "sbg"))
    t_start = parse_start(start)
    check_scalar(days, "days", typ=_NUMBER, gt=0, le=_FAR_DAYS)
    if entry_days is None:
        entry_days = days
    check_scalar(entry_days, "entry_days", typ=_NUMBER, gt=0, le=days)
    fee_map = dict(DEFAULT_FEES)
    if fees is not None:
        unknown = sorted(set(fees) - set(PLANS))
        if unknown:
            raise ValidationError(f"fees has unknown plans {unknown}; the plans are {list(PLANS)}.")
        fee_map.update(fees)
    for plan, fee in fee_map.items():
        check_scalar(fee, f"fees[{plan!r}]", typ=_NUMBER, ge=0)

    given = _model_params(params, model, _SUBSCRIPTION_PARAMS)
    shape, scale = given.get("shape"), given.get("scale")
    coefficients, frailty_variance = given.get("coefficients"), given.get("frailty_variance")
    alpha, beta, period_days = given.get("alpha"), given.get("beta"), given.get("period_days")
    if model == "weibull-ph":
        shape = 1.2 if shape is None else shape
        scale = 500.0 if scale is None else scale
        frailty_variance = 0.0 if frailty_variance is None else frailty_variance
        check_scalar(shape, "shape", typ=_NUMBER, gt=0)
        check_scalar(scale, "scale", typ=_NUMBER, gt=0)
        check_scalar(frailty_variance, "frailty_variance", typ=_NUMBER, ge=0)
        coefs = dict(DEFAULT_COEFFICIENTS)
        if coefficients is not None:
            unknown = sorted(set(coefficients) - set(DEFAULT_COEFFICIENTS))
            if unknown:
                raise ValidationError(
                    f"coefficients has unknown names {unknown}; allowed: "
                    f"{sorted(DEFAULT_COEFFICIENTS)}."
                )
            coefs.update(coefficients)
        for k, v in coefs.items():
            check_scalar(v, f"coefficients[{k!r}]", typ=_NUMBER)
        coefs = {k: float(v) for k, v in coefs.items()}
    else:
        alpha = SBG_REGULAR["alpha"] if alpha is None else alpha
        beta = SBG_REGULAR["beta"] if beta is None else beta
        period_days = 30 if period_days is None else period_days
        check_scalar(alpha, "alpha", typ=_NUMBER, gt=0)
        check_scalar(beta, "beta", typ=_NUMBER, gt=0)
        check_scalar(period_days, "period_days", typ=int, ge=1)
    rng = as_generator(random_state)

    # --- covariates (same draws for both models, in a fixed order)
    plan_idx = rng.choice(len(PLANS), size=n, p=PLAN_PROBS)
    chan_idx = rng.choice(len(ACQUISITION_CHANNELS), size=n, p=ACQUISITION_PROBS)
    age = rng.integers(AGE_RANGE[0], AGE_RANGE[1] + 1, size=n)
    entry = rng.uniform(0.0, entry_days, size=n)
    plan = np.asarray(PLANS, dtype=object)[plan_idx]
    channel = np.asarray(ACQUISITION_CHANNELS, dtype=object)[chan_idx]
    fee = np.array([fee_map[p] for p in PLANS], dtype=float)[plan_idx]

    end_s = float(math.floor(days * _SECONDS_PER_DAY))
    sub_s = np.floor(entry * _SECONDS_PER_DAY)
    if model == "weibull-ph":
        eta_plan = np.array([0.0, coefs["plan_premium"]])[plan_idx]
        eta_chan = np.array(
            [0.0] + [coefs[f"acquisition_channel_{c}"] for c in ACQUISITION_CHANNELS[1:]]
        )[chan_idx]
        eta = eta_plan + eta_chan + coefs["age"] * (age - AGE_CENTRE)
        if frailty_variance > 0:
            frailty = rng.gamma(1.0 / frailty_variance, frailty_variance, size=n)
        else:
            frailty = np.ones(n)
        e = rng.exponential(1.0, size=n)
        with np.errstate(divide="ignore", over="ignore"):
            lifetime = scale * (e / (frailty * np.exp(eta))) ** (1.0 / shape)
        # rounded up to whole seconds, so every observed duration is positive
        life_s = np.ceil(np.minimum(lifetime, _FAR_DAYS) * _SECONDS_PER_DAY)
    else:
        eta = np.zeros(n)
        frailty = np.ones(n)
        churn_prob = rng.beta(alpha, beta, size=n)
        periods = _geometric(rng, churn_prob)
        lifetime = periods * float(period_days)
        life_s = np.minimum(lifetime, _FAR_DAYS) * _SECONDS_PER_DAY  # whole days: exact
    far = lifetime >= _FAR_DAYS
    churn_s = np.where(far, np.inf, sub_s + life_s)
    churned = churn_s <= end_s
    duration_s = np.minimum(churn_s, end_s) - sub_s

    ids = np.arange(n)
    cust = np.concatenate([ids, ids[churned]])
    secs = np.concatenate([sub_s, churn_s[churned]])
    kind = np.concatenate([np.zeros(n, np.int8), np.ones(int(churned.sum()), np.int8)])
    value = np.concatenate([fee, np.zeros(int(churned.sum()))])
    order = np.lexsort((kind, secs, cust))
    c_ord = cust[order]
    events = pd.DataFrame(
        {
            "customer_id": c_ord,
            "timestamp": _stamp(t_start, secs[order]),
            "event": np.array(["subscribe", "churn"], dtype=object)[kind[order]],
            "value": value[order],
            "plan": plan[c_ord],
            "acquisition_channel": channel[c_ord],
            "age": age[c_ord],
        }
    )

    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "plan": plan,
            "acquisition_channel": channel,
            "age": age,
            "fee": fee,
            "linear_predictor": eta,
            "frailty": frailty,
            "subscribed_at": _stamp(t_start, sub_s),
            "entry_day": sub_s / _SECONDS_PER_DAY,
            "lifetime": lifetime,
            "churn_time": _stamp(t_start, churn_s),
            "churned": churned,
            "censored": ~churned,
            "duration": duration_s / _SECONDS_PER_DAY,
        }
    )

    recorded: dict[str, Any] = {
        "n_customers": n,
        "model": model,
        "start": str(t_start),
        "days": days,
        "entry_days": entry_days,
        "fees": fee_map,
        "random_state": _seed_param(random_state),
    }
    truth: dict[str, Any] = {
        "model": model,
        "time_unit": "days",
        "n_churned": int(churned.sum()),
        "n_censored": int((~churned).sum()),
        "covariate_distribution": {
            "plan": dict(zip(PLANS, PLAN_PROBS, strict=True)),
            "acquisition_channel": dict(zip(ACQUISITION_CHANNELS, ACQUISITION_PROBS, strict=True)),
            "age": {"uniform_integer": list(AGE_RANGE), "centre": AGE_CENTRE},
        },
        "fees": fee_map,
    }
    checkpoints = [d for d in (30, 90, 180, 365, 730) if d <= days]

    if model == "weibull-ph":
        grid = np.arange(0.0, math.floor(days) + 1.0)
        support_eta, support_w = _covariate_support(coefs)
        surv, haz = weibull_ph_survival(
            grid, shape, scale, support_eta, support_w, frailty_variance
        )
        surv0, _ = weibull_ph_survival(grid, shape, scale, 0.0, None, frailty_variance)
        survival = pd.DataFrame(
            {
                "t": grid,
                "survival": surv,
                "hazard": haz,
                "cumulative_hazard": -np.log(surv),
                "survival_reference": surv0,
            }
        )

        def s_pop(x: float) -> float:
            curve, _ = weibull_ph_survival(
                [x], shape, scale, support_eta, support_w, frailty_variance
            )
            return float(curve[0])

        hi = float(scale)
        while s_pop(hi) > 0.5:
            hi *= 2.0
        median = optimize.brentq(lambda x: s_pop(x) - 0.5, 0.0, hi, xtol=1e-9)
        recorded.update(
            shape=shape, scale=scale, coefficients=coefs, frailty_variance=frailty_variance
        )
        truth.update(
            baseline={
                "distribution": "weibull",
                "shape": float(shape),
                "scale": float(scale),
                "survival": "S0(t) = exp(-(t / scale) ** shape)",
                "reference_customer": {
                    "plan": "basic",
                    "acquisition_channel": "organic",
                    "age": AGE_CENTRE,
                },
            },
            coefficients=coefs,
            aft_coefficients={k: -v / shape for k, v in coefs.items()},
            frailty_variance=float(frailty_variance),
            median_lifetime=float(median),
            survival={str(d): s_pop(float(d)) for d in checkpoints},
        )
    else:
        periods_i = periods.astype(np.int64)
        n_periods = int(math.ceil(days / period_days))
        k = np.arange(n_periods + 1, dtype=float)
        surv = sbg_survival(k, alpha, beta)
        ret = np.r_[np.nan, sbg_retention_rate(k[1:], alpha, beta)]
        pmf = np.r_[
            0.0,
            np.exp(special.betaln(alpha + 1.0, beta + k[1:] - 1.0) - special.betaln(alpha, beta)),
        ]
        survival = pd.DataFrame(
            {
                "period": k.astype(np.int64),
                "t": k * period_days,
                "survival": surv,
                "retention_rate": ret,
                "churn_pmf": pmf,
            }
        )
        period_s = period_days * _SECONDS_PER_DAY
        customers["churn_probability"] = churn_prob
        customers["lifetime_periods"] = periods_i
        customers["duration_periods"] = np.where(
            churned, periods_i, (duration_s // period_s).astype(np.int64)
        )
        recorded.update(alpha=alpha, beta=beta, period_days=period_days)
        median_k = int(np.argmax(surv <= 0.5)) if np.any(surv <= 0.5) else None
        truth.update(
            alpha=float(alpha),
            beta=float(beta),
            period_days=int(period_days),
            survival_formula="S(t) = B(alpha, beta + t) / B(alpha, beta), t in periods",
            retention_formula="r(t) = (beta + t - 1) / (alpha + beta + t - 1)",
            mean_churn_probability=float(alpha / (alpha + beta)),
            mean_lifetime_periods=(
                float((alpha + beta - 1.0) / (alpha - 1.0)) if alpha > 1 else None
            ),
            median_lifetime_periods=median_k,
            survival={str(int(j)): float(surv[j]) for j in range(min(n_periods, 12) + 1)},
            retention_rate={str(int(j)): float(ret[j]) for j in range(1, min(n_periods, 12) + 1)},
            source="Fader & Hardie (2007), How to project customer retention, JIM 21(1)",
        )
    return SubscriptionWorld(
        name="subscriptions",
        events=events,
        truth=truth,
        params=recorded,
        tables={"customers": customers, "survival": survival},
        event_log_options={
            "observation_start": t_start,
            "observation_end": t_start + pd.Timedelta(end_s, unit="s"),
        },
    )


# --------------------------------------------------------------------------- transactions
def _sorted_uniforms(rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """For each group ``i``, ``counts[i]`` sorted U(0, 1) draws, concatenated group by group.

    Uses exponential spacings (the order statistics of k uniforms are the normalised partial sums
    of k + 1 standard exponentials), so no sort is needed.
    """
    m = np.asarray(counts, dtype=np.int64) + 1
    e = rng.exponential(1.0, size=int(m.sum()))
    cs = np.cumsum(e)
    last = np.cumsum(m) - 1
    group = np.repeat(np.arange(len(m)), m)
    within = cs - np.r_[0.0, cs[last[:-1]]][group]
    frac = within / within[last][group]
    keep = np.ones(len(e), dtype=bool)
    keep[last] = False
    return frac[keep]


def _expected_tracking(weeks: np.ndarray, birth_w: np.ndarray, expected: Any) -> np.ndarray:
    """Sum over customers of E[X(max(0, week - birth))] for every calendar week.

    E[X(t)] is evaluated exactly on a grid of 1/1000 week and linearly interpolated (error below
    1e-9 per customer and week for the CDNOW parameters), so the cost does not grow with the
    number of customers times weeks of hypergeometric evaluations.
    """
    step = 1e-3
    top = max(float(weeks[-1] - birth_w.min()), 0.0)
    grid = np.arange(0.0, top + 2 * step, step)
    values = expected(grid)
    out = np.empty(len(weeks))
    for j, w in enumerate(weeks):  # a loop over weeks, vectorised over customers
        pos = np.maximum(w - birth_w, 0.0) / step
        i = np.minimum(pos.astype(np.int64), len(grid) - 2)
        frac = pos - i
        out[j] = float(np.sum(values[i] * (1.0 - frac) + values[i + 1] * frac))
    return out


def simulate_transactions(
    n_customers: int = 2000,
    *,
    model: str = "bgnbd",
    start: Any = "2025-01-01",
    days: float = 546,
    cohort_days: float = 84,
    params: Mapping[str, Any] | None = None,
    random_state: int | np.random.Generator | None = None,
) -> TransactionWorld:
    """Simulate non-contractual repeat buying (BG/NBD or Pareto/NBD) with gamma-gamma spend.

    Each customer's first purchase ("birth") happens at a time uniform on the first
    ``cohort_days`` of the window (like the CDNOW cohort, who first bought in the first 12 weeks
    of 1997). Model parameters are per **week**; times in days are weeks x 7.

    ``model="bgnbd"`` (Fader, Hardie & Lee 2005, Marketing Science 24(2)): while alive, repeat
    purchases follow a Poisson process with rate ``lambda ~ Gamma(r, rate alpha)``; after each
    *repeat* purchase the customer drops out with probability ``p ~ Beta(a, b)`` (never right
    after the first purchase). The true death time is the time of that last repeat purchase.

    ``model="paretonbd"`` (Schmittlein, Morrison & Colombo 1987): purchases at rate ``lambda ~
    Gamma(r, rate alpha)`` during an exponential lifetime with rate ``mu ~ Gamma(s, rate
    beta)``, counted from the first purchase.

    Spend (gamma-gamma, Colombo & Jiang 1999; Fader, Hardie & Lee 2005 "RFM and CLV"): every
    transaction, the first included, has value ``z ~ Gamma(p, rate nu)`` with the customer's
    ``nu ~ Gamma(q, rate gamma)``, so the customer's mean spend is ``p / nu`` and the population
    mean ``p gamma / (q - 1)``.

    Parameters
    ----------
    n_customers : int
        Size of the cohort.
    model : {"bgnbd", "paretonbd"}
    start : timestamp-like
        Start of the observation window (and of the cohort's first-purchase period).
    days : float
        Window length in days (default 546 = 78 weeks, the CDNOW calibration + holdout span).
    cohort_days : float
        First purchases are spread uniformly over ``[0, cohort_days)`` days (default 84 = 12
        weeks); must be shorter than ``days``.
    params : mapping, optional
        The model's parameters that differ from their defaults (a missing or ``None`` entry
        keeps the default):

        * ``r``, ``alpha``: gamma heterogeneity of the purchase rate (shape ``r``, rate
          ``alpha`` per week); default the CDNOW estimates of the chosen model;
        * ``a``, ``b`` (``bgnbd`` only): beta heterogeneity of the drop-out probability; default
          CDNOW 0.793, 2.426 (with r = 0.243, alpha = 4.414);
        * ``s``, ``beta`` (``paretonbd`` only): gamma heterogeneity of the death rate (shape
          ``s``, rate ``beta`` per week); default CDNOW 0.606, 11.669 (with r = 0.553, alpha =
          10.578);
        * ``p``, ``q``, ``gamma``: gamma-gamma spend parameters; default the CDNOW estimates
          6.25, 3.74, 15.44.
    random_state : int, Generator or None
        Seed or generator; the only source of randomness.

    Returns
    -------
    TransactionWorld
        ``events``: customer_id, timestamp, event (always ``conversion``), value (spend); no
        channel column. ``tables["customers"]``: customer_id, ``birth`` (timestamp),
        ``birth_week`` (weeks since start), ``lambda``, ``p`` (bgnbd) or ``mu`` (paretonbd),
        ``nu``, ``mean_spend`` (``p / nu``), ``lifetime`` (weeks from birth to the true death,
        possibly far beyond the window), ``death_time`` (NaT beyond 100 years),
        ``alive_at_end``, and the observed summary in weeks in the Fader-Hardie convention:
        ``frequency`` (repeat transactions), ``recency`` (birth to last repeat, 0 if none),
        ``T`` (birth to window end), ``n_transactions``, ``total_spend`` and
        ``monetary_value`` (mean repeat spend, 0 if none). ``tables["expected"]``: by weeks
        ``t`` since birth, ``expected_repeat`` = E[X(t)] and ``prob_alive``.
        ``tables["tracking"]``: by calendar week since start, the cohort's expected cumulative
        repeat transactions (given the simulated births) and the simulated count.

    Examples
    --------
    >>> w = simulate_transactions(500, random_state=3)
    >>> w.event_log().n_customers
    500
    >>> round(w.truth["expected_spend"], 2)
    35.22
    >>> round(float(w.expected.loc[39, "expected_repeat"]), 4)
    1.1967
    >>> simulate_transactions(500, params={"r": 0.5}, random_state=3).truth["params"]["r"]
    0.5
    """
    check_scalar(n_customers, "n_customers", typ=int, ge=1)
    n = int(n_customers)
    check_scalar(model, "model", in_=("bgnbd", "paretonbd"))
    t_start = parse_start(start)
    check_scalar(days, "days", typ=_NUMBER, gt=0, le=_FAR_DAYS)
    check_scalar(cohort_days, "cohort_days", typ=_NUMBER, gt=0, lt=days)
    given = _model_params(params, model, _TRANSACTION_PARAMS)
    r, alpha = given.get("r"), given.get("alpha")
    a, b, s, beta = given.get("a"), given.get("b"), given.get("s"), given.get("beta")
    p = given.get("p", GAMMA_GAMMA_CDNOW["p"])
    q = given.get("q", GAMMA_GAMMA_CDNOW["q"])
    gamma = given.get("gamma", GAMMA_GAMMA_CDNOW["gamma"])
    if model == "bgnbd":
        defaults = BGNBD_CDNOW
        a = defaults["a"] if a is None else a
        b = defaults["b"] if b is None else b
        check_scalar(a, "a", typ=_NUMBER, gt=0)
        check_scalar(b, "b", typ=_NUMBER, gt=0)
    else:
        defaults = PARETONBD_CDNOW
        s = defaults["s"] if s is None else s
        beta = defaults["beta"] if beta is None else beta
        check_scalar(s, "s", typ=_NUMBER, gt=0)
        check_scalar(beta, "beta", typ=_NUMBER, gt=0)
    r = defaults["r"] if r is None else r
    alpha = defaults["alpha"] if alpha is None else alpha
    check_scalar(r, "r", typ=_NUMBER, gt=0)
    check_scalar(alpha, "alpha", typ=_NUMBER, gt=0)
    check_scalar(p, "p", typ=_NUMBER, gt=0)
    check_scalar(q, "q", typ=_NUMBER, gt=0)
    check_scalar(gamma, "gamma", typ=_NUMBER, gt=0)
    rng = as_generator(random_state)

    # --- customer-level draws, in a fixed order
    birth = rng.uniform(0.0, cohort_days, size=n)
    lam = np.maximum(rng.gamma(r, 1.0 / alpha, size=n), 1e-300)
    if model == "bgnbd":
        drop = rng.beta(a, b, size=n)
        n_drop = _geometric(rng, drop)  # death right after this repeat purchase
    else:
        mu = np.maximum(rng.gamma(s, 1.0 / beta, size=n), 1e-300)
        tau = rng.exponential(1.0, size=n) / mu
    nu = rng.gamma(q, 1.0 / gamma, size=n)

    end_s = float(math.floor(days * _SECONDS_PER_DAY))
    birth_s = np.floor(birth * _SECONDS_PER_DAY)
    big_t = (end_s - birth_s) / _SECONDS_PER_WEEK  # weeks from birth to window end
    window = big_t if model == "bgnbd" else np.minimum(tau, big_t)

    # --- Poisson arrivals on (0, window], uniform order statistics given their number
    n_arr = rng.poisson(lam * window)
    starts = np.r_[0, np.cumsum(n_arr)[:-1]]
    rep_cust = np.repeat(np.arange(n), n_arr)
    u = _sorted_uniforms(rng, n_arr) * window[rep_cust]  # sorted within each customer
    if model == "bgnbd":
        rank = np.arange(len(u)) - starts[rep_cust]
        dead_inside = n_drop <= n_arr
        lifetime = np.empty(n)
        idx = starts[dead_inside] + n_drop[dead_inside].astype(np.int64) - 1
        lifetime[dead_inside] = u[idx]
        rest = ~dead_inside
        # memoryless: the remaining (n_drop - n_arr) arrivals after T take Gamma time
        with np.errstate(over="ignore"):
            lifetime[rest] = big_t[rest] + rng.gamma(n_drop[rest] - n_arr[rest], 1.0 / lam[rest])
        keep = rank < n_drop[rep_cust]
        rep_cust, u = rep_cust[keep], u[keep]
        alive = ~dead_inside
    else:
        lifetime = tau
        alive = tau > big_t

    # rounded up to whole seconds: a repeat purchase comes at least 1 s after the first one and
    # never after the window end (u <= T and the end is a whole second)
    rep_s = np.minimum(birth_s[rep_cust] + np.ceil(u * _SECONDS_PER_WEEK), end_s)
    n_rep = len(rep_cust)
    ids = np.arange(n)
    cust = np.concatenate([ids, rep_cust])
    secs = np.concatenate([birth_s, rep_s])
    is_rep = np.concatenate([np.zeros(n, bool), np.ones(n_rep, bool)])
    spend = rng.gamma(p, 1.0 / nu[cust])
    order = np.lexsort((is_rep, secs, cust))  # seconds ties: the first purchase comes first
    events = pd.DataFrame(
        {
            "customer_id": cust[order],
            "timestamp": _stamp(t_start, secs[order]),
            "event": np.full(len(cust), "conversion", dtype=object),
            "value": spend[order],
        }
    )

    # --- per-customer truth and the observed RFM summary (weeks)
    frequency = np.bincount(rep_cust, minlength=n)
    last_s = np.full(n, -np.inf)
    np.maximum.at(last_s, rep_cust, rep_s)
    recency = np.where(frequency > 0, (last_s - birth_s) / _SECONDS_PER_WEEK, 0.0)
    rep_spend = np.bincount(rep_cust, weights=spend[n:], minlength=n)
    death_s = np.where(
        lifetime * 7.0 < _FAR_DAYS, birth_s + np.floor(lifetime * _SECONDS_PER_WEEK), np.inf
    )
    customers = pd.DataFrame(
        {
            "customer_id": ids,
            "birth": _stamp(t_start, birth_s),
            "birth_week": birth_s / _SECONDS_PER_WEEK,
            "lambda": lam,
            **({"p": drop} if model == "bgnbd" else {"mu": mu}),
            "nu": nu,
            "mean_spend": p / nu,
            "lifetime": lifetime,
            "death_time": _stamp(t_start, death_s),
            "alive_at_end": alive,
            "frequency": frequency,
            "recency": recency,
            "T": big_t,
            "n_transactions": frequency + 1,
            "total_spend": spend[:n] + rep_spend,
            "monetary_value": np.where(frequency > 0, rep_spend / np.maximum(frequency, 1), 0.0),
        }
    )
    if model == "bgnbd":
        customers.insert(customers.columns.get_loc("p") + 1, "dropout_after", n_drop)

    # --- closed-form expectations
    if model == "bgnbd":
        model_params = {"r": r, "alpha": alpha, "a": a, "b": b}

        def expected(t: Any) -> np.ndarray:
            return bgnbd_expected_transactions(t, r, alpha, a, b)

        def alive_prob(t: Any) -> np.ndarray:
            return bgnbd_prob_alive(t, r, alpha, a, b)

        formula = (
            "E[X(t)] = (a+b-1)/(a-1) * (1 - (alpha/(alpha+t))**r * "
            "2F1(r, b; a+b-1; t/(alpha+t))), Fader, Hardie & Lee (2005) eq. (7)"
        )
        population = {"mean_lambda": r / alpha, "mean_p": a / (a + b)}
    else:
        model_params = {"r": r, "alpha": alpha, "s": s, "beta": beta}

        def expected(t: Any) -> np.ndarray:
            return paretonbd_expected_transactions(t, r, alpha, s, beta)

        def alive_prob(t: Any) -> np.ndarray:
            return paretonbd_prob_alive(t, s, beta)

        formula = (
            "E[X(t)] = r*beta/(alpha*(s-1)) * (1 - (beta/(beta+t))**(s-1)), "
            "Schmittlein, Morrison & Colombo (1987)"
        )
        population = {"mean_lambda": r / alpha, "mean_mu": s / beta}
    t_grid = np.arange(0.0, math.ceil(float(big_t.max())) + 1.0)
    expected_table = pd.DataFrame(
        {"t": t_grid, "expected_repeat": expected(t_grid), "prob_alive": alive_prob(t_grid)}
    )
    weeks = np.arange(0.0, math.floor(days / 7.0) + 1.0)
    if weeks[-1] * 7.0 < days:
        weeks = np.r_[weeks, days / 7.0]
    birth_w = birth_s / _SECONDS_PER_WEEK
    rep_w = np.sort(rep_s / _SECONDS_PER_WEEK)
    tracking = pd.DataFrame(
        {
            "week": weeks,
            "expected_cumulative_repeat": _expected_tracking(weeks, birth_w, expected),
            "cumulative_repeat": np.searchsorted(rep_w, weeks, side="right"),
        }
    )
    checkpoints = [w for w in (13.0, 26.0, 39.0, 52.0, 78.0) if w <= t_grid[-1]]
    truth: dict[str, Any] = {
        "model": model,
        "time_unit": "weeks",
        "params": {k: float(v) for k, v in model_params.items()},
        "spend": {"p": float(p), "q": float(q), "gamma": float(gamma)},
        "expected_spend": gamma_gamma_mean_spend(p, q, gamma) if q > 1 else None,
        "expected_repeat_formula": formula,
        "expected_repeat": {str(int(w)): float(expected(w)) for w in checkpoints},
        "prob_alive": {str(int(w)): float(alive_prob(w)) for w in checkpoints},
        "population": population,
        "cohort_weeks": cohort_days / 7.0,
        "observation_weeks": days / 7.0,
        "n_repeat_transactions": int(n_rep),
        "expected_repeat_total": float(expected(big_t).sum()),
        "n_alive_at_end": int(alive.sum()),
        "expected_alive_at_end": float(alive_prob(big_t).sum()),
    }
    recorded = {
        "n_customers": n,
        "model": model,
        "start": str(t_start),
        "days": days,
        "cohort_days": cohort_days,
        **model_params,
        "p": p,
        "q": q,
        "gamma": gamma,
        "random_state": _seed_param(random_state),
    }
    return TransactionWorld(
        name="transactions",
        events=events,
        truth=truth,
        params=recorded,
        tables={"customers": customers, "expected": expected_table, "tracking": tracking},
        event_log_options={
            "observation_start": t_start,
            "observation_end": t_start + pd.Timedelta(end_s, unit="s"),
        },
    )
