"""Fuzz :mod:`cjmodels.analytics.segments`: the mixture of Markov chains, the k-means baseline,
the choice of the number of segments and the agreement index on adversarial event logs.

Invariants: only our exceptions (or our warnings); segment weights and every possible row of
every segment's matrix sum to 1; each journey's segment probabilities sum to 1; the fitted
journeys are the journeys of the data layer; cluster sizes add up to the journeys; the agreement
index is at most 1 and its contingency table counts every journey; strict JSON.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.analytics import (
    MarkovMixture,
    kmeans_segments,
    segment_agreement,
    select_n_segments,
)
from cjmodels.data import JourneySpec, journey_transitions
from tests.fuzz.harness import call, count, fuzz, refused, surface
from tests.fuzz.strategies import event_logs

SEQUENCE = st.sampled_from(["channel", "stage"])


@given(log=event_logs(), sequence=SEQUENCE, k=st.integers(1, 3),
       prior=st.sampled_from([0.0, 0.5]), n_boot=st.sampled_from([0, 3]))
@fuzz(0.5)
def test_markov_mixture(log, sequence, k, prior, n_boot):
    count()
    spec = JourneySpec(sequence=sequence)
    model = MarkovMixture(k, prior=prior, n_init=2, init_iter=5, max_iter=50, n_boot=n_boot,
                          random_state=0)
    fitted = call(model.fit, log.frame, spec=spec)
    if refused(fitted):
        return
    r = model.result_
    surface(r)
    assert np.isclose(r.weights.sum(), 1.0), f"weights sum to {r.weights.sum()}"
    jt = journey_transitions(log.frame, spec=spec)
    assert r.n_journeys == jt.journey_set.n, "the fit does not hold the data layer's journeys"
    support = jt.matrix() > 0
    rows = support.any(axis=1)
    sums = r.matrices.sum(axis=2)[:, rows]
    assert np.allclose(sums, 1.0), f"possible rows do not sum to 1: {sums}"
    assert np.all((r.matrices >= 0) & (r.matrices <= 1 + 1e-12))
    post = r.posterior.to_numpy()
    assert post.shape == (jt.journey_set.n, k)
    assert np.allclose(post.sum(axis=1), 1.0), "segment probabilities do not sum to 1"
    pred = call(model.predict, log.frame, spec=spec)
    assert not refused(pred), f"predict refused the fitted data: {pred}"
    assert len(pred) == jt.journey_set.n


@given(log=event_logs(), sequence=SEQUENCE, k=st.integers(1, 3),
       features=st.sampled_from(["transitions", "states"]))
@fuzz(0.5)
def test_kmeans_segments(log, sequence, k, features):
    count()
    out = call(kmeans_segments, log.frame, n_segments=k, spec=JourneySpec(sequence=sequence),
               features=features, n_init=2, random_state=0)
    if refused(out):
        return
    surface(out)
    assert np.isclose(out.sizes.sum(), len(out.labels)), "cluster sizes do not add up"
    assert set(out.labels) <= set(out.segments)
    assert np.isfinite(out.inertia) and out.inertia >= 0


@given(log=event_logs(), sequence=SEQUENCE)
@fuzz(0.3)
def test_select_n_segments(log, sequence):
    count()
    out = call(select_n_segments, log.frame, n_segments=(1, 2), spec=JourneySpec(
        sequence=sequence), n_init=2, max_iter=30, random_state=0)
    if refused(out):
        return
    surface(out)
    assert out.best_bic in (1, 2) and out.best_heldout in (1, 2)
    assert out.n_train_journeys + out.n_test_journeys > 0


@given(a=st.lists(st.sampled_from([0, 1, 2, "x", None, 1.5]), max_size=30),
       b=st.lists(st.sampled_from(["p", "q", 3, None]), max_size=30))
@fuzz(1)
def test_segment_agreement(a, b):
    count()
    out = call(segment_agreement, a, b)
    if refused(out):
        return
    surface(out)
    assert out.adjusted_rand_index <= 1 + 1e-12 and 0 <= out.rand_index <= 1
    assert int(out.contingency.to_numpy().sum()) == out.n == len(a)
