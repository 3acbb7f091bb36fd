"""Cohort retention: counts against a plain-pandas recount (shipped data and hand-made logs),
Wilson intervals against statsmodels, the sBG curve against its own fit and a simulation from
the parameters' normal law, and coverage of the truth on a simulated sBG world."""

from __future__ import annotations

import json
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from cjmodels.analytics import CohortRetention, cohort_retention
from cjmodels.datasets import load_journeys, load_subscriptions, load_transactions
from cjmodels.errors import ValidationError
from cjmodels.survival import ShiftedBetaGeometricModel, kaplan_meier
from cjmodels.synthetic import simulate_subscriptions

matplotlib.use("Agg")

KEYS = ["cohort", "period"]


# ------------------------------------------------------------------ an independent recount
def _offset(period: str, k: int):
    return {"day": pd.Timedelta(days=k), "week": pd.Timedelta(weeks=k),
            "month": pd.DateOffset(months=k)}[period] if period in ("day", "week", "month") \
        else k * pd.Timedelta(period)


def _cohort_start(t: pd.Series, period: str, origin: pd.Timestamp) -> pd.Series:
    if period == "month":
        return t.dt.to_period("M").dt.start_time
    if period == "week":
        return t.dt.to_period("W-SUN").dt.start_time  # weeks that end on Sunday
    if period == "day":
        return t.dt.normalize()
    span = pd.Timedelta(period)
    return origin + ((t - origin) // span) * span


def recount(df: pd.DataFrame, *, period: str, acquisition: str, active: str, clock: str,
            partial: str, end: pd.Timestamp, origin: pd.Timestamp) -> pd.DataFrame:
    """The retention table by pandas, one period at a time, from the raw events."""
    df = df.sort_values(["customer_id", "timestamp"], kind="stable")
    kinds = {"first-event": ~df["event"].isin(["churn", "drop_out"]),
             "first-conversion": df["event"] == "conversion",
             "first-subscribe": df["event"] == "subscribe"}
    ta = df[kinds[acquisition]].groupby("customer_id")["timestamp"].min().rename("ta")
    cust = ta.to_frame()
    cust["cohort"] = _cohort_start(cust["ta"], period, origin)
    if active == "subscribed":  # one spell per customer in these logs
        subs = df[df["event"] == "subscribe"].groupby("customer_id")["timestamp"].min()
        churn = df[df["event"] == "churn"].groupby("customer_id")["timestamp"].min()
        cust["s0"] = subs.reindex(cust.index)
        cust["s1"] = churn.reindex(cust.index).fillna(pd.Timestamp("2200-01-01"))  # never
    else:
        mask = ~df["event"].isin(["churn", "drop_out"]) if active == "any-event" \
            else df["event"] == "conversion"
        acts = df[mask].merge(cust[["ta"]], left_on="customer_id", right_index=True)
        acts = acts[acts["timestamp"] >= acts["ta"]]
    rows = []
    k = 0
    while True:
        if clock == "elapsed":
            start = cust["ta"] + _offset(period, k)
            stop = cust["ta"] + _offset(period, k + 1)
        else:
            start = cust["cohort"] + _offset(period, k)
            stop = cust["cohort"] + _offset(period, k + 1)
        at_risk = (stop <= end) if partial == "exclude" else (start <= end)
        if not at_risk.any():
            break
        if active == "subscribed":
            on = (cust["s0"] < stop) & (cust["s1"] > start) & (cust["s1"] > cust["ta"])
        else:
            a = acts.merge(pd.DataFrame({"b0": start, "b1": stop}), left_on="customer_id",
                           right_index=True)
            hit = a[(a["timestamp"] >= a["b0"]) & (a["timestamp"] < a["b1"])]
            on = cust.index.isin(hit["customer_id"])
        frame = pd.DataFrame({"cohort": cust["cohort"], "risk": at_risk,
                              "on": on & at_risk})
        g = frame.groupby("cohort").agg(n_at_risk=("risk", "sum"), n_active=("on", "sum"))
        g["period"] = k
        rows.append(g.reset_index())
        k += 1
    out = pd.concat(rows, ignore_index=True)
    out = out[out["n_at_risk"] > 0]
    return out.sort_values(KEYS).reset_index(drop=True)


def _compare(result: CohortRetention, expected: pd.DataFrame) -> None:
    got = result.table.sort_values(KEYS).reset_index(drop=True)
    assert len(got) == len(expected)
    assert (pd.to_datetime(got["cohort"]) == pd.to_datetime(expected["cohort"])).all()
    for c in ("period", "n_at_risk", "n_active"):
        np.testing.assert_array_equal(got[c].to_numpy(), expected[c].to_numpy(), err_msg=c)


@pytest.mark.parametrize(("period", "clock", "partial"), [
    ("month", "elapsed", "exclude"),
    pytest.param("month", "calendar", "include", marks=pytest.mark.slow),
    pytest.param("week", "elapsed", "include", marks=pytest.mark.slow),
    ("30D", "calendar", "exclude"),
])
def test_subscriptions_match_a_pandas_recount(period, clock, partial):
    ds = load_subscriptions()
    log = ds.event_log()
    r = cohort_retention(log, period=period, active="subscribed", clock=clock, partial=partial)
    _compare(r, recount(ds.events, period=period, acquisition="first-event",
                        active="subscribed", clock=clock, partial=partial,
                        end=log.observation_end, origin=log.observation_start))
    assert r.n_acquired == r.n_customers == 3000
    # every customer of a cohort is at risk in period 0 of the calendar clock with "include"
    if clock == "calendar" and partial == "include":
        first = r.table[r.table["period"] == 0]
        assert (first["n_at_risk"] == first["n_customers"]).all()


@pytest.mark.parametrize(("period", "clock", "partial"), [
    ("month", "elapsed", "exclude"),
    pytest.param("week", "calendar", "exclude", marks=pytest.mark.slow),
    ("month", "calendar", "include"),
])
def test_transactions_match_a_pandas_recount(period, clock, partial):
    ds = load_transactions()
    log = ds.event_log()
    r = cohort_retention(log, period=period, acquisition="first-conversion",
                         active="conversion", clock=clock, partial=partial)
    _compare(r, recount(ds.events, period=period, acquisition="first-conversion",
                        active="conversion", clock=clock, partial=partial,
                        end=log.observation_end, origin=log.observation_start))


@pytest.mark.parametrize(("acquisition", "active"), [
    ("first-event", "any-event"),
    pytest.param("first-event", "conversion", marks=pytest.mark.slow),
    pytest.param("first-conversion", "any-event", marks=pytest.mark.slow),
])
def test_journeys_match_a_pandas_recount(acquisition, active):
    log = load_journeys().event_log()
    ev = log.events
    if True:
        r = cohort_retention(log, period="week", acquisition=acquisition, active=active)
        _compare(r, recount(ev, period="week", acquisition=acquisition, active=active,
                            clock="elapsed", partial="exclude", end=log.observation_end,
                            origin=log.observation_start))
        assert r.n_customers == 5000
        assert r.n_acquired == ev.loc[
            ev["event"] == "conversion", "customer_id"].nunique() if (
                acquisition == "first-conversion") else r.n_acquired == 5000


# ------------------------------------------------------------------ hand-made logs
def test_hand_made_log_with_known_answers():
    # numeric times, periods of 10, observed up to 30
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 4, 4],
        "timestamp": [0, 12, 29, 1, 3, 15, 2, 5],
        "event": ["touch", "touch", "touch", "touch", "touch", "touch", "churn", "touch"],
        "channel": ["a", "a", "b", "a", "b", "a", None, "a"],
    })
    r = cohort_retention(df, period=10, observation_end=30)
    # customer 1: t_a 0, periods [0,10) [10,20) [20,30) all seen: active 0, 1, 2
    # customer 2: t_a 1, periods [1,11) [11,21) seen, [21,31) cut by the end: active 0 only
    # customer 3: t_a 15 (cohort 10), [15,25) seen, [25,35) not: active 0
    # customer 4: the churn is no acquisition; t_a 5 (cohort 0): [5,15) [15,25) seen
    wide_risk = r.pivot("n_at_risk")
    wide_act = r.pivot("n_active")
    assert wide_risk.loc[0].tolist() == [3.0, 3.0, 1.0]
    assert wide_act.loc[0].tolist() == [3.0, 1.0, 1.0]
    assert wide_risk.loc[10].tolist()[:1] == [1.0]
    assert np.isnan(r.pivot().loc[10, 1])  # censored, not 0
    assert r.pivot().loc[0, 2] == 1.0
    # partial periods included (those that start by the end): customer 2 enters period 2,
    # customer 3 period 1, and customer 1's period 3 starts at 30 itself
    inc = cohort_retention(df, period=10, observation_end=30, partial="include")
    assert inc.pivot("n_at_risk").loc[0].tolist() == [3.0, 3.0, 3.0, 1.0]
    assert inc.pivot("n_at_risk").loc[10].tolist()[:2] == [1.0, 1.0]


