"""Attribution at the edges: ChannelAttribution's own files, exact channel names, conversions
without a touch, odd counts; every model returns credits that add up, or one of our errors."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cjmodels.attribution import attribute, attribution_data
from cjmodels.data import path_table
from cjmodels.errors import CJModelsError, ValidationError

from .conftest import REF

MODELS = ["first", "last", "linear", "linear-unique", "position", "markov", "shapley", "logistic"]
FAST = {"logistic": {"n_estimators": 3}}


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fn(*args, **kwargs)


def _check_sums(res):
    t = res.table
    assert t["conversions"].sum() == pytest.approx(res.total_conversions, rel=1e-9, abs=1e-9)
    assert t["value"].sum() == pytest.approx(res.total_value, rel=1e-9, abs=1e-9)


# ----------------------------------------------------- ChannelAttribution's own path files
@pytest.fixture(scope="module")
def random_tight(tmp_path_factory):
    """random_paths.csv (written with ' > ') written again as ChannelAttribution writes paths:
    'alpha>beta', no blanks."""
    df = pd.read_csv(REF / "random_paths.csv")
    tight = df.assign(path=df["path"].str.replace(" > ", ">", regex=False))
    f = tmp_path_factory.mktemp("ca") / "random_tight.csv"
    tight.to_csv(f, index=False)
    return df, tight, f


@pytest.mark.parametrize("rule", ["first", "last", "linear"])
def test_tight_and_spaced_files_match_channelattribution(ca_reference, random_tight, rule):
    # ChannelAttribution 2.2.5 heuristic_models(Data, "path", "total_conversions",
    # var_value="total_conversion_value", sep=">") on random_paths.csv (exact; 1e-9 relative)
    spaced, tight, f = random_tight
    ref = pd.DataFrame(ca_reference["inputs"]["random"]["heuristic_models"]).T
    col = {"first": "first_touch", "last": "last_touch", "linear": "linear_touch"}[rule]
    results = [
        attribute(spaced, rule),  # ours, detected
        attribute(tight, rule),  # ChannelAttribution's layout, detected
        attribute(tight, rule, data_options={"separator": ">"}),  # given
        attribute(str(f), rule),  # the file
        attribute(f, rule, data_options={"separator": ">"}),
    ]
    for res in results:
        assert res.channels == ["alpha", "beta", "delta", "gamma"]
        np.testing.assert_allclose(res.table["conversions"],
                                   ref.loc[res.channels, f"{col}_conversions"], rtol=1e-9)
        np.testing.assert_allclose(res.table["value"], ref.loc[res.channels, f"{col}_value"],
                                   rtol=1e-9)


@pytest.mark.parametrize("order", [1, 3])
def test_tight_and_spaced_files_give_the_same_markov_result(random_tight, order):
    spaced, tight, f = random_tight
    a = attribute(spaced, "markov", order=order)
    b = attribute(f, "markov", order=order, data_options={"separator": None})
    pd.testing.assert_frame_equal(a.table, b.table)
    assert a.info["n_states"] == b.info["n_states"]


def test_ambiguous_file_is_refused_clearly(tmp_path, random_tight):
    spaced, tight, _ = random_tight
    mixed = pd.concat([spaced.head(20), tight.tail(20)])
    f = tmp_path / "mixed.csv"
    mixed.to_csv(f, index=False)
    with pytest.raises(ValidationError, match="cannot tell which separator") as err:
        attribute(f, "markov")
    assert "' > '" in str(err.value) and "'>'" in str(err.value) and "separator=" in str(err.value)
    with pytest.raises(ValidationError, match="containing '>'"):  # the wrong one, given
        attribute(f, "markov", data_options={"separator": " > "})


def test_separator_is_refused_for_event_logs_and_checked_for_path_tables():
    log = pd.DataFrame({"customer_id": [1, 1], "timestamp": [0, 1],
                        "event": ["touch", "conversion"], "channel": ["a", None]})
    assert attribution_data(log, separator=None).channels == ["a"]
    with pytest.raises(ValidationError, match="applies to path tables only"):
        attribution_data(log, separator=">")
    pt = path_table(log)
    with pytest.raises(ValidationError, match="was split with ' > '"):
        attribution_data(pt, separator=">")
    with pytest.raises(ValidationError, match="separator == 3"):
        attribution_data(pt.table, separator=3)


# ---------------------------------------------------------------- exact channel names
@pytest.mark.parametrize("model", MODELS)
def test_log_and_its_own_path_table_agree_exactly(model):
    rng = np.random.default_rng(4)
    labels = np.array([" email", "email", "email ", "search", "é"])
    rows = []
    for c in range(150):
        for t in range(int(rng.integers(1, 5))):
            rows.append((c, t, "touch", rng.choice(labels), 0.0))
        if rng.random() < 0.4:
            rows.append((c, 9, "conversion", None, float(rng.integers(1, 90))))
    log = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel", "value"])
    params = {**FAST.get(model, {}), **({"random_state": 0} if model in ("logistic",) else {})}
    a = attribute(log, model, **params)
    pt = path_table(log)
    b = attribute(pt, model, **params)
    c = _quiet(attribute, pt.table, model, **params)  # the DataFrame: names re-read exactly
    assert a.channels == [" email", "email", "email ", "search", "é"]
    for other in (b, c):
        pd.testing.assert_frame_equal(a.table, other.table, check_exact=False, rtol=1e-12)
        assert other.total_conversions == a.total_conversions
        assert other.total_value == pytest.approx(a.total_value, rel=1e-12)


# ------------------------------------------------------ conversions without a touch
def _log_with_bare_conversions():
    # customer 1: touch, conversion, conversion (the second has no touch before it)
    # customer 2: conversion only; customer 3: touch, no conversion
    return pd.DataFrame({
        "customer_id": [1, 1, 1, 2, 3, 4, 4],
        "timestamp": [0, 1, 2, 0, 0, 0, 1],
        "event": ["touch", "conversion", "conversion", "conversion", "touch", "touch",
                  "conversion"],
        "channel": ["a", None, None, None, "b", "b", None],
        "value": [0.0, 10.0, 20.0, 30.0, 0.0, 0.0, 5.0],
    })


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("boot", [0, 4])
def test_conversions_without_touches_are_counted_and_warned_alike(model, boot):
    log = _log_with_bare_conversions()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        try:
            res = attribute(log, model, n_boot=boot, random_state=0, **FAST.get(model, {}))
        except ValidationError as e:  # logistic on 3 journeys may find nothing to split
            assert model == "logistic" and "removal effect" in str(e)
            return
    messages = [str(x.message) for x in w if "no touch" in str(x.message)]
    assert len(messages) == 1, messages  # once, with the shared text
    assert messages[0].startswith("2 journeys have no touch before their end")
    assert "left out of the attribution (2 conversions, value 50)" in messages[0]
    assert w[0].filename == __file__  # attributed to the caller's line
    assert res.total_conversions == 2 and res.total_value == 15
    assert res.conversions_without_touches == 2 and res.value_without_touches == 50
    _check_sums(res)
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert d["conversions_without_touches"] == 2 and d["value_without_touches"] == 50
    s = res.summary()
    assert s["conversions"].sum() == 4 and s["value"].sum() == 65  # every conversion
    assert s["channel"].iloc[-1] is None and s.attrs["conversions_without_touches"] == 2
    assert "conversions_without_touches=2" in repr(res)


def test_path_table_carries_its_conversions_without_touches():
    log = _log_with_bare_conversions()
    with pytest.warns(UserWarning, match="left out of the path table"):
        pt = path_table(log)
    with pytest.warns(UserWarning, match="left out of the attribution"):
        res = attribute(pt, "last")
    assert res.conversions_without_touches == 2 and res.value_without_touches == 50


def test_only_conversions_without_touches_is_a_clear_error():
    log = pd.DataFrame({"customer_id": [1, 1], "timestamp": [0, 1],
                        "event": ["conversion", "touch"], "channel": [None, "a"]})
    with pytest.raises(ValidationError, match="1 conversions had no touch before them"):
        attribute(log, "last")


# --------------------------------------------------------------- odd counts, every model
@pytest.mark.parametrize("model", MODELS)
def test_fractional_counts(model):
    pt = pd.DataFrame({"path": ["a > b", "b", "a"], "total_conversions": [1.5, 0.25, 2.0],
                       "total_null": [2.5, 3.0, 1.0], "total_conversion_value": [3.0, 1.0, 2.0]})
    if model == "logistic":
        with pytest.raises(ValidationError, match="whole numbers"):
            attribute(pt, model, **FAST[model])
        return
    res = attribute(pt, model)
    assert res.total_conversions == 3.75
    _check_sums(res)


def test_huge_counts_are_refused_before_they_overflow():
    pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [2**62, 2**62],
                       "total_null": [1, 1]})
    for model in ("first", "logistic"):
        with pytest.raises(ValidationError, match="2\\*\\*53"):
            attribute(pt, model, n_boot=3)


def test_large_counts_work_for_logistic_bags():
    # above 1e9 journeys numpy's hypergeometric sampler stops; the bags thin binomially
    pt = pd.DataFrame({"path": ["a > b", "b", "a", "c"],
                       "total_conversions": [3 * 10**9, 10**9, 2 * 10**9, 10**7],
                       "total_null": [7 * 10**9, 9 * 10**9, 8 * 10**9, 99 * 10**7]})
    res = attribute(pt, "logistic", n_estimators=3, random_state=0)
    _check_sums(res)


def test_logistic_without_positive_effects_says_so():
    # more touches, fewer conversions: a negative coefficient, a negative removal effect
    pt = pd.DataFrame({"path": ["a", "a > a > a > a"], "total_conversions": [5, 0],
                       "total_null": [5, 10]})
    with pytest.raises(ValidationError, match="no channel a positive removal effect"):
        attribute(pt, "logistic", n_estimators=3, random_state=0)


path_tables = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["a", " b", "b", "ü", "c\x00"]), min_size=1, max_size=5),
        st.integers(0, 50), st.integers(0, 50), st.integers(0, 1000),
    ),
    min_size=1, max_size=8,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path_tables, st.sampled_from(MODELS), st.sampled_from([" > ", ">"]))
def test_credits_add_up_or_our_error(rows, model, sep):
    df = pd.DataFrame(
        [(sep.join(p), c, n, float(v) if c else 0.0) for p, c, n, v in rows],
        columns=["path", "total_conversions", "total_null", "total_conversion_value"],
    )
    try:
        res = _quiet(attribute, df, model, data_options={"separator": sep}, random_state=1,
                     **FAST.get(model, {}))
    except CJModelsError:
        return
    _check_sums(res)
    assert json.dumps(res.to_dict(), allow_nan=False)


def test_second_conversion_at_the_same_time_is_counted_not_lost():
    # fuzz finding 10: touches then two conversions at one instant; the second conversion has
    # no touch before it, so every model credits one and reports the other
    from cjmodels.attribution import MODELS

    df = pd.DataFrame({"customer_id": [0] * 7, "timestamp": [0] * 7,
                       "event": ["touch"] * 5 + ["conversion"] * 2,
                       "channel": ["search"] * 5 + [None] * 2, "value": [0.0] * 6 + [2.5]})
    for model in (m for m in MODELS if m != "logistic"):  # logistic needs null journeys
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = attribute(df, model, **({"random_state": 0} if model == "shapley" else {}))
        assert any("no touch before" in str(w.message) for w in caught), model
        assert r.total_conversions == 1 and r.conversions_without_touches == 1, model
        assert r.value_without_touches == 2.5 and r.to_dict()["conversions_without_touches"] == 1
        assert r.summary()["conversions"].sum() == 2
