"""Synthetic contractual churn: :func:`simulate_subscriptions` (Weibull PH or sBG).

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
The true curves are :func:`cjmodels.survival.closed_forms.weibull_ph_survival` and, for the
sBG, :func:`~cjmodels.survival.closed_forms.sbg_survival`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize

from cjmodels._checks import as_generator, check_scalar
from cjmodels.errors import ValidationError
from cjmodels.results import result_dataclass
from cjmodels.survival.closed_forms import (
    sbg_churn_probability,
    sbg_retention_rate,
    sbg_survival,
    weibull_ph_survival,
)
from cjmodels.synthetic._base import SyntheticWorld, parse_start
from cjmodels.synthetic.customer_base._common import (
    _FAR_DAYS,
    _NUMBER,
    _SECONDS_PER_DAY,
    _geometric,
    _model_params,
    _seed_param,
    _stamp,
)

__all__ = ["DEFAULT_COEFFICIENTS", "SubscriptionWorld", "simulate_subscriptions"]


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

#: Fader & Hardie (2007) sBG estimates for the "regular" segment (annual renewals in the paper).
SBG_REGULAR = {"alpha": 0.704, "beta": 1.182}


#: Parameters each subscription model takes in ``simulate_subscriptions(params=...)``.
_SUBSCRIPTION_PARAMS = {
    "weibull-ph": ("shape", "scale", "coefficients", "frailty_variance"),
    "sbg": ("alpha", "beta", "period_days"),
}


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


@result_dataclass
class SubscriptionWorld(SyntheticWorld):
    """A :class:`SyntheticWorld` from :func:`simulate_subscriptions`, with typed shortcuts.

    Attributes
    ----------
    name : str
        ``"subscriptions"``.
    events : pandas.DataFrame
        ``customer_id`` (0 to ``n_customers - 1``), ``timestamp``, ``event`` (``"subscribe"``,
        then ``"churn"`` when the churn falls in the window), ``value`` (the plan's fee on
        ``subscribe`` rows, 0.0 on ``churn`` rows) and the covariates ``plan``,
        ``acquisition_channel`` and ``age`` on every row.
    truth : dict
        ``model``, ``time_unit`` (days), ``n_churned``, ``n_censored``, the covariate
        distribution and fees, and the model's truth: for ``"weibull-ph"`` the ``baseline``,
        ``coefficients`` (log-hazard ratios, as a Cox fit estimates them),
        ``aft_coefficients`` (``-beta / shape``), ``frailty_variance``, ``median_lifetime``
        (days) and ``survival`` at 30, 90, 180, 365 and 730 days (those within the window); for
        ``"sbg"`` ``alpha``, ``beta``, ``period_days``, the mean churn probability, the mean
        and median lifetime in periods, and ``survival`` and ``retention_rate`` for the first
        12 periods.
    params : dict
        The arguments of :func:`simulate_subscriptions` with the model's parameters filled in
        (``random_state`` is ``"Generator"`` when a generator was given).
    tables : dict of str to DataFrame
        ``"customers"`` (see :attr:`customers`) and ``"survival"`` (see :attr:`survival`).
    event_log_options : dict
        ``observation_start`` and ``observation_end`` (the window), for :meth:`event_log`, so
        that subscribers who have not churned are censored at the window's end.

    See Also
    --------
    simulate_subscriptions : Builds this world.

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
    n_customers : int, default 5000
        Number of subscribers.
    model : {"weibull-ph", "sbg"}, default "weibull-ph"
        Continuous-time Weibull proportional hazards, or the discrete-time shifted
        beta-geometric model (see above).
    start : timestamp-like, default "2025-01-01"
        Start of the observation window.
    days : float, default 730
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
    random_state : int, Generator or None, default None
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
        pmf = np.r_[0.0, sbg_churn_probability(k[1:], alpha, beta)]
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
