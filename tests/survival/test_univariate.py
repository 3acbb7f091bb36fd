"""Kaplan-Meier, Nelson-Aalen, medians, RMST and log-rank against R survival on lung."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lifelines.datasets import load_lung

from cjmodels.errors import ValidationError
from cjmodels.survival import kaplan_meier, kaplan_meier_by, logrank_test, nelson_aalen

from .conftest import REFERENCE

# All R values: tests/survival/reference/make_r_reference.R (R 4.2.2, survival 3.5-3) on
# survival::lung with status recoded to 0/1 (as lifelines.datasets.load_lung ships it).
R = json.loads((REFERENCE / "r_reference.json").read_text())
LUNG = load_lung()
KW = {"duration": "time", "event": "status"}


@pytest.mark.parametrize(("ci_type", "key"), [("log", "km_log"), ("log-log", "km_loglog"),
                                              ("plain", "km_plain")])
def test_kaplan_meier_matches_r(ci_type, key):
    # summary(survfit(Surv(time, status) ~ 1, lung, conf.type=...), times=c(100, 200, 365.25,
    # 500, 750, 1000)): surv, std.err, lower, upper, n.risk; abs tolerance 1e-10.
    ref = R[key]
    km = kaplan_meier(LUNG, ci_type=ci_type, **KW)
    a = km.at(ref["time"])
    for ours, theirs in (("estimate", "surv"), ("se", "std_err"), ("ci_low", "lower"),
                         ("ci_high", "upper"), ("n_at_risk", "n_risk")):
        np.testing.assert_allclose(a[ours], ref[theirs], atol=1e-10)
    # quantile(fit, 0.5): median 310 with (285, 363) for "log", (284, 361) for log-log; exact.
    m = km.median
    assert (m.time, m.ci_low, m.ci_high) == (
        ref["median"], ref["median_lower"], ref["median_upper"]
    )


def test_rmst_matches_r():
    # summary(survfit(Surv(time, status) ~ 1, lung), rmean = 730)$table: rmean 357.0733,
    # se(rmean) 16.2193; rel tolerance 1e-10.
    r = kaplan_meier(LUNG, **KW).rmst(730.0)
    assert r.rmst == pytest.approx(R["rmst_730"]["rmean"], rel=1e-10)
    assert r.se == pytest.approx(R["rmst_730"]["se"], rel=1e-10)


def test_rmst_point_matches_lifelines():
    from lifelines import KaplanMeierFitter
    from lifelines.utils import restricted_mean_survival_time

    kmf = KaplanMeierFitter().fit(LUNG["time"], LUNG["status"])
    assert kaplan_meier(LUNG, **KW).rmst(500.0).rmst == pytest.approx(
        restricted_mean_survival_time(kmf, t=500.0), rel=1e-6
    )


def test_nelson_aalen_matches_r():
    # summary(survfit(...), times=...)$cumhaz and $std.chaz; abs tolerance 1e-10.
    ref = R["km_log"]
    a = nelson_aalen(LUNG, **KW).at(ref["time"])
    np.testing.assert_allclose(a["estimate"], ref["cumhaz"], atol=1e-10)
    np.testing.assert_allclose(a["se"], ref["std_chaz"], atol=1e-10)


def test_logrank_by_sex_matches_r():
    # survdiff(Surv(time, status) ~ sex, lung): chisq 10.3267, observed 112/53, expected
    # 91.58/73.42; rel tolerance 1e-8.
    ref = R["logrank_sex"]
    lr = logrank_test(LUNG, "sex", **KW)
    assert lr.statistic == pytest.approx(ref["chisq"], rel=1e-8)
    assert lr.pvalue == pytest.approx(ref["pvalue"], rel=1e-6)
    assert lr.method == "log-rank"
    np.testing.assert_allclose(lr.table["observed"], ref["observed"])
    np.testing.assert_allclose(lr.table["expected"], ref["expected"], rtol=1e-10)


def test_by_group_curves_match_r():
    # summary(survfit(Surv(time, status) ~ sex, lung), times=c(0, 250, 500, 750, 1000)).
    ref = R["by_sex"]
    cs = kaplan_meier_by(LUNG, "sex", **KW)
    times = ref["time"][:5]
    np.testing.assert_allclose(cs.at_risk(times).to_numpy().ravel(), ref["n_risk"])
    np.testing.assert_allclose(cs.at(times).to_numpy().ravel(), ref["surv"], atol=1e-10)
    np.testing.assert_allclose(cs.summary()["median"], ref["median"])
    json.dumps(cs.to_dict())


def test_left_truncation_matches_r():
    # survfit(Surv(entry, stop, event) ~ 1, left_truncated.csv): R's (start, stop] risk sets.
    ref = R["left_truncated_km"]
    lt = pd.read_csv(REFERENCE / "left_truncated.csv")
    km = kaplan_meier(lt, duration="stop", entry="entry")
    a = km.at(ref["time"])
    np.testing.assert_allclose(a["estimate"], ref["surv"], atol=1e-10)
    np.testing.assert_allclose(a["n_at_risk"], ref["n_risk"])
    na = nelson_aalen(lt, duration="stop", entry="entry").at(ref["time"])
    np.testing.assert_allclose(na["estimate"], ref["cumhaz"], atol=1e-10)


def test_entry_on_exit_day_is_kept_at_risk():
    # Tie convention: entry == exit counts the customer at risk for that time.
    df = pd.DataFrame({"entry": [0.0, 2.0, 0.0], "stop": [3.0, 2.0, 4.0], "event": [1, 1, 0]})
    km = kaplan_meier(df, duration="stop", entry="entry")
    assert km.at(2.0)["estimate"].iloc[0] == pytest.approx(2 / 3)


def test_weights_equal_repeated_rows():
    w = LUNG.assign(w=1 + np.arange(len(LUNG)) % 3)
    rep = LUNG.loc[LUNG.index.repeat(w["w"])]
    a = kaplan_meier(w, weight="w", **KW).at([100, 300, 600])
    b = kaplan_meier(rep, **KW).at([100, 300, 600])
    np.testing.assert_allclose(a["estimate"], b["estimate"], atol=1e-12)


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 1)), min_size=1, max_size=40))
def test_km_never_rises_and_stays_in_unit_interval(rows):
    df = pd.DataFrame(rows, columns=["duration", "event"])
    s = kaplan_meier(df).table["estimate"].to_numpy()
    assert np.all(np.diff(s) <= 1e-12)
    assert np.all((s >= 0) & (s <= 1))


def test_results_are_serialisable_and_readable():
    km = kaplan_meier(LUNG, **KW)
    json.dumps(km.to_dict(), allow_nan=False)
    assert "median=310" in repr(km)
    assert km == kaplan_meier(LUNG, **KW)
    import matplotlib

    matplotlib.use("Agg")
    assert km.plot().get_ylabel() == "survival"


@pytest.mark.parametrize(
    ("frame", "kwargs", "message"),
    [
        (pd.DataFrame({"duration": [1.0, -1.0], "event": [1, 0]}), {}, "negative"),
        (pd.DataFrame({"duration": [1.0, 2.0], "event": [1, 2]}), {}, "must be 0 \\(censored\\)"),
        (pd.DataFrame({"duration": [1.0, np.nan], "event": [1, 0]}), {}, "missing"),
        (pd.DataFrame({"duration": [1.0, 2.0], "event": [1, 0], "entry": [0.0, 3.0]}),
         {"entry": "entry"}, "entry after exit"),
        (pd.DataFrame({"t": [1.0]}), {}, "lacks columns"),
    ],
)
def test_bad_input(frame, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        kaplan_meier(frame, **kwargs)


def test_logrank_group_without_events_is_tested_and_no_events_raises():
    # by hand: at t = 1, 2 of 4 at risk are in a (E = 1/2, V = 1/4); at t = 2, 1 of 3
    # (E = 1/3, V = 2/9): O - E = 7/6 for a, V = 17/36, chi-square (7/6)^2 / (17/36) = 49/17
    df = pd.DataFrame({"duration": [1, 2, 3, 4], "event": [1, 1, 0, 0], "g": list("aabb")})
    t = logrank_test(df, "g")
    assert t.statistic == pytest.approx(49 / 17, rel=1e-12)
    assert t.table["observed"].tolist() == [2.0, 0.0]
    assert t.table["expected"].tolist() == pytest.approx([5 / 6, 7 / 6])
    assert t.table["variance"].tolist() == pytest.approx([17 / 36, 17 / 36])
    with pytest.raises(ValidationError, match="no events"):
        logrank_test(df.assign(event=0), "g")


@pytest.mark.parametrize("tau", [np.inf, np.nan, 0.0, -1.0])
def test_rmst_needs_a_finite_positive_horizon(tau):
    """tau = inf used to return NaN silently (found by the fuzz suite)."""
    km = kaplan_meier(pd.DataFrame({"duration": [1.0, 2, 2, 3], "event": [1, 0, 1, 0]}))
    with pytest.raises(ValidationError, match="tau == "):
        km.rmst(tau)
