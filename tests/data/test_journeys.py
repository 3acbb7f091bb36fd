"""Journeys and path tables: hand-made cases and invariants."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.data import EventLog
from cjmodels.data.journeys import journeys, path_table
from cjmodels.data.paths import PathTable, read_path_table
from cjmodels.errors import ValidationError
from tests.conftest import random_log


def test_journeys_split_at_conversions(small_log):
    j = journeys(small_log)
    assert j[["customer_id", "journey", "outcome", "n_touches", "path", "value"]].to_dict(
        "records"
    ) == [
        {"customer_id": 1, "journey": 1, "outcome": "conversion", "n_touches": 2,
         "path": "search > email", "value": 80.0},
        {"customer_id": 1, "journey": 2, "outcome": "censored", "n_touches": 2,
         "path": "email > email", "value": 0.0},
        {"customer_id": 2, "journey": 1, "outcome": "censored", "n_touches": 2,
         "path": "social > search", "value": 0.0},
    ]
    assert j["start"].iloc[0] == pd.Timestamp("2025-01-01")
    assert j["end"].iloc[0] == pd.Timestamp("2025-01-04")


def test_timeout_turns_gaps_and_stale_journeys_into_drop_outs(small_log):
    # customer 1's second journey: touches on Jan 10 and 11, observation ends Jan 11;
    # customer 2: touches on Jan 2 and Jan 5 -> 3-day gap, then 6 quiet days to the end.
    j = journeys(small_log, timeout="2D")
    assert j["outcome"].tolist() == ["conversion", "censored", "drop_out", "drop_out"]
    assert j["path"].tolist() == ["search > email", "email > email", "social", "search"]
    j = journeys(small_log, timeout="5D", observation_end="2025-01-20")
    assert j["outcome"].tolist() == ["conversion", "drop_out", "drop_out"]


def test_lookback_keeps_only_recent_touches(small_log):
    j = journeys(small_log, lookback="1D")
    assert j["path"].tolist() == ["email", "email > email", "search"]
    assert j.attrs["touches_outside_lookback"] == 2


def test_explicit_drop_out_and_orphan_events():
    df = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 1],
            "timestamp": [0.0, 1.0, 2.0, 3.0, 4.0],
            "event": ["touch", "drop_out", "churn", "touch", "conversion"],
            "channel": ["a", None, None, "b", None],
        }
    )
    j = journeys(df)
    assert j["outcome"].tolist() == ["drop_out", "conversion"]
    assert j.attrs["stop_events_outside_journeys"] == 1


def test_conversion_without_touch_is_kept_as_journey_and_warned_in_paths():
    df = pd.DataFrame(
        {
            "customer_id": [1, 1, 1],
            "timestamp": [0.0, 1.0, 2.0],
            "event": ["touch", "conversion", "conversion"],
            "channel": ["a", None, None],
            "value": [0.0, 10.0, 7.0],
        }
    )
    j = journeys(df)
    assert j["n_touches"].tolist() == [1, 0]
    with pytest.warns(UserWarning, match="1 journeys have no touch"):
        pt = path_table(df)
    assert pt.table["total_conversions"].tolist() == [1]
    assert pt.info["value_without_touches"] == 7.0


def test_path_table_layout_and_collapse(small_log):
    pt = path_table(small_log)
    assert list(pt.table.columns) == [
        "path",
        "total_conversions",
        "total_null",
        "total_conversion_value",
        "total_censored",
    ]
    assert pt.table.set_index("path")["total_null"].to_dict() == {
        "email > email": 1,
        "search > email": 0,
        "social > search": 1,
    }
    pt2 = path_table(small_log, collapse_repeats=True)
    assert "email" in pt2.table["path"].tolist()
    assert pt.channels == ["email", "search", "social"]
    assert "paths=3, journeys=3, conversions=1" in repr(pt)
    s = pt.summary()
    assert s.loc["email", "journeys_with_channel"] == 2
    assert s["first_touch_share"].sum() == pytest.approx(1.0)


def test_path_table_csv_round_trip(tmp_path, small_log):
    pt = path_table(small_log)
    p = tmp_path / "paths.csv"
    pt.to_csv(p)
    back = read_path_table(p)
    pd.testing.assert_frame_equal(back.table, pt.table)


def test_read_path_table_other_names_and_errors(tmp_path):
    df = pd.DataFrame({"p": ["a > b", "c"], "conv": [1, 0], "nul": [3, 4]})
    pt = read_path_table(df, path="p", conversions="conv", null="nul")
    assert pt.total_conversions == 1 and pt.total_conversion_value == 0
    with pytest.raises(ValidationError, match="columns \\['path'"):
        read_path_table(df)
    with pytest.raises(ValidationError, match="must be finite and >= 0"):
        read_path_table(df.assign(conv=[-1, 0]), path="p", conversions="conv", null="nul")
    with pytest.raises(ValidationError, match="empty at rows \\[1\\]"):
        read_path_table(df.assign(p=["a", ""]), path="p", conversions="conv", null="nul")
    with pytest.raises(ValidationError, match="no such file"):
        read_path_table(tmp_path / "nope.csv")


# ------------------------------------------------------------------ invariants (hypothesis)
def canonical_paths(df: pd.DataFrame) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return path_table(df).table


@given(st.integers(0, 10_000))
def test_no_event_lost_or_counted_twice(seed):
    df = random_log(np.random.default_rng(seed))
    log = EventLog(df)
    j = journeys(log)
    n_touch = int((df["event"] == "touch").sum())
    n_conv = int((df["event"] == "conversion").sum())
    assert j["n_touches"].sum() == n_touch
    assert (j["outcome"] == "conversion").sum() == n_conv
    assert j["value"].sum() == pytest.approx(df.loc[df["event"] == "conversion", "value"].sum())
    # at most one censored (open) journey per customer, and it is the last one
    last = j.groupby("customer_id")["journey"].transform("max") == j["journey"]
    assert not ((j["outcome"] == "censored") & ~last).any()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pt = path_table(log)
    with_touch = j["n_touches"] > 0
    assert pt.table["total_conversions"].sum() == (j["outcome"][with_touch] == "conversion").sum()
    assert pt.n_journeys == with_touch.sum()
    lengths = pt.table["path"].str.count(">") + 1
    weights = pt.table["total_conversions"] + pt.table["total_null"]
    assert (lengths * weights).sum() == n_touch


@given(st.integers(0, 10_000))
def test_invariant_to_row_order_and_customer_labels(seed):
    rng = np.random.default_rng(seed)
    df = random_log(rng)
    shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    relabel = {c: f"cust-{(c * 7919) % 1000:04d}" for c in df["customer_id"].unique()}
    renamed = shuffled.assign(customer_id=shuffled["customer_id"].map(relabel))
    ref = canonical_paths(df)
    pd.testing.assert_frame_equal(canonical_paths(shuffled), ref)
    pd.testing.assert_frame_equal(canonical_paths(renamed), ref)
    a = journeys(df).assign(customer_id=lambda x: x["customer_id"].map(relabel))
    b = journeys(renamed)
    key = ["customer_id", "journey"]
    pd.testing.assert_frame_equal(
        a.sort_values(key).reset_index(drop=True), b.sort_values(key).reset_index(drop=True)
    )


def test_long_journeys_use_exact_row_comparison():
    # 40 touches over 30 channels: the integer key would overflow, rows are compared instead
    rng = np.random.default_rng(3)
    n = 40
    chans = [f"ch{i:02d}" for i in range(30)]
    rows = []
    for c in range(6):
        seq = rng.choice(chans, n) if c % 2 else np.array(chans[:20] + chans[:20])
        rows += [(c, float(t), "touch", s) for t, s in enumerate(seq)]
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel"])
    j = journeys(df)
    expect = df.groupby("customer_id")["channel"].agg(" > ".join)
    assert j["path"].tolist() == expect.tolist()
    assert path_table(df).table["total_null"].max() == 3


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("channels", [None, ["b", "a b", "é", "ab", "a", "Z", "a_b", "a-b"]])
def test_fast_path_table_equals_the_general_construction(seed, channels):
    # path_table joins, sorts and splits the distinct paths in Arrow; the general construction
    # (PathTable from the same frame: Python sort order, split and checks) must give the same
    # table and the same parsed channels
    rng = np.random.default_rng(seed)
    df = random_log(rng, n_customers=300, n_events=3000)
    if channels is not None:
        touch = df["channel"].notna()
        df.loc[touch, "channel"] = rng.choice(channels, int(touch.sum()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        fast = path_table(df)
    general_frame = fast.table.sample(frac=1.0, random_state=seed)
    general_frame = general_frame.sort_values("path", kind="stable").reset_index(drop=True)
    general = PathTable(general_frame, info=fast.info)
    pd.testing.assert_frame_equal(fast.table, general.table)
    assert fast.channels == general.channels
    np.testing.assert_array_equal(fast._parsed.codes, general._parsed.codes)
    np.testing.assert_array_equal(fast._parsed.lengths, general._parsed.lengths)


def test_channel_names_with_blanks_are_kept_by_the_path_table():
    # the separator " > " takes one blank on each side: the rest belongs to the names
    df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0, 1, 0],
                       "event": ["touch", "touch", "touch"], "channel": ["a", " b", "a"]})
    pt = path_table(df)
    assert pt.channels == [" b", "a"] and pt.table["path"].tolist() == ["a", "a >  b"]


@pytest.mark.parametrize("timeout", [None, 1.5])
def test_journey_set_without_per_journey_table_is_the_same(timeout):
    from cjmodels.data.journeys import journey_set

    log = EventLog(random_log(np.random.default_rng(5), n_customers=80, n_events=800))
    a = journey_set(log, timeout=timeout)
    b = journey_set(log, timeout=timeout, per_journey=False)
    assert b.table is None and len(a.table) == a.n
    assert a == b  # the same journeys: equality does not look at the per-journey table
    for field in ("labels", "symbols", "offsets", "outcome", "weight", "value"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert a.info == b.info


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_timeout_equal_to_the_gap_does_not_end_the_journey(unit):
    # gaps are compared in integer ticks: a gap of exactly the timeout is no timeout, one tick
    # more is, whatever the resolution and however far from the epoch
    start = pd.Timestamp("2199-12-31 23:59:59")
    tick = pd.Timedelta(1, unit=unit)
    ts = pd.Series([start, start + pd.Timedelta("30D"), start + pd.Timedelta("60D") + tick])
    df = pd.DataFrame({"customer_id": [1, 1, 1], "timestamp": ts.dt.as_unit(unit),
                       "event": ["touch"] * 3, "channel": ["a", "b", "c"]})
    j = journeys(df, timeout="30D")
    assert j["path"].tolist() == ["a > b", "c"]
    assert j["outcome"].tolist() == ["drop_out", "censored"]
    # a journey whose last touch is exactly the timeout before the end of observation stays
    # open; one tick older and it has dropped out
    end = ts.iloc[2] + pd.Timedelta("30D")
    assert journeys(df, timeout="30D", observation_end=end)["outcome"].tolist()[-1] == "censored"
    late = journeys(df, timeout="30D", observation_end=end + tick)
    assert late["outcome"].tolist()[-1] == "drop_out"
    # lookback: a touch exactly lookback before the end is inside
    lb = journeys(df.iloc[:2], lookback="30D")
    assert lb["path"].tolist() == ["a > b"]
    assert journeys(df.iloc[1:], lookback="30D")["path"].tolist() == ["c"]


@pytest.mark.parametrize("seed", range(6))
def test_distinct_paths_against_a_dictionary(seed):
    from cjmodels.data.journeyset import JourneySet

    rng = np.random.default_rng(seed)
    n_labels = [3, 12, 40][seed % 3]
    n = 400
    lengths = rng.integers(0, [6, 30, 70][seed % 3], n)
    lengths[rng.random(n) < 0.3] = 2  # plenty of repeats
    symbols = rng.integers(0, 2 if seed % 2 else n_labels, lengths.sum())
    offsets = np.r_[0, np.cumsum(lengths)]
    js = JourneySet(np.array([f"c{i}" for i in range(n_labels)], dtype=object), symbols,
                    offsets, np.zeros(n, np.int8), np.ones(n), np.zeros(n))
    ids, flat, lens = js.distinct_paths()
    seqs = np.split(symbols, offsets[1:-1])
    got = np.split(flat, np.cumsum(lens)[:-1])
    # the same id exactly for the same sequence, and the id's sequence is the row's
    assert len(got) == len({tuple(s) for s in seqs})
    for i, s in enumerate(seqs):
        np.testing.assert_array_equal(got[ids[i]], s)
    assert (np.diff(lens) >= 0).all()  # numbered by length first
    ids2, seqs2 = js.path_ids()
    np.testing.assert_array_equal(ids, ids2)
    assert all(np.array_equal(a, b) for a, b in zip(got, seqs2, strict=True))


def test_lexicographic_order_of_integer_sequences():
    from cjmodels.data.journeys import _lexicographic_order

    rng = np.random.default_rng(1)
    for n_labels, max_len in [(2, 5), (10, 20), (39, 40), (200, 12)]:
        lengths = rng.integers(0, max_len, 300)
        codes = rng.integers(0, n_labels, lengths.sum())
        offsets = np.r_[0, np.cumsum(lengths)]
        seqs = [tuple(codes[offsets[i]:offsets[i + 1]]) for i in range(300)]
        expect = sorted(range(300), key=seqs.__getitem__)  # stable, prefix first
        assert _lexicographic_order(codes, offsets, n_labels).tolist() == expect


@pytest.mark.parametrize("channels", [["b", "a", "ab", "a_b", "Z", "é"], ["a b", "a", "a =", "a!"]])
def test_path_table_is_in_code_point_order_of_the_path_strings(channels):
    # names without blanks are sorted as integer sequences, others as strings: both must
    # give Python's string order
    rng = np.random.default_rng(2)
    df = random_log(rng, n_customers=400, n_events=4000)
    touch = df["channel"].notna()
    df.loc[touch, "channel"] = rng.choice(channels, int(touch.sum()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        paths = path_table(df).table["path"].tolist()
    assert paths == sorted(paths) and len(set(paths)) == len(paths)


def test_journey_set_is_a_result_with_its_per_journey_table():
    from cjmodels.data import JourneySet, journey_set
    from cjmodels.results import Result

    df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "timestamp": [0.0, 1.0, 2.0, 0.0, 1.0],
                       "event": ["touch", "touch", "conversion", "touch", "drop_out"],
                       "channel": ["a", "b", None, "a", None], "value": [0, 0, 9.0, 0, 0]})
    js = journey_set(df, sequence="channel")
    assert isinstance(js, JourneySet) and isinstance(js, Result)
    assert js.table["outcome"].tolist() == ["conversion", "drop_out"]
    assert repr(js) == "JourneySet(rows=2, journeys=2, labels=2, touches=3, sequence='channel')"
    s = js.summary()
    assert s.loc["conversion", "touches"] == 2 and s.loc["drop_out", "journeys"] == 1
    assert s.loc["conversion", "value"] == 9.0 and np.isnan(s.loc["censored", "mean_length"])
    assert js.to_dict()["outcome"] == ["conversion", "drop_out"]
    assert js == journey_set(df, per_journey=False) and hash(js) == hash(journey_set(df))


def test_unknown_option_of_an_event_log_function_is_a_validation_error():
    from cjmodels.data import journeys, transition_counts

    df = pd.DataFrame({"customer_id": [1], "timestamp": [0.0], "event": ["touch"],
                       "channel": ["a"]})
    with pytest.raises(ValidationError, match=r"unknown options \['by'\]"):
        transition_counts(df, by="channel")
    with pytest.raises(ValidationError, match=r"unknown options \['frame'\]"):
        journeys(df, frame=True)
