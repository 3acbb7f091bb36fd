"""Tests of cjmodels.data.durations: time to first purchase, inter-purchase times, subscriptions.

References: the expected rows of the hand-made logs are worked out by hand from the definitions in
the docstrings (stated next to each case); Kaplan-Meier values are the product-limit formula
S(t) = prod_{t_i <= t} (1 - d_i / n_i) (Kaplan & Meier 1958, JASA 53(282)) evaluated by hand and
by lifelines.KaplanMeierFitter.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter, KaplanMeierFitter

from cjmodels.data.durations import (
    interpurchase_times,
    subscription_lifetimes,
    time_to_first_purchase,
)
from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError

T0 = pd.Timestamp("2025-01-01")
EXACT = 1e-12  # tolerance for values that are exact up to floating-point rounding


def _frame(rows, columns=("customer_id", "t", "event", "channel")):
    """A log from rows with day offsets ``t`` turned into timestamps from 2025-01-01."""
    df = pd.DataFrame(list(rows), columns=list(columns))
    df["timestamp"] = T0 + pd.to_timedelta(df.pop("t"), unit="D")
    return df


# --------------------------------------------------------------------------- first purchase
#   customer  events (day: event[channel])                          expected (origin first-touch)
#   A         0 touch[search], 2 touch[email], 5 conversion         5.0, event 1, 2 touches
#   B         1 touch[social], 4 drop_out, 6 touch[email]           3.0 censored at drop-out
#   C         3 touch[email]                                        7.0 censored at end (day 10)
#   D         2 conversion, 3 touch[search]                         excluded (bought first)
#   E         4 conversion, 4 touch[display] (same time)            0.0, event 1, 1 touch
#   F         0 assignment                                          excluded (no touch)
#   G         1 drop_out, 2 touch[search], 8 conversion             6.0, event 1 (buyer)
#   H         0 assignment, 2 touch[email], 4 conversion            2.0 (first-event: 4.0)
FIRST_ROWS = [
    ("A", 0, "touch", "search", "s1"),
    ("A", 2, "touch", "email", "s2"),
    ("A", 5, "conversion", None, "s3"),
    ("B", 1, "touch", "social", "s1"),
    ("B", 4, "drop_out", None, "s1"),
    ("B", 6, "touch", "email", "s1"),
    ("C", 3, "touch", "email", "s2"),
    ("D", 2, "conversion", None, "s1"),
    ("D", 3, "touch", "search", "s1"),
    ("E", 4, "conversion", None, "s2"),
    ("E", 4, "touch", "display", "s2"),
    ("F", 0, "assignment", None, "s3"),
    ("G", 1, "drop_out", None, "s1"),
    ("G", 2, "touch", "search", "s2"),
    ("G", 8, "conversion", None, "s2"),
    ("H", 0, "assignment", None, "s3"),
    ("H", 2, "touch", "email", "s1"),
    ("H", 4, "conversion", None, "s1"),
]
END = T0 + pd.Timedelta(10, "D")


def _first_frame():
    return _frame(FIRST_ROWS, ("customer_id", "t", "event", "channel", "segment"))


def test_time_to_first_purchase_hand_made_log():
    with pytest.warns(UserWarning, match=r"1 customers purchased before their first touch"):
        out = time_to_first_purchase(
            _first_frame(), covariates=["segment"], observation_end=END
        )
    exp = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "E", "G", "H"],
            "start": T0 + pd.to_timedelta([0, 1, 3, 4, 2, 2], unit="D"),
            "stop": T0 + pd.to_timedelta([5, 4, 10, 4, 8, 4], unit="D"),
            "duration": [5.0, 3.0, 7.0, 0.0, 6.0, 2.0],
            "event": [1, 0, 0, 1, 1, 1],
            "censor_reason": pd.Series(
                [None, "drop_out", "observation_end", None, None, None], dtype=object
            ),
            "first_channel": pd.Series(
                ["search", "social", "email", "display", "search", "email"], dtype=object
            ),
            "n_touches": [2, 1, 1, 1, 1, 1],
            # value on the customer's first event (G's first event is its drop-out, segment s1)
            "segment": ["s1", "s1", "s2", "s2", "s1", "s3"],
        }
    )
    pd.testing.assert_frame_equal(out, exp, check_exact=False, rtol=EXACT)
    assert out.attrs["n_excluded"] == {"converted_before_first_touch": 1, "no_touch": 1}
    assert out.attrs["n_zero_duration"] == 1
    assert out.attrs["n_events"] == 4
    assert out.attrs["n_censored_drop_out"] == 1
    assert out.attrs["n_censored_observation_end"] == 1
    assert out.attrs["n_customers"] == 8
    assert out.attrs["observation_end"] == str(END)


def test_time_to_first_purchase_without_drop_out_censoring():
    with pytest.warns(UserWarning):
        out = time_to_first_purchase(
            _first_frame(), censor_at_drop_out=False, observation_end=END
        ).set_index("customer_id")
    # B is now at risk from day 1 to the end of observation (day 10), with both touches.
    assert out.loc["B", "duration"] == pytest.approx(9.0, abs=EXACT)
    assert out.loc["B", "censor_reason"] == "observation_end"
    assert out.loc["B", "n_touches"] == 2
    assert out.attrs["n_censored_drop_out"] == 0


def test_time_to_first_purchase_origin_first_event():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nobody is excluded, so no warning
        out = time_to_first_purchase(
            _first_frame(), origin="first-event", observation_end=END
        ).set_index("customer_id")
    assert list(out.index) == list("ABCDEFGH")
    # D: first event is the purchase (day 2): duration 0, no touch before it.
    assert out.loc["D", "duration"] == 0.0
    assert out.loc["D", "event"] == 1
    assert out.loc["D", "first_channel"] is None
    assert out.loc["D", "n_touches"] == 0
    # F: only an assignment at day 0, censored at the end (day 10).
    assert out.loc["F", "duration"] == pytest.approx(10.0, abs=EXACT)
    assert out.loc["F", "censor_reason"] == "observation_end"
    # H: clock starts at the assignment (day 0), purchase at day 4.
    assert out.loc["H", "duration"] == pytest.approx(4.0, abs=EXACT)
    # G: the drop-out at day 1 is the origin itself, but G bought at day 8 -> event 1, 7 days.
    assert out.loc["G", "duration"] == pytest.approx(7.0, abs=EXACT)
    assert out.loc["G", "event"] == 1
    assert out.attrs["n_excluded"] == {"converted_before_first_touch": 0, "no_touch": 0}


def test_time_to_first_purchase_drop_out_at_origin_with_first_event():
    # A customer whose first event is a drop-out and who never buys is censored there (0 days).
    df = _frame([("a", 0, "drop_out", None), ("a", 3, "touch", "email"), ("b", 5, "touch", "x")])
    out = time_to_first_purchase(df, origin="first-event")
    assert out.loc[0, "duration"] == 0.0
    assert out.loc[0, "censor_reason"] == "drop_out"
    assert out.loc[0, "n_touches"] == 0


def test_time_to_first_purchase_units_and_numeric_time():
    with pytest.warns(UserWarning):
        days = time_to_first_purchase(_first_frame(), observation_end=END)
    with pytest.warns(UserWarning):
        hours = time_to_first_purchase(_first_frame(), observation_end=END, unit="h")
    np.testing.assert_allclose(hours["duration"], 24 * days["duration"], rtol=EXACT)
    assert hours.attrs["unit"] == "h"
    # Numeric timestamps keep their own unit; ``unit`` is ignored.
    num = pd.DataFrame(
        {
            "customer_id": [1, 1, 2],
            "timestamp": [1.5, 4.0, 2.0],
            "event": ["touch", "conversion", "touch"],
            "channel": ["a", None, "b"],
        }
    )
    out = time_to_first_purchase(num, unit="W", observation_end=12.0)
    np.testing.assert_allclose(out["duration"], [2.5, 10.0], rtol=EXACT)
    np.testing.assert_allclose(out["stop"], [4.0, 12.0], rtol=EXACT)
    assert out.attrs["unit"] is None
    assert out.attrs["time_kind"] == "numeric"


def test_time_to_first_purchase_log_without_channel_and_event_log_input():
    df = _frame([("a", 0, "touch", "x"), ("a", 2, "conversion", None)]).drop(columns="channel")
    log = EventLog(df, observation_end=T0 + pd.Timedelta(5, "D"))
    out = time_to_first_purchase(log)
    assert out["first_channel"].tolist() == [None]
    assert out["duration"].tolist() == [2.0]


# --------------------------------------------------------------------------- Kaplan-Meier
def test_kaplan_meier_on_output_matches_hand_computation():
    # Six customers: first touch at day 0, purchase (event) or end of observation at day 5.
    #   durations 1 (purchase), 2 (drop-out), 3, 3 (purchases), 4 (drop-out), 5 (purchase)
    # Product-limit by hand: S(1) = 5/6; S(3) = 5/6 * (1 - 2/4) = 5/12; S(5) = 5/12 * (1 - 1/1)
    rows = []
    for cust, t, ev in [
        ("a", 1, "conversion"), ("b", 2, "drop_out"), ("c", 3, "conversion"),
        ("d", 3, "conversion"), ("e", 4, "drop_out"), ("f", 5, "conversion"),
    ]:
        rows += [(cust, 0, "touch", "email"), (cust, t, ev, None)]
    out = time_to_first_purchase(_frame(rows))
    np.testing.assert_allclose(out["duration"], [1, 2, 3, 3, 4, 5], rtol=EXACT)
    np.testing.assert_array_equal(out["event"], [1, 0, 1, 1, 0, 1])
    kmf = KaplanMeierFitter().fit(out["duration"], out["event"])
    got = kmf.survival_function_at_times([0.5, 1, 2, 3, 4, 5]).to_numpy()
    np.testing.assert_allclose(got, [1, 5 / 6, 5 / 6, 5 / 12, 5 / 12, 0.0], atol=EXACT)
    # lifelines' median survival time: the first t with S(t) <= 0.5, here 3 (hand: S(3) = 5/12)
    assert kmf.median_survival_time_ == 3


def test_lifelines_fitters_accept_the_outputs():
    rng = np.random.default_rng(3)
    n = 200
    t_touch = rng.integers(0, 30, n)
    buy = rng.random(n) < 0.6
    t_buy = t_touch + rng.integers(0, 40, n)
    keep = ~buy | (t_buy <= 60)
    cust = np.arange(n)
    df = pd.concat(
        [
            pd.DataFrame({"customer_id": cust, "t": t_touch, "event": "touch",
                          "channel": np.where(cust % 2 == 0, "email", "search"),
                          "x": (cust % 2).astype(float)}),
            pd.DataFrame({"customer_id": cust[buy & keep], "t": t_buy[buy & keep],
                          "event": "conversion", "channel": None,
                          "x": (cust[buy & keep] % 2).astype(float)}),
        ]
    )
    df["timestamp"] = T0 + pd.to_timedelta(df.pop("t"), unit="D")
    out = time_to_first_purchase(df, covariates="x", observation_end=T0 + pd.Timedelta(60, "D"))
    kmf = KaplanMeierFitter().fit(out["duration"], out["event"])
    assert kmf.event_observed.sum() == out["event"].sum()
    cph = CoxPHFitter().fit(out[["duration", "event", "x"]], "duration", "event")
    assert np.isfinite(cph.params_["x"])
    # Inter-purchase gaps and spells fit as well.
    gaps = interpurchase_times(df)
    KaplanMeierFitter().fit(gaps["duration"], gaps["event"])


# --------------------------------------------------------------------------- interpurchase
def test_interpurchase_times_hand_made_log():
    # a: purchases at 0, 2, 2 (same time), 7; b: purchase at 10 (= end); c: touches only.
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "a", "b", "c"],
            "timestamp": [0.0, 2.0, 2.0, 5.0, 7.0, 10.0, 3.0],
            "event": ["conversion", "conversion", "conversion", "touch", "conversion",
                      "conversion", "touch"],
        }
    )
    out = interpurchase_times(df)
    exp = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "a", "b"],
            "purchase_number": [1, 2, 3, 4, 1],
            "start": [0.0, 2.0, 2.0, 7.0, 10.0],
            "stop": [2.0, 2.0, 7.0, 10.0, 10.0],
            "duration": [2.0, 0.0, 5.0, 3.0, 0.0],
            "event": [1, 1, 1, 0, 0],
        }
    )
    pd.testing.assert_frame_equal(out, exp, check_exact=False, rtol=EXACT)
    assert out.attrs["n_customers_without_purchase"] == 1
    assert out.attrs["n_zero_duration"] == 2
    assert out.attrs["n_events"] == 3


def test_interpurchase_times_datetime_units():
    df = _frame([("a", 0, "conversion", None), ("a", 1.5, "conversion", None),
                 ("a", 3, "touch", "x")])
    out = interpurchase_times(df, unit="h")
    np.testing.assert_allclose(out["duration"], [36.0, 36.0], rtol=EXACT)
    assert out["stop"].iloc[-1] == T0 + pd.Timedelta(3, "D")


# --------------------------------------------------------------------------- subscriptions
def _subs(rows, **kw):
    df = _frame(rows, ("customer_id", "t", "event", "plan"))
    return subscription_lifetimes(df, **kw)


def test_subscription_lifetimes_hand_made_log():
    # a: subscribe 0, churn 30, subscribe 40 (premium), churn 45, subscribe 50 -> 3 spells
    # b: subscribe 10, never churns -> censored at the end (day 100)
    # c: touches only -> no spell, counted in attrs
    rows = [
        ("a", 0, "subscribe", "basic"), ("a", 30, "churn", "basic"),
        ("a", 40, "subscribe", "premium"), ("a", 45, "churn", "premium"),
        ("a", 50, "subscribe", "basic"),
        ("b", 10, "subscribe", "premium"), ("b", 20, "touch", "premium"),
        ("c", 5, "touch", None),
    ]
    df = _frame(rows, ("customer_id", "t", "event", "plan"))
    df["channel"] = np.where(df["event"] == "touch", "email", None)
    out = subscription_lifetimes(df, covariates=["plan"], observation_end=T0 + pd.Timedelta(100, "D"))
    exp = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "spell": [1, 2, 3, 1],
            "start": T0 + pd.to_timedelta([0, 40, 50, 10], unit="D"),
            "stop": T0 + pd.to_timedelta([30, 45, 100, 100], unit="D"),
            "duration": [30.0, 5.0, 50.0, 90.0],
            "event": [1, 1, 0, 0],
            "plan": ["basic", "premium", "basic", "premium"],
        }
    )
    pd.testing.assert_frame_equal(out, exp, check_exact=False, rtol=EXACT)
    assert out.attrs["n_customers_without_subscription"] == 1
    assert out.attrs["n_events"] == 2
    kmf = KaplanMeierFitter().fit(out["duration"], out["event"])
    # product-limit by hand: at 5: 1 - 1/4; at 30: 1 - 1/3 -> S(30) = 3/4 * 2/3 = 1/2
    assert kmf.survival_function_at_times(30).iloc[0] == pytest.approx(0.5, abs=EXACT)


def test_subscription_same_time_churn_and_resubscribe():
    # Open subscription: churn and subscribe at day 5 read as "churn, then re-subscribe".
    out = _subs([("a", 0, "subscribe", "x"), ("a", 5, "subscribe", "y"), ("a", 5, "churn", "x"),
                 ("a", 9, "touch", None)])
    np.testing.assert_allclose(out["duration"], [5.0, 4.0], rtol=EXACT)
    np.testing.assert_array_equal(out["event"], [1, 0])
    # No open subscription: subscribe and churn at day 3 are a spell of length 0.
    out = _subs([("a", 3, "churn", "x"), ("a", 3, "subscribe", "x"), ("a", 9, "touch", None)])
    assert out["duration"].tolist() == [0.0]
    assert out["event"].tolist() == [1]
    assert out.attrs["n_zero_duration"] == 1
    # Subscribe, churn and re-subscribe at one instant: a 0-length spell, then an open one.
    out = _subs([("a", 2, "subscribe", "x"), ("a", 2, "subscribe", "x"), ("a", 2, "churn", "x"),
                 ("a", 9, "touch", None)])
    np.testing.assert_allclose(out["duration"], [0.0, 7.0], rtol=EXACT)
    np.testing.assert_array_equal(out["event"], [1, 0])


def test_subscription_errors_name_the_problem():
    with pytest.raises(ValidationError, match=r"churn.*without an open subscription.*'b'"):
        _subs([("a", 0, "subscribe", "x"), ("b", 2, "churn", "x")])
    with pytest.raises(ValidationError, match=r"without an open subscription.*'a' at 2025-01-06"):
        _subs([("a", 0, "subscribe", "x"), ("a", 3, "churn", "x"), ("a", 5, "churn", "x")])
    with pytest.raises(ValidationError, match=r"second 'subscribe'.*'a'"):
        _subs([("a", 0, "subscribe", "x"), ("a", 3, "subscribe", "x")])
    with pytest.raises(ValidationError, match=r"needs 'subscribe' events.*none"):
        _subs([("a", 0, "touch", "x"), ("a", 3, "churn", "x")])


# --------------------------------------------------------------------------- bad input
def test_bad_parameters_raise_validation_error():
    df = _first_frame()
    with pytest.raises(ValidationError, match="origin"):
        time_to_first_purchase(df, origin="first-visit")
    with pytest.raises(ValidationError, match="censor_at_drop_out"):
        time_to_first_purchase(df, censor_at_drop_out="yes")
    with pytest.raises(ValidationError, match=r"unit == 'M'"):
        time_to_first_purchase(df, unit="M")
    with pytest.raises(ValidationError, match=r"unit == 3"):
        interpurchase_times(df, unit=3)
    with pytest.raises(ValidationError, match=r"covariate columns \['age'\] not found"):
        time_to_first_purchase(df, covariates=["age"])
    with pytest.raises(ValidationError, match=r"covariates \['age'\] are not covariate columns"):
        subscription_lifetimes(EventLog(df), covariates=["age"])
    with pytest.raises(ValidationError, match="clash with output columns"):
        time_to_first_purchase(df.rename(columns={"segment": "duration"}), covariates="duration")
    with pytest.raises(ValidationError, match="column options"):
        interpurchase_times(EventLog(df), observation_end=END)
    # functions without their own covariates pass the option on to EventLog
    with pytest.raises(ValidationError, match=r"covariate columns \['nope'\] not found"):
        interpurchase_times(df, covariates=["nope"])


def test_missing_event_types_raise_validation_error():
    only_conv = _frame([("a", 0, "conversion", None), ("b", 1, "conversion", None)])
    with pytest.raises(ValidationError, match=r"needs 'touch' events.*origin='first-event'"):
        time_to_first_purchase(only_conv)
    only_touch = _frame([("a", 0, "touch", "x"), ("b", 1, "touch", "y")])
    with pytest.raises(ValidationError, match=r"interpurchase_times needs 'conversion' events"):
        interpurchase_times(only_touch)
    # No conversion is fine for time to first purchase: everyone is censored.
    out = time_to_first_purchase(only_touch)
    assert out["event"].sum() == 0
    np.testing.assert_allclose(out["duration"], [1.0, 0.0], rtol=EXACT)


# --------------------------------------------------------------------------- properties
EVENTS = ("touch", "conversion", "drop_out", "assignment")


@st.composite
def random_logs(draw, max_rows=40):
    n = draw(st.integers(1, max_rows))
    cust = draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))
    t = draw(st.lists(st.integers(0, 12), min_size=n, max_size=n))  # coarse: many ties
    ev = draw(st.lists(st.sampled_from(EVENTS), min_size=n, max_size=n))
    ch = draw(st.lists(st.sampled_from(["a", "b", "c"]), min_size=n, max_size=n))
    df = pd.DataFrame({"customer_id": cust, "t": t, "event": ev, "channel": ch})
    df["timestamp"] = T0 + pd.to_timedelta(df.pop("t") * 6, unit="h")
    return df


def _relabel(df):
    """Customer ids mapped through a fixed scrambling bijection (sort order changes)."""
    return df.assign(customer_id=df["customer_id"].map(lambda c: f"z{(7 - c) * 37 % 101:03d}"))


def _assert_invariant(fn, df, seed, **kw):
    base = fn(df, **kw)
    shuffled = fn(df.sample(frac=1.0, random_state=seed).reset_index(drop=True), **kw)
    pd.testing.assert_frame_equal(base, shuffled)
    relabelled = fn(_relabel(df), **kw)
    back = base.assign(customer_id=_relabel(base)["customer_id"])
    key = [c for c in ("customer_id", "purchase_number", "spell") if c in base]
    pd.testing.assert_frame_equal(
        back.sort_values(key).reset_index(drop=True),
        relabelled.sort_values(key).reset_index(drop=True),
    )


PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(df=random_logs(), seed=st.integers(0, 10_000))
def test_property_first_purchase_accounts_for_everyone(df, seed):
    n_cust = df["customer_id"].nunique()
    conv = df.loc[df["event"] == "conversion"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = time_to_first_purchase(df, origin="first-event")
        _assert_invariant(time_to_first_purchase, df, seed, origin="first-event")
        ft = time_to_first_purchase(df) if (df["event"] == "touch").any() else None
    # origin="first-event": every customer once; events == customers with a conversion
    assert len(out) == n_cust
    assert out["event"].sum() == conv["customer_id"].nunique()
    assert (out["duration"] >= 0).all()
    assert (out["stop"] <= df["timestamp"].max()).all()
    # touches are counted at most once each, never beyond the customer's touches
    n_touch = df.loc[df["event"] == "touch"].groupby("customer_id").size()
    per = out.set_index("customer_id")["n_touches"]
    assert (per <= n_touch.reindex(per.index, fill_value=0)).all()
    if ft is not None:
        excluded = sum(ft.attrs["n_excluded"].values())
        assert len(ft) + excluded == n_cust
        # a customer excluded for buying first has a conversion strictly before any touch,
        # or a conversion at the first touch time cannot be (touches sort first)
        first_touch = df.loc[df["event"] == "touch"].groupby("customer_id")["timestamp"].min()
        first_conv = conv.groupby("customer_id")["timestamp"].min()
        bought_first = (first_conv.reindex(first_touch.index) < first_touch).sum()
        assert ft.attrs["n_excluded"]["converted_before_first_touch"] == bought_first


@PROPS
@given(df=random_logs(), seed=st.integers(0, 10_000))
def test_property_interpurchase_no_purchase_lost(df, seed):
    conv = df.loc[df["event"] == "conversion"]
    if conv.empty:
        with pytest.raises(ValidationError):
            interpurchase_times(df)
        return
    out = interpurchase_times(df)
    _assert_invariant(interpurchase_times, df, seed)
    # one row per conversion; observed gaps = conversions - customers with conversions
    assert len(out) == len(conv)
    assert out["event"].sum() == len(conv) - conv["customer_id"].nunique()
    # gaps of a customer add up to the time from their first purchase to the end of observation
    span = out.groupby("customer_id")["duration"].sum()
    first = conv.groupby("customer_id")["timestamp"].min()
    exp = (df["timestamp"].max() - first) / pd.Timedelta(1, "D")
    np.testing.assert_allclose(span.sort_index(), exp.sort_index(), atol=1e-9)


@st.composite
def subscription_logs(draw):
    """Valid alternating subscribe/churn histories, with some same-time churn + re-subscribe."""
    rows = []
    for cust in range(draw(st.integers(1, 6))):
        t = draw(st.integers(0, 5))
        for _ in range(draw(st.integers(0, 4))):
            rows.append((cust, t, "subscribe"))
            if draw(st.booleans()):
                t += draw(st.integers(0, 6))
                rows.append((cust, t, "churn"))
                t += draw(st.integers(0, 3))  # 0: re-subscribe at the churn time
            else:
                break
        rows.append((cust, t + 1, "touch"))
    df = pd.DataFrame(rows, columns=["customer_id", "t", "event"])
    df["channel"] = "email"
    df["timestamp"] = T0 + pd.to_timedelta(df.pop("t"), unit="D")
    return df


@PROPS
@given(df=subscription_logs(), seed=st.integers(0, 10_000))
def test_property_subscription_spells(df, seed):
    n_sub = int((df["event"] == "subscribe").sum())
    if n_sub == 0:
        with pytest.raises(ValidationError):
            subscription_lifetimes(df)
        return
    out = subscription_lifetimes(df)
    _assert_invariant(subscription_lifetimes, df, seed)
    assert len(out) == n_sub
    assert out["event"].sum() == int((df["event"] == "churn").sum())
    assert (out["duration"] >= 0).all()
    # spells of a customer do not overlap and are numbered 1..k
    g = out.groupby("customer_id")
    assert (g.cumcount() + 1 == out["spell"]).all()
    assert (out["start"].shift(-1)[out["customer_id"].eq(out["customer_id"].shift(-1))]
            >= out["stop"][out["customer_id"].eq(out["customer_id"].shift(-1))]).all()
