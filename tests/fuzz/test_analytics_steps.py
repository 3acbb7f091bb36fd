"""Fuzz the step matrices (:func:`cjmodels.analytics.step_matrix`) on adversarial event logs.

Invariants: only our exceptions; every step's counts add up to the units aligned on the anchor
(every unit is in exactly one state at every step), shares lie in [0, 1] inside their interval,
the flows between two steps add up to the same units; two segments' units add up to at most
the whole; p-values lie in [0, 1]; the same result when the rows are shuffled; strict JSON and
the common result surface; the counts equal a recount in plain Python.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import data as cd
from cjmodels.analytics import StepMatrix, StepMatrixComparison, step_matrix
from tests.analytics.test_steps import plain_counts, plain_journeys
from tests.fuzz.harness import call, count, fuzz, refused, same_frame, surface
from tests.fuzz.strategies import event_logs

END_STATES = ["(conversion)", "(drop_out)", "(censored)"]


def check_matrix(m: StepMatrix, before: int, after: int) -> None:
    t = m.table
    assert sorted(t["step"].unique().tolist()) == list(range(-before, after + 1))
    per_step = t.groupby("step")["count"].sum()
    assert (per_step == m.n_units).all(), f"counts do not add up to {m.n_units}\n{t}"
    assert (t["n"] == m.n_units).all()
    assert ((t["share"] >= 0) & (t["share"] <= 1)).all()
    assert (t["ci_low"] <= t["share"] + 1e-12).all() and (t["share"] <= t["ci_high"] + 1e-12).all()
    assert ((t["ci_low"] >= 0) & (t["ci_high"] <= 1)).all()
    if before + after:
        flows = m.flows.groupby("step")["count"].sum()
        assert (flows == m.n_units).all() and len(flows) == before + after
    assert m.n_anchored <= m.n_units and m.n_anchored <= m.n_journeys
    assert (t.loc[t["step"] == 0, "count"] == m.n_units).all()


@given(log=st.one_of(event_logs(clean=True), event_logs(clean=True), event_logs()),
       data=st.data())
@fuzz(3)
def test_step_matrix(log, data):
    count()
    mode = data.draw(st.sampled_from(["as-drawn", "per-customer", "parity"]))
    if "segment" in log.frame and mode == "per-customer":
        # one segment per customer, two values that must not merge: "x" and " x"
        first = log.frame.groupby("customer_id", observed=True, dropna=False, sort=False)[
            "segment"].transform("first").astype(object)
        two = first.map({"x": "x", "y": "x", " x": " x", "ü": " x"})
        log.frame["segment"] = two.astype(log.frame["segment"].dtype)
    elif "segment" in log.frame and mode == "parity":  # two segments of customers
        codes = pd.factorize(log.frame["customer_id"].astype(object))[0]
        log.frame["segment"] = np.where(codes % 2 == 0, "x", " x")
    sequence = data.draw(st.sampled_from(["channel", "stage"]))
    built = call(cd.EventLog, log.frame)
    labels: list[str] = []
    if not refused(built) and sequence in built.events:
        labels = [str(x) for x in built.codes(sequence)[1]]
    anchor = data.draw(st.sampled_from(labels * 3 + END_STATES + ["zz-none"]))
    before, after = data.draw(st.integers(0, 3)), data.draw(st.integers(0, 3))
    group = "segment" if "segment" in log.frame and (
        mode == "parity" or data.draw(st.booleans())) else None
    # with a group, "every" is refused (one unit per journey): drawn now and then
    occurrence = data.draw(st.sampled_from(["first", "every"] if group is None else
                                           ["first"] * 4 + ["every"]))
    kw = {"anchor": anchor, "before": before, "after": after, "occurrence": occurrence,
          "spec": cd.JourneySpec(sequence=sequence), "group": group}
    r = call(step_matrix, log.frame, **kw)
    if refused(r):
        return
    surface(r, plot=data.draw(st.integers(0, 4)) == 0)
    if isinstance(r, StepMatrixComparison):
        check_matrix(r.first, before, after)
        check_matrix(r.second, before, after)
        whole = call(step_matrix, log.frame, **{**kw, "group": None})
        assert not refused(whole), f"the whole log refused: {whole}"
        assert r.first.n_units + r.second.n_units <= whole.n_units
        assert len({repr(g) for g in r.groups}) == 2
        for col in ("pvalue", "pvalue_adjusted"):
            p = r.table[col].to_numpy(dtype=float)
            assert np.all(np.isnan(p) | ((p >= 0) & (p <= 1)))
        assert np.isnan(r.test.pvalue) or 0 <= r.test.pvalue <= 1
        return
    check_matrix(r, before, after)
    # an independent recount in plain Python over the log's sorted events
    want = plain_counts(plain_journeys(built.events, sequence), anchor, before, after,
                        occurrence == "every")
    got = {(int(s), st): int(c) for s, st, c in zip(r.table["step"], r.table["state"],
                                                     r.table["count"], strict=True) if c}
    assert got == want, f"recount differs\n{got}\n{want}"
    again = call(step_matrix, log.frame.sample(frac=1, random_state=4), **kw)
    assert not refused(again), f"shuffled rows refused: {again}"
    same_frame(r.summary(), again.summary(), "step_matrix after shuffling rows")
