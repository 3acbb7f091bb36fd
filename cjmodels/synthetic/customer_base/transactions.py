"""Synthetic repeat buying: :func:`simulate_transactions` (BG/NBD or Pareto/NBD, gamma-gamma spend).

Parameters are per week (the CDNOW analyses); the truth (expected transactions, P(alive), mean
spend) is written with the models' closed forms in :mod:`cjmodels.survival.closed_forms`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import as_generator, check_scalar
from cjmodels.results import result_dataclass
from cjmodels.survival.closed_forms import (
    bgnbd_expected_transactions,
    bgnbd_prob_alive,
    gamma_gamma_mean_spend,
    paretonbd_expected_transactions,
    paretonbd_prob_alive,
)
from cjmodels.synthetic._base import SyntheticWorld, parse_start
from cjmodels.synthetic.customer_base._common import (
    _FAR_DAYS,
    _NUMBER,
    _SECONDS_PER_DAY,
    _SECONDS_PER_WEEK,
    _geometric,
    _model_params,
    _seed_param,
    _stamp,
)

__all__ = ["TransactionWorld", "simulate_transactions"]

#: Published CDNOW estimates (time unit weeks). Checked by refitting the models by maximum
#: likelihood on the CDNOW sample summary distributed with the ``lifetimes`` package.
BGNBD_CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PARETONBD_CDNOW = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
GAMMA_GAMMA_CDNOW = {"p": 6.25, "q": 3.74, "gamma": 15.44}

#: Parameters each repeat-buying model takes in ``simulate_transactions(params=...)``.
_SPEND_PARAMS = ("p", "q", "gamma")
_TRANSACTION_PARAMS = {
    "bgnbd": ("r", "alpha", "a", "b", *_SPEND_PARAMS),
    "paretonbd": ("r", "alpha", "s", "beta", *_SPEND_PARAMS),
}


@result_dataclass
class TransactionWorld(SyntheticWorld):
    """A :class:`SyntheticWorld` from :func:`simulate_transactions`, with typed shortcuts.

    Attributes
    ----------
    name : str
        ``"transactions"``.
    events : pandas.DataFrame
        ``customer_id`` (0 to ``n_customers - 1``), ``timestamp``, ``event`` (always
        ``"conversion"``: the first purchase and every repeat purchase in the window) and
        ``value`` (the spend); no channel column.
    truth : dict
        ``model``, ``time_unit`` (weeks), the model's ``params`` and the ``spend`` parameters,
        ``expected_spend`` (the population mean spend, None when ``q <= 1``), the formula and
        checkpoint values of E[X(t)] (``expected_repeat``) and of ``prob_alive``, population
        means, the cohort and observation lengths in weeks, and the simulated and expected
        totals (repeat transactions, customers alive at the end).
    params : dict
        The arguments of :func:`simulate_transactions` with every model parameter filled in
        (``random_state`` is ``"Generator"`` when a generator was given).
    tables : dict of str to DataFrame
        ``"customers"`` (see :attr:`customers`), ``"expected"`` (see :attr:`expected`) and
        ``"tracking"`` (by calendar week, the cohort's expected and simulated cumulative repeat
        transactions).
    event_log_options : dict
        ``observation_start`` and ``observation_end`` (the window), for :meth:`event_log`.

    See Also
    --------
    simulate_transactions : Builds this world.
    cjmodels.survival.BetaGeoModel : Fits the BG/NBD model back from the transactions.

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
    n_customers : int, default 2000
        Size of the cohort.
    model : {"bgnbd", "paretonbd"}, default "bgnbd"
        The repeat-buying model (see above).
    start : timestamp-like, default "2025-01-01"
        Start of the observation window (and of the cohort's first-purchase period).
    days : float, default 546
        Window length in days (default 546 = 78 weeks, the CDNOW calibration + holdout span).
    cohort_days : float, default 84
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
    random_state : int, Generator or None, default None
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