def test_subscription_spells_ties_and_resubscription():
    ts = pd.to_datetime
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3],
        "timestamp": ts(["2025-01-01", "2025-01-31", "2025-03-15",  # churn at day 30 exactly
                         "2025-01-10", "2025-01-10",                # zero-length spell
                         "2025-02-20"]),
        "event": ["subscribe", "churn", "subscribe", "subscribe", "churn", "subscribe"],
    })
    with pytest.warns(UserWarning, match="before their first period"):
        r = cohort_retention(df, period="30D", active="subscribed",
                             observation_end="2025-05-01", partial="include")
    # customer 1 (Jan 1): periods start Jan 1, Jan 31, Mar 2, Apr 1, May 1 (= the end, so
    # included); subscribed [Jan 1, Jan 31) and from Mar 15: active in 0, 2, 3, 4.
    # customer 2 (Jan 10): a zero-length spell, never subscribed for a moment; at risk 0..3.
    # customer 3 (Feb 20): periods Feb 20, Mar 22, Apr 21; subscribed throughout: 0, 1, 2.
    act = r.table.groupby("period")["n_active"].sum()
    risk = r.table.groupby("period")["n_at_risk"].sum()
    assert act.tolist() == [2, 1, 2, 1, 1]
    assert risk.tolist() == [3, 3, 3, 2, 1]
    # the models: customer 2 lapsed before any active period (T = 0), the others are open
    assert r.curves["km"].iloc[0] == pytest.approx(2 / 3)
    assert any("before their first period" in n for n in r.notes)
    assert any("no churn observed" in n for n in r.notes) and r.sbg is None


