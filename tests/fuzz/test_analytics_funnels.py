"""Fuzz the funnels (:mod:`cjmodels.analytics.funnels`) on adversarial event logs.

Invariants: only our exceptions; counts are nested (each step at most the step before) and at
most the units; under every definition strict-order <= any-order <= furthest-stage, step by
step; shares and interval limits lie in [0, 1] with the estimate inside its interval; the
segments' units add up to the whole funnel; p-values lie in [0, 1]; conversion within a window
counts no more converters and censored customers than customers with the origin; the same
result when the rows are shuffled; strict JSON and the common result surface.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import data as cd
from cjmodels.analytics import (
    compare_funnel_definitions,
    compare_funnels,
    funnel,
    window_conversion,
)
from tests.fuzz.harness import call, count, fuzz, refused, same_frame, surface
from tests.fuzz.strategies import event_logs

GRAINS = ["customer", "journey", "session"]


def draw_steps(data, log_frame, sequence: str) -> list:
    built = call(cd.EventLog, log_frame)
    labels: list = ["zz-none"]
    if not refused(built) and sequence == "event":
        labels += list(built.event_types)
    elif not refused(built) and sequence in built.events:
        labels += [str(x) for x in built.codes(sequence)[1]]
    labels.append(("event", "conversion"))
    return data.draw(st.lists(st.sampled_from(labels), min_size=2, max_size=4,
                              unique_by=repr))


def in_unit(x) -> bool:
    x = np.asarray(x, dtype=float)
    return bool(np.all(np.isnan(x) | ((x >= -1e-12) & (x <= 1 + 1e-12))))


def check_funnel(f) -> None:
    t = f.table
    r = t["reached"].to_numpy()
    assert (np.diff(r) <= 0).all(), f"counts not nested\n{t}"
    assert r[0] == f.n_entered <= f.n_units
    for est, lo, hi in (("step_conversion", "step_ci_low", "step_ci_high"),
                        ("cumulative_conversion", "cumulative_ci_low", "cumulative_ci_high")):
        assert in_unit(t[est]) and in_unit(t[lo]) and in_unit(t[hi])
        ok = t[est].isna() | ((t[lo] <= t[est] + 1e-12) & (t[est] <= t[hi] + 1e-12))
        assert ok.all(), f"{est} outside its interval\n{t}"
    lost = t["lost"].to_numpy()[1:]
    assert np.nansum(lost) == r[0] - r[-1]


@given(log=event_logs(), data=st.data())
@fuzz(2)
def test_funnel_and_definitions(log, data):
    count()
    sequence = data.draw(st.sampled_from(["stage", "channel", "event"]))
    steps = draw_steps(data, log.frame, sequence)
    grain = data.draw(st.sampled_from(GRAINS))
    window = data.draw(st.sampled_from([None, None, 5, "3h"]))
    kw = {"grain": grain, "sequence": sequence, "window": window}
    if grain == "session":
        kw["inactivity"] = data.draw(st.sampled_from([None, 2, "2h"]))
    d = call(compare_funnel_definitions, log.frame, steps, **kw)
    if refused(d):
        return
    surface(d, plot=data.draw(st.integers(0, 4)) == 0)
    r = d.reached
    assert (r["strict-order"] <= r["any-order"]).all() and (
        r["any-order"] <= r["furthest-stage"]).all(), f"definitions not ordered\n{r}"
    definition = data.draw(st.sampled_from(["strict-order", "any-order", "furthest-stage"]))
    f = call(funnel, log.frame, steps, definition=definition, **kw)
    assert not refused(f), f"funnel refused what the definitions accepted: {f}"
    surface(f, plot=data.draw(st.integers(0, 4)) == 0)
    check_funnel(f)
    assert f.table["reached"].tolist() == r[definition].tolist()
    again = call(funnel, log.frame.sample(frac=1, random_state=3), steps,
                 definition=definition, **kw)
    same_frame(f.table, again.table, "funnel after shuffling rows")


@given(log=event_logs(covariates=True), data=st.data())
@fuzz(2)
def test_compare_funnels(log, data):
    count()
    if "segment" not in log.frame:
        return
    sequence = data.draw(st.sampled_from(["stage", "channel"]))
    steps = draw_steps(data, log.frame, sequence)
    definition = data.draw(st.sampled_from(["strict-order", "any-order", "furthest-stage"]))
    correction = data.draw(st.sampled_from(["holm", "bh"]))
    c = call(compare_funnels, log.frame, steps, group="segment", sequence=sequence,
             definition=definition, correction=correction)
    if refused(c):
        return
    surface(c, plot=data.draw(st.integers(0, 4)) == 0)
    whole = call(funnel, log.frame, steps, sequence=sequence, definition=definition)
    per_step = c.table.groupby("step", sort=False)["reached"].sum()
    assert per_step.tolist() == whole.table["reached"].tolist(), "segments do not add up"
    for frame in (c.differences, c.step_tests):
        assert in_unit(frame["pvalue"]) and in_unit(frame["pvalue_adjusted"])
    assert in_unit([c.overall.pvalue])
    assert in_unit(c.table["conversion"]) and in_unit(c.table["ci_low"])


@given(log=event_logs(), data=st.data())
@fuzz(1)
def test_window_conversion(log, data):
    count()
    sequence = data.draw(st.sampled_from(["stage", "channel"]))
    origin, target = draw_steps(data, log.frame, sequence)[:2]
    window = data.draw(st.sampled_from([1, 5, "3h"]))
    w = call(window_conversion, log.frame, origin, target, window=window, sequence=sequence)
    if refused(w):
        return
    surface(w, plot=data.draw(st.integers(0, 4)) == 0)
    assert w.n_converted + w.n_censored <= w.n_origin
    assert w.naive == w.n_converted / w.n_origin
    assert in_unit([w.estimate, w.ci_low, w.ci_high, w.naive])
    assert w.estimate >= w.naive - 1e-12, "KM below the naive share"
