"""Path tables as users have them: separators, exact channel names, odd counts, files.

The reference for splitting is Python's own ``str.split``; for the ChannelAttribution layout,
ChannelAttribution's documented ``sep=">"`` (blanks around channel names are trimmed).
"""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import PathTable, path_table, read_path_table
from cjmodels.data.journeyset import JourneySet
from cjmodels.errors import ValidationError

jmod = importlib.import_module("cjmodels.data.journeys")  # the module, not the function
pmod = importlib.import_module("cjmodels.data.paths")


def _table(paths, conv=None, null=None, value=None, index=None):
    n = len(paths)
    return pd.DataFrame(
        {
            "path": paths,
            "total_conversions": [1] * n if conv is None else conv,
            "total_null": [1] * n if null is None else null,
            "total_conversion_value": [10.0] * n if value is None else value,
        },
        index=index,
    )


def _log(channels_by_customer, convert=True):
    rows = []
    for c, chans in enumerate(channels_by_customer):
        for t, ch in enumerate(chans):
            rows.append((c, t, "touch", ch, 0.0))
        if convert:
            rows.append((c, len(chans), "conversion", None, 5.0 + c))
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel", "value"])


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


# ------------------------------------------------------------------------------ separators
@pytest.mark.parametrize(
    ("paths", "separator"),
    [
        (["c1>c2>c3", "c2", "c3>c1"], ">"),  # ChannelAttribution's own files
        (["c1 > c2 > c3", "c2", "c3 > c1"], " > "),  # ours
        (["c1", "c2"], " > "),  # no separator visible: single channels
    ],
)
def test_separator_is_detected_when_unambiguous(paths, separator):
    pt = PathTable(_table(paths))
    assert pt.separator == separator
    assert pt.channels == sorted({c for p in paths for c in p.split(separator)})


def test_tight_and_spaced_tables_give_the_same_paths():
    tight = PathTable(_table(["a>b>a", "b", "c>a"]))
    spaced = PathTable(_table(["a > b > a", "b", "c > a"]))
    assert tight.channels == spaced.channels == ["a", "b", "c"]
    a, b = tight.journey_set(), spaced.journey_set()
    for f in ("symbols", "offsets", "outcome", "weight", "value"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))


@pytest.mark.parametrize(
    ("paths", "seen"),
    [
        (["a > b", "a>b > c", "c"], ["' > '", "'>'", "row 1"]),  # a mix
        (["a >b", "c"], ["one side only", "row 0"]),
        (["a->b", "b"], ["'->'", "row 0: 'a->b'"]),
        (["a|b", "b"], ["'|'", "row 0"]),
        (["a > b, c", "b"], ["' > '", "','"]),
        (["a\u2192b"], ["'\u2192'"]),
    ],
)
def test_ambiguous_separator_is_refused_with_what_was_seen(paths, seen):
    with pytest.raises(ValidationError, match="cannot tell which separator") as err:
        PathTable(_table(paths))
    msg = str(err.value)
    assert "separator=" in msg
    for s in seen:
        assert s in msg


def test_explicit_separator_is_used_exactly():
    df = _table(["a > b", "a>b > c"])
    with pytest.raises(ValidationError, match="containing '>'"):
        PathTable(df, separator=" > ")
    pt = PathTable(_table(["a|b", "b | c"]), separator="|")  # no blanks: names trimmed
    assert pt.channels == ["a", "b", "c"]
    pt = _quiet(PathTable, _table(["a > b", "a  > b"]), separator=" > ")
    assert pt.channels == ["a", "a ", "b"]  # blanks beyond the separator's own are names
    with pytest.raises(ValidationError, match="separator == ''"):
        PathTable(df, separator="")


def test_channelattribution_separator_trims_blanks_as_channelattribution_does():
    # ChannelAttribution (sep=">") reads "a > b" as a then b; so do we with separator=">"
    pt = _quiet(PathTable, _table(["a > b", " a>b ", "b"]), separator=">")
    assert pt.channels == ["a", "b"]
    assert pt.table["total_conversions"].tolist() == [2, 1]  # the repeat merged


