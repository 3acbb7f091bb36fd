"""Fuzz :mod:`cjmodels.markov`: chains, their analyses and tests, dwell times, intensities,
life-cycle chains, HMMs and multi-state models on adversarial event logs and count tables.

Invariants: only our exceptions; every probability row sums to 1 or is explained (a note or an
error); the fitted counts do not change with row order or customers' names; strict JSON.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import markov as mk
from cjmodels.data import JourneySpec, counts_from_table
from tests.fuzz.harness import call, count, fuzz, refused, strict_json, surface
from tests.fuzz.strategies import event_logs, relabel

SEQUENCE = st.sampled_from(["channel", "stage"])


def check_rows(fit, what: str) -> None:
    m = np.asarray(fit.chain.matrix, dtype=float)
    sums = m.sum(axis=1)
    bad = ~np.isclose(sums, 1.0, atol=1e-9)
    if bad.any():
        notes = " ".join(getattr(fit, "notes", ()) or ())
        rows = [fit.chain.states[i] for i in np.flatnonzero(bad)]
        assert notes and all(np.isnan(m[i]).all() for i in np.flatnonzero(bad)), (
            f"{what}: rows {rows} sum to {sums[bad]} without a note saying why")
    assert np.all((m[~np.isnan(m)] >= 0) & (m[~np.isnan(m)] <= 1)), f"{what}: not probabilities"


@given(log=event_logs(), sequence=SEQUENCE, order=st.integers(1, 2),
       prior=st.sampled_from([None, "jeffreys", 0.5]),
       censored=st.sampled_from(["drop", "null", "state"]), data=st.data())
@fuzz(3)
def test_fit_chain(log, sequence, order, prior, censored, data):
    count()
    kw = {"spec": JourneySpec(sequence=sequence, order=order, censored=censored),
          "prior": prior}
    fit = call(mk.fit_chain, log.frame, **kw)
    if refused(fit):
        return
    strict_json(fit)
    check_rows(fit, f"fit_chain({kw})")
    s = call(mk.fit_chain, log.frame.sample(frac=1, random_state=9), **kw)
    assert not refused(s), f"shuffled rows refused: {s}"
    assert s.states == fit.states and np.array_equal(s.count_matrix, fit.count_matrix), (
        "fit_chain counts change with row order")
    r = call(mk.fit_chain, relabel(log.frame, data.draw), **kw)
    assert not refused(r), f"renamed customers refused: {r}"
    assert r.states == fit.states and np.array_equal(r.count_matrix, fit.count_matrix), (
        "fit_chain counts change with customers' names")


@given(log=event_logs(), sequence=SEQUENCE, method=st.sampled_from(["delta", "bootstrap"]))
@fuzz(2)
def test_chain_analyses(log, sequence, method):
    count()
    fit = call(mk.fit_chain, log.frame, spec=JourneySpec(sequence=sequence))
    if refused(fit):
        return
    surface(fit)
    for fn in (fit.absorbing, fit.funnel):
        out = call(fn, method=method, n_boot=20, random_state=0)
        surface(out)
    for fn in (fit.intervals, fit.summary):
        strict_json(call(fn))
    strict_json(call(fit.bootstrap, n_boot=5, random_state=0))


@given(log=event_logs(), sequence=SEQUENCE)
@fuzz(2)
def test_journey_level_analyses(log, sequence):
    count()
    frame = log.frame
    for fn in (mk.dwell_times, mk.transition_intensities):
        a = call(fn, frame, spec=JourneySpec(sequence=sequence))
        surface(a)


@given(log=event_logs(), sequence=SEQUENCE)
@fuzz(2)
def test_chain_tests(log, sequence):
    count()
    frame = log.frame
    spec = JourneySpec(sequence=sequence)
    strict_json(call(mk.order_test, frame, spec=spec))
    strict_json(call(mk.select_order, frame, spec=spec, max_order=2))
    strict_json(call(mk.time_homogeneity_test, frame, spec=spec, periods=2))
    if "segment" in frame.columns:
        strict_json(call(mk.homogeneity_test, frame, spec=spec, group="segment"))


@given(log=event_logs(), sequence=SEQUENCE, restart=st.booleans())
@fuzz(1)
def test_lifecycle_chain(log, sequence, restart):
    count()
    lc = call(mk.lifecycle_chain, log.frame, spec=JourneySpec(sequence=sequence),
              restart=restart)
    if refused(lc):
        return
    surface(lc)
    m = np.asarray(lc.chain.matrix, dtype=float)
    assert np.allclose(m.sum(axis=1), 1.0) or np.isnan(m).any(), "life-cycle rows do not sum to 1"


@given(table=st.lists(st.tuples(st.sampled_from(["(start)", "a", "b", " a", "a>b", "c"]),
                                st.sampled_from(["a", "b", "c", "(conversion)", "(null)"]),
                                st.sampled_from([0, 1, 3, 2.5, -1, np.nan, 1e300])),
                      max_size=10))
@fuzz(2)
def test_counts_from_table(table):
    count()
    frame = pd.DataFrame(table, columns=["from_state", "to_state", "count"])
    tc = call(counts_from_table, frame)
    if refused(tc):
        return
    fit = call(mk.fit_chain, tc)
    if not refused(fit):
        strict_json(fit)
        check_rows(fit, "fit_chain(counts_from_table)")
        strict_json(call(fit.absorbing))


@given(log=event_logs(max_rows=25), n_states=st.integers(1, 3))
@fuzz(0.3)
def test_hidden_markov_model(log, n_states):
    count()
    hmm = mk.HiddenMarkovModel(n_states, n_init=1, init_iter=3, max_iter=15, random_state=0)
    out = call(hmm.fit, log.frame)
    if refused(out):
        return
    strict_json(getattr(out, "result_", None) or getattr(out, "fit_", None))


@given(log=event_logs(max_rows=25, stages=True))
@fuzz(0.3)
def test_multistate(log):
    count()
    frame = log.frame
    if "stage" not in frame.columns:
        return
    p = call(mk.panel_data, frame)
    if refused(p):
        return
    call(mk.crude_qmatrix, p)
    fit = call(mk.fit_multistate, p)
    strict_json(fit)
    if not refused(fit):
        surface(fit, plot=False)
        lr = call(mk.multistate.lrtest, fit, fit)
        if not refused(lr):
            surface(lr)
            assert np.isnan(lr.pvalue) or 0 <= lr.pvalue <= 1, f"LR p-value {lr.pvalue}"
        assert refused(call(mk.multistate.lrtest, fit, "full")), "lrtest took a string"



#: Values a user may set a hyperparameter to: valid, out of range, of the wrong type.
PARAMS = st.sampled_from([0, 1, 2, -1, 2.5, np.nan, None, "2", True, 1e9])


@given(log=event_logs(max_rows=20), name=st.sampled_from(
    ["n_states", "n_init", "init_iter", "max_iter", "tol", "end_states", "order",
     "random_state", "stage_names", "allowed"]), value=PARAMS)
@fuzz(0.3)
def test_hmm_set_params(log, name, value):
    """HiddenMarkovModel: set_params stores any value, the next fit refuses a bad one in our
    words; an unknown parameter is refused at once; an unfitted model's surface says so."""
    count()
    hmm = mk.HiddenMarkovModel(2, n_init=1, init_iter=2, max_iter=5, random_state=0)
    assert refused(call(hmm.summary)) and refused(call(hmm.to_dict))
    assert refused(call(hmm.set_params, no_such_parameter=1))
    assert hmm.set_params(**{name: value}) is hmm
    repr(hmm)
    if name in ("max_iter", "init_iter", "n_init") and isinstance(value, float) and value > 100:
        return  # a huge iteration count is valid and slow
    out = call(hmm.fit, log.frame)
    if refused(out):
        return
    assert out is hmm, "fit did not return the estimator"
    surface(hmm.result_, plot=False)
    strict_json(hmm)


