"""Fuzz :func:`cjmodels.analytics.cohort_retention` on adversarial event logs.

Invariants: only our exceptions; counts add up (active <= at risk <= cohort size, the cohorts'
sizes sum to the acquired customers, the pooled curve is the sum of the cells); shares and
every interval in [0, 1] with the share inside its Wilson interval; a cell with no one at risk
is absent; survival curves never rise; strict JSON.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.analytics import cohort_retention
from tests.fuzz.harness import call, count, fuzz, refused, surface
from tests.fuzz.strategies import event_logs

NUMERIC = ("int", "float", "bigint", "object_int")


def check(r, acquired_max: int) -> None:
    t = r.table
    assert (t["n_at_risk"] > 0).all()
    assert (t["n_active"] <= t["n_at_risk"]).all() and (t["n_at_risk"] <= t["n_customers"]).all()
    sizes = t.drop_duplicates("cohort")["n_customers"].sum() if len(t) else 0
    assert sizes <= r.n_acquired <= r.n_customers <= acquired_max
    for col in ("share", "ci_low", "ci_high"):
        v = t[col].to_numpy(dtype=float)
        assert np.all((v >= 0) & (v <= 1)), f"{col} outside [0, 1]"
    assert np.all(t["ci_low"] <= t["share"] + 1e-12) and np.all(t["share"] <= t["ci_high"] + 1e-12)
    if len(t):
        pooled = t.groupby("period")[["n_at_risk", "n_active"]].sum()
        c = r.curves.loc[pooled.index]
        assert (c["n_at_risk"].to_numpy() == pooled["n_at_risk"].to_numpy()).all()
        assert (c["n_active"].to_numpy() == pooled["n_active"].to_numpy()).all()
    for col in ("km", "sbg"):
        s = r.curves[col].dropna().to_numpy(dtype=float)
        assert np.all((s >= -1e-12) & (s <= 1 + 1e-12)), f"{col} outside [0, 1]"
        assert np.all(np.diff(s) <= 1e-12), f"{col} rises"


@given(log=event_logs(), acquisition=st.sampled_from(
           ["first-event", "first-conversion", "first-subscribe"]),
       active=st.sampled_from(["any-event", "conversion", "subscribed"]),
       clock=st.sampled_from(["elapsed", "calendar"]),
       partial=st.sampled_from(["exclude", "include"]),
       period=st.sampled_from(["day", "week", "month", "6h", 3, 0.5, -1, None, "x"]),
       max_period=st.sampled_from([None, 0, 2]))
@fuzz(2)
def test_cohort_retention(log, acquisition, active, clock, partial, period, max_period):
    count()
    if log.time_kind in NUMERIC and isinstance(period, str) and period in ("day", "week",
                                                                           "month", "6h"):
        period = 7  # a number in the log's own unit, so that numeric logs also get a table
    r = call(cohort_retention, log.frame, period=period, acquisition=acquisition,
             active=active, clock=clock, partial=partial, max_period=max_period)
    if refused(r):
        return
    check(r, int(log.frame["customer_id"].astype(object).nunique()) if len(log.frame) else 0)
    surface(r)
    for kind in ("curves", "models"):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots()
        try:
            out = call(r.plot, ax, kind=kind)
            assert refused(out) or out is ax
        finally:
            plt.close(fig)
