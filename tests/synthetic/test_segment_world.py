"""The world of known behavioural segments (cjmodels.synthetic.simulate_segment_journeys).

The simulated journeys are recounted row by row in plain Python and compared with the truth the
world reports: the segment of every customer, each segment's transition matrix (empirical
frequencies within binomial error) and its exact conversion probability.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import journeys
from cjmodels.errors import ValidationError
from cjmodels.synthetic import SegmentWorld, simulate_segment_journeys
from cjmodels.synthetic.segments import DEFAULT_SEGMENT_MATRICES

START, CONV, NULL = "(start)", "(conversion)", "(null)"


def recount_by_segment(w: SegmentWorld) -> dict[str, pd.DataFrame]:
    """Transition counts of each true segment, journeys rebuilt from the raw rows."""
    seg = w.membership.set_index("customer_id")["segment"]
    states = w.truth["states"]
    pairs = []
    for cust, rows in w.events.groupby("customer_id", sort=False):
        seq = [START] + [
            ch if ev == "touch" else (CONV if ev == "conversion" else NULL)
            for ev, ch in zip(rows["event"], rows["channel"], strict=True)
        ]
        pairs += [(seg[cust], a, b) for a, b in zip(seq[:-1], seq[1:], strict=True)]
    t = pd.DataFrame(pairs, columns=["segment", "a", "b"])
    return {s: pd.crosstab(g["a"], g["b"]).reindex(index=states, columns=states, fill_value=0)
            for s, g in t.groupby("segment")}


def test_the_journeys_follow_each_segment_matrix():
    w = simulate_segment_journeys(3000, mean_gap_days=0.01, random_state=11)
    counts = recount_by_segment(w)
    for i, s in enumerate(w.segments):
        c = counts[s]
        rows = c.sum(axis=1)
        true = w.transition_matrix(s)
        for a in rows.index[rows > 100]:
            p_hat = c.loc[a] / rows[a]
            se = np.sqrt(true.loc[a] * (1 - true.loc[a]) / rows[a])
            z = np.abs(p_hat - true.loc[a]) / np.where(se > 0, se, 1)
            assert (z < 4.5).all(), (s, a, p_hat.round(3).tolist(), true.loc[a].tolist())
            assert (p_hat[true.loc[a] == 0] == 0).all()
        assert np.allclose(true.to_numpy()[: len(w.truth["channels"]) + 1, 1:],
                           DEFAULT_SEGMENT_MATRICES[i])


def test_membership_outcomes_and_counts_agree_with_the_events():
    w = simulate_segment_journeys(800, random_state=4)
    mem = w.membership
    assert len(mem) == 800 and w.n_customers == 800  # every journey starts with a touch
    sim = w.truth["simulation"]
    assert mem["segment"].value_counts().to_dict() == {
        k: v for k, v in sim["customers_by_segment"].items() if v}
    touches = w.events[w.events["event"] == "touch"].groupby("customer_id").size()
    assert (mem.set_index("customer_id")["n_touches"] == touches).all()
    assert int(touches.sum()) == sim["n_touches"]
    j = journeys(w.event_log())
    assert len(j) == 800  # one journey per customer
    by = j.set_index("customer_id")["outcome"].astype(str)
    assert (mem.set_index("customer_id")["outcome"] == by.loc[mem["customer_id"]].to_numpy()
            ).all()
    assert sim["journeys_by_outcome"] == mem["outcome"].value_counts().reindex(
        ["conversion", "drop_out", "censored"], fill_value=0).to_dict()


def test_conversion_probability_of_each_segment():
    """Exact absorbing-chain probabilities against the simulated share (gaps so short that no
    journey is censored), within 4 binomial standard errors."""
    w = simulate_segment_journeys(6000, mean_gap_days=0.001, random_state=12)
    mem = w.membership
    assert (mem["outcome"] != "censored").mean() > 0.999
    for s, p in zip(w.segments, w.truth["conversion_probability"], strict=True):
        sub = mem[mem["segment"] == s]
        share = float((sub["outcome"] == "conversion").mean())
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / len(sub)), (s, share, p)
        touches = sub["n_touches"].mean()
        k = w.segments.index(s)
        assert abs(touches - w.truth["expected_touches"][k]) < 0.3


def test_same_seed_same_world_and_custom_segments():
    a = simulate_segment_journeys(100, random_state=1)
    assert a == simulate_segment_journeys(100, random_state=1)
    assert a != simulate_segment_journeys(100, random_state=2)
    m = np.array([
        [[1.0, 0.0, 0.0, 0.0], [0.5, 0.0, 0.5, 0.0], [0.0, 0.5, 0.0, 0.5]],
        [[0.0, 1.0, 0.0, 0.0], [0.0, 0.5, 0.0, 0.5], [0.5, 0.0, 0.5, 0.0]],
    ])
    w = simulate_segment_journeys(200, segments=["x", "y"], channels=["c1", "c2"],
                                  shares=[0.3, 0.7], matrices=m, random_state=3)
    first = w.events.groupby("customer_id")["channel"].first()
    seg = w.membership.set_index("customer_id")["segment"]
    assert (first[seg == "x"] == "c1").all() and (first[seg == "y"] == "c2").all()
    assert w.transition_matrix(1).loc["c1", "(null)"] == 0.5
    assert w.summary().set_index("name").loc["n_customers", "value"] == 200


def test_max_touches_cuts_journeys_and_counts_them():
    m = np.array([[[1.0, 0.0, 0.0], [0.99, 0.01, 0.0]]])
    w = simulate_segment_journeys(50, segments=["s"], channels=["c"], shares=[1.0], matrices=m,
                                  mean_gap_days=0.01, max_touches=5, random_state=0)
    capped = w.truth["simulation"]["n_capped"]
    assert capped > 40
    assert w.membership["n_touches"].max() == 5


@pytest.mark.parametrize("kwargs, match", [
    ({"n_customers": 0}, "n_customers"),
    ({"shares": [0.5, 0.5]}, "shares"),
    ({"shares": [0.5, 0.6, -0.1]}, "shares"),
    ({"matrices": np.ones((3, 6, 7)) / 7}, "start"),
    ({"matrices": np.ones((3, 6, 6)) / 6}, "shape"),
    ({"matrices": np.ones((3, 6, 7))}, "sum to 1"),
    ({"channels": ["a", "a", "b", "c", "d"]}, "channels"),
    ({"channels": ["(start)", "b", "c", "d", "e"]}, "state names"),
    ({"days": float("inf")}, "finite"),
    ({"start": "not a date"}, "start"),
])
def test_bad_settings_are_refused(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        simulate_segment_journeys(**{"n_customers": 10, **kwargs})


def test_journeys_that_never_end_are_refused():
    m = np.array([[[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]])
    with pytest.raises(ValidationError, match="never end"):
        simulate_segment_journeys(10, segments=["s"], channels=["c"], shares=[1.0], matrices=m)


def test_transition_matrix_refuses_an_unknown_segment():
    w = simulate_segment_journeys(20, random_state=0)
    with pytest.raises(ValidationError, match="segments"):
        w.transition_matrix("nobody")
    with pytest.raises(ValidationError, match="segment"):
        w.transition_matrix(7)