def test_elapsed_months_clip_at_month_end():
    ts = pd.to_datetime
    df = pd.DataFrame({"customer_id": [1, 1, 1],
                       "timestamp": ts(["2025-01-31 10:00", "2025-02-28 09:59",
                                        "2025-02-28 10:00"]),
                       "event": ["touch"] * 3, "channel": ["a"] * 3})
    r = cohort_retention(df, period="month", observation_end="2025-06-01")
    # period 1 starts Feb 28 10:00 (Jan 31 + one month, clipped): the 09:59 touch is period 0
    assert r.pivot("n_active").loc[pd.Timestamp("2025-01-01")].tolist()[:3] == [1.0, 1.0, 0.0]


# ------------------------------------------------------------------ intervals
def test_wilson_intervals_match_statsmodels():
    r = cohort_retention(load_journeys().event_log(), period="week")
    t = r.table
    lo, hi = proportion_confint(t["n_active"], t["n_at_risk"], alpha=0.05, method="wilson")
    # statsmodels.stats.proportion.proportion_confint(method="wilson"); agreement to 1e-12
    np.testing.assert_allclose(t["ci_low"], lo, atol=1e-12)
    np.testing.assert_allclose(t["ci_high"], hi, atol=1e-12)
    c = r.curves
    lo, hi = proportion_confint(c["n_active"], c["n_at_risk"], alpha=0.1, method="wilson")
    c10 = cohort_retention(load_journeys().event_log(), period="week", alpha=0.1).curves
    np.testing.assert_allclose(c10["ci_low"], lo, atol=1e-12)
    np.testing.assert_allclose(c10["ci_high"], hi, atol=1e-12)


def _sbg_world(n, seed, days=300):
    return simulate_subscriptions(n, model="sbg", params={"alpha": 1.0, "beta": 2.0},
                                  days=days, random_state=seed)


