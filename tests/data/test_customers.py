"""Tests of cjmodels.data.customers.rfm_summary.

References:
* ``reference/rfm_lifetimes.json``: outputs of ``lifetimes.utils.summary_data_from_transaction_data``
  (lifetimes 0.11.3) on ``reference/rfm_transactions.csv``, produced by
  ``reference/make_rfm_reference.py`` in a scratch environment (lifetimes is not a dependency).
* Hand computations from the definitions of Fader, Hardie & Lee (2005), "Counting your customers
  the easy way", Marketing Science 24(2), section 2 (x = repeat transactions in (0, T], t_x = time
  of the last one, T = time since the first purchase), and "RFM and CLV", JMR 42(4) (monetary
  value = mean of the x repeat transactions).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjmodels.data.customers import rfm_summary
from cjmodels.data.events import EventLog
from cjmodels.errors import ValidationError

REF = Path(__file__).resolve().parent / "reference"
T0 = pd.Timestamp("2025-01-01")
EXACT = 1e-12  # values that are exact up to floating-point rounding


# --------------------------------------------------------------------------- lifetimes
def _reference():
    with open(REF / "rfm_lifetimes.json") as fh:
        ref = json.load(fh)
    tx = pd.read_csv(REF / ref["input"], parse_dates=["timestamp"])
    return ref, tx.assign(event="conversion")


REFERENCE, TRANSACTIONS = _reference()


@pytest.mark.parametrize("case", REFERENCE["cases"], ids=lambda c: c["name"])
def test_rfm_matches_lifetimes(case):
    out = rfm_summary(TRANSACTIONS, **case["cjmodels"]).set_index("customer_id")
    exp = pd.DataFrame.from_dict(case["result"], orient="index")
    if case["lifetimes"].get("include_first_transaction"):
        # lifetimes also adds the first purchase to frequency; rfm_summary keeps the repeat count
        exp["frequency"] -= 1
    assert sorted(out.index) == sorted(exp.index)
    got = out.loc[exp.index, ["frequency", "recency", "T", "monetary_value"]]
    np.testing.assert_allclose(got.to_numpy(float), exp.to_numpy(float), rtol=EXACT, atol=EXACT)


def test_rfm_reference_counts_and_calibration_cut():
    case = next(c for c in REFERENCE["cases"] if c["name"] == "calibration_end_daily")
    out = rfm_summary(TRANSACTIONS, **case["cjmodels"])
    after = (TRANSACTIONS["timestamp"] > pd.Timestamp("2025-02-15 23:59:59")).sum()
    assert out.attrs["n_purchases_after_end"] == after
    assert out.attrs["n_purchases"] + after == len(TRANSACTIONS)
    # c08 bought only after the cut: no row, counted as a customer without purchase
    assert "c08" not in set(out["customer_id"])
    assert out.attrs["n_customers_without_purchase"] == (
        TRANSACTIONS["customer_id"].nunique() - len(out)
    )
    # the lifetimes convention keeps all of the end day; observation_end at midnight does not
    strict = rfm_summary(TRANSACTIONS, period="D", observation_end="2025-02-15")
    assert "c05" not in set(strict["customer_id"])  # its purchase is at 2025-02-15 21:00


# --------------------------------------------------------------------------- by hand
def _numeric_log():
    # times in weeks; the observation window ends at week 10
    #  1: purchases at 0 (10), 2 (20), 5 (30)        -> x = 2, t_x = 5, T = 10, m = 25
    #  2: purchase at 3 (7)                          -> x = 0, t_x = 0, T = 7, m = 0
    #  3: touch only                                 -> no row
    #  4: purchases at 1.25 (4), 1.75 (6), 4.5 (8)   -> x = 2, t_x = 3.25, T = 8.75, m = 7
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 3, 4, 4, 4],
            "timestamp": [0.0, 2.0, 5.0, 3.0, 1.0, 1.25, 1.75, 4.5],
            "event": ["conversion"] * 4 + ["touch"] + ["conversion"] * 3,
            "value": [10.0, 20.0, 30.0, 7.0, np.nan, 4.0, 6.0, 8.0],
        }
    )


def test_rfm_fader_hardie_definitions_by_hand():
    out = rfm_summary(_numeric_log(), observation_end=10.0)
    exp = pd.DataFrame(
        {
            "customer_id": [1, 2, 4],
            "frequency": [2, 0, 2],
            "recency": [5.0, 0.0, 3.25],
            "T": [10.0, 7.0, 8.75],
            "monetary_value": [25.0, 0.0, 7.0],
            "n_purchases": [3, 1, 3],
            "first_purchase": [0.0, 3.0, 1.25],
            "last_purchase": [5.0, 3.0, 4.5],
            "total_value": [60.0, 7.0, 18.0],
        }
    )
    pd.testing.assert_frame_equal(out, exp, check_exact=False, rtol=EXACT)
    assert out.attrs["n_customers_without_purchase"] == 1
    assert out.attrs["unit"] is None  # numeric time keeps its own unit


def test_rfm_include_first_and_numeric_periods_by_hand():
    # include_first: mean over all purchases: 1 -> 60 / 3, 2 -> 7, 4 -> 18 / 3
    inc = rfm_summary(_numeric_log(), observation_end=10.0, include_first=True)
    np.testing.assert_allclose(inc["monetary_value"], [20.0, 7.0, 6.0], rtol=EXACT)
    np.testing.assert_array_equal(inc["frequency"], [2, 0, 2])
    # period=1: bins [k, k+1). Customer 4: bins 1, 1, 4 -> one repeat period, recency 4 - 1 = 3,
    # T = 10 - 1 = 9, repeat value 8; its first period is worth 4 + 6 = 10.
    per = rfm_summary(_numeric_log(), observation_end=10.0, period=1.0).set_index("customer_id")
    assert per.loc[4, "frequency"] == 1
    assert per.loc[4, "recency"] == pytest.approx(3.0, abs=EXACT)
    assert per.loc[4, "T"] == pytest.approx(9.0, abs=EXACT)
    assert per.loc[4, "monetary_value"] == pytest.approx(8.0, abs=EXACT)
    assert per.loc[4, "n_purchases"] == 3
    per_inc = rfm_summary(_numeric_log(), observation_end=10.0, period=1.0, include_first=True)
    assert per_inc.set_index("customer_id").loc[4, "monetary_value"] == pytest.approx(9.0)
    assert per.attrs["n_purchase_periods"] == 3 + 1 + 2


def test_rfm_observation_end_earlier_and_later():
    # Earlier end (week 4.5): customer 1 keeps purchases at 0, 2; customer 4 all three.
    cut = rfm_summary(_numeric_log(), observation_end=4.5).set_index("customer_id")
    assert cut.loc[1, "frequency"] == 1
    assert cut.loc[1, "recency"] == pytest.approx(2.0, abs=EXACT)
    assert cut.loc[1, "T"] == pytest.approx(4.5, abs=EXACT)
    assert cut.loc[1, "monetary_value"] == pytest.approx(20.0, abs=EXACT)
    assert cut.attrs["n_purchases_after_end"] == 1
    # Before customer 2's purchase at week 3: customer 2 has no row.
    early = rfm_summary(_numeric_log(), observation_end=2.5)
    assert early["customer_id"].tolist() == [1, 4]
    assert early.attrs["n_customers_without_purchase"] == 2
    # A later end than the last event extends T and nothing else.
    late = rfm_summary(_numeric_log(), observation_end=20.0)
    base = rfm_summary(_numeric_log())  # default: the log's end, the last event at week 5
    np.testing.assert_allclose(late["T"] - base["T"], 15.0, rtol=EXACT)
    np.testing.assert_array_equal(late["frequency"], base["frequency"])


def test_rfm_datetime_units_and_same_time_purchases():
    df = pd.DataFrame(
        {
            "customer_id": ["a", "a", "a", "b"],
            "timestamp": T0 + pd.to_timedelta([0, 0, 36, 12], unit="h"),
            "event": "conversion",
            "value": [1.0, 2.0, 4.0, 5.0],
        }
    )
    end = T0 + pd.Timedelta(7, "D")
    out = rfm_summary(df, observation_end=end, unit="h").set_index("customer_id")
    # exact times: the two purchases at hour 0 are one order worth 3; the repeat is at hour 36
    assert out.loc["a", "frequency"] == 1
    assert out.loc["a", "recency"] == pytest.approx(36.0, abs=EXACT)
    assert out.loc["a", "T"] == pytest.approx(168.0, abs=EXACT)
    assert out.loc["a", "monetary_value"] == pytest.approx(4.0, abs=EXACT)
    assert out.loc["a", "n_purchases"] == 3
    assert out.loc["a", "total_value"] == pytest.approx(7.0, abs=EXACT)
    assert out.loc["b", "T"] == pytest.approx(156.0, abs=EXACT)
    assert out.loc["a", "first_purchase"] == T0
    assert out.loc["a", "last_purchase"] == T0 + pd.Timedelta(36, "h")
    weeks = rfm_summary(df, observation_end=end, unit="W")
    np.testing.assert_allclose(weeks["T"], out["T"].to_numpy() / 168.0, rtol=EXACT)


def test_rfm_time_zone_uses_local_calendar_days():
    # 23:30 and 00:30 Berlin time are different local days (both the same UTC day).
    ts = pd.to_datetime(["2025-01-01 23:30", "2025-01-02 00:30"]).tz_localize("Europe/Berlin")
    df = pd.DataFrame({"customer_id": [1, 1], "timestamp": ts, "event": "conversion"})
    out = rfm_summary(df, period="D", observation_end=pd.Timestamp("2025-01-05", tz="Europe/Berlin"))
    assert out.loc[0, "frequency"] == 1
    assert out.loc[0, "recency"] == pytest.approx(1.0, abs=EXACT)
    assert out.loc[0, "T"] == pytest.approx(4.0, abs=EXACT)
    assert out.loc[0, "first_purchase"] == ts[0]
    assert "monetary_value" not in out and "total_value" not in out  # no value column
    with pytest.raises(ValidationError, match="naive"):
        rfm_summary(df, observation_end="2025-01-05")


# --------------------------------------------------------------------------- bad input
def test_rfm_bad_input_raises_validation_error():
    touches = pd.DataFrame(
        {"customer_id": [1, 2], "timestamp": [0.0, 1.0], "event": "touch", "channel": "x"}
    )
    with pytest.raises(ValidationError, match=r"rfm_summary needs 'conversion' events"):
        rfm_summary(touches)
    with pytest.raises(ValidationError, match=r"all 4 conversions are after observation_end"):
        rfm_summary(_numeric_log().query("customer_id != 1"), observation_end=1.1)
    with pytest.raises(ValidationError, match="before the log's observation_start"):
        rfm_summary(_numeric_log(), observation_end=-1.0)
    with pytest.raises(ValidationError, match=r"period == 'D', must be a positive number"):
        rfm_summary(_numeric_log(), period="D")
    with pytest.raises(ValidationError, match=r"period == 0.0"):
        rfm_summary(_numeric_log(), period=0.0)
    with pytest.raises(ValidationError, match=r"observation_end == 'soon'"):
        rfm_summary(_numeric_log(), observation_end="soon")
    with pytest.raises(ValidationError, match="include_first"):
        rfm_summary(_numeric_log(), include_first=1)
    dated = TRANSACTIONS.head(5)
    for bad in ("2D", "fortnight", 7):
        with pytest.raises(ValidationError, match="period alias"):
            rfm_summary(dated, period=bad)
    with pytest.raises(ValidationError, match=r"unit == 'Y'"):
        rfm_summary(dated, unit="Y")
    with pytest.raises(ValidationError, match=r"observation_end == 'not a date'"):
        rfm_summary(dated, observation_end="not a date")
    with pytest.raises(ValidationError, match="column options"):
        rfm_summary(EventLog(dated), observation_start="2024-12-01")


# --------------------------------------------------------------------------- properties
@st.composite
def purchase_logs(draw, max_rows=40):
    n = draw(st.integers(1, max_rows))
    cust = draw(st.lists(st.integers(0, 6), min_size=n, max_size=n))
    hours = draw(st.lists(st.integers(0, 24 * 6), min_size=n, max_size=n).map(
        lambda h: [x * 3 for x in h]))  # 3-hour grid over 18 days: same-day and same-time ties
    ev = draw(st.lists(st.sampled_from(["conversion", "conversion", "touch"]),
                       min_size=n, max_size=n))
    val = draw(st.lists(st.integers(0, 50), min_size=n, max_size=n))
    df = pd.DataFrame({"customer_id": cust, "event": ev, "value": np.array(val, dtype=float),
                       "channel": "web"})
    df["timestamp"] = T0 + pd.to_timedelta(np.array(hours), unit="h")
    return df


def _relabel(df):
    return df.assign(customer_id=df["customer_id"].map(lambda c: f"z{(6 - c) * 37 % 101:03d}"))


PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(df=purchase_logs(), period=st.sampled_from([None, "D", "W"]), seed=st.integers(0, 9999))
def test_property_rfm_counts_every_purchase_period_once(df, period, seed):
    conv = df.loc[df["event"] == "conversion"]
    if conv.empty:
        with pytest.raises(ValidationError):
            rfm_summary(df, period=period)
        return
    out = rfm_summary(df, period=period)
    # independent count of purchase periods with pandas: distinct (customer, period start)
    bins = conv["timestamp"] if period is None else (
        conv["timestamp"].dt.to_period(period).dt.to_timestamp()
    )
    n_periods = conv.assign(b=bins).groupby("customer_id")["b"].nunique()
    assert out["frequency"].sum() + len(out) == n_periods.sum()
    assert out.attrs["n_purchase_periods"] == n_periods.sum()
    assert out["n_purchases"].sum() == len(conv)
    assert len(out) + out.attrs["n_customers_without_purchase"] == df["customer_id"].nunique()
    np.testing.assert_allclose(out["total_value"].sum(), conv["value"].sum(), rtol=1e-12)
    assert ((out["recency"] >= 0) & (out["recency"] <= out["T"])).all()
    assert ((out["frequency"] > 0) | (out["recency"] == 0)).all()
    # monetary value times frequency is the value outside the first period
    first_b = conv.assign(b=bins).groupby("customer_id")["b"].transform("min")
    first_val = conv.loc[bins == first_b].groupby("customer_id")["value"].sum()
    o = out.set_index("customer_id")
    np.testing.assert_allclose(
        o["monetary_value"] * o["frequency"] + first_val.reindex(o.index),
        o["total_value"],
        rtol=1e-9,
        atol=1e-9,
    )
    # invariance to row order and customer labels
    shuffled = rfm_summary(df.sample(frac=1.0, random_state=seed), period=period)
    pd.testing.assert_frame_equal(out, shuffled)
    relabelled = rfm_summary(_relabel(df), period=period)
    back = out.assign(customer_id=_relabel(out)["customer_id"])
    pd.testing.assert_frame_equal(
        back.sort_values("customer_id").reset_index(drop=True),
        relabelled.sort_values("customer_id").reset_index(drop=True),
    )


# ---------------------------------------------------------------- calibration and holdout
def _lifetimes_cases():
    import json
    from pathlib import Path

    ref = json.loads(
        (Path(__file__).parent / "reference" / "calibration_holdout_lifetimes.json").read_text()
    )
    return ref["cases"]


@pytest.mark.parametrize("case", _lifetimes_cases(), ids=lambda c: c["name"])
def test_calibration_holdout_matches_lifetimes(case):
    # Reference: lifetimes 0.11.3 `calibration_and_holdout_data(tx, "customer_id", "timestamp",
    # calibration_period_end, observation_period_end, freq, monetary_value_col="value")`, produced
    # by reference/make_calibration_holdout_reference.py (lifetimes cuts both periods at the exact
    # timestamps given, as we do). Tolerance 1e-12.
    from pathlib import Path

    from cjmodels.data.customers import calibration_holdout

    tx = pd.read_csv(Path(__file__).parent / "reference" / "rfm_transactions.csv")
    tx["event"] = "conversion"
    ours = calibration_holdout(
        tx,
        calibration_end=case["calibration_end"],
        observation_end=case["observation_end"],
        period=case["freq"],
        unit="D" if case["freq"] == "D" else "W",
    ).set_index("customer_id")
    ref = pd.DataFrame(case["result"]).T
    assert sorted(ours.index) == sorted(ref.index)
    mapping = {
        "frequency": "frequency_cal",
        "recency": "recency_cal",
        "T": "T_cal",
        "monetary_value": "monetary_value_cal",
        "frequency_holdout": "frequency_holdout",
        "monetary_value_holdout": "monetary_value_holdout",
        "duration_holdout": "duration_holdout",
    }
    if case["freq"] != "D":
        # lifetimes averages holdout value per transaction but calibration value per period;
        # we average both per period (documented), so they differ when a week holds two orders.
        mapping.pop("monetary_value_holdout")
    for ours_col, ref_col in mapping.items():
        np.testing.assert_allclose(
            ours[ours_col].to_numpy(dtype=float),
            ref.loc[ours.index, ref_col].to_numpy(dtype=float),
            rtol=1e-12,
            atol=1e-12,
            err_msg=ours_col,
        )


def test_calibration_holdout_bad_window():
    from cjmodels.data.customers import calibration_holdout

    df = pd.DataFrame(
        {"customer_id": [1, 1], "timestamp": [0.0, 3.0], "event": "conversion", "value": 1.0}
    )
    with pytest.raises(ValidationError, match="must be before observation_end"):
        calibration_holdout(df, calibration_end=3.0, observation_end=3.0)
