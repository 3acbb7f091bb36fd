"""The event log at the edges: labels and time kept exactly, no result depends on row order.

Regression tests for issue 15 ("Trust at the edges"): logs without journeys, mixed UTC offsets,
labels of mixed types, integer timestamps beyond 2**53 and ties broken on covariates.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import EventLog, journeys
from cjmodels.data.journeys import journey_set
from cjmodels.errors import ValidationError


def _log(**cols):
    n = len(next(iter(cols.values())))
    base = {"customer_id": [1] * n, "timestamp": list(range(n)), "event": ["touch"] * n}
    base.update(cols)
    return pd.DataFrame(base)


# ------------------------------------------------------------------ logs without journeys
def test_subscriptions_dataset_has_no_journeys_and_says_why():
    from cjmodels import datasets

    log = datasets.load_subscriptions().event_log()
    with pytest.raises(ValidationError, match="no touch or conversion events.*churn"):
        journeys(log)


@pytest.mark.parametrize("events", [["drop_out"], ["churn", "drop_out"], ["churn"] * 3])
def test_only_stop_events_raise_our_error(events):
    df = _log(event=events, channel=[None] * len(events))
    with pytest.raises(ValidationError, match="subscription_lifetimes"):
        journeys(df)


def test_customers_with_only_stop_events_are_counted_and_every_event_accounted_for():
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 2, 3, 4, 4],
        "timestamp": [0, 1, 2, 0, 1, 0, 0, 5],
        "event": ["touch", "conversion", "drop_out", "churn", "drop_out", "subscribe",
                  "touch", "drop_out"],
        "channel": ["a", None, None, None, None, None, "b", None],
    })
    j = journeys(df)
    a = j.attrs
    assert j["customer_id"].tolist() == [1, 4]
    assert a["customers_without_journey"] == 2  # customer 2 (stops only), 3 (subscribe only)
    n_conv = int((j["outcome"] == "conversion").sum())
    total = (a["touches_in_journeys"] + a["touches_outside_lookback"] + n_conv
             + a["stop_events_ending_journeys"] + a["stop_events_outside_journeys"]
             + a["other_events"])
    assert total == len(df)
    assert a["stop_events_outside_journeys"] == 3 and a["other_events"] == 1


# ------------------------------------------------------------------ mixed UTC offsets
_DST = ["2025-03-30T01:30:00+01:00", "2025-03-30T03:30:00+02:00"]  # one hour apart (CET->CEST)


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_mixed_utc_offsets_are_converted_to_utc_with_a_warning(order):
    df = pd.DataFrame({"customer_id": [1, 1], "timestamp": [_DST[i] for i in order],
                       "event": "touch", "channel": [["a", "b"][i] for i in order]})
    with pytest.warns(UserWarning, match=r"'timestamp'.*converted to UTC"):
        log = EventLog(df)
    ev = log.events
    assert str(ev["timestamp"].dt.tz) == "UTC"
    assert ev["timestamp"].tolist() == [pd.Timestamp("2025-03-30 00:30", tz="UTC"),
                                        pd.Timestamp("2025-03-30 01:30", tz="UTC")]
    assert ev["channel"].tolist() == ["a", "b"]


def test_one_utc_offset_is_kept_without_warning():
    df = _log(timestamp=["2025-01-01T10:00:00+01:00", "2025-01-01T11:00:00+01:00"],
              channel=["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = EventLog(df).events
    assert str(ev["timestamp"].dt.tz) == "UTC+01:00"
    assert ev["timestamp"].iloc[0] == pd.Timestamp("2025-01-01T09:00:00Z")


@pytest.mark.parametrize("order", [[0, 1], [1, 0]])
def test_offsets_mixed_with_naive_times_are_refused_in_any_order(order):
    ts = ["2025-03-30T01:30:00+01:00", "2025-03-30T03:30:00"]
    df = _log(timestamp=[ts[i] for i in order], channel=["a", "b"])
    with pytest.raises(ValidationError, match=r"'timestamp'.*without one.*utc=True"):
        EventLog(df)


def test_a_single_naive_time_among_many_offsets_is_found():
    ts = [f"2025-01-01T{h:02d}:00:00Z" for h in range(24)] * 200
    ts[2500] = "2025-01-02T00:00:00"
    df = pd.DataFrame({"customer_id": np.arange(len(ts)) % 7, "timestamp": ts,
                       "event": "touch", "channel": "a"})
    with pytest.raises(ValidationError, match=r"rows \[2500\]"):
        EventLog(df)


def test_z_and_zero_offset_are_one_offset():
    df = _log(timestamp=["2025-01-01T00:00Z", "2025-01-01T01:00+00:00"], channel=["a", "b"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ev = EventLog(df).events
    assert ev["timestamp"].iloc[1] == pd.Timestamp("2025-01-01T01:00Z")


def test_datetime_objects_in_several_zones_are_converted_to_utc():
    ts = pd.Series([pd.Timestamp("2025-03-30 01:30", tz="Europe/Berlin"),
                    pd.Timestamp("2025-03-30 03:30", tz="Europe/Berlin")], dtype=object)
    with pytest.warns(UserWarning, match="converted to UTC"):
        ev = EventLog(_log(timestamp=ts, channel=["a", "b"])).events
    assert (ev["timestamp"].diff().iloc[1]) == pd.Timedelta(1, unit="h")


def test_a_date_alone_is_not_read_as_an_offset():
    ev = EventLog(_log(timestamp=["2025-03-30", "2025-03-31"], channel=["a", "b"])).events
    assert ev["timestamp"].dt.tz is None


def test_window_bounds_must_match_the_logs_time_zone():
    df = _log(timestamp=["2025-01-01T10:00:00Z", "2025-01-02T10:00:00Z"], channel=["a", "b"])
    with pytest.raises(ValidationError, match="naive"):
        EventLog(df, observation_end="2025-01-05")
    assert EventLog(df, observation_end="2025-01-05T00:00Z").observation_end.tz is not None


# ------------------------------------------------------------------ labels kept exactly
@pytest.mark.parametrize(
    "values",
    [[1, 1.0, True], [1, "1"], [1.0, True], ["a", 2], [1, 2.5]],
)
@pytest.mark.parametrize("column", ["channel", "stage"])
def test_label_columns_that_mix_types_are_refused(values, column):
    df = _log(**{column: pd.Series(values, dtype=object)})
    with pytest.raises(ValidationError) as err:
        EventLog(df)
    msg = str(err.value)
    assert f"column {column!r}" in msg and "mixes types" in msg and ".astype(str)" in msg
    assert "rows [" in msg


@pytest.mark.parametrize(
    ("values", "labels"),
    [
        ([1, 2, 1], ["1", "2"]),
        ([1.0, 2.5, 1.0], ["1.0", "2.5"]),
        ([True, False, True], ["False", "True"]),
        (["email", " email", "email "], [" email", "email", "email "]),
        (["a", "a\x00", "a\x00\x00"], ["a", "a\x00", "a\x00\x00"]),
        ([-0.0, 0.0, 1.0], ["0.0", "1.0"]),
    ],
)
def test_labels_of_one_type_are_their_str(values, labels):
    df = _log(channel=pd.Series(values, dtype=object))
    log = EventLog(df)
    assert log.codes("channel")[1].tolist() == labels
    assert sorted(set(log.events["channel"])) == labels
    rev = EventLog(df.iloc[::-1].reset_index(drop=True))
    assert rev.codes("channel")[1].tolist() == labels


@pytest.mark.parametrize("values", [[None, "a", "a\x00"], ["a", np.nan, "a\x00"]])
def test_nul_labels_stay_distinct_next_to_missing_values(values):
    # a column with a missing value takes another hash path in pandas
    log = EventLog(_log(channel=["c"] * 3, stage=pd.Series(values, dtype=object)))
    assert log.codes("stage")[1].tolist() == ["a", "a\x00"]


@pytest.mark.parametrize("dtype", ["int64", "Int64", "float64", "category", "string"])
def test_typed_label_columns(dtype):
    vals = pd.Series([3, 1, 3], dtype="int64")
    col = vals.astype(str) if dtype == "string" else vals.astype(dtype)
    labels = EventLog(_log(channel=col)).codes("channel")[1].tolist()
    # whole floats are integer labels: pandas makes an integer column with a gap float
    assert labels == ["1", "3"]


def test_float_labels_with_a_fraction_keep_their_float_form():
    col = pd.Series([1.0, 1.5, np.nan], dtype="float64")
    assert EventLog(_log(channel=col.fillna(2.0))).codes("channel")[1].tolist() == [
        "1.0", "1.5", "2.0"]
    # an integer arm column with a gap (floats to pandas) keeps its integer labels
    stage = pd.Series([0.0, np.nan, 1.0])
    assert EventLog(_log(channel=["c"] * 3, stage=stage)).codes("stage")[1].tolist() == ["0", "1"]


def test_categorical_label_with_mixed_categories_is_refused():
    col = pd.Series(pd.Categorical([1, "1", 1]))
    with pytest.raises(ValidationError, match="mixes types"):
        EventLog(_log(channel=col))


def test_blank_and_nul_labels_stay_distinct_in_journeys():
    df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [0, 1, 0, 1],
                       "event": "touch", "channel": ["a", "a ", "a\x00", "a"]})
    js = journey_set(df)
    assert js.labels.tolist() == ["a", "a\x00", "a "]
    assert js.labels[js.symbols].tolist() == ["a", "a ", "a\x00", "a"]


@pytest.mark.parametrize("values", [[1, 1.0, True], [1, "1"], [2.0, True]])
def test_customer_ids_that_mix_types_are_refused(values):
    df = _log(customer_id=pd.Series(values, dtype=object), channel=["a"] * len(values))
    with pytest.raises(ValidationError, match=r"'customer_id' \(customer id\) mixes types"):
        EventLog(df)


def test_float_customer_zero_has_one_id_in_any_order():
    df = _log(customer_id=[-0.0, 0.0], channel=["a", "b"])
    for d in (df, df.iloc[::-1]):
        ids = EventLog(d).events["customer_id"].to_numpy()
        assert not np.signbit(ids).any()


# ------------------------------------------------------------------ exact time
def test_int64_epoch_nanoseconds_stay_exact_and_ordered():
    base = 1_700_000_000_000_000_000  # 2023 in epoch ns, far above 2**53
    assert base > 2**53
    df = pd.DataFrame({"customer_id": 1, "timestamp": [base + 3, base + 1, base + 2],
                       "event": "touch", "channel": ["c", "a", "b"]})
    log = EventLog(df)
    assert log.events["timestamp"].dtype == np.int64
    assert log.events["timestamp"].tolist() == [base + 1, base + 2, base + 3]
    assert log.events["channel"].tolist() == ["a", "b", "c"]
    assert log.observation_start == base + 1 and log.observation_end == base + 3
    ticks, unit = log.ticks()
    assert unit is None and ticks.tolist() == [base + 1, base + 2, base + 3]
    assert log.times().tolist() == [0.0, 1.0, 2.0]


def test_timeouts_on_integer_ticks_are_exact():
    base = 1_700_000_000_000_000_000
    df = pd.DataFrame({"customer_id": 1, "timestamp": [base, base + 10, base + 21],
                       "event": "touch", "channel": ["a", "b", "c"]})
    j = journeys(df, timeout=10)  # a gap of 10 is not more than 10; 11 is
    assert j["n_touches"].tolist() == [2, 1]
    assert j["outcome"].tolist() == ["drop_out", "censored"]
    j = journeys(df, timeout=10.5)
    assert j["n_touches"].tolist() == [2, 1]
    lb = journeys(df, lookback=11)
    assert lb.attrs["touches_outside_lookback"] == 1


def test_observation_bounds_on_integer_ticks_are_exact():
    base = 1_700_000_000_000_000_000
    df = pd.DataFrame({"customer_id": 1, "timestamp": [base, base + 1],
                       "event": "touch", "channel": ["a", "b"]})
    with pytest.raises(ValidationError, match="outside"):
        EventLog(df, observation_end=base)  # base + 1 lies after it, though float(base + 1)
    assert EventLog(df, observation_end=float(base + 1024)).observation_end == base + 1024
    with pytest.raises(ValidationError, match="finite"):
        EventLog(df, observation_end=float("nan"))


def test_python_ints_in_an_object_column_are_numbers_not_nanoseconds():
    df = _log(timestamp=pd.Series([5, 3, 2**62], dtype=object), channel=["a", "b", "c"])
    log = EventLog(df)
    assert log.time_kind == "numeric"
    assert log.events["timestamp"].tolist() == [3, 5, 2**62]


def test_ints_mixed_with_strings_in_a_time_column_are_refused():
    df = _log(timestamp=pd.Series([5, "2025-01-01"], dtype=object), channel=["a", "b"])
    with pytest.raises(ValidationError, match="mixes numbers"):
        EventLog(df)


def test_integers_beyond_int64_are_refused():
    df = _log(timestamp=pd.Series([1, 2**64], dtype=object), channel=["a", "b"])
    with pytest.raises(ValidationError, match="int64"):
        EventLog(df)
    df = _log(timestamp=pd.Series([0, 2**63 + 5], dtype="uint64"), channel=["a", "b"])
    with pytest.raises(ValidationError, match="int64"):
        EventLog(df)


def test_floats_stay_floats():
    log = EventLog(_log(timestamp=[0.5, 1.25], channel=["a", "b"]))
    assert log.events["timestamp"].dtype == np.float64


# ------------------------------------------------------------------ no result depends on row order
def test_ties_are_broken_on_covariates():
    # two touches of one customer at one time, same channel: only the covariate differs
    df = pd.DataFrame({"customer_id": [1, 1, 1], "timestamp": [0, 0, 5],
                       "event": ["touch", "touch", "conversion"], "channel": ["a", "a", None],
                       "segment": ["y", "x", "x"], "score": [np.nan, 2.0, 1.0]})
    for d in (df, df.iloc[[1, 0, 2]]):
        ev = EventLog(d).events
        assert ev["segment"].tolist() == ["x", "y", "x"]
    # a missing covariate sorts first
    df["segment"] = ["y", None, "x"]  # (pandas 3 stores the missing string as NaN)
    first_two = EventLog(df).events["segment"].tolist()[:2]
    assert pd.isna(first_two[0]) and first_two[1] == "y"


def test_ties_on_covariates_of_mixed_types_are_broken_too():
    df = pd.DataFrame({"customer_id": 1, "timestamp": [0, 0, 0, 0], "event": "touch",
                       "channel": "a", "c": pd.Series([1, True, 1.0, "1"], dtype=object)})
    ref = EventLog(df).events["c"].map(lambda v: type(v).__name__).tolist()
    for perm in ([3, 2, 1, 0], [1, 3, 0, 2]):
        got = EventLog(df.iloc[perm]).events["c"].map(lambda v: type(v).__name__).tolist()
        assert got == ref


def _random_log(seed: int, int_time: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = 240
    cust = rng.integers(0, 15, n)
    t = rng.integers(0, 5, n)  # few distinct times: many ties
    ev = rng.choice(["touch", "conversion", "drop_out", "assignment"], n, p=[.6, .2, .1, .1])
    ch = np.where(ev == "touch", rng.choice(["a", "b", " a"], n), None)
    df = pd.DataFrame({
        "customer_id": cust,
        "timestamp": t if int_time else pd.Timestamp("2025-01-01") + pd.to_timedelta(t, "D"),
        "event": ev,
        "channel": ch,
        "value": np.where(ev == "conversion", rng.choice([1.0, 2.0], n), 0.0),
        "segment": rng.choice(["x", "y", None], n),
        "score": rng.choice([1.0, 2.0, np.nan], n),
    })
    df["variant"] = np.where(ev == "assignment", np.where(cust % 2 == 0, "A", "B"), None)
    return df


def _all_results(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    from cjmodels.data import (
        experiment_table,
        first_purchase_counts,
        interpurchase_times,
        path_table,
        rfm_summary,
        time_to_first_purchase,
    )

    log = EventLog(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return {
            "events": log.events,
            "journeys": journeys(log),
            "paths": path_table(log).table,
            "ttfp": time_to_first_purchase(df, covariates=["segment", "score"]),
            "ttfp_first_event": time_to_first_purchase(
                df, covariates=["segment", "score", "variant"], origin="first-event"),
            "interpurchase": interpurchase_times(log),
            "rfm": rfm_summary(log),
            "counts": first_purchase_counts(log),
            "experiment": experiment_table(log),
        }


@pytest.mark.parametrize("int_time", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_results_do_not_depend_on_row_order_or_index(seed, int_time):
    df = _random_log(seed, int_time)
    ref = _all_results(df)
    rng = np.random.default_rng(seed + 100)
    for k in range(3):
        shuffled = df.iloc[rng.permutation(len(df))]
        if k == 1:  # string labels with duplicates, not monotonic
            shuffled = shuffled.set_axis([f"r{i % 37}" for i in range(len(df))])
        if k == 2:
            shuffled = shuffled.set_axis(rng.permutation(len(df)) * 3 - 100)
        got = _all_results(shuffled)
        for name, frame in ref.items():
            pd.testing.assert_frame_equal(frame, got[name], obj=name)
            assert frame.attrs == got[name].attrs, name


# ------------------------------------------------------------------ exact time in the tables
_BIG = 2**60 + 1  # integer ticks that floats cannot hold exactly


def test_durations_on_integer_ticks_are_exact():
    from cjmodels.data import interpurchase_times, rfm_summary, time_to_first_purchase

    df = pd.DataFrame({"customer_id": [1, 1, 1, 2], "timestamp": [_BIG, _BIG + 3, _BIG + 4,
                                                                   _BIG + 1],
                       "event": ["touch", "conversion", "conversion", "touch"],
                       "channel": ["a", None, None, "b"], "value": [0, 5.0, 1.0, 0]})
    t = time_to_first_purchase(df)
    assert t["duration"].tolist() == [3.0, 3.0]
    assert t["stop"].dtype == np.int64 and t["stop"].tolist() == [_BIG + 3, _BIG + 4]
    ip = interpurchase_times(df, observation_end=_BIG + 10)
    assert ip["duration"].tolist() == [1.0, 6.0] and ip["stop"].tolist()[-1] == _BIG + 10
    r = rfm_summary(df, observation_end=_BIG + 10)
    assert r["recency"].tolist() == [1.0] and r["T"].tolist() == [7.0]


def test_experiment_table_on_integer_ticks_is_exact():
    from cjmodels.data import experiment_table

    df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "timestamp": [_BIG, _BIG + 2, _BIG, _BIG + 3],
                       "event": ["assignment", "conversion", "assignment", "conversion"],
                       "variant": ["A", None, "B", None]})
    tab = experiment_table(df, window=3)  # [t0, t0 + 3): customer 2's conversion is at t0 + 3
    assert tab["converted"].tolist() == [1, 0]
    assert tab["exposure"].tolist() == [3.0, 3.0]


# ------------------------------------------------------------------ experiment arms are labels
@pytest.mark.parametrize("arms", [[1, "1"], [1, 1.0], [1, True], [0, "B"]])
def test_experiment_arms_of_mixed_types_are_refused(arms):
    from cjmodels.data import experiment_table

    df = pd.DataFrame({"customer_id": [1, 2], "timestamp": [0, 0], "event": "assignment",
                       "variant": pd.Series(arms, dtype=object)})
    with pytest.raises(ValidationError, match=r"'variant' \(variant\) mixes types"):
        experiment_table(df)


def test_experiment_arms_are_kept_and_counted_by_their_str():
    from cjmodels.data import experiment_table

    df = pd.DataFrame({"customer_id": [1, 2, 3], "timestamp": [0, 0, 0],
                       "event": "assignment", "variant": [1, 0, 1]})
    tab = experiment_table(df)
    assert tab["variant"].tolist() == [1, 0, 1]
    assert tab.attrs["variants"] == {"0": 1, "1": 2}
    df["variant"] = ["B", " B", "B"]  # blanks are part of the label
    assert experiment_table(df).attrs["variants"] == {" B": 1, "B": 2}


# ------------------------------------------------------------------ odd input: ours or a result
def test_covariates_named_by_numbers_are_carried():
    df = _log(channel=["a", "b"])
    df[5] = [1, 2]
    assert EventLog(df).events["5"].tolist() == [1, 2]
    df["5"] = [3, 4]
    with pytest.raises(ValidationError, match="named alike"):
        EventLog(df)


def test_huge_values_give_strict_json_and_no_numpy_warning():
    # values adding up beyond 1e300 are refused when the log is built (the path tables'
    # limit, fuzz finding 9), without numpy's overflow warning; every consumer is then safe
    import json

    from cjmodels.attribution import attribution_data
    from cjmodels.data import rfm_summary

    df = pd.DataFrame({"customer_id": [1, 1, 1], "timestamp": [0, 0, 1],
                       "event": "conversion", "value": [1.7e308, 1.7e308, 1.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fn in (EventLog, rfm_summary, attribution_data):
            with pytest.raises(ValidationError, match=r"'value' \(value\) adds up to more than 1e300"):
                fn(df)
        df["value"] = [1e300, 0.0, 5e-324]  # at the limit: accepted
        rep = EventLog(df).report()
    assert rep["total_conversion_value"] == 1e300
    json.dumps(rep, allow_nan=False)


def _odd_inputs():
    df = pd.DataFrame({"customer_id": [1, 1, 2, 2, 2], "timestamp": [0, 1, 0, 2, 3],
                       "event": ["touch", "conversion", "touch", "touch", "drop_out"],
                       "channel": ["a", None, "b", "a", None], "value": [0, 5.0, 0, 0, 0],
                       "segment": ["x", "x", None, "y", "y"]})
    days = pd.Timestamp("2025-01-01") + pd.to_timedelta(df["timestamp"], "D")
    yield "one row", df.iloc[:1]
    yield "one customer", df.assign(customer_id=9)
    yield "duplicate rows", pd.concat([df, df])
    for col in ("customer_id", "channel", "event", "segment", "timestamp"):
        yield f"{col} categorical, unused category", df.assign(
            **{col: df[col].astype("category").cat.add_categories(["unused"])})
    yield "nullable Int64 ids and times", df.assign(customer_id=df["customer_id"].astype("Int64"),
                                                    timestamp=df["timestamp"].astype("Int64"))
    yield "string[pyarrow] labels", df.assign(channel=df["channel"].astype("string[pyarrow]"),
                                              event=df["event"].astype("string[pyarrow]"))
    yield "boolean covariate", df.assign(segment=pd.array([True, None, False, True, None],
                                                          dtype="boolean"))
    yield "tz-aware times", df.assign(timestamp=days.dt.tz_localize("Europe/Berlin"))
    yield "datetime64[s] times", df.assign(timestamp=days.astype("datetime64[s]"))
    yield "huge times", df.assign(timestamp=df["timestamp"] * 10**18)
    yield "tiny times", df.assign(timestamp=df["timestamp"] * 1e-300)
    yield "NaN covariate", df.assign(segment=np.nan)
    yield "odd index", df.set_axis(["r", "r", "q", "a", "r"])


@pytest.mark.parametrize(("name", "df"), list(_odd_inputs()), ids=lambda x: x
                         if isinstance(x, str) else "")
def test_odd_inputs_give_a_result_or_our_error(name, df):
    from cjmodels.data import (
        experiment_table,
        first_purchase_counts,
        interpurchase_times,
        path_table,
        rfm_summary,
        time_to_first_purchase,
    )

    calls = [
        lambda: EventLog(df).report(),
        lambda: journeys(df),
        lambda: journeys(df, timeout="1D" if "times" in name and "huge" not in name
                         and "tiny" not in name and "Int64" not in name else 1),
        lambda: path_table(df),
        lambda: time_to_first_purchase(df, covariates=["segment"]),
        lambda: interpurchase_times(df),
        lambda: rfm_summary(df),
        lambda: first_purchase_counts(df),
        lambda: experiment_table(df),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for call in calls:
            try:
                call()
            except ValidationError:
                pass


def test_spans_beyond_the_nanosecond_range():
    from cjmodels.data import experiment_table, rfm_summary

    df = pd.DataFrame({"customer_id": [1, 1, 2, 2], "event": ["assignment", "conversion"] * 2,
                       "timestamp": pd.to_datetime(["2025-01-01", "2025-01-09"] * 2),
                       "variant": ["A", None, "B", None], "value": [0, 1.0, 0, 2.0]})
    # an infinite timeout or lookback never ends a journey or drops a touch
    pd.testing.assert_frame_equal(journeys(df, timeout=np.inf, lookback=1e300), journeys(df),
                                  check_like=True, check_exact=True, check_flags=False)
    with pytest.raises(ValidationError, match="window == inf.*leave window out"):
        experiment_table(df, window=np.inf)
    num = df.assign(timestamp=[0, 8, 0, 8])
    with pytest.raises(ValidationError, match="after the log's observation_end"):
        experiment_table(num, end=2**70)
    with pytest.raises(ValidationError, match="period"):
        rfm_summary(num, period=np.inf)
    assert rfm_summary(num, period=2**70)["frequency"].tolist() == [0, 0]


def test_nul_labels_and_ids_stay_apart_in_counts_and_customers():
    from cjmodels.data import first_purchase_counts

    df = pd.DataFrame({"customer_id": ["c", "c\x00", "c", "c\x00"], "timestamp": [0, 0, 1, 1],
                       "event": ["touch", "touch", "conversion", "conversion"],
                       "channel": ["a", "a\x00", None, None]})
    log = EventLog(df)
    assert log.customers.tolist() == ["c", "c\x00"]
    assert log.events["customer_id"].tolist() == ["c", "c", "c\x00", "c\x00"]
    counts = first_purchase_counts(df)
    assert counts["first_channel"].tolist() == ["a", "a\x00"]
    assert counts["customers"].tolist() == [1, 1]
