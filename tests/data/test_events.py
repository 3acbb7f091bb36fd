"""EventLog validation: a table of bad inputs and the error each one gets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import EventLog, read_events
from cjmodels.errors import ValidationError


def base() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2],
            "timestamp": ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-02"],
            "event": ["touch", "touch", "conversion", "touch"],
            "channel": ["search", "email", None, "social"],
            "stage": ["awareness", "consideration", None, "awareness"],
            "value": [0.0, 0.0, 25.0, 0.0],
        }
    )


def with_(col, row, value):
    def f(df):
        df = df.copy()
        if col in df and df[col].dtype != object and isinstance(value, str):
            df[col] = df[col].astype(object)
        df.loc[row, col] = value
        return df

    return f


def drop(col):
    return lambda df: df.drop(columns=[col])


# (case id, how to break the frame, EventLog keywords, words the message must contain)
BAD_INPUTS = [
    ("empty", lambda df: df.iloc[0:0], {}, ["empty", "0 rows"]),
    ("missing customer", drop("customer_id"), {}, ["'customer_id'", "not found", "customer="]),
    ("missing timestamp", drop("timestamp"), {}, ["'timestamp'", "not found"]),
    ("missing event", drop("event"), {}, ["'event'", "event=None"]),
    ("named channel absent", lambda df: df, {"channel": "source"}, ["'source'", "not found"]),
    ("named value absent", lambda df: df, {"value": "revenue"}, ["'revenue'", "not found"]),
    ("covariate absent", lambda df: df, {"covariates": ["region"]}, ["['region']", "not found"]),
    ("NaN customer", with_("customer_id", 2, np.nan), {}, ["customer id", "rows [2]"]),
    ("NaT timestamp", with_("timestamp", 1, None), {}, ["'timestamp'", "missing", "rows [1]"]),
    ("unparseable timestamp", with_("timestamp", 3, "yesterday"), {}, ["not times", "yesterday", "rows [3]"]),
    ("infinite numeric time", lambda df: df.assign(timestamp=[0.0, 1.0, np.inf, 2.0]), {}, ["infinite", "rows [2]"]),
    ("boolean time", lambda df: df.assign(timestamp=[True, False, True, True]), {}, ["boolean"]),
    ("NaN event", with_("event", 0, None), {}, ["event type", "missing", "rows [0]"]),
    ("unknown event", with_("event", 1, "click"), {}, ["unknown values ['click']", "rows [1]", "event_types"]),
    ("touch without channel", with_("channel", 3, None), {}, ["channel", "touch", "rows [3]"]),
    ("separator in channel", with_("channel", 0, "a > b"), {}, ["'>'", "rows [0]", "Rename"]),
    ("negative value", with_("value", 2, -5.0), {}, ["negative", "rows [2]"]),
    ("NaN conversion value", with_("value", 2, np.nan), {}, ["missing on 1 conversion", "rows [2]", "Fill"]),
    ("infinite value", with_("value", 0, np.inf), {}, ["infinite", "rows [0]"]),
    ("text value", lambda df: df.assign(value=["0", "0", "25", "0"]), {}, ["must be numeric", "pd.to_numeric"]),
    ("unknown stage", with_("stage", 1, "shopping"), {"scheme": "six"}, ["['shopping']", "not in scheme 'six'", "rows [1]"]),
    ("touch without stage", with_("stage", 0, None), {"scheme": "six"}, ["stage", "rows [0]"]),
    ("scheme without stage column", drop("stage"), {"scheme": "six"}, ["'stage'", "not found", "scheme"]),
    ("unknown scheme", lambda df: df, {"scheme": "eight"}, ["scheme == 'eight'", "'seven'"]),
    ("observation_end too early", lambda df: df, {"observation_end": "2025-01-02"}, ["observation_end", "outside", "rows [2]"]),
    ("observation_start too late", lambda df: df, {"observation_start": "2025-01-02"}, ["observation_start", "rows [0]"]),
    ("window reversed", lambda df: df, {"observation_start": "2025-02-01", "observation_end": "2025-01-01"}, ["before observation_start"]),
    ("mixed customer types", lambda df: df.assign(customer_id=[1, "x", 1, 2]), {}, ["mixes types", ".astype(str)"]),
    ("duplicate column names", lambda df: df.set_axis(["customer_id", "timestamp", "event", "channel", "stage", "channel"], axis=1), {}, ["more than once"]),
    ("not a frame", lambda df: df.to_dict(), {}, ["must be a pandas DataFrame"]),
]


@pytest.mark.parametrize(("case", "breaker", "kwargs", "words"), BAD_INPUTS, ids=[c[0] for c in BAD_INPUTS])
def test_bad_input_gets_a_clear_error(case, breaker, kwargs, words):
    with pytest.raises(ValidationError) as err:
        EventLog(breaker(base()), **kwargs)
    msg = str(err.value)
    for w in words:
        assert w in msg, f"{case}: {w!r} not in {msg!r}"


def test_error_names_index_labels_not_positions():
    df = base().set_index(pd.Index([10, 11, 12, 13]))
    df.loc[12, "timestamp"] = None
    with pytest.raises(ValidationError, match=r"rows \[12\]"):
        EventLog(df)


def test_valid_log_is_sorted_and_input_untouched():
    df = base().iloc[::-1]
    before = df.copy()
    log = EventLog(df, scheme="six")
    pd.testing.assert_frame_equal(df, before)
    assert log.events["customer_id"].tolist() == [1, 1, 1, 2]
    assert log.events["event"].tolist() == ["touch", "touch", "conversion", "touch"]
    assert log.source_index.tolist() == [0, 1, 2, 3]
    assert log.n_customers == 2
    assert log.time_kind == "datetime"


def test_ties_broken_by_event_rank_not_row_order():
    # A touch and a conversion at the same time: the touch comes first whatever the row order.
    df = pd.DataFrame(
        {
            "customer_id": [1, 1],
            "timestamp": [5.0, 5.0],
            "event": ["conversion", "touch"],
            "channel": [None, "email"],
        }
    )
    assert EventLog(df).events["event"].tolist() == ["touch", "conversion"]


def test_optional_columns_and_event_none():
    df = base().drop(columns=["event", "stage", "value"]).assign(channel=["a", "b", "c", "d"])
    log = EventLog(df, event=None)
    assert set(log.events["event"]) == {"touch"}
    assert not log.has_stage and not log.has_value


def test_custom_column_names_and_covariates(small_log):
    df = small_log.rename(columns={"customer_id": "user", "timestamp": "ts", "channel": "src"})
    log = EventLog(df, customer="user", timestamp="ts", channel="src")
    assert list(log.events.columns) == [
        "customer_id",
        "timestamp",
        "event",
        "channel",
        "value",
        "segment",
    ]
    assert log.covariates == ("segment",)


def test_numeric_time_and_report(small_log):
    df = small_log.assign(timestamp=np.arange(7.0))
    log = EventLog(df)
    rep = log.report()
    assert rep["time_kind"] == "numeric"
    assert rep["events"] == {"conversion": 1, "touch": 6}
    assert rep["total_conversion_value"] == 80.0
    assert "7 events, 2 customers, 1 conversions" in repr(log)


def test_read_events_round_trip(tmp_path, small_log):
    p = tmp_path / "events.csv.gz"
    small_log.to_csv(p, index=False)
    log = read_events(p)
    assert log.n_events == 7 and log.time_kind == "datetime"
    q = tmp_path / "events.parquet"
    small_log.to_parquet(q)
    assert read_events(q).n_events == 7


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("missing.csv", None, ["no such file"]),
        ("empty.csv", "", ["empty"]),
        # read by content, not by name: a one-line text file is a header without rows
        ("data.xlsx", "x", ["but no rows"]),
    ],
)
def test_read_events_bad_files(tmp_path, name, content, words):
    p = tmp_path / name
    if content is not None:
        p.write_text(content)
    with pytest.raises(ValidationError) as err:
        read_events(p)
    for w in words:
        assert w in str(err.value)


def test_log_owns_its_data_and_builds_the_frame_on_first_use():
    df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0.0, 1.0, 0.5],
                       "event": ["touch", "conversion", "touch"],
                       "channel": ["email", None, "search"], "value": [0.0, 9.0, 0.0]})
    log = EventLog(df)
    assert "_events" not in log.__dict__  # accessors work on the arrays
    assert log.n_events == 3 and log.n_customers == 2 and log.has_value
    df.loc[0, "value"] = 123.0  # later changes to the input do not reach the log
    df.loc[1, "customer_id"] = 7
    assert log.column("value").tolist() == [0.0, 9.0, 0.0]
    assert log.events["customer_id"].tolist() == [1, 1, 2]
    assert not log.column("timestamp").flags.writeable
    assert log.events is log.events  # built once


def test_categorical_labels_keep_only_observed_values_and_sort_as_text():
    cats = pd.CategoricalDtype(["zz", "search", "email", "unused"])
    df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0.0, 1.0, 0.5],
                       "event": pd.Categorical(["touch", "conversion", "touch"],
                                               ["touch", "conversion", "drop_out"]),
                       "channel": pd.Series(["search", None, "email"], dtype=cats)})
    plain = df.astype({"event": object, "channel": object})
    a, b = EventLog(df), EventLog(plain)
    codes_a, labels_a = a.codes("channel")
    codes_b, labels_b = b.codes("channel")
    assert labels_a.tolist() == labels_b.tolist() == ["email", "search"]
    np.testing.assert_array_equal(codes_a, codes_b)
    pd.testing.assert_frame_equal(a.events, b.events)
    # an unknown category is an error only when a row uses it
    df2 = df.assign(event=pd.Categorical(["touch", "conversion", "touch"],
                                         ["touch", "conversion", "click"]))
    assert EventLog(df2).n_events == 3
    df3 = df.assign(event=pd.Categorical(["touch", "click", "touch"], ["touch", "click"]))
    with pytest.raises(ValidationError, match="unknown values \\['click'\\]"):
        EventLog(df3)


def test_ticks_are_exact_integers_of_the_column_resolution():
    ts = pd.to_datetime(["2025-01-01 00:00:00.000001", "2025-01-31 00:00:00.000001"])
    df = pd.DataFrame({"customer_id": [1, 1], "timestamp": ts.as_unit("us"),
                       "event": ["touch", "touch"], "channel": ["a", "b"]})
    log = EventLog(df)
    t, tick = log.ticks()
    assert tick == pd.Timedelta(1, unit="us") and t.dtype == np.int64
    assert t[1] - t[0] == log.span_ticks("30D") == 30 * 86_400 * 10**6
    assert log.span_ticks(1.5) == int(1.5 * 86_400 * 10**6)  # a bare number counts days
    assert log.time_ticks(log.observation_end) == t[1]
    tz = EventLog(df.assign(timestamp=df["timestamp"].dt.tz_localize("Europe/Berlin")))
    assert tz.ticks()[0][1] - tz.ticks()[0][0] == t[1] - t[0]


@pytest.mark.parametrize(
    "layout",
    ["shuffled", "sorted", "time_ordered", "time_ordered_any", "minor_keys_ordered", "wide_times", "float_ids",
     "empty", "one_row"],
)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sort_keys_equals_lexsort(layout, seed):
    """The log's row order is exactly ``np.lexsort`` (stable: ties keep the input order),
    whichever fast path computes it: nothing to do, ordered minor keys left out, a log in time
    order sorted by customer alone, packed values sorted with their row numbers, a stable
    argsort when those do not fit in 63 bits, or ``np.lexsort`` itself for float ids."""
    from cjmodels.data.columns import sort_keys

    rng = np.random.default_rng(seed)
    n = {"empty": 0, "one_row": 1}.get(layout, 3000)
    cust = rng.integers(0, 200, n)
    time = rng.integers(0, 50, n) * 1_000_000  # whole seconds in microseconds: many ties
    ev = rng.integers(0, 3, n).astype(np.int8)
    if layout == "sorted":
        o = np.lexsort([ev, time, cust])
        cust, time, ev = cust[o], time[o], ev[o]
    elif layout == "time_ordered":  # a log exported in time order, then customer, event
        o = np.lexsort([ev, cust, time])
        cust, time, ev = cust[o], time[o], ev[o]
    elif layout == "time_ordered_any":  # in time order, events of one time in any order
        o = np.lexsort([cust, time])
        cust, time, ev = cust[o], time[o], ev[o]
    elif layout == "minor_keys_ordered":  # time and event already ordered lexicographically
        o = np.lexsort([ev, time])
        cust, time, ev = cust[o], time[o], ev[o]
    elif layout == "wide_times":  # keys too wide to pack beside the row number
        time = rng.integers(0, 2**50, n) | 1
    keys = [ev, time, cust.astype(float) if layout == "float_ids" else cust]
    order, gathered = sort_keys(keys, radix=[3])
    expected = np.lexsort(keys)
    got = np.arange(n) if order is None else order
    np.testing.assert_array_equal(got, expected)
    assert (gathered is not None) == (layout == "time_ordered")  # the path taken
    if gathered is not None:
        for k, g in zip(keys, gathered, strict=True):
            np.testing.assert_array_equal(g, k[expected])


def test_log_in_time_order_equals_the_sorted_log():
    """A log exported in time order, where rows of one time come in any customer order and a
    touch and a purchase of one customer can share a timestamp, gives the same events."""
    rng = np.random.default_rng(3)
    n = 4000
    df = pd.DataFrame({
        "customer_id": rng.integers(0, 300, n),
        "timestamp": pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 40, n), "h"),
        "event": rng.choice(["touch", "conversion"], n, p=[0.8, 0.2]),
        "channel": rng.choice(["search", "email", "social"], n),
        "value": rng.uniform(0, 10, n).round(1),
    })
    ref = EventLog(df)
    for layout in (df.sort_values("timestamp", kind="stable"), df.sample(frac=1, random_state=4)):
        log = EventLog(layout)
        pd.testing.assert_frame_equal(log.events, ref.events)
        # every row still points at the input row it came from
        back = layout.loc[log.source_index]
        np.testing.assert_array_equal(back["customer_id"], log.events["customer_id"])
        np.testing.assert_array_equal(back["timestamp"], log.events["timestamp"])
        np.testing.assert_array_equal(back["value"], log.events["value"])
