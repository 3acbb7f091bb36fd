"""Every statistic with engine backends gives the same answer in memory, in DuckDB and in Spark.

The in-memory (numpy) path is the reference: it is itself tested against ChannelAttribution and
hand-worked journeys in ``test_journeys.py``/``test_transitions.py``. Counts must agree exactly,
values to 1e-12 relative. The Spark leg of the parametrised tests runs only where pyspark is
installed and is slow (a local session); see ``test_spark.py`` for the Spark group.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cjmodels.data import first_purchase_counts, path_table, transition_counts
from cjmodels.data._engine import engine_of, require
from cjmodels.data._sqltext import digits_for
from cjmodels.errors import ValidationError
from tests.conftest import random_log

duckdb = pytest.importorskip("duckdb")
from cjmodels.data.sql import path_table_duckdb, path_table_sql  # noqa: E402


# ------------------------------------------------------------------------------- helpers
def quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kw)


def assert_same_paths(ref: pd.DataFrame, other: pd.DataFrame) -> None:
    """Exact integers, values to 1e-12 relative."""
    pd.testing.assert_frame_equal(
        ref.drop(columns="total_conversion_value"), other.drop(columns="total_conversion_value")
    )
    np.testing.assert_allclose(
        other["total_conversion_value"], ref["total_conversion_value"], rtol=1e-12, atol=0
    )


def assert_same_transitions(a, b) -> None:
    assert a.states == b.states
    pd.testing.assert_frame_equal(a.table, b.table, check_dtype=False)
    for key in ("n_journeys", "n_conversions", "n_censored"):
        assert a.info[key] == b.info[key]


def hard_log(seed: int, n_customers: int = 25, n_events: int = 200) -> pd.DataFrame:
    """Random log with ties, stops, repeated channels and values on conversions."""
    rng = np.random.default_rng(seed)
    df = random_log(rng, n_customers, n_events)
    df["timestamp"] = rng.integers(0, 30, len(df)).astype(float)  # many ties
    stops = rng.random(len(df)) < 0.06
    df.loc[stops, "event"] = np.where(rng.random(stops.sum()) < 0.5, "drop_out", "churn")
    df.loc[stops, "channel"] = None
    df.loc[stops, "value"] = 0.0
    return df


# ---------------------------------------------------------------- numpy vs DuckDB: hypothesis
@settings(max_examples=25)
@given(
    st.integers(0, 10_000),
    st.sampled_from([None, 2.0, 7.0]),
    st.sampled_from([None, 4.0]),
    st.booleans(),
    st.sampled_from([None, 35.0]),
)
def test_path_table_numpy_equals_duckdb(seed, timeout, lookback, collapse, end):
    df = hard_log(seed)
    kw = {"timeout": timeout, "lookback": lookback, "collapse_repeats": collapse}
    mem = quiet(path_table, df, observation_end=end, **kw)
    sql = quiet(path_table_duckdb, duckdb.from_df(df), observation_end=end, **kw)
    assert_same_paths(mem.table, sql.table)
    for key in ("journeys_without_touches", "conversions_without_touches"):
        assert mem.info.get(key, 0) == sql.info.get(key, 0)


def test_long_paths_beyond_the_packed_key():
    """Journeys longer than the packed integer key (many channels) keep their order."""
    rng = np.random.default_rng(3)
    channels = np.array([f"ch{i:03d}" for i in range(700)])
    m = digits_for(len(channels))
    assert m < 10
    n = 4000
    cust = np.repeat(np.arange(40), n // 40)
    ev = np.where(rng.random(n) < 0.02, "conversion", "touch")
    df = pd.DataFrame(
        {
            "customer_id": cust,
            "timestamp": np.tile(np.arange(n // 40), 40).astype(float),
            "event": ev,
            "channel": np.where(ev == "touch", channels[rng.integers(0, 700, n)], None),
            "value": np.where(ev == "conversion", 5.0, 0.0),
        }
    )
    mem = quiet(path_table, df)
    rel = duckdb.from_df(df)
    for kw in ({}, {"lookback": 20.0}, {"collapse_repeats": True}):
        assert_same_paths(quiet(path_table, df, **kw).table, quiet(path_table_duckdb, rel, **kw).table)
    assert mem.table["path"].str.count(" > ").max() + 1 > 3 * m


def test_timestamps_with_timeout_lookback_and_observation_end():
    """Datetime columns: engines count gaps in integer microseconds.

    Spans are off the hour grid: the in-memory path measures time in float days, so a gap of
    exactly ``timeout`` (e.g. 3h between hourly events) can round either way there, while the
    engines compare exactly (a gap equal to ``timeout`` does not end the journey, as for
    numeric times, where the hypothesis test covers exact boundaries).
    """
    df = hard_log(11, 30, 400)
    df["timestamp"] = pd.Timestamp("2025-03-01") + pd.to_timedelta(df["timestamp"], "h")
    rel = duckdb.from_df(df)
    for kw in (
        {},
        {"timeout": "170min"},
        {"timeout": "170min", "lookback": "290min", "collapse_repeats": True},
        {"timeout": "110min", "observation_end": "2025-03-03 00:30"},
    ):
        assert_same_paths(quiet(path_table, df, **kw).table, quiet(path_table_duckdb, rel, **kw).table)


def test_ties_are_broken_by_event_stage_channel_value():
    """Equal timestamps: touches before conversions, then stage, channel, value."""
    df = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 2, 2, 2, 2],
            "timestamp": [0.0, 0.0, 0.0, 0.0, 5.0, 5.0, 5.0, 5.0],
            "event": ["conversion", "touch", "touch", "conversion"] * 2,
            "channel": [None, "b", "a", None, None, "b", "a", None],
            "stage": ["x", "awareness", "interest", "x", "x", "interest", "awareness", "x"],
            "value": [7.0, 0.0, 0.0, 3.0, 2.0, 0.0, 0.0, 9.0],
        }
    )
    mem = quiet(path_table, df, scheme=None)
    sql = quiet(path_table_duckdb, duckdb.from_df(df))
    assert_same_paths(mem.table, sql.table)
    assert set(mem.table["path"]) == {"a > b", "b > a"}


def test_shipped_journeys_all_variants():
    from cjmodels.datasets import load_journeys

    df = load_journeys().events
    rel = duckdb.from_df(df)
    for kw in ({"timeout": "30D", "lookback": "14D", "collapse_repeats": True},):
        assert_same_paths(quiet(path_table, df, **kw).table, quiet(path_table_duckdb, rel, **kw).table)


@pytest.mark.parametrize("censored", ["drop", "null", "state"])
@pytest.mark.parametrize("order", [1, 2])
def test_transition_counts_from_duckdb_equal_in_memory(censored, order):
    df = hard_log(5, 30, 300)
    kw = {"order": order, "censored": censored, "timeout": 6.0, "collapse_repeats": order == 2}
    mem = quiet(transition_counts, df, **kw)
    eng = quiet(transition_counts, duckdb.from_df(df), **kw)
    assert_same_transitions(mem, eng)
    assert eng.info["source"] == "duckdb"


def test_path_table_dispatches_duckdb_relations_and_files(tmp_path):
    df = hard_log(2)
    p = tmp_path / "events.parquet"
    df.to_parquet(p)
    mem = quiet(path_table, df, timeout=5.0)
    assert_same_paths(mem.table, quiet(path_table, duckdb.read_parquet(str(p)), timeout=5.0).table)
    assert_same_paths(mem.table, quiet(path_table_duckdb, p, timeout=5.0).table)


def test_readable_sql_gives_the_same_journeys():
    df = hard_log(8)
    con = duckdb.connect()
    con.register("events_in", df)
    sql = path_table_sql(
        "events_in", value="value", numeric_time=True, timeout=4.0, collapse_repeats=True
    )
    rows = con.execute(
        f"SELECT path, count(*) FILTER (WHERE outcome = 0), count(*) FILTER (WHERE outcome <> 0) "
        f"FROM ({sql}) GROUP BY path HAVING path IS NOT NULL ORDER BY path"
    ).fetchall()
    mem = quiet(path_table, df, timeout=4.0, collapse_repeats=True).table
    assert [r[0] for r in rows] == mem["path"].tolist()
    assert [r[1] for r in rows] == mem["total_conversions"].tolist()
    assert [r[2] for r in rows] == mem["total_null"].tolist()


# ------------------------------------------- every backend, one parametrised test
def _engine_table(backend: str, df: pd.DataFrame):
    if backend == "memory":
        return df
    if backend == "duckdb":
        return duckdb.from_df(df)
    pytest.importorskip("pyspark")
    from tests.data.test_spark import make_session

    return make_session().createDataFrame(df)


@pytest.mark.parametrize(
    "backend", ["memory", "duckdb", pytest.param("spark", marks=pytest.mark.slow)]
)
def test_every_backend_gives_the_same_statistics(backend):
    """Path table, transition counts and per-arm sums through each backend on the same data."""
    df = hard_log(21, 30, 300)
    ref_pt = quiet(path_table, df, timeout=5.0, lookback=6.0)
    ref_tc = quiet(transition_counts, df, order=2, censored="state", timeout=5.0)
    src = _engine_table(backend, df)
    assert_same_paths(ref_pt.table, quiet(path_table, src, timeout=5.0, lookback=6.0).table)
    assert_same_transitions(
        ref_tc, quiet(transition_counts, src, order=2, censored="state", timeout=5.0)
    )
    arms = pd.DataFrame(
        {"variant": np.repeat(["a", "b", "c"], 20), "y": np.arange(60) % 7 * 1.5,
         "x": np.arange(60) % 5 == 0}
    )
    from cjmodels.data.sql import arm_sums_duckdb
    from cjmodels.experiments._stats import sufficient_stats

    ref = sufficient_stats(arms, ["y", "x"]).to_frame()
    if backend == "memory":
        got = ref
    elif backend == "duckdb":
        got = arm_sums_duckdb(duckdb.from_df(arms), ["y", "x"])
    else:
        from cjmodels.data.spark import arm_sums_spark

        got = arm_sums_spark(_engine_table("spark", arms), ["y", "x"])
    pd.testing.assert_frame_equal(ref, got, rtol=1e-12)
    purchases = purchase_log(21)
    for res in (None, "2h"):
        pd.testing.assert_frame_equal(
            quiet(first_purchase_counts, purchases, unit="h", resolution=res),
            quiet(first_purchase_counts, _engine_table(backend, purchases), unit="h",
                  resolution=res),
            rtol=1e-12,
        )


# ------------------------------------------------------------- time to first purchase, counted
def purchase_log(seed: int, n_customers: int = 40, n_events: int = 320) -> pd.DataFrame:
    """:func:`hard_log` with stages, more purchases (some before any touch, some customers
    without touches) and datetime timestamps in microseconds."""
    rng = np.random.default_rng(seed)
    df = hard_log(seed, n_customers, n_events)
    df.loc[rng.random(len(df)) < 0.12, "event"] = "conversion"
    df["stage"] = rng.choice(["awareness", "interest", None], len(df))
    df["timestamp"] = pd.Timestamp("2025-03-01") + pd.to_timedelta(df["timestamp"] * 3.7, "h")
    df["timestamp"] = df["timestamp"].astype("datetime64[us]")
    return df


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("origin", ["first-touch", "first-event"])
@pytest.mark.parametrize("censor_at_drop_out", [True, False])
def test_first_purchase_counts_duckdb_equal_memory(seed, origin, censor_at_drop_out):
    """DuckDB runs the rules of time_to_first_purchase in SQL: the same rows, counts and
    excluded customers, with ties at one time (touches before purchases and drop-outs, first
    channel by stage, channel and value) as the event log orders them."""
    df = purchase_log(seed)
    numeric = hard_log(seed).assign(event=lambda d: d["event"].where(d.index % 9 > 0,
                                                                      "conversion"))
    for data, unit, by, res in ((df, "D", True, None), (df, "h", False, None),
                                (numeric, "D", True, None), (df, "D", True, "1D"),
                                (df, "h", False, "90min"), (numeric, "D", True, 2.5)):
        opts = {"origin": origin, "censor_at_drop_out": censor_at_drop_out, "unit": unit,
                "by_first_channel": by, "resolution": res}
        ref = quiet(first_purchase_counts, data, **opts)
        got = quiet(first_purchase_counts, duckdb.from_df(data), **opts)
        pd.testing.assert_frame_equal(ref, got, rtol=1e-12)
        for key in ("n_customers", "n_excluded", "n_events", "n_censored_drop_out",
                    "n_censored_observation_end", "n_zero_duration", "unit", "time_kind"):
            assert ref.attrs[key] == got.attrs[key], key
        assert (ref.attrs["source"], got.attrs["source"]) == ("memory", "duckdb")


def test_first_purchase_counts_are_the_merged_rows_of_time_to_first_purchase():
    """Summing the per-customer table by (first channel, duration, outcome) gives the counts,
    and an observation end moves the censored durations in every backend alike."""
    from cjmodels.data import time_to_first_purchase

    df = purchase_log(7)
    per = quiet(time_to_first_purchase, df, observation_end="2025-03-06")
    counts = quiet(first_purchase_counts, df, observation_end="2025-03-06")
    assert counts["customers"].sum() == len(per)
    assert counts.attrs["n_excluded"] == per.attrs["n_excluded"]
    for (ch, dur, ev), n in per.groupby(["first_channel", "duration", "event"]).size().items():
        row = counts[(counts["first_channel"] == ch) & (counts["duration"] == dur)
                     & (counts["event"] == ev)]
        assert row["customers"].sum() == n
    got = quiet(first_purchase_counts, duckdb.from_df(df), observation_end="2025-03-06")
    pd.testing.assert_frame_equal(counts, got, rtol=1e-12)


def test_first_purchase_counts_by_hand():
    """Customer 1 buys 2 days after a search touch; 2 likewise, with an email touch at the
    same time as the purchase (counted before it); 3 drops out a day after an email touch; 4
    buys before any touch (excluded); 5 is censored at the end of observation (day 9)."""
    day = pd.Timestamp("2025-01-01")
    rows = [
        (1, 0, "touch", "search"), (1, 2, "conversion", None),
        (2, 0, "touch", "search"), (2, 2, "touch", "email"), (2, 2, "conversion", None),
        (3, 1, "touch", "email"), (3, 2, "drop_out", None),
        (4, 0, "conversion", None), (4, 1, "touch", "sms"),
        (5, 3, "touch", "social"), (5, 9, "touch", "sms"),
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel"])
    df["timestamp"] = day + pd.to_timedelta(df["timestamp"], "D")
    for data in (df, duckdb.from_df(df)):
        with pytest.warns(UserWarning, match="1 customers purchased before their first touch"):
            got = first_purchase_counts(data)
        assert got.to_dict("list") == {
            "first_channel": ["email", "search", "social"],
            "duration": [1.0, 2.0, 6.0],
            "event": [0, 1, 0],
            "censor_reason": ["drop_out", None, "observation_end"],
            "customers": [1, 2, 1],
        }
        assert got.attrs["n_excluded"] == {"converted_before_first_touch": 1, "no_touch": 0}


def test_resolution_rounds_durations_down_like_a_life_table():
    """With a resolution, every duration is floored to its multiples (checked on the
    per-customer table by hand), and the table shrinks to one row per step."""
    from cjmodels.data import time_to_first_purchase

    df = purchase_log(4, 300, 2500)
    per = quiet(time_to_first_purchase, df, unit="h")
    floored = np.floor(per["duration"].round(9) / 6) * 6  # hours, steps of 6 hours
    counts = quiet(first_purchase_counts, df, unit="h", resolution="6h",
                   by_first_channel=False)
    expected = (per.assign(duration=floored).groupby(["duration", "event"]).size()
                .rename("customers").reset_index())
    got = counts.groupby(["duration", "event"])["customers"].sum().reset_index()
    pd.testing.assert_frame_equal(got, expected)
    assert len(counts) < len(quiet(first_purchase_counts, df, unit="h", by_first_channel=False))


def test_kaplan_meier_from_counts_equals_the_per_customer_fit():
    """fit(events) and fit(statistics) agree: Kaplan-Meier (lifelines underneath) on the
    counts weighted by ``customers`` equals the fit on one row per customer."""
    from cjmodels.data import time_to_first_purchase
    from cjmodels.survival import kaplan_meier

    df = purchase_log(11, 200, 1500)
    per = quiet(time_to_first_purchase, df)
    for counts in (quiet(first_purchase_counts, df),
                   quiet(first_purchase_counts, duckdb.from_df(df))):
        pd.testing.assert_frame_equal(kaplan_meier(per).table,
                                      kaplan_meier(counts, weight="customers").table,
                                      rtol=1e-12)


@pytest.mark.parametrize(
    ("data", "options", "words"),
    [
        (lambda d: d.drop(columns="event"), {}, "column 'event' (event) not found"),
        (lambda d: d, {"unit": "ns"}, "finer than a microsecond"),
        (lambda d: d, {"scheme": "seven"}, "options ['scheme'] do not apply"),
        (lambda d: d[d["event"] != "touch"], {}, "needs 'touch' events"),
        (lambda d: d, {"origin": "first-visit"}, "origin"),
        (lambda d: d, {"observation_end": "2025-03-02"}, "has events after observation_end"),
        (lambda d: d, {"resolution": "-1D"}, "resolution == '-1D', must be a positive"),
    ],
)
def test_first_purchase_counts_bad_input(data, options, words):
    df = purchase_log(1)
    with pytest.raises(ValidationError, match=re.escape(words)):
        quiet(first_purchase_counts, duckdb.from_df(data(df)), **options)


# ------------------------------------------------------------------------------ bad input
def test_missing_engine_names_the_extra(monkeypatch):
    import sys

    # a None entry in sys.modules makes the import fail, whether or not pyspark is installed
    # (or already imported by another test in this session)
    monkeypatch.setitem(sys.modules, "pyspark", None)
    with pytest.raises(ValidationError, match=re.escape("pip install 'cjmodels[spark]'")):
        require("pyspark")
    with pytest.raises(ValidationError, match=re.escape("pip install 'cjmodels[scale]'")):
        require("duckdb.nonexistent_module_for_test")


def test_engine_of():
    assert engine_of(pd.DataFrame()) == "memory"
    assert engine_of(duckdb.from_df(pd.DataFrame({"a": [1]}))) == "duckdb"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.drop(columns="timestamp"), "column 'timestamp' (timestamp) not found"),
        (lambda d: d.drop(columns="event"), "it has columns ['customer_id', 'timestamp', 'channel'"),
        (lambda d: d.assign(timestamp=d["timestamp"].astype(str)), "has type VARCHAR"),
        (lambda d: d.assign(event=1), "column 'event' (event) has type BIGINT"),
        (lambda d: d.assign(channel=3.0), "column 'channel' (channel) has type DOUBLE"),
        (lambda d: d.assign(value="x"), "column 'value' (value) has type VARCHAR"),
        (lambda d: d.assign(value=np.where(d.index == 3, np.inf, d["value"])), "not finite"),
    ],
)
def test_bad_engine_tables(change, words):
    df = random_log(np.random.default_rng(1))
    with pytest.raises(ValidationError, match=re.escape(words)):
        path_table_duckdb(duckdb.from_df(change(df)))


def test_mixed_types_in_a_pandas_column_are_rejected():
    """The in-memory path should reject a timestamp column mixing strings and numbers, as the
    engines do (their columns have one type; text timestamps are refused)."""
    df = random_log(np.random.default_rng(1))
    df["timestamp"] = df["timestamp"].astype(object)
    df.loc[3, "timestamp"] = "2025-01-01"
    with pytest.raises(ValidationError, match="timestamp"):
        quiet(path_table, df)


def test_event_column_of_numbers_is_rejected_in_memory():
    df = random_log(np.random.default_rng(1))
    df["event"] = df["event"].astype(object)
    df.loc[4, "event"] = 5
    with pytest.raises(ValidationError, match="column 'event'"):
        path_table(df)


def test_bad_spans():
    rel = duckdb.from_df(random_log(np.random.default_rng(1)))
    with pytest.raises(ValidationError, match="timeout == '30D', must be a number"):
        path_table_duckdb(rel, timeout="30D")
    with pytest.raises(ValidationError, match="lookback == -1"):
        path_table_duckdb(rel, lookback=-1)
    df = random_log(np.random.default_rng(1))
    df["timestamp"] = pd.Timestamp("2025-01-01") + pd.to_timedelta(df["timestamp"], "D")
    with pytest.raises(ValidationError, match="must be a time span"):
        path_table_duckdb(duckdb.from_df(df), timeout="soon")


def test_events_after_observation_end_are_rejected_by_every_path():
    """EventLog refuses events after observation_end; the engines' one validation pass does
    too, for the path table as for the time-to-purchase counts."""
    df = random_log(np.random.default_rng(1))
    end = float(df["timestamp"].max()) - 1.0
    with pytest.raises(ValidationError, match="observation_end"):
        quiet(path_table, df, observation_end=end)
    with pytest.raises(ValidationError, match="has events after observation_end"):
        path_table_duckdb(duckdb.from_df(df), observation_end=end)


def test_event_log_options_do_not_apply_to_engine_tables():
    rel = duckdb.from_df(random_log(np.random.default_rng(1)))
    with pytest.raises(ValidationError, match=r"options \['scheme'\] do not apply"):
        path_table(rel, scheme="seven")


def test_stage_sequences_need_the_event_log():
    rel = duckdb.from_df(random_log(np.random.default_rng(1)))
    with pytest.raises(ValidationError, match="sequence='channel'"):
        transition_counts(rel, sequence="stage")


# ------------------------------------------------- models accept the statistics directly
@pytest.fixture(scope="module")
def journeys_log() -> pd.DataFrame:
    from cjmodels.datasets import load_journeys

    return load_journeys().events


@pytest.mark.parametrize("order", [1, 2])
def test_markov_attribution_events_equal_path_tables(journeys_log, order):
    """fit(events) == fit(path table in memory) == fit(path table from DuckDB)."""
    from cjmodels.attribution import MarkovAttribution

    df = journeys_log
    on_events = quiet(MarkovAttribution(order).fit, df, timeout="30D").result_.table
    pt_mem = quiet(path_table, df, timeout="30D")
    pt_db = quiet(path_table_duckdb, duckdb.from_df(df), timeout="30D")
    for pt in (pt_mem, pt_db):
        on_stats = quiet(MarkovAttribution(order).fit, pt).result_.table
        pd.testing.assert_frame_equal(on_events, on_stats, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("rule", ["first", "last", "linear", "position"])
def test_heuristics_events_equal_path_tables(journeys_log, rule):
    from cjmodels.attribution import HeuristicAttribution

    df = journeys_log
    on_events = quiet(HeuristicAttribution(rule).fit, df).result_.table
    pt_db = quiet(path_table_duckdb, duckdb.from_df(df))
    on_stats = quiet(HeuristicAttribution(rule).fit, pt_db).result_.table
    pd.testing.assert_frame_equal(on_events, on_stats, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("censored", ["drop", "null", "state"])
def test_fit_chain_events_equal_transition_counts(journeys_log, censored):
    """fit_chain(events) == fit_chain(transition_counts(...)) from memory and from DuckDB.

    ``censor_recent`` (on by default with a timeout) censors transitions out of touches in the
    last ``timeout`` before the end of observation; that needs touch times, which the counts do
    not hold, so the comparison turns it off.
    """
    from cjmodels.data import JourneySpec
    from cjmodels.markov import fit_chain

    df = journeys_log
    kw = {"sequence": "channel", "censored": censored, "timeout": "30D"}
    on_events = quiet(fit_chain, df, spec=JourneySpec(censor_recent=False, **kw))
    tc_mem = quiet(transition_counts, df, **kw)
    tc_db = quiet(transition_counts, duckdb.from_df(df), **kw)
    for tc in (tc_mem, tc_db):
        on_stats = fit_chain(tc, ends=on_events.ends)
        pd.testing.assert_frame_equal(on_events.count_matrix, on_stats.count_matrix)
        pd.testing.assert_frame_equal(
            on_events.transition_matrix, on_stats.transition_matrix, rtol=1e-12, atol=1e-12
        )


@pytest.fixture(scope="module")
def experiment() -> pd.DataFrame:
    from cjmodels.data import experiment_table
    from cjmodels.synthetic import simulate_experiment

    w = simulate_experiment(3000, random_state=5)
    t = quiet(experiment_table, w.event_log(), pre_period="28D")
    t["pre_value"] = t["pre_value"].fillna(0.0)
    return t


def test_arm_sums_duckdb_equal_sufficient_stats(experiment):
    from cjmodels.experiments._stats import SufficientStats, sufficient_stats

    cols = ["converted", "value", "pre_value", "has_pre"]
    mem = sufficient_stats(experiment, cols)
    eng = SufficientStats.from_frame(
        quiet(__import__("cjmodels.data.sql", fromlist=["x"]).arm_sums_duckdb,
              duckdb.from_df(experiment), cols)
    )
    assert eng.arms == mem.arms and eng.columns == mem.columns
    np.testing.assert_array_equal(eng.n, mem.n)
    np.testing.assert_allclose(eng.sums, mem.sums, rtol=1e-12)
    np.testing.assert_allclose(eng.cross, mem.cross, rtol=1e-12)


def test_experiment_tests_on_engine_statistics_equal_tests_on_the_table(experiment):
    """compare_proportions / compare_means (with CUPED) give the same answers on the engine's
    per-arm sums as on the per-customer table."""
    from cjmodels.data.sql import arm_sums_duckdb
    from cjmodels.experiments import compare_means, compare_proportions
    from cjmodels.experiments._stats import SufficientStats

    control = sorted(experiment["variant"].unique())[0]
    stats = SufficientStats.from_frame(
        arm_sums_duckdb(duckdb.from_df(experiment), ["converted", "value", "pre_value"])
    )
    pairs = [
        (compare_proportions(experiment, "converted", control=control),
         compare_proportions(stats, "converted", control=control)),
        (compare_means(experiment, "value", control=control, covariates="pre_value"),
         compare_means(stats, "value", control=control, covariates="pre_value")),
    ]
    for on_table, on_stats in pairs:
        a, b = on_table.summary(), on_stats.summary()
        num = a.select_dtypes("number").columns
        pd.testing.assert_frame_equal(a[num], b[num], rtol=1e-9, atol=1e-12)


def test_arm_sums_bad_input(experiment):
    from cjmodels.data.sql import arm_sums_duckdb

    rel = duckdb.from_df(experiment.assign(value=np.where(experiment.index == 2, np.nan, 1.0)))
    with pytest.raises(ValidationError, match="'value' has 1 missing or infinite"):
        arm_sums_duckdb(rel, ["value"])
    with pytest.raises(ValidationError, match="metric column 'nope' not found"):
        arm_sums_duckdb(duckdb.from_df(experiment), ["nope"])
    with pytest.raises(ValidationError, match="has type VARCHAR"):
        arm_sums_duckdb(duckdb.from_df(experiment.assign(value="x")), ["value"])
    with pytest.raises(ValidationError, match="not among the declared arms"):
        arm_sums_duckdb(duckdb.from_df(experiment), ["value"], arms=["zzz", "yyy"])
