"""Tests of the per-customer experiment table (cjmodels.data.experiments.experiment_table)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cjmodels.data.events import EventLog
from cjmodels.data.experiments import experiment_table
from cjmodels.errors import ValidationError
from cjmodels.synthetic.experiments import simulate_experiment

DAY = pd.Timedelta(1, "D")


@pytest.fixture(scope="module")
def world():
    return simulate_experiment(20_000, arms={"A": 0.1, "B": 0.12, "C": 0.09}, random_state=7)


def _log(rows, **kw):
    """A small log from (customer, time, event, value, variant) rows; times are day offsets."""
    df = pd.DataFrame(rows, columns=["customer_id", "t", "event", "value", "variant"])
    df["timestamp"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(df.pop("t"), unit="D")
    return df, kw


def _table(rows, **kw):
    df, _ = _log(rows)
    return experiment_table(df, **kw)


def _messy_log(seed: int, n: int = 150) -> pd.DataFrame:
    """Random log with ties, touches, repeated assignments and unassigned customers."""
    rng = np.random.default_rng(seed)
    k = rng.integers(1, 9, size=n)
    cust = np.repeat(np.arange(n), k)
    kinds = np.array(["touch", "conversion", "assignment", "subscribe"])
    ev = kinds[rng.choice(4, size=len(cust), p=[0.35, 0.3, 0.25, 0.1])]
    hours = rng.integers(0, 60 * 24 // 6, size=len(cust)) * 6  # coarse grid: many ties
    arm = np.array(["A", "B", "C"])[rng.integers(0, 3, size=n)][cust]
    variant = np.where((ev == "assignment") | (rng.random(len(cust)) < 0.5), arm, None)
    value = np.where(ev == "conversion", rng.gamma(2.0, 20.0, size=len(cust)).round(2), np.nan)
    return pd.DataFrame(
        {
            "customer_id": np.char.add("u", cust.astype(str)),
            "timestamp": pd.Timestamp("2025-01-01") + pd.to_timedelta(hours, unit="h"),
            "event": ev,
            "channel": np.where(ev == "touch", "email", None),
            "value": value,
            "variant": variant,
        }
    )


def _naive(df: pd.DataFrame, window=None, pre_period=None, end=None) -> pd.DataFrame:
    """Reference: a plain per-customer loop, written independently of the vectorised code."""
    end = df["timestamp"].max() if end is None else pd.Timestamp(end)
    rows = []
    for cid, g in df.groupby("customer_id", sort=True):
        a = g[g["event"] == "assignment"]
        if a.empty or a["timestamp"].min() > end:
            continue
        t0 = a["timestamp"].min()
        arm = a.loc[a["timestamp"] == t0, "variant"].iloc[0]
        out = (g["timestamp"] >= t0) & (g["timestamp"] <= end)
        if window is not None:
            out &= g["timestamp"] < t0 + pd.Timedelta(window)
        pre = g["timestamp"] < t0
        if pre_period is not None:
            pre &= g["timestamp"] >= t0 - pd.Timedelta(pre_period)
        conv = g["event"] == "conversion"
        has_pre = bool(pre.any())
        stop = end if window is None else min(end, t0 + pd.Timedelta(window))
        rows.append(
            {
                "customer_id": cid,
                "variant": arm,
                "assigned_at": t0,
                "converted": int((out & conv).any()),
                "n_conversions": int((out & conv).sum()),
                "value": float(g.loc[out & conv, "value"].sum()),
                "pre_value": float(g.loc[pre & conv, "value"].sum()) if has_pre else np.nan,
                "pre_conversions": int((pre & conv).sum()),
                "has_pre": has_pre,
                "exposure": (stop - t0) / DAY,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- against the truth
def test_table_equals_world_truth(world):
    tab = experiment_table(world.event_log())
    truth = world.customers
    assert len(tab) == len(truth) == 20_000
    pd.testing.assert_series_equal(tab["customer_id"], truth["customer_id"])
    pd.testing.assert_series_equal(tab["variant"], truth["variant"])
    pd.testing.assert_series_equal(tab["assigned_at"], truth["assigned_at"])
    pd.testing.assert_series_equal(tab["converted"], truth["converted"])
    pd.testing.assert_series_equal(tab["has_pre"], truth["has_pre"])
    pd.testing.assert_series_equal(tab["pre_value"], truth["pre_value"], check_exact=True)
    pd.testing.assert_series_equal(
        tab["value"], truth["revenue"], check_names=False, check_exact=True
    )
    assert (tab["pre_conversions"] == truth["has_pre"].astype(int)).all()
    assert (tab["n_conversions"] == tab["converted"]).all()
    end = pd.Timestamp("2025-03-29")
    np.testing.assert_allclose(tab["exposure"], (end - truth["assigned_at"]) / DAY, rtol=1e-12)
    assert tab.attrs["unassigned_customers"] == 0
    assert tab.attrs["variants"] == world.truth["allocation"]["counts"]


def test_world_with_pre_period_and_dataframe_input(world):
    a = experiment_table(world.event_log())
    b = experiment_table(world.events, pre_period="28D", **world.event_log_options)
    pd.testing.assert_frame_equal(a, b)
    c = experiment_table(world.events, pre_period="7D", **world.event_log_options)
    # reference: the pre-period rows of the log, at most 7 days before assignment
    ev = world.events.merge(world.customers[["customer_id", "assigned_at"]], on="customer_id")
    gap = ev["assigned_at"] - ev["timestamp"]
    recent = ev.loc[(gap > pd.Timedelta(0)) & (gap <= 7 * DAY), "customer_id"]
    expect = world.customers["customer_id"].isin(recent).to_numpy()
    assert 0 < expect.sum() < world.customers["has_pre"].sum()
    np.testing.assert_array_equal(c["has_pre"].to_numpy(), expect)
    np.testing.assert_array_equal(c["pre_value"].notna().to_numpy(), expect)


@pytest.mark.parametrize(
    ("window", "pre_period", "end"),
    [(None, None, None), ("3D", "10D", None), ("12h", None, "2025-02-10"), (None, "2D", None)],
)
def test_matches_naive_loop_on_messy_logs(window, pre_period, end):
    for seed in (0, 1):
        df = _messy_log(seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            tab = experiment_table(df, window=window, pre_period=pre_period, end=end)
        ref = _naive(df, window=window, pre_period=pre_period, end=end)
        # ids like 'u10' sort as strings in both
        pd.testing.assert_frame_equal(
            tab.reset_index(drop=True), ref, check_dtype=False, rtol=1e-12
        )
        n_assigned = df.loc[df["event"] == "assignment", "customer_id"].nunique()
        assert tab.attrs["unassigned_customers"] == df["customer_id"].nunique() - n_assigned


# --------------------------------------------------------------------------- windows by hand
def test_window_boundaries():
    rows = [
        (1, 0.0, "touch", np.nan, None),  # pre-period touch, no value
        (1, 2.0, "assignment", np.nan, "A"),
        (1, 2.0, "conversion", 5.0, "A"),  # at t0: an outcome
        (1, 8.999, "conversion", 7.0, "A"),  # inside [t0, t0 + 7)
        (1, 9.0, "conversion", 100.0, "A"),  # at t0 + 7: outside
        (2, 0.0, "conversion", 3.0, None),  # exactly t0 - 5: in a 5-day pre-period
        (2, 4.0, "conversion", 4.0, None),
        (2, 5.0, "assignment", np.nan, "B"),
        (2, 5.0, "assignment", np.nan, "B"),  # repeated assignment, same arm
        (2, 20.0, "conversion", 9.0, "B"),  # end of the log
    ]
    df, _ = _log(rows)
    df["channel"] = np.where(df["event"] == "touch", "email", None)
    t = experiment_table(df, window="7D", pre_period="5D").set_index("customer_id")
    assert t.loc[1, "n_conversions"] == 2 and t.loc[1, "value"] == 12.0
    assert t.loc[1, "has_pre"] and t.loc[1, "pre_value"] == 0.0  # a touch, no conversion
    assert t.loc[1, "pre_conversions"] == 0
    assert t.loc[2, "n_conversions"] == 0 and t.loc[2, "value"] == 0.0
    assert t.loc[2, "pre_conversions"] == 2 and t.loc[2, "pre_value"] == 7.0
    assert t.loc[1, "exposure"] == 7.0
    assert t.loc[2, "exposure"] == 7.0
    # without a window everything from t0 to the end counts; pre-period of 4 days drops day 0
    t = experiment_table(df, pre_period="4D").set_index("customer_id")
    assert t.loc[1, "value"] == 112.0 and t.loc[1, "exposure"] == pytest.approx(18.0)
    assert t.loc[2, "value"] == 9.0 and t.loc[2, "pre_value"] == 4.0
    # a bare number is a number of `unit`
    t = experiment_table(df, window=7, pre_period=5).set_index("customer_id")
    assert t.loc[1, "value"] == 12.0 and t.loc[2, "pre_value"] == 7.0
    t = experiment_table(df, window=7 * 24, unit="h").set_index("customer_id")
    assert t.loc[1, "value"] == 12.0 and t.loc[1, "exposure"] == 168.0


def test_end_cuts_outcomes_and_drops_late_assignments():
    rows = [
        (1, 0.0, "assignment", np.nan, "A"),
        (1, 3.0, "conversion", 5.0, "A"),
        (1, 6.0, "conversion", 7.0, "A"),
        (2, 1.0, "assignment", np.nan, "B"),
        (3, 5.0, "assignment", np.nan, "B"),
    ]
    df, _ = _log(rows)
    with pytest.warns(UserWarning, match="1 customers were assigned after end"):
        t = experiment_table(df, end="2025-01-04")
    assert list(t["customer_id"]) == [1, 2]
    assert t.attrs["assigned_after_end"] == 1
    assert t.loc[0, "value"] == 5.0 and t.loc[0, "exposure"] == 3.0  # conversion at end counts
    with pytest.raises(ValidationError, match="after the log's observation_end"):
        experiment_table(df, end="2025-02-01")


def test_numeric_times_and_no_value_column():
    df = pd.DataFrame(
        {
            "cust": ["x", "x", "y", "y", "z"],
            "time": [1.0, 4.0, 2.0, 2.5, 3.0],
            "kind": ["assignment", "conversion", "assignment", "conversion", "touch"],
            "arm": ["A", None, "B", "B", None],
            "channel": [None, None, None, None, "web"],
        }
    )
    with pytest.warns(UserWarning, match="1 customers have events but no assignment"):
        t = experiment_table(df, customer="cust", timestamp="time", event="kind", variant="arm",
                             window=2.0)
    assert t.attrs["unassigned_customers"] == 1
    assert list(t["converted"]) == [0, 1]  # x converts 3 units after assignment: outside 2
    assert t["value"].isna().all() and t["pre_value"].isna().all()
    assert list(t["exposure"]) == [2.0, 2.0]  # the log ends at 4.0
    with pytest.warns(UserWarning, match="no assignment"):
        t = experiment_table(df, customer="cust", timestamp="time", event="kind",
                             variant="arm", end=3.5)
    assert list(t["exposure"]) == [2.5, 1.5] and list(t["n_conversions"]) == [0, 1]
    with pytest.raises(ValidationError, match="must be a number"):
        experiment_table(df, customer="cust", timestamp="time", event="kind", variant="arm",
                         window="2D")


# --------------------------------------------------------------------------- bad inputs
def test_no_assignment_events():
    with pytest.raises(ValidationError, match="no 'assignment' events"):
        _table([(1, 0.0, "conversion", 1.0, "A"), (2, 0.0, "conversion", 1.0, "B")])


def test_missing_variant_column():
    df, _ = _log([(1, 0.0, "assignment", np.nan, "A"), (2, 0.0, "assignment", np.nan, "B")])
    with pytest.raises(ValidationError, match="column 'arm'"):
        experiment_table(df, variant="arm")
    with pytest.raises(ValidationError, match="column 'variant'"):
        experiment_table(df.drop(columns="variant"))


def test_two_arms_for_one_customer_names_the_customers():
    rows = [
        ("alice", 0.0, "assignment", np.nan, "A"),
        ("alice", 1.0, "assignment", np.nan, "B"),
        ("bob", 0.0, "assignment", np.nan, "A"),
        ("carol", 0.0, "assignment", np.nan, "B"),
        ("carol", 2.0, "assignment", np.nan, None),  # a missing arm later is not a conflict
    ]
    with pytest.raises(ValidationError, match=r"1 customers are assigned to more than one arm.*"
                                              r"\['alice'\]"):
        _table(rows)


def test_single_arm_names_the_arm():
    rows = [(1, 0.0, "assignment", np.nan, "A"), (2, 1.0, "assignment", np.nan, "A")]
    with pytest.raises(ValidationError, match="arm 'A'.*at least two arms"):
        _table(rows)
    # also when the other arm's customers are all assigned after `end`
    rows.append((3, 5.0, "assignment", np.nan, "B"))
    with pytest.raises(ValidationError, match="arm 'A'"):
        _table(rows, end="2025-01-03")


def test_missing_variant_on_first_assignment():
    rows = [(1, 0.0, "assignment", np.nan, None), (2, 1.0, "assignment", np.nan, "A")]
    with pytest.raises(ValidationError, match=r"missing on the first assignment of 1 customers \[1\]"):
        _table(rows)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"window": "0D"}, "window == '0D', must be a positive"),
        ({"window": -3}, "window == -3"),
        ({"window": "7"}, "has no unit"),
        ({"pre_period": "soon"}, "not a time span"),
        ({"end": "never"}, "end == 'never'"),
        ({"unit": "fortnight"}, "unit == 'fortnight'"),
        ({"variant": "event"}, "variant"),
    ],
)
def test_bad_parameters(kw, match):
    rows = [(1, 0.0, "assignment", np.nan, "A"), (2, 1.0, "assignment", np.nan, "B")]
    with pytest.raises(ValidationError, match=match):
        _table(rows, **kw)


def test_log_options_with_an_event_log_are_rejected():
    df, _ = _log([(1, 0.0, "assignment", np.nan, "A"), (2, 1.0, "assignment", np.nan, "B")])
    with pytest.raises(ValidationError, match="already"):
        experiment_table(EventLog(df), customer="customer_id")


# --------------------------------------------------------------------------- invariances
def test_invariant_to_row_shuffle_and_relabelling(world):
    ev = world.events
    rng = np.random.default_rng(0)
    shuffled = ev.iloc[rng.permutation(len(ev))]
    base = experiment_table(world.event_log())
    pd.testing.assert_frame_equal(
        experiment_table(shuffled, **world.event_log_options), base
    )
    # relabel customers with strings in a scrambled order; the table is then sorted by label
    perm = rng.permutation(ev["customer_id"].max() + 1)
    labels = np.char.add("c", perm.astype(str))
    relabelled = shuffled.assign(customer_id=labels[shuffled["customer_id"].to_numpy()])
    t = experiment_table(relabelled, **world.event_log_options)
    back = {lab: i for i, lab in enumerate(labels)}
    t["customer_id"] = t["customer_id"].map(back).astype(base["customer_id"].dtype)
    t = t.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(t, base)


_SMALL = _messy_log(3, n=25)
_SMALL_REF = _naive(_SMALL, window="5D", pre_period="3D")


@settings(max_examples=30, deadline=None)
@given(order=st.permutations(range(len(_SMALL))), labels=st.permutations(range(25)))
def test_shuffle_and_relabel_property(order, labels):
    df = _SMALL.iloc[list(order)].reset_index(drop=True)
    ids = df["customer_id"].str[1:].astype(int).to_numpy()
    df["customer_id"] = np.asarray(labels)[ids] * 10  # new integer labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        t = experiment_table(df, window="5D", pre_period="3D")
    inverse = {lab * 10: f"u{i}" for i, lab in enumerate(labels)}
    t["customer_id"] = t["customer_id"].map(inverse)
    t = t.sort_values("customer_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(t, _SMALL_REF, check_dtype=False, rtol=1e-12)


def test_csv_round_trip_gives_the_same_table(tmp_path):
    from cjmodels.data.io import read_events

    w = simulate_experiment(2_000, random_state=3)
    path = tmp_path / "experiment.csv"
    w.events.to_csv(path, index=False)
    log = read_events(path, **w.event_log_options)
    pd.testing.assert_frame_equal(experiment_table(log), experiment_table(w.event_log()))