def test_models_match_fits_on_the_simulators_own_lifetimes():
    w = _sbg_world(1500, 5)
    r = cohort_retention(w.events, period="30D", active="subscribed")
    c = w.tables["customers"]
    # the simulator's periods paid (churned) or completed (still active): sBG's own input
    truth_fit = ShiftedBetaGeometricModel().fit(
        pd.DataFrame({"periods": c["duration_periods"], "event": c["churned"].astype(int)}))
    np.testing.assert_allclose(r.sbg.params.to_numpy(), truth_fit.result_.params.to_numpy(),
                               rtol=1e-4)
    # Kaplan-Meier on the same lifetimes, read at whole periods
    km = kaplan_meier(pd.DataFrame({"duration": c["duration_periods"].astype(float),
                                    "event": c["churned"].astype(int)}))
    p = r.curves.index.to_numpy(dtype=float)
    np.testing.assert_allclose(r.curves["km"], km.at(p)["estimate"], rtol=1e-12)
    np.testing.assert_allclose(r.curves["km_ci_low"], km.at(p)["ci_low"], rtol=1e-12)


def test_sbg_interval_against_a_numerical_delta_method_and_draws():
    from scipy import special, stats
    from scipy.optimize import approx_fprime

    w = _sbg_world(1500, 6)
    r = cohort_retention(w.events, period="30D", active="subscribed")
    theta, cov = r.sbg.params.to_numpy(), r.sbg.covariance.to_numpy()
    z = stats.norm.ppf(0.975)
    for p in (1, 3, 6):
        def logit_s(th, p=p):
            s = np.exp(special.betaln(th[0], th[1] + p) - special.betaln(th[0], th[1]))
            return np.log(s / (1 - s))
        # scipy's finite-difference gradient of logit S(p): the same interval to 1e-6
        g = approx_fprime(theta, logit_s, 1e-7)
        half = z * np.sqrt(g @ cov @ g)
        lo, hi = special.expit(logit_s(theta) - half), special.expit(logit_s(theta) + half)
        assert r.curves.loc[p, "sbg_ci_low"] == pytest.approx(lo, abs=1e-6)
        assert r.curves.loc[p, "sbg_ci_high"] == pytest.approx(hi, abs=1e-6)
    # Monte Carlo from the parameters' Wald (normal) law: the same band to 0.01
    draws = np.random.default_rng(0).multivariate_normal(theta, cov, 20_000)
    draws = draws[(draws > 0).all(axis=1)]
    p = np.array([1.0, 3.0, 6.0])
    s = np.exp(special.betaln(draws[:, :1], draws[:, 1:] + p) - special.betaln(
        draws[:, :1], draws[:, 1:]))
    lo, hi = np.quantile(s, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(r.curves.loc[[1, 3, 6], "sbg_ci_low"], lo, atol=0.01)
    np.testing.assert_allclose(r.curves.loc[[1, 3, 6], "sbg_ci_high"], hi, atol=0.01)


def _coverage(n_reps: int, n: int, seed: int) -> dict[str, float]:
    hits = {"cell": [], "pooled": [], "km": [], "sbg": []}
    for rep in range(n_reps):
        w = _sbg_world(n, seed + rep, days=240)
        truth = w.survival.set_index("period")["survival"]
        r = cohort_retention(w.events, period="30D", active="subscribed")
        t = r.table[r.table["period"] > 0]
        s = truth.reindex(t["period"]).to_numpy()
        hits["cell"] += list((t["ci_low"] <= s) & (s <= t["ci_high"]))
        c = r.curves.loc[1:6]
        s = truth.reindex(c.index).to_numpy()
        hits["pooled"] += list((c["ci_low"] <= s) & (s <= c["ci_high"]))
        hits["km"] += list((c["km_ci_low"] <= s) & (s <= c["km_ci_high"]))
        hits["sbg"] += list((c["sbg_ci_low"] <= s) & (s <= c["sbg_ci_high"]))
    return {k: float(np.mean(v)) for k, v in hits.items()}


def test_coverage_of_the_true_retention_small():
    cov = _coverage(12, 400, 100)
    # 12 worlds: ~700 cells and 72 points per curve; the 95 % intervals cover the truth
    assert 0.91 <= cov["cell"] <= 0.99, cov
    for k in ("pooled", "km", "sbg"):
        assert cov[k] >= 0.85, cov


@pytest.mark.slow
def test_coverage_of_the_true_retention():
    cov = _coverage(200, 500, 1000)
    assert 0.93 <= cov["cell"] <= 0.97, cov
    for k in ("pooled", "km", "sbg"):
        assert 0.92 <= cov[k] <= 0.98, cov


# ------------------------------------------------------------------ censoring and surface
def test_censored_cells_have_no_value_and_the_triangle_shrinks():
    r = cohort_retention(load_subscriptions().event_log(), period="month", active="subscribed")
    wide = r.pivot()
    observed = wide.notna().sum(axis=1).to_numpy()
    assert (np.diff(observed) <= 0).all()  # later cohorts are seen for fewer periods
    assert wide.iloc[-1].isna().sum() > 0
    # every cohort keeps its row, also December 2025, not yet seen for a whole month
    assert wide.index.equals(r.cohorts.index) and wide.iloc[-1].isna().all()
    assert r.cohorts["n_customers"].sum() == r.n_acquired == 3000
    assert (r.table["n_at_risk"] > 0).all() and (r.table["n_at_risk"] <= r.table["n_customers"]).all()
    assert (r.table["n_active"] <= r.table["n_at_risk"]).all()
    pooled = r.table.groupby("period")[["n_at_risk", "n_active"]].sum()
    np.testing.assert_array_equal(pooled.to_numpy(), r.curves[["n_at_risk", "n_active"]])


def test_surface_plot_json_and_notes():
    r = cohort_retention(load_subscriptions().event_log(), period="month", active="subscribed",
                         max_period=6)
    assert repr(r).startswith("CohortRetention(period='month'")
    json.dumps(r.to_dict(), allow_nan=False)
    assert r.summary() is not r.table and r.summary().equals(r.table)
    assert r.curves.index.max() == 6
    for kind in ("heatmap", "curves", "models"):
        ax = r.plot(kind=kind)
        assert ax is not None
    with pytest.raises(ValidationError, match="kind"):
        r.plot(kind="pie")
    # the weibull world's churn rises with tenure: sBG has no finite maximum, and says so
    assert r.sbg is None and any("sBG" in n for n in r.notes)


def test_non_subscribers_and_customers_without_acquisition_are_counted():
    log = load_journeys().event_log()
    with pytest.warns(UserWarning, match="belong to no cohort"):
        r = cohort_retention(log, period="week", acquisition="first-conversion")
    n_conv = log.events.loc[log.events["event"] == "conversion", "customer_id"].nunique()
    assert r.n_acquired == n_conv and r.n_customers == 5000
    assert any(f"{5000 - n_conv} of 5000" in n for n in r.notes)


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"period": "fortnight"}, "period"), ({"period": -3}, "period"),
    ({"acquisition": "first_event"}, "acquisition"), ({"active": "any"}, "active"),
    ({"clock": "wall"}, "clock"), ({"partial": "drop"}, "partial"),
    ({"alpha": 1.5}, "alpha"), ({"churn_after": 0}, "churn_after"),
    ({"max_period": -1}, "max_period"), ({"active": "subscribed"}, "subscribe"),
])
def test_bad_input_is_refused_in_our_words(kwargs, word):
    log = load_journeys().event_log()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValidationError, match=word):
            cohort_retention(log, **kwargs)


def test_numeric_logs_take_numeric_periods():
    df = pd.DataFrame({"customer_id": [1, 2], "timestamp": [0, 5], "event": ["touch"] * 2,
                       "channel": ["a"] * 2})
    with pytest.raises(ValidationError, match="numbers"):
        cohort_retention(df, period="month")
    with pytest.raises(ValidationError, match="acquisition"):
        cohort_retention(df, period=10, acquisition="first-conversion")
    r = cohort_retention(df, period=2.5, observation_end=10)
    # a span of 2.5 on integer times is not rounded: cohorts at 0 and 5, four and two periods
    wide = r.pivot("n_at_risk")
    assert wide.index.tolist() == [0, 5]
    assert wide.loc[0].tolist() == [1.0] * 4
    assert wide.loc[5].tolist()[:2] == [1.0, 1.0] and wide.loc[5].isna().sum() == 2