def test_channel_containing_the_separator_is_an_error_not_a_split():
    with pytest.raises(ValidationError, match="containing '>'.*rows \\[7\\]"):
        PathTable(_table(["x", "a>b > c"], index=[6, 7]), separator=" > ")
    with pytest.raises(ValidationError, match="empty channel name"):
        PathTable(_table(["a>>b"]), separator=">")
    with pytest.raises(ValidationError, match="empty channel name"):
        PathTable(_table(["a> >b"]), separator=">")  # blank only: empty once trimmed


# ------------------------------------------------------------------- exact channel names
LABELS = [" email", "email", "email ", "é-mail", "\u4e2d\u6587", "sms\x1e", "\U0001f600"]


def test_log_path_table_csv_round_trip_keeps_every_label(tmp_path):
    rng = np.random.default_rng(3)
    journeys = [list(rng.choice(LABELS, rng.integers(1, 4))) for _ in range(60)]
    log = _log(journeys)
    pt = path_table(log)
    assert set(pt.channels) == set(LABELS)
    f = tmp_path / "paths.csv"
    pt.to_csv(f)
    back = _quiet(read_path_table, f)
    assert back.separator == " > "
    assert back.channels == pt.channels
    pd.testing.assert_frame_equal(back.table, pt.table, check_dtype=False)
    np.testing.assert_array_equal(back._parsed.codes, pt._parsed.codes)
    # and as a DataFrame in memory, with the separator given or detected
    for sep in (None, " > "):
        again = _quiet(PathTable, pt.table, separator=sep)
        assert again.channels == pt.channels


def test_trailing_nul_survives_the_path_table():
    pt = PathTable(_table(["a\x00 > a", "a", "b\x00\x00"]))
    assert pt.channels == ["a", "a\x00", "b\x00\x00"]
    assert pt.table["path"].tolist() == ["a\x00 > a", "a", "b\x00\x00"]


