"""Tests of the synthetic customer bases (subscriptions and repeat transactions).

Every numeric check compares with a reference computed independently of the simulator: closed
forms from the cited papers evaluated with scipy (special functions, numerical integration), or
lifelines fits. Simulation checks use fixed seeds and tolerances of 4 standard errors; each test
also asserts that its standard error is small enough to detect a real bug.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from lifelines import CoxPHFitter, KaplanMeierFitter, WeibullAFTFitter, WeibullFitter
from scipy import integrate, special, stats

from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError
from cjmodels.survival.closed_forms import (
    bgnbd_expected_transactions,
    bgnbd_prob_alive,
    gamma_gamma_mean_spend,
    sbg_survival,
)
from cjmodels.synthetic.customer_base import (
    DEFAULT_COEFFICIENTS,
    simulate_subscriptions,
    simulate_transactions,
)

Z = 4.0  # tolerance in standard errors for every simulation check
DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(weeks=1)
ZERO_COEFS = {k: 0.0 for k in DEFAULT_COEFFICIENTS}


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def weibull_world():
    return simulate_subscriptions(6000, random_state=11)


@pytest.fixture(scope="module")
def sbg_world():
    return simulate_subscriptions(20000, model="sbg", random_state=12)


@pytest.fixture(scope="module")
def bgnbd_world():
    return simulate_transactions(20000, random_state=13)


@pytest.fixture(scope="module")
def pareto_world():
    return simulate_transactions(20000, model="paretonbd", random_state=14)


def _greenwood(durations, events, times):
    """Kaplan-Meier estimate (lifelines) and Greenwood standard error at ``times``."""
    kmf = KaplanMeierFitter().fit(durations, events)
    et = kmf.event_table
    n, d = et["at_risk"].to_numpy(float), et["observed"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(d > 0, d / (n * (n - d)), 0.0)
    cum = pd.Series(np.cumsum(terms), index=et.index)
    s = kmf.survival_function_at_times(times).to_numpy()
    var = s**2 * cum.reindex(cum.index.union(times)).ffill().loc[times].to_numpy()
    return s, np.sqrt(var)


# --------------------------------------------------------------------------- subscriptions
class TestSubscriptionStructure:
    @pytest.mark.parametrize("model", ["weibull-ph", "sbg"])
    def test_validates_and_rows(self, model):
        w = simulate_subscriptions(1500, model=model, random_state=1)
        log = EventLog(w.events, **w.event_log_options)
        assert log.n_customers == 1500
        assert list(w.events.columns) == [
            "customer_id",
            "timestamp",
            "event",
            "value",
            "plan",
            "acquisition_channel",
            "age",
        ]
        ev = w.events
        assert set(ev["event"]) <= {"subscribe", "churn"}
        per = ev.groupby("customer_id")["event"].agg(list)
        assert per.map(lambda e: e[0] == "subscribe").all()
        assert per.map(len).max() <= 2
        # value = the plan's fee on subscribe rows, 0 on churn rows
        sub = ev[ev["event"] == "subscribe"]
        assert np.allclose(sub["value"], sub["plan"].map({"basic": 9.99, "premium": 19.99}))
        assert (ev.loc[ev["event"] == "churn", "value"] == 0).all()
        # covariates constant within a customer
        assert (
            (ev.groupby("customer_id")[["plan", "acquisition_channel", "age"]].nunique() == 1)
            .all()
            .all()
        )
        assert ev.sort_values(["customer_id", "timestamp"], kind="stable").index.equals(ev.index)
        json.dumps(w.to_dict())
        assert w.name == "subscriptions"

    @pytest.mark.parametrize("model", ["weibull-ph", "sbg"])
    def test_censoring_is_exact(self, model):
        w = simulate_subscriptions(3000, model=model, days=400, entry_days=300, random_state=2)
        end = w.event_log_options["observation_end"]
        start = w.event_log_options["observation_start"]
        assert end == pd.Timestamp("2025-01-01") + 400 * DAY
        ev, c = w.events, w.customers
        assert (ev["timestamp"] <= end).all() and (ev["timestamp"] >= start).all()
        assert (c["subscribed_at"] < start + 300 * DAY).all()
        # latent churn time from the true lifetime (timestamps are whole seconds)
        far = c["lifetime"] >= 36500  # no timestamp 100 years or more ahead
        assert c["churn_time"].isna().equals(far)
        latent_end = c["subscribed_at"] + pd.to_timedelta(c["lifetime"].where(~far), "D")
        assert ((latent_end - c["churn_time"]).abs()[~far] <= pd.Timedelta(seconds=1)).all()
        alive_at_end = c["churn_time"].isna() | (c["churn_time"] > end)
        assert c["censored"].equals(alive_at_end)
        assert c["churned"].equals(~alive_at_end)
        churn_rows = ev[ev["event"] == "churn"].set_index("customer_id")["timestamp"]
        assert churn_rows.index.equals(pd.Index(c.loc[c["churned"], "customer_id"]))
        assert churn_rows.equals(c.loc[c["churned"]].set_index("customer_id")["churn_time"])
        stop = c["churn_time"].where(c["churned"], end)
        assert np.allclose(c["duration"], (stop - c["subscribed_at"]) / DAY, atol=1e-9)
        assert 0.2 < c["censored"].mean() < 0.8  # the window censors a real share

    def test_deterministic_and_generator(self):
        a = simulate_subscriptions(400, random_state=5)
        b = simulate_subscriptions(400, random_state=5)
        c = simulate_subscriptions(400, random_state=6)
        d = simulate_subscriptions(400, random_state=np.random.default_rng(5))
        pd.testing.assert_frame_equal(a.events, b.events)
        pd.testing.assert_frame_equal(a.events, d.events)
        assert not a.events.equals(c.events)
        assert d.params["random_state"] == "Generator"

    def test_bad_parameters(self):
        bad = [
            {"n_customers": 0},
            {"n_customers": 10.5},
            {"model": "cox"},
            {"days": 0},
            {"days": 1e6},
            {"entry_days": 800},
            {"params": {"shape": -1.0}},
            {"params": {"scale": 0}},
            {"params": {"frailty_variance": -0.1}},
            {"params": {"coefficients": {"plan_gold": 1.0}}},
            {"params": {"coefficients": {"age": float("nan")}}},
            {"fees": {"gold": 5.0}},
            {"fees": {"basic": -1.0}},
            {"params": {"alpha": 1.0}},  # sbg parameter with the default weibull-ph model
            {"model": "sbg", "params": {"shape": 2.0}},
            {"model": "sbg", "params": {"alpha": 0.0}},
            {"model": "sbg", "params": {"beta": -1.0}},
            {"model": "sbg", "params": {"period_days": 0}},
            {"start": "not a date"},
            {"random_state": "seed"},
        ]
        for kw in bad:
            kw = {"n_customers": 10, **kw}
            with pytest.raises(ValidationError):
                simulate_subscriptions(**kw)

    def test_error_names_the_parameter(self):
        with pytest.raises(ValidationError, match="shape == -1"):
            simulate_subscriptions(10, params={"shape": -1})
        with pytest.raises(ValidationError, match="alpha apply to model='sbg'"):
            simulate_subscriptions(10, params={"alpha": 1.0})
        with pytest.raises(ValidationError, match="unknown names \\['rate'\\]"):
            simulate_subscriptions(10, params={"rate": 1.0})
        with pytest.raises(ValidationError, match="params must be a mapping"):
            simulate_subscriptions(10, params=[("shape", 1.0)])


class TestWeibullPH:
    def test_cox_recovers_coefficients(self, weibull_world):
        # lifelines CoxPHFitter on the observed (censored) data estimates beta of
        # h(t|x) = h0(t) exp(x'beta); no frailty, n = 6000 (about 2,700 churns).
        c = weibull_world.customers
        x = pd.get_dummies(c[["plan", "acquisition_channel"]], drop_first=True, dtype=float)
        df = x.assign(age=c["age"], duration=c["duration"], event=c["churned"].astype(int))
        cph = CoxPHFitter().fit(df, "duration", "event")
        truth = pd.Series(weibull_world.truth["coefficients"])
        est, se = cph.params_[truth.index], cph.standard_errors_[truth.index]
        assert (se < 0.12).all()  # power: a sign error of any coefficient is > 4 SE
        assert ((est - truth).abs() < Z * se).all(), pd.DataFrame({"est": est, "true": truth})

    def test_weibull_aft_parameterisation(self, weibull_world):
        # lifelines WeibullAFTFitter: S(t|x) = exp(-(t / lambda_x)^rho), log lambda_x = b0 + x'b.
        # The stated relation: b = -beta / rho, b0 = log(scale), log rho = log(shape).
        c = weibull_world.customers
        x = pd.get_dummies(c[["plan", "acquisition_channel"]], drop_first=True, dtype=float)
        df = x.assign(age=c["age"] - 45.0, duration=c["duration"], event=c["churned"].astype(int))
        aft = WeibullAFTFitter().fit(df, "duration", "event")
        truth = weibull_world.truth
        for name, beta in truth["coefficients"].items():
            est = aft.params_[("lambda_", name)]
            se = aft.standard_errors_[("lambda_", name)]
            assert se < 0.12
            assert abs(est - (-beta / truth["baseline"]["shape"])) < Z * se, name
            assert truth["aft_coefficients"][name] == pytest.approx(-beta / 1.2, rel=1e-12)
        for key, true in (("lambda_", np.log(500.0)), ("rho_", np.log(1.2))):
            est = aft.params_[(key, "Intercept")]
            se = aft.standard_errors_[(key, "Intercept")]
            assert abs(est - true) < Z * se, key

    def test_weibull_fitter_without_covariates(self):
        # No covariate effect, no frailty: the lifetimes are exactly Weibull(scale, shape) in
        # lifelines' WeibullFitter convention S(t) = exp(-(t / lambda_)^rho_).
        w = simulate_subscriptions(
            4000, params={"coefficients": ZERO_COEFS, "shape": 0.5, "scale": 300.0},
            random_state=21,
        )
        c = w.customers
        assert (c["duration"] > 0).all()  # lifelines rejects non-positive durations
        wf = WeibullFitter().fit(c["duration"], c["churned"])
        se = wf.summary["se(coef)"]
        assert se["lambda_"] < 0.05 * 300 and se["rho_"] < 0.05
        assert abs(wf.lambda_ - 300.0) < Z * se["lambda_"]
        assert abs(wf.rho_ - 0.5) < Z * se["rho_"]
        # the true population curve is then the reference curve
        s = w.survival
        assert np.allclose(s["survival"], np.exp(-((s["t"] / 300.0) ** 0.5)), rtol=1e-12)
        assert np.allclose(s["survival"], s["survival_reference"], rtol=1e-12)

    @pytest.mark.parametrize("theta", [0.0, 1.0])
    def test_kaplan_meier_matches_marginal_survival(self, theta, weibull_world):
        # The true population S(t) (mixture over covariates and gamma frailty) against the
        # lifelines Kaplan-Meier estimate of the censored, staggered-entry data.
        w = (
            weibull_world
            if theta == 0
            else simulate_subscriptions(6000, params={"frailty_variance": theta}, random_state=22)
        )
        c = w.customers
        times = np.array([30.0, 90.0, 180.0, 365.0, 540.0])
        km, se = _greenwood(c["duration"], c["churned"], times)
        true = w.survival.set_index("t").loc[times, "survival"].to_numpy()
        assert (se < 0.015).all()
        assert (np.abs(km - true) < Z * se).all(), (km, true, se)
        assert w.truth["survival"]["365"] == pytest.approx(true[3], rel=1e-12)

    def test_marginal_survival_closed_form(self):
        # Reference: integrate the gamma frailty numerically with scipy for one covariate pattern
        # and check the Laplace-transform closed form (1 + theta H)^(-1/theta) used in the table.
        theta, shape, scale = 0.7, 1.3, 200.0
        w = simulate_subscriptions(
            50,
            params={"coefficients": ZERO_COEFS, "frailty_variance": theta, "shape": shape,
                    "scale": scale},
            days=400,
            random_state=0,
        )
        s = w.survival.set_index("t")
        for t in (50.0, 200.0, 350.0):
            h = (t / scale) ** shape
            ref, _ = integrate.quad(
                lambda z, h=h: np.exp(-z * h) * stats.gamma.pdf(z, 1 / theta, scale=theta),
                0,
                np.inf,
            )
            assert s.loc[t, "survival"] == pytest.approx(ref, rel=1e-7)
            # hazard = -d log S / dt, checked by a central difference over +-1 day
            fd = -(np.log(s.loc[t + 1, "survival"]) - np.log(s.loc[t - 1, "survival"])) / 2
            assert s.loc[t, "hazard"] == pytest.approx(fd, rel=1e-4)

    def test_linear_predictor_and_latent_lifetimes(self):
        # eta = x'beta with dummies as pd.get_dummies(drop_first=True) and age centred at 45
        w = simulate_subscriptions(20000, params={"frailty_variance": 0.5}, random_state=23)
        c = w.customers
        x = pd.get_dummies(c[["plan", "acquisition_channel"]], drop_first=True, dtype=float)
        beta = pd.Series(DEFAULT_COEFFICIENTS)
        eta = x[beta.index[:-1]].to_numpy() @ beta.iloc[:-1].to_numpy() + beta["age"] * (
            c["age"] - 45
        )
        assert np.allclose(c["linear_predictor"], eta, atol=1e-12)
        # frailty ~ Gamma(shape 1/theta, scale theta): KS test against scipy
        assert stats.kstest(c["frailty"], stats.gamma(2.0, scale=0.5).cdf).pvalue > 1e-4
        # uncensored latent lifetimes vs the tabulated population S(t) (no censoring noise)
        s = w.survival.set_index("t")["survival"]
        for t in (30.0, 180.0, 365.0, 730.0):
            emp = np.mean(c["lifetime"] > t)
            se = np.sqrt(s[t] * (1 - s[t]) / len(c))
            assert abs(emp - s[t]) < Z * se, (t, emp, s[t])

    def test_median_lifetime(self, weibull_world):
        # the truth's median solves S(t) = 0.5 on the tabulated curve (daily grid)
        s = weibull_world.survival
        m = weibull_world.truth["median_lifetime"]
        below = s.loc[s["survival"] <= 0.5, "t"].iloc[0]
        assert below - 1 < m <= below


class TestSBG:
    def test_latent_lifetimes_follow_closed_form(self, sbg_world):
        # P(T > t) = B(alpha, beta + t) / B(alpha, beta), the sBG survivor function of Fader &
        # Hardie (2007), with alpha = 0.704, beta = 1.182 (their "regular" segment), evaluated
        # with scipy.special.beta.
        lp = sbg_world.customers["lifetime_periods"].to_numpy()
        a, b = 0.704, 1.182
        for t in range(1, 13):
            ref = special.beta(a, b + t) / special.beta(a, b)
            emp = np.mean(lp > t)
            se = np.sqrt(ref * (1 - ref) / len(lp))
            assert abs(emp - ref) < Z * se, (t, emp, ref)
        assert np.sqrt(0.25 / len(lp)) < 0.004

    def test_kaplan_meier_on_observed_data(self, sbg_world):
        # lifelines Kaplan-Meier on the censored, staggered-entry log (in periods) vs the sBG
        # survivor function.
        c = sbg_world.customers
        times = np.arange(1.0, 21.0)
        km, se = _greenwood(c["duration_periods"], c["churned"], times)
        ref = special.beta(0.704, 1.182 + times) / special.beta(0.704, 1.182)
        assert (se < 0.01).all()
        assert (np.abs(km - ref) < Z * se).all()

    def test_survival_table(self, sbg_world):
        s = sbg_world.survival
        a, b = 0.704, 1.182
        k = s["period"].to_numpy(float)
        assert np.allclose(s["survival"], special.beta(a, b + k) / special.beta(a, b), rtol=1e-10)
        # retention rate r(t) = (beta + t - 1) / (alpha + beta + t - 1) (Fader & Hardie 2007),
        # which must equal S(t) / S(t - 1)
        r = s["retention_rate"].to_numpy()[1:]
        assert np.allclose(r, (b + k[1:] - 1) / (a + b + k[1:] - 1), rtol=1e-10)
        assert np.allclose(r, s["survival"].to_numpy()[1:] / s["survival"].to_numpy()[:-1])
        # P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta) (sBG pmf) = S(t-1) - S(t)
        assert np.allclose(s["churn_pmf"].to_numpy()[1:], -np.diff(s["survival"]), atol=1e-12)
        assert np.allclose(s["t"], 30 * k)
        assert sbg_world.truth["mean_lifetime_periods"] is None  # alpha < 1: infinite mean
        assert sbg_world.truth["mean_churn_probability"] == pytest.approx(a / (a + b))

    def test_mean_lifetime_is_the_sum_of_the_survival(self):
        # (the closed forms themselves: tests/survival/test_closed_forms.py)
        # mean lifetime (alpha + beta - 1)/(alpha - 1) = sum_t S(t) (alpha > 1), by direct sum
        w = simulate_subscriptions(10, model="sbg", params={"alpha": 2.5, "beta": 3.0},
                                   random_state=0)
        direct = sbg_survival(np.arange(0, 200000), 2.5, 3.0).sum()
        assert w.truth["mean_lifetime_periods"] == pytest.approx(direct, rel=1e-4)

    def test_churn_on_renewal_dates(self):
        w = simulate_subscriptions(2000, model="sbg", params={"period_days": 7}, random_state=3)
        c = w.customers[w.customers["churned"]]
        gap = (c["churn_time"] - c["subscribed_at"]) / DAY
        assert np.array_equal(gap.to_numpy(), 7.0 * c["lifetime_periods"].to_numpy())
        cens = w.customers[w.customers["censored"]]
        # censored: survived the completed periods, churn comes later
        assert (cens["lifetime_periods"] > cens["duration_periods"]).all()
        assert (cens["duration_periods"] == np.floor(cens["duration"] / 7 + 1e-12)).all()
        assert (w.customers["linear_predictor"] == 0).all()


# --------------------------------------------------------------------------- transactions
def _repeat_counts(world, t_weeks):
    """Repeat transactions in (0, t] weeks after each customer's first purchase, from events.

    ``t_weeks`` is a number or one horizon per customer (indexed by customer id).
    """
    ev = world.events
    first = ev.groupby("customer_id")["timestamp"].transform("min")
    age = (ev["timestamp"] - first) / WEEK
    horizon = np.asarray(t_weeks, dtype=float)
    if horizon.ndim:
        horizon = horizon[ev["customer_id"].to_numpy()]
    rep = (ev["timestamp"] > first) & (age <= horizon)
    n = world.customers.shape[0]
    return np.bincount(ev.loc[rep, "customer_id"], minlength=n)


def _bgnbd_ex_quad(t, r, alpha, a, b):
    """E[X(t)] by integrating E[X(t)|lambda,p] = (1 - e^{-lambda p t}) / p (FHL 2005) over
    lambda ~ Gamma(r, alpha) analytically and p ~ Beta(a, b) with scipy.integrate.quad."""
    f = lambda p: (1 - (alpha / (alpha + p * t)) ** r) / p * stats.beta.pdf(p, a, b)  # noqa: E731
    return integrate.quad(f, 0, 1, limit=200, epsabs=1e-12)[0]


def _pnbd_ex_quad(t, r, alpha, s, beta):
    """E[X(t)] = E[lambda] E[(1 - e^{-mu t}) / mu] for the Pareto/NBD, integrated with quad."""
    f = lambda mu: -np.expm1(-mu * t) / mu * stats.gamma.pdf(mu, s, scale=1 / beta)  # noqa: E731
    return r / alpha * integrate.quad(f, 0, np.inf, limit=200, epsabs=1e-12)[0]


class TestTransactionStructure:
    @pytest.mark.parametrize("model", ["bgnbd", "paretonbd"])
    def test_validates_and_summary_matches_events(self, model):
        w = simulate_transactions(1500, model=model, random_state=4)
        log = EventLog(w.events, **w.event_log_options)
        assert log.n_customers == 1500
        assert log.report()["events"] == {"conversion": len(w.events)}
        ev, c = w.events, w.customers.set_index("customer_id")
        start = w.event_log_options["observation_start"]
        end = w.event_log_options["observation_end"]
        assert end - start == 546 * DAY
        assert (ev["timestamp"] <= end).all()
        assert (ev["value"] > 0).all()
        g = ev.groupby("customer_id")["timestamp"]
        first, last, count = g.min(), g.max(), g.size()
        assert (first == c["birth"]).all()
        assert (first < start + 84 * DAY).all()
        # Fader-Hardie summary (weeks): frequency = repeats, recency = first -> last, T = first
        # -> end; recomputed here from the event log
        assert (count - 1 == c["frequency"]).all()
        assert (count == c["n_transactions"]).all()
        assert np.allclose((last - first) / WEEK, c["recency"], atol=1e-9)
        assert np.allclose((end - first) / WEEK, c["T"], atol=1e-9)
        spend = ev.groupby("customer_id")["value"]
        assert np.allclose(spend.sum(), c["total_spend"])
        rep_mean = (
            ev[ev["timestamp"] > ev.groupby("customer_id")["timestamp"].transform("min")]
            .groupby("customer_id")["value"]
            .mean()
            .reindex(c.index, fill_value=0.0)
        )
        assert np.allclose(rep_mean, c["monetary_value"])
        # truth: alive customers die after the end, dead ones inside the window
        death_week = c["lifetime"]
        assert (c["alive_at_end"] == (death_week > c["T"])).all()
        if model == "bgnbd":
            # death happens right after the last repeat purchase
            dead = ~c["alive_at_end"]
            assert np.allclose(c.loc[dead, "recency"], death_week[dead], atol=1e-5)
            assert (c.loc[dead, "frequency"] == c.loc[dead, "dropout_after"]).all()
            assert (c.loc[~dead, "frequency"] < c.loc[~dead, "dropout_after"]).all()
        else:
            assert (c["recency"] <= np.minimum(death_week, c["T"]) + 1e-9).all()
        json.dumps(w.to_dict())
        assert w.name == "transactions"

    def test_deterministic(self):
        a = simulate_transactions(300, random_state=9)
        b = simulate_transactions(300, random_state=9)
        pd.testing.assert_frame_equal(a.events, b.events)
        pd.testing.assert_frame_equal(a.customers, b.customers)
        assert not a.events.equals(simulate_transactions(300, random_state=10).events)

    def test_bad_parameters(self):
        bad = [
            {"n_customers": -1},
            {"model": "bgbb"},
            {"days": -5},
            {"cohort_days": 0},
            {"cohort_days": 600},
            {"params": {"r": 0}},
            {"params": {"alpha": -1.0}},
            {"params": {"a": 0}},
            {"params": {"b": float("nan")}},
            {"params": {"s": 1.0}},  # Pareto/NBD parameter with the BG/NBD model
            {"model": "paretonbd", "params": {"a": 1.0}},
            {"model": "paretonbd", "params": {"beta": 0}},
            {"params": {"p": 0}},
            {"params": {"q": -2.0}},
            {"params": {"gamma": 0}},
            {"start": None},
        ]
        for kw in bad:
            kw = {"n_customers": 10, **kw}
            with pytest.raises(ValidationError):
                simulate_transactions(**kw)
        with pytest.raises(ValidationError, match="s apply to model='paretonbd'"):
            simulate_transactions(10, params={"s": 1.0})


class TestBGNBD:
    PARAMS = (0.243, 4.414, 0.793, 2.426)  # FHL (2005) CDNOW estimates, weeks

    def test_mean_repeat_transactions(self, bgnbd_world):
        # simulated mean of X(t) (repeat purchases in (0, t] weeks after the first purchase,
        # counted from the event log's day timestamps) vs E[X(t)] of FHL (2005) eq. (7).
        for t in (13.0, 26.0, 39.0, 52.0, 66.0):  # every customer is observed >= 66 weeks
            x = _repeat_counts(bgnbd_world, t)
            ref = _bgnbd_ex_quad(t, *self.PARAMS)
            se = x.std(ddof=1) / np.sqrt(len(x))
            assert se < 0.05 * ref
            assert abs(x.mean() - ref) < Z * se, (t, x.mean(), ref)
        assert bgnbd_world.truth["expected_repeat"]["39"] == pytest.approx(
            _bgnbd_ex_quad(39.0, *self.PARAMS), rel=1e-8
        )

    def test_conditional_on_latent_rates(self, bgnbd_world):
        # given lambda and p, E[X(t) | lambda, p] = (1 - exp(-lambda p t)) / p (FHL 2005, the
        # individual-level result their eq. (7) integrates); z-score of the total over customers
        c = bgnbd_world.customers
        lam, p = c["lambda"].to_numpy(), c["p"].to_numpy()
        for t in (13.0, 39.0, 66.0):
            x = _repeat_counts(bgnbd_world, t)
            e = -np.expm1(-lam * p * t) / p
            resid = x - e
            assert abs(resid.sum()) < Z * np.sqrt(np.sum(resid**2)), t
        # and in the last 10 % of each customer's window (0.9 T_i, T_i]: arrivals reach the end
        big_t = c["T"].to_numpy()
        late = c["frequency"].to_numpy() - _repeat_counts(bgnbd_world, 0.9 * big_t)
        e_late = (np.expm1(-lam * p * 0.9 * big_t) - np.expm1(-lam * p * big_t)) / p
        resid = late - e_late
        assert abs(resid.sum()) < Z * np.sqrt(np.sum(resid**2))
        # latent draws against scipy: lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b)
        r, al, a, b = self.PARAMS
        assert stats.kstest(lam, stats.gamma(r, scale=1 / al).cdf).pvalue > 1e-4
        assert stats.kstest(p, stats.beta(a, b).cdf).pvalue > 1e-4
        # dropout_after ~ Geometric(p) on 1, 2, ...: P(J > 1) = E[1 - p] = b / (a + b)
        j = c["dropout_after"].to_numpy()
        ref = b / (a + b)
        assert abs(np.mean(j > 1) - ref) < Z * np.sqrt(ref * (1 - ref) / len(j))

    def test_alive_at_end(self, bgnbd_world):
        # number alive at the end vs sum of P(alive at T_i) (Poisson-binomial variance)
        c = bgnbd_world.customers
        prob = bgnbd_prob_alive(c["T"].to_numpy(), *self.PARAMS)
        sd = np.sqrt(np.sum(prob * (1 - prob)))
        assert abs(c["alive_at_end"].sum() - prob.sum()) < Z * sd
        assert sd < 0.01 * len(c)

    def test_tracking_totals(self, bgnbd_world):
        # cumulative repeat transactions at the window end vs sum_i E[X(T_i)]; the z-score uses
        # the per-customer residual variance
        c = bgnbd_world.customers
        tr = bgnbd_world.tables["tracking"]
        e = bgnbd_expected_transactions(c["T"].to_numpy(), *self.PARAMS)
        resid = c["frequency"].to_numpy() - e
        assert tr["cumulative_repeat"].iloc[-1] == c["frequency"].sum()
        assert tr["expected_cumulative_repeat"].iloc[-1] == pytest.approx(e.sum(), rel=1e-8)
        assert abs(resid.sum()) < Z * np.sqrt(np.sum(resid**2))
        assert tr["week"].iloc[-1] == 78 and tr["expected_cumulative_repeat"].iloc[0] == 0


class TestParetoNBD:
    PARAMS = (0.553, 10.578, 0.606, 11.669)  # CDNOW estimates, weeks

    def test_mean_repeat_transactions(self, pareto_world):
        for t in (13.0, 39.0, 66.0):
            x = _repeat_counts(pareto_world, t)
            ref = _pnbd_ex_quad(t, *self.PARAMS)
            se = x.std(ddof=1) / np.sqrt(len(x))
            assert se < 0.05 * ref
            assert abs(x.mean() - ref) < Z * se, (t, x.mean(), ref)

    def test_conditional_on_latent_rates(self, pareto_world):
        # E[X(t) | lambda, mu] = (lambda / mu) (1 - exp(-mu t)) (Schmittlein et al. 1987)
        c = pareto_world.customers
        lam, mu = c["lambda"].to_numpy(), c["mu"].to_numpy()
        for t in (13.0, 39.0, 66.0):
            x = _repeat_counts(pareto_world, t)
            resid = x - lam / mu * -np.expm1(-mu * t)
            assert abs(resid.sum()) < Z * np.sqrt(np.sum(resid**2)), t
        resid = c["frequency"].to_numpy() + lam / mu * np.expm1(-mu * c["T"].to_numpy())
        assert abs(resid.sum()) < Z * np.sqrt(np.sum(resid**2))
        r, al, s, beta = self.PARAMS
        assert stats.kstest(lam, stats.gamma(r, scale=1 / al).cdf).pvalue > 1e-4
        assert stats.kstest(mu, stats.gamma(s, scale=1 / beta).cdf).pvalue > 1e-4
        # lifetime | mu ~ Exponential(mu): mu * lifetime ~ Exp(1)
        assert stats.kstest(mu * c["lifetime"], stats.expon.cdf).pvalue > 1e-4

    def test_alive_at_end(self, pareto_world):
        c = pareto_world.customers
        prob = (self.PARAMS[3] / (self.PARAMS[3] + c["T"].to_numpy())) ** self.PARAMS[2]
        sd = np.sqrt(np.sum(prob * (1 - prob)))
        assert abs(c["alive_at_end"].sum() - prob.sum()) < Z * sd
        assert pareto_world.truth["expected_alive_at_end"] == pytest.approx(prob.sum(), rel=1e-9)


class TestGammaGamma:
    P, Q, G = 6.25, 3.74, 15.44  # FHL (2005) "RFM and CLV" CDNOW estimates

    def test_mean_spend(self, bgnbd_world):
        # first-purchase values: one iid draw per customer with mean p gamma / (q - 1)
        ev = bgnbd_world.events
        first = ev.groupby("customer_id")["value"].first().to_numpy()
        ref = self.P * self.G / (self.Q - 1)
        se = first.std(ddof=1) / np.sqrt(len(first))
        assert se < 0.02 * ref
        assert abs(first.mean() - ref) < Z * se
        assert gamma_gamma_mean_spend(self.P, self.Q, self.G) == pytest.approx(ref, rel=1e-12)
        assert bgnbd_world.truth["expected_spend"] == pytest.approx(ref, rel=1e-12)

    def test_spend_given_nu(self, pareto_world):
        # z * nu ~ Gamma(p, 1) whatever nu is: mean p, variance p (scipy.stats.gamma moments)
        ev = pareto_world.events
        nu = pareto_world.customers.set_index("customer_id")["nu"]
        y = ev["value"].to_numpy() * nu.loc[ev["customer_id"]].to_numpy()
        mean, var = stats.gamma(self.P).stats("mv")
        assert abs(y.mean() - mean) < Z * np.sqrt(var / len(y))
        ks = stats.kstest(y, stats.gamma(self.P).cdf)
        assert ks.pvalue > 1e-4
        # nu ~ Gamma(q, rate gamma)
        ks_nu = stats.kstest(nu.to_numpy(), stats.gamma(self.Q, scale=1 / self.G).cdf)
        assert ks_nu.pvalue > 1e-4

    def test_time_unit_is_weeks(self):
        # lambda ~ Gamma(100, rate 100) is about 1 purchase per week and drop-out is negligible
        # (p ~ Beta(1, 1e6)), so E[X(t)] = E[lambda] t = 10 repeats in 10 weeks (70 days), not
        # 70 as it would be if the rate were read per day.
        w = simulate_transactions(
            3000, params={"r": 100.0, "alpha": 100.0, "a": 1.0, "b": 1e6}, days=140,
            cohort_days=7, random_state=8,
        )
        x = _repeat_counts(w, 10.0)
        se = x.std(ddof=1) / np.sqrt(len(x))
        assert se < 0.1
        assert abs(x.mean() - 10.0) < Z * se
        assert w.truth["expected_repeat"]["13"] == pytest.approx(13.0, rel=1e-3)
