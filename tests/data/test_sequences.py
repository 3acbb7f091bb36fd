"""Every transition of every journey (cjmodels.data.journey_transitions), the one censoring
rule (censor_recent) and counts given as a table (counts_from_table)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.data import (
    JourneySpec,
    censor_recent,
    counts_from_table,
    journey_transitions,
    path_table,
    transition_counts,
)
from cjmodels.errors import ValidationError
from tests.conftest import random_log


@given(seed=st.integers(0, 10_000), order=st.integers(1, 3),
       censored=st.sampled_from(["drop", "null", "state"]))
def test_journey_transitions_pool_to_transition_counts(seed, order, censored):
    df = random_log(np.random.default_rng(seed))
    try:
        jt = journey_transitions(
            df, spec=JourneySpec(sequence="channel", order=order, censored=censored))
    except ValidationError:  # order longer than every journey
        return
    ref = transition_counts(df, sequence="channel", order=order, censored=censored).matrix()
    np.testing.assert_array_equal(jt.matrix(), ref.to_numpy())
    assert jt.counts.states == tuple(ref.index)


def test_censor_recent_by_hand():
    # customer 1 leaves after day 0 (silence > timeout); customer 2 touches on days 6 and 9 of
    # 10 (day 6 is resolved: a -> a); customer 3 on days 7 and 8: a day-7 touch by someone
    # who then left would still look open at day 10, so its transition is censored
    df = pd.DataFrame({"customer_id": [1, 2, 2, 3, 3], "timestamp": [0.0, 6.0, 9.0, 7.0, 8.0],
                       "event": ["touch"] * 5, "stage": ["a"] * 5})
    jt = journey_transitions(df, spec=JourneySpec(timeout=3.5), observation_end=10.0)
    assert jt.info["censored_recent"] == 1
    m = pd.DataFrame(jt.matrix(), index=jt.counts.states, columns=jt.counts.states)
    assert m.loc["a", "(null)"] == 1 and m.loc["a", "a"] == 1
    off = journey_transitions(df, spec=JourneySpec(timeout=3.5, censor_recent=False),
                              observation_end=10.0)
    assert off.matrix().sum() - jt.matrix().sum() == 1
    t = np.array([np.nan, 0.0, 6.0, 6.5, 7.0])
    assert censor_recent(t, observation_end=10.0, timeout=3.5).tolist() == [
        False, False, False, False, True]  # exactly `timeout` before the end is resolved


def test_journeys_first_and_repeat_split_the_log():
    df = pd.DataFrame({"customer_id": [1, 1, 1, 1], "timestamp": [0.0, 1.0, 2.0, 3.0],
                       "event": ["touch", "conversion", "touch", "conversion"],
                       "stage": ["a", None, "b", None]})
    first = journey_transitions(df, spec=JourneySpec(journeys="first"))
    repeat = journey_transitions(df, spec=JourneySpec(journeys="repeat"))
    both = journey_transitions(df)
    assert first.matrix().sum() + repeat.matrix().sum() == both.matrix().sum()
    assert first.info["n_journeys"] == repeat.info["n_journeys"] == 1


def test_path_tables_and_journey_sets_refuse_what_they_cannot_know():
    df = random_log(np.random.default_rng(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = path_table(df)
    jt = journey_transitions(pt)  # a path table holds channels: the default spec says so
    assert jt.info["sequence"] == "channel"
    with pytest.raises(ValidationError, match="channels only"):
        journey_transitions(pt, spec=JourneySpec())
    with pytest.raises(ValidationError, match="already cut into journeys"):
        journey_transitions(pt, spec=JourneySpec(sequence="channel", timeout="30D"))
    with pytest.raises(ValidationError, match="need an event log"):
        journey_transitions(pt, spec=JourneySpec(sequence="channel", journeys="first"))
    with pytest.raises(ValidationError, match="pass a cjmodels.data.JourneySpec"):
        journey_transitions(df, spec="channel")


def test_collapse_repeats_cannot_be_timed():
    df = random_log(np.random.default_rng(4))
    spec = JourneySpec(sequence="channel", collapse_repeats=True)
    assert journey_transitions(df, spec=spec).matrix().sum() > 0
    with pytest.raises(ValidationError, match="no one time"):
        journey_transitions(df, spec=spec, times=True)


def test_counts_beyond_exact_integers_are_refused():
    # fuzz (test_counts_from_table): a count of 1e300 reached statsmodels' Wilson interval,
    # whose squares overflowed with numpy's warning; the path tables' 2**53 limit applies
    with pytest.raises(ValidationError, match=r"more than 2\*\*53"):
        counts_from_table({("(start)", "a"): 1e300, ("a", "(conversion)"): 3})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts_from_table({("(start)", "a"): 2.0**52, ("a", "(conversion)"): 2.0**52})


def test_counts_from_table_checks_the_journeys():
    with pytest.raises(ValidationError, match="leave an absorbing state"):
        counts_from_table({("(start)", "a"): 1, ("a", "(null)"): 1, ("(null)", "a"): 1})
    with pytest.raises(ValidationError, match="never start"):
        counts_from_table({("a", "(null)"): 3})
    with pytest.raises(ValidationError, match="enter the start state"):
        counts_from_table({("(start)", "a"): 1, ("a", "(start)"): 1})
    tc = counts_from_table(pd.DataFrame({"from_state": ["(start)", "a"],
                                         "to_state": ["a", "(conversion)"], "count": [2, 2]}))
    assert tc.states == ("(start)", "a", "(conversion)", "(null)")
    assert tc.info["n_journeys"] == 2.0


@pytest.mark.parametrize("times, end, timeout, words", [
    # found by the fuzz suite: a label among the times escaped as numpy's ValueError
    (["x", 1.0], 10.0, 2.0, "time_from must be numbers"),
    ([1.0], None, 2.0, "observation_end == None"),
    ([1.0], 10.0, 0.0, "timeout == 0.0, must be > 0"),
    ([1.0], np.inf, 2.0, "both must be finite numbers"),
])
def test_censor_recent_refuses_bad_arguments(times, end, timeout, words):
    from cjmodels.data import censor_recent

    with pytest.raises(ValidationError, match=words):
        censor_recent(times, observation_end=end, timeout=timeout)
