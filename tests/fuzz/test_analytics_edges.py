"""Fuzz :mod:`cjmodels.analytics.edges` (time per transition, segment differences of
transition matrices) on adversarial event logs.

Invariants: only our exceptions; per source state the edges' counts and the censored visits
add up to the visits; shares and probabilities in [0, 1], times >= 0 (or inf beyond the
follow-up), intervals ordered; the counts do not change with row order; strict JSON.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import analytics as an
from cjmodels.data import JourneySpec
from tests.fuzz.harness import call, count, fuzz, refused, surface
from tests.fuzz.strategies import event_logs

SEQUENCE = st.sampled_from(["channel", "stage"])


def check_edges(r, what: str) -> None:
    tab = r.table
    for state, sub in tab.groupby("from_state"):
        pooled = sub[sub["to_state"] == "(next step)"]
        assert len(pooled) == 1, f"{what}: {state} has no pooled row"
        edges = sub[sub["to_state"] != "(next step)"]
        assert int(edges["count"].sum()) == int(pooled["count"].iloc[0]), what
        assert int(pooled["count"].iloc[0] + pooled["censored"].iloc[0]) == int(
            pooled["visits"].iloc[0]), f"{what}: {state}'s counts do not add up"
        assert float(edges["share"].sum()) <= float(pooled["share"].iloc[0]) + 1e-9, what
    share = tab["share"].to_numpy(dtype=float)
    assert np.all((share >= -1e-12) & (share <= 1 + 1e-12)), f"{what}: shares {share}"
    q = r.quantiles
    est = q["estimate"].to_numpy(dtype=float)
    assert np.all(np.isnan(est) | (est >= 0)), f"{what}: negative times"
    lo, hi = q["ci_low"].to_numpy(dtype=float), q["ci_high"].to_numpy(dtype=float)
    both = ~np.isnan(lo) & ~np.isnan(hi)
    assert np.all(lo[both] <= hi[both]), f"{what}: interval reversed"
    # the quantiles of an edge increase with the level
    for _, sub in q.groupby(["from_state", "to_state"]):
        e = sub.sort_values("quantile")["estimate"].to_numpy(dtype=float)
        e = e[~np.isnan(e)]
        assert np.all(e[1:] >= e[:-1]), f"{what}: quantiles decrease"


@given(log=event_logs(), sequence=SEQUENCE, timeout=st.sampled_from([None, 3]),
       n_boot=st.sampled_from([0, 7]))
@fuzz(3)
def test_edge_times(log, sequence, timeout, n_boot):
    count()
    spec = JourneySpec(sequence=sequence,
                       timeout=None if timeout is None or log.time_kind != "int" else timeout)
    r = call(an.edge_times, log.frame, spec=spec, n_boot=n_boot, random_state=0)
    if refused(r):
        return
    surface(r)
    check_edges(r, f"edge_times({spec})")
    s = call(an.edge_times, log.frame.sample(frac=1, random_state=3), spec=spec, n_boot=0)
    assert not refused(s), f"shuffled rows refused: {s}"
    cols = ["from_state", "to_state", "visits", "count", "censored"]
    assert r.table[cols].equals(s.table[cols]), "edge counts change with row order"


@given(log=event_logs(), sequence=SEQUENCE,
       correction=st.sampled_from(["holm", "bonferroni", "bh", "by", "hochberg"]))
@fuzz(3)
def test_transition_differences(log, sequence, correction):
    count()
    r = call(an.transition_differences, log.frame, group="segment",
             spec=JourneySpec(sequence=sequence), correction=correction)
    if refused(r):
        return
    surface(r)
    tab = r.table
    for side in ("a", "b"):
        p = tab[f"p_{side}"].to_numpy(dtype=float)
        assert np.all((p >= 0) & (p <= 1)), f"p_{side} outside [0, 1]"
        assert np.all(tab[f"count_{side}"] <= tab[f"n_from_{side}"])
        sums = tab.groupby("from_state")[f"p_{side}"].sum().to_numpy(dtype=float)
        assert np.allclose(sums, 1.0), f"p_{side} rows do not sum to 1: {sums}"
    pv = tab[["pvalue", "pvalue_adjusted"]].to_numpy(dtype=float)
    assert np.all((pv >= 0) & (pv <= 1)), "p-values outside [0, 1]"
    assert np.all(tab["pvalue_adjusted"] >= tab["pvalue"] - 1e-12)
    assert np.all(tab["ci_low"] <= tab["ci_high"])
    assert 0 < r.ci_level < 1
