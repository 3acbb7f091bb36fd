"""Customers' whole lives as transitions (cjmodels.data.lifecycle_transitions): the rules by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import JourneySpec, lifecycle_transitions
from cjmodels.errors import ValidationError


def _df(rows):
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "stage"])


def _counts(lt) -> pd.DataFrame:
    """The from x to count matrix of the lives."""
    k = len(lt.states)
    m = np.bincount(lt.frm * k + lt.to, minlength=k * k).reshape(k, k)
    return pd.DataFrame(m, index=list(lt.states), columns=list(lt.states))


def test_gaps_leaving_and_censoring_by_hand():
    # window [0, 100], timeout 10:
    # customer 1: a(0) -> 30-day gap -> b(30) -> conversion(31) -> post(33), silent after 33:
    #   the long gap is an ordinary transition; 33 <= 90 so the final silence is leaving.
    # customer 2: a(85) -> a(95): both events in the last 10 days' reach: a(95) is censored,
    #   a(85) -> a(95) is kept (85 <= 90); a(95)'s outcome is unknown.
    # customer 3: a(92) only: its transition out of a(92) would be recent: left out.
    df = _df([(1, 0.0, "touch", "a"), (1, 30.0, "touch", "b"), (1, 31.0, "conversion", None),
              (1, 33.0, "touch", "post"), (2, 85.0, "touch", "a"), (2, 95.0, "touch", "a"),
              (3, 92.0, "touch", "a")])
    lt = lifecycle_transitions(df, spec=JourneySpec(timeout=10), purchase="purchase",
                               observation_start=0.0, observation_end=100.0, returning=False)
    c = _counts(lt)
    assert c.loc["(start)", "a"] == 3
    assert c.loc["a", "b"] == 1 and c.loc["a", "a"] == 1 and c.loc["a", "(null)"] == 0
    assert c.loc["b", "purchase"] == 1 and c.loc["purchase", "post"] == 1
    assert c.loc["post", "(null)"] == 1
    assert lt.info["silent_leaves"] == 1 and lt.info["censored_recent"] == 0
    st = lt.summary().set_index(["from_state", "to_state"])
    assert st.loc[("a", "b"), "mean_gap"] == 30.0 and st.loc[("purchase", "post"), "n_timed"] == 1
    # without a timeout nobody leaves
    plain = lifecycle_transitions(df.iloc[:4], purchase="purchase", returning=False)
    assert _counts(plain)["(null)"].sum() == 0 and plain.info["silent_leaves"] == 0


def test_returning_states_by_hand():
    # a > purchase > post > b > purchase > b: with a scheme-less log every touch after the
    # first purchase is "returning"; a comeback after a drop_out is a new life, a new prospect
    df = _df([(1, 0.0, "touch", "a"), (1, 1.0, "conversion", None), (1, 2.0, "touch", "post"),
              (1, 3.0, "touch", "b"), (1, 4.0, "conversion", None), (1, 5.0, "touch", "b"),
              (1, 6.0, "drop_out", None), (1, 7.0, "touch", "b"), (1, 8.0, "drop_out", None)])
    lt = lifecycle_transitions(df, purchase="purchase")
    c = _counts(lt)
    assert lt.states == ("(start)", "a", "b", "purchase", "b (returning)", "post (returning)",
                         "(null)")
    assert c.loc["purchase", "post (returning)"] == 1 and c.loc["purchase", "b (returning)"] == 1
    assert c.loc["(start)", "b"] == 1 and c.loc["b", "(null)"] == 1
    assert c.loc["b (returning)", "purchase"] == 1 and c.loc["b (returning)", "(null)"] == 1
    assert lt.info["comebacks"] == 1


def test_comeback_after_drop_out_starts_a_new_life():
    df = _df([(1, 0.0, "touch", "a"), (1, 1.0, "drop_out", None), (1, 5.0, "touch", "b"),
              (1, 6.0, "conversion", None), (1, 7.0, "drop_out", None),
              (2, 0.0, "drop_out", None), (2, 1.0, "touch", "a"), (2, 2.0, "drop_out", None)])
    lt = lifecycle_transitions(df, purchase="purchase")
    c = _counts(lt)
    assert c.loc["(start)"].sum() == 3  # two customers, one comeback
    assert c.loc["(null)"].sum() == 0  # never a transition out of (null)
    assert lt.info["comebacks"] == 1
    assert lt.info["stop_events_outside_lives"] == 1  # customer 2's leading drop_out


def test_censor_recent_is_the_one_rule_and_can_be_switched_off():
    # customer 2's a(92) -> a(96) leaves an event in the last 10 days: censored (not yet known
    # whether a customer silent since 92 has left); customer 1's a(0) -> a(95) is kept
    df = _df([(1, 0.0, "touch", "a"), (1, 95.0, "touch", "a"), (2, 92.0, "touch", "a"),
              (2, 96.0, "touch", "a")])
    opts = {"purchase": "purchase", "observation_start": 0.0, "observation_end": 100.0}
    on = lifecycle_transitions(df, spec=JourneySpec(timeout=10), **opts)
    off = lifecycle_transitions(df, spec=JourneySpec(timeout=10, censor_recent=False), **opts)
    assert on.info["censored_recent"] == 1 and off.info["censored_recent"] == 0
    assert len(off.frm) - len(on.frm) == 1
    assert _counts(on).loc["a", "a"] == 1 and _counts(off).loc["a", "a"] == 2


def test_spec_fields_a_life_does_not_read_are_refused():
    df = _df([(1, 0.0, "touch", "a"), (1, 1.0, "conversion", None)])
    for spec in (JourneySpec(order=2), JourneySpec(journeys="first"), JourneySpec(lookback=5),
                 JourneySpec(censored="null"), JourneySpec(collapse_repeats=True)):
        with pytest.raises(ValidationError, match="would be ignored"):
            lifecycle_transitions(df, spec=spec)
    lt = lifecycle_transitions(df)
    assert lt == lifecycle_transitions(df) and hash(lt) == hash(lifecycle_transitions(df))
