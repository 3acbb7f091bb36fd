"""Discrete-time survival on aggregated person-period counts against R glm and Cox."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hypothesis import example, given
from hypothesis import strategies as st

from cjmodels.errors import ConvergenceError, ValidationError
from cjmodels.survival import cox_ph, discrete_time_survival, person_period_table

from .conftest import REFERENCE

# make_r_reference_extra.R (R 4.2.2, survival 3.5-3) on discrete_time.csv (make_extra_inputs.py).
R = json.loads((REFERENCE / "r_reference_extra.json").read_text())
DT = pd.read_csv(REFERENCE / "discrete_time.csv")
KW = {"entry": "entry", "width": 1.0}


@pytest.mark.parametrize("link", ["cloglog", "logit"])
def test_matches_r_glm_on_survsplit_person_periods(link):
    # survSplit(Surv(entry, duration, event) ~ ., cut = 1:29) then
    # glm(event ~ 0 + factor(duration) + x1 + x2, binomial(link)): coefficients and SEs to
    # 1e-6 (R keeps the event-free days at a baseline of about -16 instead of dropping them,
    # which moves the 8th digit); log-likelihood to 1e-5.
    ref = R[f"discrete_{link}"]
    res = discrete_time_survival(DT, ["x1", "x2"], link=link, **KW)
    np.testing.assert_allclose(res.table["coef"], ref["coef"], atol=1e-6)
    np.testing.assert_allclose(res.table["se"], ref["se"], rtol=1e-5)
    assert res.log_likelihood == pytest.approx(ref["loglik"], abs=1e-5)
    # the aggregated table stands for exactly R's person-period rows
    pp = person_period_table(DT, ["x1", "x2"], **KW)
    assert pp["n_at_risk"].sum() == ref["n_rows"]
    h = res.baseline["hazard"]
    live = (h > 0) & (h < 1)
    h = h[live].to_numpy()
    eta = np.log(-np.log1p(-h)) if link == "cloglog" else np.log(h / (1 - h))
    base = pd.Series(ref["baseline"], index=ref["baseline_time"])
    # the days R cannot estimate (no events: about -16; everyone at risk buys: about +3, still
    # climbing) are hazards 0 and 1 here
    keep = (base > -10) & (base < 3)
    assert (res.baseline["hazard"][~live.to_numpy()].isin([0.0, 1.0])).all()
    np.testing.assert_allclose(eta, base[keep].to_numpy(), atol=1e-5)


def test_hazard_ratios_close_to_cox_on_the_same_data():
    # Same data, day intervals: the grouped proportional-hazards coefficients are within 5% of
    # a standard error of R coxph(Surv(entry, duration, event) ~ x1 + x2) (Efron ties), and
    # lifelines (our cox_ph) agrees with R.
    res = discrete_time_survival(DT, ["x1", "x2"], **KW)
    cox = cox_ph(DT, ["x1", "x2"], duration="duration", entry="entry")
    ref = R["discrete_cox"]
    np.testing.assert_allclose(cox.table["coef"], ref["coef"], atol=1e-6)
    diff = np.abs(res.table["coef"].to_numpy() - np.asarray(ref["coef"]))
    assert np.all(diff < 0.15 * np.asarray(ref["se"])), diff


def test_close_to_cox_with_continuous_times_and_one_interval_per_time():
    # Continuous times, one interval per distinct time: the risk sets are exactly Cox's and
    # the coefficients agree with lifelines to 10% of a standard error (they are not identical:
    # the grouped likelihood estimates the baseline jointly, Cox's partial likelihood
    # conditions it away).
    rng = np.random.default_rng(3)
    n = 150
    x = rng.integers(0, 2, n).astype(float)
    t = rng.exponential(10 / np.exp(0.7 * x))
    c = rng.uniform(2, 30, n)
    d = pd.DataFrame({"duration": np.minimum(t, c), "event": (t <= c).astype(int), "x": x})
    res = discrete_time_survival(d, ["x"])
    cox = cox_ph(d, ["x"])
    assert abs(res.table.loc["x", "coef"] - cox.table.loc["x", "coef"]) < 0.1 * cox.table.loc[
        "x", "se"]


def test_aggregation_equals_the_expanded_person_period_fit():
    # statsmodels GLM on one Bernoulli row per customer and day (expanded by hand, no weights)
    # gives the same coefficients, SEs and log-likelihood as the aggregated fit.
    d = DT.head(120)
    rows = []
    for r in d.itertuples():
        for day in range(r.entry + 1, r.duration + 1):
            rows.append((day, r.x1, r.x2, int(r.event == 1 and day == r.duration)))
    e = pd.DataFrame(rows, columns=["day", "x1", "x2", "y"])
    days = sorted(e.loc[e["y"] == 1, "day"].unique())
    e = e[e["day"].isin(days)]
    exog = pd.get_dummies(e["day"], dtype=float).join(e[["x1", "x2"]].astype(float))
    link = sm.families.links.CLogLog()
    ref = sm.GLM(e["y"], exog, family=sm.families.Binomial(link=link)).fit(tol=1e-10)
    res = discrete_time_survival(d, ["x1", "x2"], **KW)
    np.testing.assert_allclose(res.table["coef"], ref.params[["x1", "x2"]], atol=1e-7)
    np.testing.assert_allclose(res.table["se"], ref.bse[["x1", "x2"]], rtol=1e-6)
    assert res.log_likelihood == pytest.approx(ref.llf, abs=1e-6)


def test_weights_equal_repeated_rows_and_shuffling_changes_nothing():
    d = DT.head(200)
    w = d.assign(w=2.0)
    a = discrete_time_survival(pd.concat([d, d]), ["x1", "x2"], **KW)
    b = discrete_time_survival(w, ["x1", "x2"], weight="w", **KW)
    c = discrete_time_survival(d.sample(frac=1, random_state=1), ["x1", "x2"], **KW)
    np.testing.assert_allclose(a.table["coef"], b.table["coef"], atol=1e-10)
    np.testing.assert_allclose(a.table["se"], b.table["se"], rtol=1e-8)
    np.testing.assert_allclose(
        c.table["coef"], discrete_time_survival(d, ["x1", "x2"], **KW).table["coef"], atol=1e-10)


def test_risk_set_rule_by_hand():
    # customer a: enters 1, event 3; b: censored inside (1, 2] at 1.5; c: event at its entry 2
    df = pd.DataFrame({"entry": [1.0, 0.0, 2.0], "duration": [3.0, 1.5, 2.0],
                       "event": [1, 0, 1]})
    pp = person_period_table(df, entry="entry", bins=[0, 1, 2, 3])
    # (0,1]: b; (1,2]: a and c (c's event at its entry counts); (2,3]: a with its event
    assert pp["n_at_risk"].tolist() == [1.0, 2.0, 1.0]
    assert pp["n_events"].tolist() == [0.0, 1.0, 1.0]


def test_survival_prediction_is_a_step_product():
    res = discrete_time_survival(DT, ["x1", "x2"], **KW)
    s = res.predict_survival(pd.DataFrame({"x1": [0.0, 1.0], "x2": [0.0, 0.0]}), [0.5, 5, 10])
    assert s.iloc[:, 0].tolist() == [1.0, 1.0]
    assert (s.iloc[1] < s.iloc[0]).iloc[1:].all()  # x1 raises the hazard
    np.testing.assert_allclose(s.iloc[0, 1], res.baseline["survival"].loc[5])
    json.dumps(res.to_dict())
    assert repr(res).startswith("DiscreteTimeResult(link='cloglog'")


def test_bad_input_and_non_convergence():
    with pytest.raises(ValidationError, match="distinct event times"):
        person_period_table(DT.assign(duration=DT["duration"] + np.arange(400) / 1e3, event=1),
                            ["x1"])
    with pytest.raises(ValidationError, match="bins start"):
        person_period_table(DT, bins=[1, 10, 40])
    with pytest.raises(ValidationError, match="collinear"):
        discrete_time_survival(DT.assign(one=1.0), ["x1", "one"], width=1.0)
    with pytest.raises(ValidationError, match="event flag"):
        discrete_time_survival(DT.assign(event=2), ["x1"], width=1.0)
    sep = pd.DataFrame({"duration": [1.0, 2, 3, 4, 1, 2, 3, 4], "event": [1, 1, 1, 1, 0, 0, 0, 0],
                        "x": [1.0, 1, 1, 1, 0, 0, 0, 0]})
    with pytest.raises(ConvergenceError, match="Remedies|separates"):
        discrete_time_survival(sep, ["x"], width=1.0)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        person_period_table(DT, bins=[0, 10, 20])
    assert any("censored there" in str(r.message) for r in rec)


@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 8), st.integers(0, 1),
                          st.integers(0, 1)), min_size=1, max_size=30))
@example([(0, 0, 1, 0), (0, 0, 0, 1), (2, 0, 1, 1), (2, 0, 0, 0), (1, 3, 1, 0)])
def test_person_period_counts_equal_brute_force(rows):
    # Property: the aggregated counts equal a per-customer loop over the intervals (a, b] of
    # width 1 with the documented rule (entry <= a; event in (a, b], or exit >= b; the first
    # interval also contains 0; an event at the entry time counts in its interval).
    df = pd.DataFrame(rows, columns=["entry", "gap", "event", "x"]).astype(float)
    df["duration"] = df["entry"] + df["gap"]
    df["event"] = df["event"].astype(int)
    pp = person_period_table(df, ["x"], entry="entry", bins=np.arange(0.0, 14.0))
    brute: dict = {}
    for r in df.itertuples():
        for a in range(13):
            b = a + 1
            inside = (a < r.duration <= b) or (a == 0 and r.duration == 0)
            ev = r.event == 1 and inside
            tie = ev and r.duration == r.entry
            if ((r.entry <= a) or tie) and (ev or r.duration >= b):
                key = (b, r.x)
                n, d = brute.get(key, (0, 0))
                brute[key] = (n + 1, d + int(ev))
    ours = {(int(s), x): (n, d) for s, x, n, d in
            pp[["stop", "x", "n_at_risk", "n_events"]].itertuples(index=False)}
    assert ours == brute