@given(log=event_logs(max_rows=25), spec=st.builds(
    JourneySpec, sequence=SEQUENCE, order=st.integers(1, 2),
    timeout=st.sampled_from([None, 3.0]), journeys=st.sampled_from(["all", "first", "repeat"]),
    censored=st.sampled_from(["drop", "null", "state"]), collapse_repeats=st.booleans()))
@fuzz(1)
def test_spec_on_every_markov_model(log, spec):
    """Every model of journeys takes spec=: a field it cannot honour is refused with our error,
    never ignored silently and never a foreign exception."""
    count()
    frame = log.frame
    for fn, kw in ((mk.fit_chain, {}), (mk.dwell_times, {}), (mk.transition_intensities, {}),
                   (mk.order_test, {}), (mk.lifecycle_chain, {}),
                   (mk.time_homogeneity_test, {"periods": 2})):
        surface(call(fn, frame, spec=spec, **kw), plot=False)
    assert refused(call(mk.fit_chain, frame, spec={"order": 1})), "a dict taken as spec"


@st.composite
def stage_panels(draw):
    """CRM snapshots: a few customers, each seen at 2-4 distinct numeric times in stages 1-3
    (a stage never left, a state never seen, labels of other types, a gap of 1e6)."""
    rows = []
    labels = draw(st.sampled_from([(1, 2, 3), ("a", "b", "c"), (1, 2, 2)]))
    for c in range(draw(st.integers(2, 8))):
        times = sorted(draw(st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, 3.5, 1e6]),
                                     min_size=2, max_size=4, unique=True)))
        for t in times:
            rows.append((c, t, draw(st.sampled_from(labels))))
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "stage"])


@given(panel=stage_panels(), q=st.sampled_from(["full", "forward", "bad", "none"]))
@fuzz(0.5)
def test_multistate_panels(panel, q):
    """panel_data, crude_qmatrix, fit_multistate and lrtest on CRM panels: a fit, its surface
    and a likelihood-ratio test of the cycle model nested in it (p-value in [0, 1]), or a
    refusal in our words."""
    count()
    states = sorted(set(panel["stage"]), key=str)
    k = len(states)
    qm = {"full": np.ones((k, k)) - np.eye(k), "forward": np.triu(np.ones((k, k)), 1),
          "bad": [[1.0]], "none": None}[q]
    p = call(mk.panel_data, panel, qm, states=states)
    if refused(p):
        return
    call(mk.crude_qmatrix, p)
    fit = call(mk.fit_multistate, p)
    if refused(fit):
        return
    surface(fit, plot=False)
    # the cycle a -> b -> c -> a (every path still possible) is nested in the full model
    small = call(mk.fit_multistate, panel, np.roll(np.eye(k), 1, axis=1), states=states)
    for a, b in ((small, fit), (fit, fit)):
        if refused(a):
            continue
        lr = call(mk.multistate.lrtest, a, b)
        if not refused(lr):
            surface(lr)
            assert np.isnan(lr.pvalue) or 0 <= lr.pvalue <= 1, f"LR p-value {lr.pvalue}"
