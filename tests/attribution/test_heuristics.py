"""Heuristic rules: ChannelAttribution's heuristic_models, hand examples, properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.attribution import HEURISTICS, attribute, attribution_data, touch_credit

CA_COLUMNS = {"first": "first_touch", "last": "last_touch", "linear": "linear_touch"}


@pytest.mark.parametrize("name", ["tiny", "random", "journeys"])
@pytest.mark.parametrize("rule", ["first", "last", "linear"])
def test_equals_channelattribution(ca_reference, ref_tables, name, rule):
    # ChannelAttribution 2.2.5: heuristic_models(Data, "path", "total_conversions",
    # var_value="total_conversion_value", sep=">") on the same table (exact; tolerance 1e-9
    # relative covers summation order).
    ref = pd.DataFrame(ca_reference["inputs"][name]["heuristic_models"]).T
    res = attribute(ref_tables[name], model=rule).table
    col = CA_COLUMNS[rule]
    np.testing.assert_allclose(
        res["conversions"], ref.loc[res.index, f"{col}_conversions"], rtol=1e-9, atol=1e-9
    )
    np.testing.assert_allclose(
        res["value"], ref.loc[res.index, f"{col}_value"], rtol=1e-9, atol=1e-9
    )


def test_hand_example():
    pt = pd.DataFrame({"path": ["a > b > a > c", "direct", "b > direct"],
                       "total_conversions": [4, 2, 1], "total_null": [0, 1, 1],
                       "total_conversion_value": [40.0, 20.0, 10.0]})
    conv = {m: attribute(pt, model=m).table["conversions"].to_dict() for m in HEURISTICS
            if m != "time-decay"}
    assert conv["first"] == {"a": 4, "b": 1, "c": 0, "direct": 2}
    assert conv["last"] == {"a": 0, "b": 0, "c": 4, "direct": 3}
    # last non-direct: b > direct goes to b; an all-direct path keeps direct
    assert conv["last-non-direct"] == {"a": 0, "b": 1, "c": 4, "direct": 2}
    assert conv["linear"] == pytest.approx({"a": 2.0, "b": 1.5, "c": 1.0, "direct": 2.5})
    assert conv["linear-unique"] == pytest.approx({"a": 4 / 3, "b": 4 / 3 + 0.5, "c": 4 / 3,
                                                   "direct": 2.5})
    # 40/20/40: a (first 0.4 + middle 0.1) * 4, b 0.1 * 4 + 0.5, c 0.4 * 4, direct 2 + 0.5
    assert conv["position"] == pytest.approx({"a": 2.0, "b": 0.9, "c": 1.6, "direct": 2.5})


def test_position_weights_configurable():
    pt = pd.DataFrame({"path": ["a > b > c > d"], "total_conversions": [10], "total_null": [0]})
    res = attribute(pt, model="position", position_weights=(0.3, 0.4, 0.3)).table
    assert res["conversions"].to_dict() == pytest.approx({"a": 3, "b": 2, "c": 2, "d": 3})
    with pytest.raises(ValueError, match="position_weights"):
        attribute(pt, model="position", position_weights=(0.5, 0.5, 0.5))


def test_time_decay_on_timestamps():
    # one journey: touches 14 days, 7 days and 0 days before the conversion; half-life 7 days
    # gives weights 1/4, 1/2, 1 (normalised by 7/4).
    df = pd.DataFrame({
        "customer_id": [1, 1, 1, 1],
        "timestamp": pd.to_datetime(["2025-01-01", "2025-01-08", "2025-01-15", "2025-01-15"]),
        "event": ["touch", "touch", "touch", "conversion"],
        "channel": ["a", "b", "c", None],
        "value": [0, 0, 0, 70.0],
    })
    res = attribute(df, model="time-decay", half_life=7).table
    assert res["conversions"].to_dict() == pytest.approx({"a": 1 / 7, "b": 2 / 7, "c": 4 / 7})
    assert res["value"].to_dict() == pytest.approx({"a": 10, "b": 20, "c": 40})
    # a long half-life tends to linear
    flat = attribute(df, model="time-decay", half_life=1e9).table["conversions"]
    assert flat.to_numpy() == pytest.approx([1 / 3] * 3)


def test_time_decay_hand_values_on_shipped_data():
    from cjmodels.datasets import load_journeys

    log = load_journeys().event_log()
    res = attribute(log, model="time-decay", half_life=3.0)
    assert res.table["conversions"].sum() == pytest.approx(res.total_conversions)
    assert res.table["value"].sum() == pytest.approx(res.total_value)


paths = st.lists(
    st.tuples(
        st.lists(st.sampled_from(["a", "b", "c", "d", "direct"]), min_size=1, max_size=6),
        st.integers(0, 5),
        st.integers(0, 5),
        st.floats(0, 100),
    ),
    min_size=1,
    max_size=12,
).filter(lambda rows: sum(r[1] for r in rows) > 0)


def _table(rows):
    df = pd.DataFrame(
        [(" > ".join(p), c, n, v * (c > 0)) for p, c, n, v in rows],
        columns=["path", "total_conversions", "total_null", "total_conversion_value"],
    )
    return df[(df.total_conversions + df.total_null) > 0]


@given(paths, st.sampled_from([h for h in HEURISTICS if h != "time-decay"]))
def test_properties(rows, rule):
    df = _table(rows)
    res = attribute(df, model=rule)
    t = res.table
    # credits sum to the totals
    assert t["conversions"].sum() == pytest.approx(df.total_conversions.sum())
    assert t["value"].sum() == pytest.approx(df.total_conversion_value.sum(), abs=1e-6)
    assert (t["conversions"] >= -1e-12).all()
    # a channel in no converting path gets nothing
    conv_channels = set(" > ".join(df.path[df.total_conversions > 0]).split(" > "))
    for ch in set(t.index) - conv_channels:
        assert t.loc[ch, "conversions"] == 0
    # invariant to row order
    shuffled = attribute(df.sample(frac=1, random_state=1), model=rule).table
    pd.testing.assert_frame_equal(t, shuffled, atol=1e-9)
    # invariant to renaming channels (a <-> b), except last-non-direct's special channel
    ren = {"a": "b", "b": "a"}
    df2 = df.assign(path=df.path.map(lambda p: " > ".join(ren.get(c, c) for c in p.split(" > "))))
    t2 = attribute(df2, model=rule).table.rename(index=ren).loc[t.index]
    pd.testing.assert_frame_equal(t, t2, atol=1e-9)


@given(paths)
def test_credits_sum_to_one_per_touchpath(rows):
    d = attribution_data(_table(rows))
    js = d.journeys
    row = np.repeat(np.arange(js.n), js.lengths)
    for rule in [h for h in HEURISTICS if h != "time-decay"]:
        c = touch_credit(d, rule)
        assert np.bincount(row, weights=c, minlength=js.n) == pytest.approx(np.ones(js.n))


@pytest.mark.parametrize("rule", ["last", "position", "last-non-direct"])
@pytest.mark.parametrize("params, words", [
    # found by the fuzz suite: set_params(position_weights=nan) escaped as a TypeError at fit
    ({"position_weights": np.nan}, "position_weights == nan, must be three finite numbers"),
    ({"position_weights": (0.5, 0.5)}, "position_weights == .* must be three finite numbers"),
    ({"direct": 1.0}, "direct == 1.0, must be a channel name or a list of them"),
])
def test_heuristic_parameters_refused_in_our_words(rule, params, words):
    from cjmodels.attribution import HeuristicAttribution
    from cjmodels.errors import ValidationError

    pt = pd.DataFrame({"path": ["b > direct", "direct"], "total_conversions": [5, 1],
                       "total_null": [0, 1]})
    with pytest.raises(ValidationError, match=words):
        HeuristicAttribution(rule).set_params(**params).fit(pt)


def test_one_direct_channel_may_be_given_as_a_string():
    """direct="direct" is the channel 'direct', not the letters d, i, r, e, c, t."""
    from cjmodels.attribution import HeuristicAttribution

    pt = pd.DataFrame({"path": ["b > direct", "direct"], "total_conversions": [5, 1],
                       "total_null": [0, 1]})
    a = HeuristicAttribution("last-non-direct", direct="direct").fit(pt).result_
    b = HeuristicAttribution("last-non-direct", direct=("direct",)).fit(pt).result_
    assert a.table["conversions"].to_dict() == b.table["conversions"].to_dict() == {
        "b": 5.0, "direct": 1.0}
