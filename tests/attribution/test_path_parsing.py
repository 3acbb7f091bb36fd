"""The one path parser: PathTable splits every path once, fast, and rejects empty channel names.

These tests cover the data layer's ``PathTable`` parts that the attribution package stands on
(``cjmodels/data/journeys.py``); the reference is Python's own ``str.split`` and a row-by-row
construction.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cjmodels.attribution import MarkovAttribution, attribute, attribution_data
from cjmodels.attribution._data import AttributionData
from cjmodels.data import PathTable, read_path_table
from cjmodels.data.paths import _split_tokens, _split_tokens_python
from cjmodels.errors import ValidationError

# characters that make splitting hard: blanks, separator pieces, the row mark, non-ASCII
ALPHABET = st.sampled_from(["a", "b", " ", ">", "-", "\x1e", "\x00", "é"])
SEPARATORS = st.sampled_from([" > ", ">", "->", " ", "aa", "\x1e"])


def _rows(codes, uniques, lengths):
    toks = list(np.asarray(uniques, dtype=object)[codes])
    starts = np.r_[0, np.cumsum(lengths)]
    return [toks[starts[i] : starts[i + 1]] for i in range(len(lengths))]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=10), min_size=1, max_size=6), SEPARATORS)
def test_split_equals_str_split(paths, sep):
    # reference: Python's str.split on every path alone
    expected = [p.split(sep) for p in paths]
    assert _rows(*_split_tokens(paths, sep)) == expected  # pyarrow kernels
    assert _rows(*_split_tokens_python(paths, sep)) == expected  # one joined split, or per row


def _journey_set_by_rows(df: pd.DataFrame) -> list[tuple[tuple[str, ...], int, float, float]]:
    """Reference: every path with conversions, then every path with nulls, row by row."""
    out = []
    for outcome, col in ((0, "total_conversions"), (1, "total_null")):
        for _, r in df.iterrows():
            if r[col] > 0:
                chans = tuple(r["path"].split(" > "))  # names kept exactly, blanks and all
                value = float(r.get("total_conversion_value", 0.0)) if outcome == 0 else 0.0
                out.append((chans, outcome, float(r[col]), value))
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000))
def test_journey_set_equals_row_by_row(seed):
    rng = np.random.default_rng(seed)
    names = np.array(["email", "search", " social", "sms "])  # blanks are kept
    n = int(rng.integers(1, 12))
    df = pd.DataFrame({
        "path": [" > ".join(rng.choice(names, rng.integers(1, 5))) for _ in range(n)],
        "total_conversions": rng.integers(0, 3, n),
        "total_null": rng.integers(0, 3, n),
        "total_conversion_value": rng.integers(0, 3, n) * 10.0,
    })
    df = df.drop_duplicates("path").reset_index(drop=True)  # repeated paths are merged
    df.loc[0, "total_null"] += 1  # never all zero
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the blanks kept are named in a warning
        js = PathTable(df).journey_set()
    got = [
        (tuple(js.labels[js.symbols[js.offsets[i] : js.offsets[i + 1]]]), int(js.outcome[i]),
         float(js.weight[i]), float(js.value[i]))
        for i in range(js.n)
    ]
    assert got == _journey_set_by_rows(df)
    assert list(js.labels) == sorted(set(js.labels))


def test_summary_by_hand():
    pt = PathTable(pd.DataFrame({"path": ["a > b > a", "b", "c > a"],
                                 "total_conversions": [1, 0, 2], "total_null": [1, 3, 0]}))
    s = pt.summary()
    # a: in paths 0 and 2 (2 + 2 journeys, 1 + 2 conversions); first touch of 2 of 7 journeys,
    # last touch of 2 + 2 of 7
    assert s.loc["a"].to_dict() == pytest.approx({
        "paths": 2, "journeys_with_channel": 4, "conversions_with_channel": 3,
        "first_touch_share": 2 / 7, "last_touch_share": 4 / 7})
    assert s.loc["b", "paths"] == 2 and s.loc["b", "first_touch_share"] == pytest.approx(3 / 7)
    assert s.loc["c", "last_touch_share"] == 0
    assert s["journeys_with_channel"].dtype == np.int64
    assert pt.channels == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("path", "rows"),
    [("a >  > b", [11]), ("a > b >", [11]), ("> a", [11]), ("a > b > ", [11])],
)
def test_empty_channel_name_is_rejected_with_its_row(path, rows):
    df = pd.DataFrame({"path": ["x > y", path, "z"], "total_conversions": [1, 1, 0],
                       "total_null": [0, 2, 1]}, index=[10, 11, 12])
    with pytest.raises(ValidationError, match="empty channel name") as err:
        PathTable(df)
    assert f"rows {rows}" in str(err.value) and repr(path) in str(err.value)


def test_blank_path_and_bad_separator():
    df = pd.DataFrame({"path": ["a", "  "], "total_conversions": [1, 0], "total_null": [0, 1]})
    with pytest.raises(ValidationError, match=r"'path' is empty at rows \[1\]"):
        PathTable(df)
    with pytest.raises(ValidationError, match="separator == ''"):
        PathTable(df.head(1), separator="")


def test_other_separator_and_non_string_paths():
    pt = read_path_table(pd.DataFrame({"path": ["a>b", "b >a"], "total_conversions": [1, 1],
                                       "total_null": [0, 1]}), separator=">")
    assert pt.channels == ["a", "b"]
    pt2 = PathTable(pd.DataFrame({"path": [1, 2], "total_conversions": [1, 0],
                                  "total_null": [0, 1]}))
    assert pt2.channels == ["1", "2"] and pt2.table["path"].tolist() == ["1", "2"]


def test_distinct_paths_are_encoded_once_without_changing_results(ref_tables):
    # path_index lets the Markov encoding work once per distinct path; dropping it (every row
    # its own path) must give the same chain and removal effects
    data = attribution_data(ref_tables["journeys"])
    assert data.path_index is not None and len(data.path_index) == data.journeys.n
    plain = AttributionData(data.journeys, data.dt, data.info, None)
    for k in (1, 3):
        a = MarkovAttribution(order=k).fit(data).result_
        b = MarkovAttribution(order=k).fit(plain).result_
        pd.testing.assert_frame_equal(a.table, b.table, rtol=1e-12, atol=1e-12)
        assert a.info["n_states"] == b.info["n_states"]


def test_event_log_cells_know_their_paths(small_log):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data = attribution_data(small_log)
    js = data.journeys
    seqs = [tuple(js.symbols[js.offsets[i] : js.offsets[i + 1]]) for i in range(js.n)]
    for i in range(js.n):
        for j in range(js.n):
            assert (data.path_index[i] == data.path_index[j]) == (seqs[i] == seqs[j])
    assert attribute(small_log, model="markov").total_conversions == 1