def test_names_that_read_as_missing_in_csv_stay_names(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("path,total_conversions,total_null\nNA > null,1,2\nNone,0,3\n")
    pt = read_path_table(f)
    assert pt.channels == ["NA", "None", "null"]


def _general(js):
    return None


def _journeys(labels, rng, n=400):
    """Random journeys over ``labels`` as a JourneySet (any names, NUL included)."""
    lengths = rng.integers(1, 9, n)
    offsets = np.r_[0, np.cumsum(lengths)]
    symbols = rng.integers(0, len(labels), offsets[-1])
    outcome = rng.choice(np.array([0, 1, 2], dtype=np.int8), n)
    value = np.where(outcome == 0, rng.integers(1, 50, n), 0).astype(float)
    return JourneySet(np.array(sorted(labels), dtype=object), symbols, offsets, outcome,
                      np.ones(n), value, {"by": "channel"})


@pytest.mark.parametrize("collapse", [False, True])
@pytest.mark.parametrize("labels", [
    [*LABELS, "a\x00", "a", "b\x00\x00", "z z"],  # blanks, NUL, unicode, the row mark
    ["b", "a", "c"],  # plain names: the integer-sort branch of the Arrow path
])
def test_arrow_and_python_joins_give_identical_tables(monkeypatch, collapse, labels):
    # pyarrow is the primary path; the pure-Python fallback (split, join and sort in Python)
    # must give the same table, order, channels and codes
    js = _journeys(labels, np.random.default_rng(11))
    monkeypatch.setattr(jmod, "as_event_log", lambda *a, **k: None)
    monkeypatch.setattr(jmod, "journey_set", lambda *a, **k: js)
    fast = path_table(pd.DataFrame(), collapse_repeats=collapse)
    assert set(fast.channels) == set(labels)
    monkeypatch.setattr(jmod, "_sorted_path_strings", _general)
    monkeypatch.setattr(pmod, "_split_tokens", pmod._split_tokens_python)
    slow = path_table(pd.DataFrame(), collapse_repeats=collapse)
    pd.testing.assert_frame_equal(fast.table, slow.table)
    assert fast.channels == slow.channels
    np.testing.assert_array_equal(fast._parsed.codes, slow._parsed.codes)
    np.testing.assert_array_equal(fast._parsed.lengths, slow._parsed.lengths)


def test_blank_channel_is_refused_by_the_path_table():
    with pytest.raises(ValidationError, match="empty"):
        path_table(_log([["a", " "]]))


def test_lone_surrogates_do_not_crash():
    # an object column: pandas 3's default string type cannot even hold a lone surrogate
    pt = PathTable(_table(pd.Series(["a > \ud800", "b"], dtype=object)))
    assert pt.channels == ["a", "b", "\ud800"]
    with pytest.raises(ValidationError, match="not valid Unicode"):
        pt.to_csv("/dev/null")


# ------------------------------------------------------------------------ counts and rows
def test_repeated_paths_are_merged_with_a_warning():
    df = _table(["a > b", "b", "a > b"], conv=[1, 2, 3], null=[4, 5, 6], value=[1.0, 2.0, 3.0],
                index=[10, 11, 12])
    with pytest.warns(UserWarning, match=r"1 rows repeat .*row 12 'a > b' = row 10"):
        pt = PathTable(df)
    assert pt.table["path"].tolist() == ["a > b", "b"]
    assert pt.table["total_conversions"].tolist() == [4, 2]
    assert pt.table["total_null"].tolist() == [10, 5]
    assert pt.table["total_conversion_value"].tolist() == [4.0, 2.0]
    assert pt.table["total_conversions"].dtype == np.int64


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"total_conversions": [np.nan, 1]}, "finite and >= 0; rows \\[0\\]"),
        ({"total_null": [1, -1]}, "finite and >= 0; rows \\[1\\]"),
        ({"total_conversions": ["1", "2"]}, "must be numeric; convert"),
        ({"total_conversions": [True, False]}, "must be numeric"),
        ({"total_conversions": [2**62, 2**62]}, "2\\*\\*53"),
        ({"total_null": [1e308, 1e308]}, "2\\*\\*53"),
        ({"total_conversion_value": [1e300, 1e300]}, "1e300"),
        ({"total_conversions": [0, 0], "total_null": [0, 0]}, "zero conversions and zero"),
        ({"path": [None, "a"]}, "'path' is empty at rows \\[0\\]"),
    ],
)
def test_odd_counts_are_refused_clearly(change, match):
    df = _table(["a > b", "b"])
    for k, v in change.items():
        df[k] = v
    with pytest.raises(ValidationError, match=match):
        PathTable(df)


def test_empty_and_malformed_inputs(tmp_path):
    with pytest.raises(ValidationError, match="empty \\(0 rows\\)"):
        PathTable(_table([]))
    with pytest.raises(ValidationError, match="no such file"):
        read_path_table(tmp_path / "nope.csv")
    with pytest.raises(ValidationError, match="is a folder"):
        read_path_table(tmp_path)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\xff\xfe\x00garbage\x00\xff")
    with pytest.raises(ValidationError, match="bad.csv"):
        read_path_table(bad)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(ValidationError, match="empty.csv"):
        read_path_table(empty)


def test_fractional_counts_are_weights():
    pt = PathTable(_table(["a > b", "b"], conv=[0.5, 1.25], null=[1.5, 0.0]))
    assert pt.total_conversions == 1.75 and pt.n_journeys == 3.25


def test_censored_journeys_are_part_of_total_null():
    # fuzz finding 11: one open journey of one touch is one path, counted once in total_null
    # and flagged in total_censored (a subset of total_null), so the paths hold one touch
    df = pd.DataFrame({"customer_id": [0, 1, 1], "timestamp": [0, 0, 1],
                       "event": ["touch", "touch", "drop_out"], "channel": ["a", "a", None]})
    t = path_table(df).table
    assert t["path"].tolist() == ["a"]
    assert t[["total_null", "total_censored", "total_conversions"]].iloc[0].tolist() == [2, 1, 0]
