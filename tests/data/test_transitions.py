"""Order-k transition counts: hand-made cases, flow identities and consistency with path tables."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.data import EventLog
from cjmodels.data.journeys import path_table
from cjmodels.data.paths import PathTable
from cjmodels.data.transitions import transition_counts
from cjmodels.errors import ValidationError
from tests.conftest import random_log


def _counts(tc) -> dict[tuple[str, str], int]:
    return {(f, t): c for f, t, c in tc.table.itertuples(index=False)}


def test_no_transition_between_journeys(small_log):
    tc = transition_counts(small_log)
    c = _counts(tc)
    # journey 1: search > email -> conversion; journey 2: email > email (censored, dropped)
    assert c[("(start)", "search")] == 1
    assert c[("email", "(conversion)")] == 1
    assert ("(conversion)", "email") not in c
    assert c[("email", "email")] == 1
    assert sum(v for (f, _), v in c.items() if f == "(start)") == 3
    assert tc.info["n_censored"] == 2


def test_censored_options(small_log):
    c_null = _counts(transition_counts(small_log, censored="null"))
    assert c_null[("email", "(null)")] == 1 and c_null[("search", "(null)")] == 1
    tc = transition_counts(small_log, censored="state")
    assert "(censored)" in tc.absorbing
    assert _counts(tc)[("search", "(censored)")] == 1


def test_order_two_states_and_collapse():
    df = pd.DataFrame(
        {
            "customer_id": [1] * 5,
            "timestamp": [0.0, 1.0, 2.0, 3.0, 4.0],
            "event": ["touch", "touch", "touch", "touch", "conversion"],
            "channel": ["a", "a", "b", "c", None],
        }
    )
    c2 = _counts(transition_counts(df, order=2))
    assert c2 == {
        ("(start)", "a"): 1,
        ("a", "a > a"): 1,
        ("a > a", "a > b"): 1,
        ("a > b", "b > c"): 1,
        ("b > c", "(conversion)"): 1,
    }
    c2c = _counts(transition_counts(df, order=2, collapse_repeats=True))
    assert c2c == {
        ("(start)", "a"): 1,
        ("a", "a > b"): 1,
        ("a > b", "b > c"): 1,
        ("b > c", "(conversion)"): 1,
    }


def test_stage_chain_keeps_scheme_order():
    df = pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 2, 2],
            "timestamp": [0.0, 1.0, 2.0, 0.0, 1.0],
            "event": ["touch", "touch", "conversion", "touch", "touch"],
            "channel": ["a", "b", None, "a", "c"],
            "stage": ["interest", "decision", None, "awareness", "consideration"],
        }
    )
    tc = transition_counts(df, sequence="stage", scheme="seven", censored="null")
    assert tc.transient == ("awareness", "interest", "consideration", "decision")
    p = tc.probabilities()
    assert np.allclose(p.loc[list(tc.transient) + ["(start)"]].sum(axis=1), 1.0)
    assert p.loc["(conversion)", "(conversion)"] == 1.0


def test_path_table_gives_the_same_counts_as_the_log():
    rng = np.random.default_rng(11)
    log = EventLog(random_log(rng, n_customers=40, n_events=400))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pt = path_table(log)
    # the path table keeps censored journeys apart (total_censored) and records the journeys
    # without touches (info), so its counts equal the log's under every censored= rule
    for order in (1, 2, 3):
        for censored in ("drop", "null", "state"):
            from_pt = transition_counts(pt, order=order, censored=censored).table
            from_log = transition_counts(log, order=order, censored=censored).table
            pd.testing.assert_frame_equal(from_log, from_pt)


def _absorption_probability(tc) -> float:
    """P(reach conversion from start) by solving (I - Q) x = r on the empirical chain."""
    p = tc.probabilities()
    trans = [tc.start, *tc.transient]
    q = p.loc[trans, trans].to_numpy()
    r = p.loc[trans, "(conversion)"].to_numpy()
    x = np.linalg.solve(np.eye(len(trans)) - q, r)
    return float(x[0])


@given(st.integers(0, 10_000), st.integers(1, 3))
def test_chain_reproduces_observed_conversion_rate(seed, order):
    # Flow conservation: with every journey complete (censored counted as null) the maximum-
    # likelihood chain of any order absorbs into conversion with exactly the observed rate.
    df = random_log(np.random.default_rng(seed), n_customers=15, n_events=90)
    if (df["event"] == "conversion").sum() == 0:
        return
    tc = transition_counts(df, order=order, censored="null")
    rate = tc.info["n_conversions"] / tc.info["n_journeys"]
    assert _absorption_probability(tc) == pytest.approx(rate, rel=1e-9, abs=1e-12)


@given(st.integers(0, 10_000))
def test_flow_balance_with_censoring(seed):
    # Every visit to a transient state is entered once and left once, unless the journey was
    # censored there: in-flow == out-flow + censored endings.
    df = random_log(np.random.default_rng(seed))
    tc = transition_counts(df, censored="drop")
    m = tc.matrix()
    cens = transition_counts(df, censored="state").matrix()["(censored)"]
    for s in tc.transient:
        assert m[s].sum() == m.loc[s].sum() + cens.get(s, 0)


def test_matrix_probabilities_summary_and_dict():
    pt = PathTable(
        pd.DataFrame(
            {"path": ["a > b", "b", "a"], "total_conversions": [2, 1, 0], "total_null": [1, 3, 4]}
        )
    )
    tc = transition_counts(pt)
    assert tc.states == ("(start)", "a", "b", "(conversion)", "(null)")
    p = tc.probabilities()
    assert p.loc["a", "b"] == pytest.approx(3 / 7)
    assert tc.summary().loc["b", "share_to_(conversion)"] == pytest.approx(3 / 7)
    d = tc.to_dict()
    assert d["order"] == 1 and {"from": "(start)", "to": "a", "count": 7.0} in d["transitions"]
    assert "order=1, states=5, transient=2" in repr(tc)


def test_bad_arguments():
    pt = PathTable(pd.DataFrame({"path": ["a"], "total_conversions": [1], "total_null": [1]}))
    with pytest.raises(ValidationError, match="order == 0, must be >= 1"):
        transition_counts(pt, order=0)
    with pytest.raises(ValidationError, match="censored == 'maybe'"):
        transition_counts(pt, censored="maybe")
    with pytest.raises(ValidationError, match="channels only"):
        transition_counts(pt, sequence="stage")
    with pytest.raises(ValidationError, match="distinct names"):
        transition_counts(pt, conversion="x", null="x")
    pt2 = PathTable(pd.DataFrame({"path": ["(null)"], "total_conversions": [1], "total_null": [1]}))
    with pytest.raises(ValidationError, match="also used as start/end"):
        transition_counts(pt2)
    df = pd.DataFrame(
        {"customer_id": [1], "timestamp": [0.0], "event": ["touch"], "channel": ["a"]}
    )
    with pytest.raises(ValidationError, match="needs the stage column"):
        transition_counts(df, sequence="stage")


@given(st.integers(0, 10_000), st.integers(1, 3))
def test_counts_invariant_to_row_order_and_customer_labels(seed, order):
    df = random_log(np.random.default_rng(seed))
    shuffled = df.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    relabelled = shuffled.assign(customer_id=shuffled["customer_id"].map(lambda c: f"c{c * 31 % 97}"))
    ref = transition_counts(df, order=order).table
    pd.testing.assert_frame_equal(transition_counts(shuffled, order=order).table, ref)
    pd.testing.assert_frame_equal(transition_counts(relabelled, order=order).table, ref)


def test_journeys_without_touches_go_from_start_to_their_end():
    # conversions with no touch before them: the chain goes straight from start to conversion
    df = pd.DataFrame(
        {
            "customer_id": [1, 2, 2],
            "timestamp": [0.0, 1.0, 2.0],
            "event": ["conversion", "conversion", "touch"],
            "channel": [None, None, "a"],
        }
    )
    assert _counts(transition_counts(df, censored="null")) == {
        ("(start)", "(conversion)"): 2,
        ("(start)", "a"): 1,
        ("a", "(null)"): 1,
    }
    only = df.iloc[:2]
    assert _counts(transition_counts(only)) == {("(start)", "(conversion)"): 2}
