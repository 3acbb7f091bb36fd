"""Behavioural segments (cjmodels.analytics.segments) and their world of known segments.

Every count is checked against a recount in plain Python (journeys rebuilt from the raw rows,
customer by customer); the mixture's log-likelihood, posteriors and EM fixed point against a
direct evaluation of the formulas; the adjusted Rand index against a value computed by hand and
against scikit-learn's ``adjusted_rand_score`` (a test oracle only); the recovery of the
segments and the coverage of the bootstrap intervals on simulated worlds with known segments.
"""

from __future__ import annotations

import json
import math
import warnings
from functools import cache

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linear_sum_assignment

from cjmodels.analytics import (
    MarkovMixture,
    MixtureConvergenceWarning,
    kmeans_segments,
    segment_agreement,
    select_n_segments,
)
from cjmodels.data import JourneySpec
from cjmodels.errors import NotFittedError, ValidationError
from cjmodels.synthetic import simulate_segment_journeys

START, CONV, NULL = "(start)", "(conversion)", "(null)"


# ----------------------------------------------------------------------------- recounts
def recount(events: pd.DataFrame) -> dict[int, list[tuple[str, str]]]:
    """Transitions of each customer's single journey, rebuilt row by row (one journey per
    customer, as in the segment world; a censored journey has no end transition)."""
    out: dict[int, list[tuple[str, str]]] = {}
    for cust, rows in events.sort_values(["customer_id", "timestamp"], kind="stable").groupby(
            "customer_id", sort=True):
        seq = [START]
        for ev, ch in zip(rows["event"], rows["channel"], strict=True):
            if ev == "touch":
                seq.append(ch)
            elif ev == "conversion":
                seq.append(CONV)
            elif ev == "drop_out":
                seq.append(NULL)
        out[int(cust)] = list(zip(seq[:-1], seq[1:], strict=True))
    return out


def mixture_loglik(trans: dict[int, list[tuple[str, str]]], weights, matrices, states):
    """Each journey's log(sum_k pi_k prod P_k[a, b]) and posterior, by the formula."""
    idx = {s: i for i, s in enumerate(states)}
    ll, post = {}, {}
    for cust, tr in trans.items():
        comp = []
        for w, m in zip(weights, matrices, strict=True):
            v = math.log(w) if w > 0 else -math.inf
            for a, b in tr:
                p = m[idx[a], idx[b]]
                v += math.log(p) if p > 0 else -math.inf
            comp.append(v)
        top = max(comp)
        tot = sum(math.exp(c - top) for c in comp)
        ll[cust] = top + math.log(tot)
        post[cust] = [math.exp(c - top) / tot for c in comp]
    return ll, post


def hand_log(mixed: bool = True) -> pd.DataFrame:
    """Two obvious segments that share their states (with disjoint states a mixture is not
    identified: the pooled chain fits as well): 10 journeys a > a > a > a > conversion,
    10 journeys a > b > a > b > drop-out, and (``mixed``) 4 mixed journeys."""
    rows = []
    t = 0
    for c in range(24 if mixed else 20):
        if c < 10:
            seq, end = ["a", "a", "a", "a"], "conversion"
        elif c < 20:
            seq, end = ["a", "b", "a", "b"], "drop_out"
        else:
            seq, end = (["a", "b"], "conversion") if c % 2 else (["b", "a"], None)
        for ch in seq:
            rows.append((c + 1, t, "touch", ch))
            t += 1
        if end:
            rows.append((c + 1, t, end, None))
            t += 1
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "channel"])


@cache
def world(n: int = 2000, seed: int = 3):
    return simulate_segment_journeys(n, random_state=seed)


@cache
def mixture(n: int = 2000, seed: int = 3, n_boot: int = 0) -> MarkovMixture:
    return MarkovMixture(3, n_init=5, n_boot=n_boot, random_state=0).fit(world(n, seed).events)


def truth_labels(w, index: pd.Index) -> np.ndarray:
    mem = w.membership.set_index("customer_id")["segment"]
    return mem.loc[index.get_level_values("customer_id")].to_numpy()


def matched_truth(fit, w) -> np.ndarray:
    """The true matrices in the fit's state order, segments matched to the fitted ones."""
    states = w.truth["states"]
    pos = [states.index(s) for s in fit.states]
    true = np.asarray(w.truth["matrices"])[:, pos][:, :, pos]
    cost = ((fit.matrices[:, None] - true[None]) ** 2).sum(axis=(2, 3))
    _, col = linear_sum_assignment(cost)
    return true[col], np.asarray(w.truth["weights"])[col]


def coverage(fit, w) -> float:
    true, _ = matched_truth(fit, w)
    idx = {s: i for i, s in enumerate(fit.states)}
    t = fit.transitions
    k = t["segment"].map({s: i for i, s in enumerate(fit.segments)}).to_numpy()
    tv = true[k, t["from_state"].map(idx).to_numpy(), t["to_state"].map(idx).to_numpy()]
    return float(((t["ci_low"] <= tv) & (tv <= t["ci_high"])).mean())


# ----------------------------------------------------------------------------- counts
def test_one_segment_is_the_pooled_chain_of_the_recount():
    w = world(300, 1)
    fit = MarkovMixture(1, random_state=0).fit(w.events).result_
    trans = recount(w.events)
    counts = pd.Series([p for tr in trans.values() for p in tr]).value_counts()
    idx = {s: i for i, s in enumerate(fit.states)}
    expected = np.zeros((len(fit.states),) * 2)
    for (a, b), n in counts.items():
        expected[idx[a], idx[b]] = n
    rows = expected.sum(axis=1, keepdims=True)
    expected = np.divide(expected, rows, out=np.zeros_like(expected), where=rows > 0)
    np.testing.assert_allclose(fit.matrices[0], expected, atol=1e-12)
    ll = sum(n * math.log(expected[idx[a], idx[b]]) for (a, b), n in counts.items())
    assert fit.log_likelihood == pytest.approx(ll, rel=1e-12)
    assert fit.n_journeys == len(trans) == 300
    # the parameters: one free probability less than the possible transitions of each row
    support = (expected > 0).sum(axis=1)
    assert fit.n_params == int(np.maximum(support - 1, 0).sum())
    assert fit.bic == pytest.approx(-2 * ll + fit.n_params * math.log(300))


def test_smoothing_adds_the_prior_to_every_possible_transition():
    log = hand_log()
    fit = MarkovMixture(1, prior=0.5, random_state=0).fit(log).result_
    m = fit.matrix(0)
    trans = recount(log)
    counts = pd.Series([p for tr in trans.values() for p in tr]).value_counts()
    row_a = {b: n for (a, b), n in counts.items() if a == "a"}
    tot = sum(row_a.values()) + 0.5 * len(row_a)
    for b, n in row_a.items():
        assert m.loc["a", b] == pytest.approx((n + 0.5) / tot)
    assert m.loc["a", NULL] == 0.0  # no journey goes a -> (null): not a possible transition
    assert NULL not in row_a


def test_log_likelihood_and_posteriors_follow_the_formula():
    w = world(400, 2)
    model = MarkovMixture(3, n_init=3, tol=1e-12, random_state=0).fit(w.events)
    fit = model.result_
    ll, post = mixture_loglik(recount(w.events), fit.weights, fit.matrices, fit.states)
    assert fit.log_likelihood == pytest.approx(sum(ll.values()), rel=1e-10)
    got = model.predict_proba(w.events)
    want = np.array([post[c] for c in got.index.get_level_values("customer_id")])
    np.testing.assert_allclose(got.to_numpy(), want, atol=1e-10)
    np.testing.assert_allclose(fit.posterior.to_numpy(), want, atol=1e-10)


def test_the_fit_is_a_fixed_point_of_em():
    """One more M-step, computed here from the recount, gives the fitted parameters."""
    w = world(400, 2)
    fit = MarkovMixture(3, n_init=3, tol=1e-13, max_iter=5000, random_state=0).fit(
        w.events).result_
    trans = recount(w.events)
    _, post = mixture_loglik(trans, fit.weights, fit.matrices, fit.states)
    idx = {s: i for i, s in enumerate(fit.states)}
    k, s = len(fit.weights), len(fit.states)
    counts = np.zeros((k, s, s))
    for cust, tr in trans.items():
        for a, b in tr:
            counts[:, idx[a], idx[b]] += post[cust]
    rows = counts.sum(axis=2, keepdims=True)
    new = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    used = rows[..., 0] > 1e-6
    np.testing.assert_allclose(new[used], fit.matrices[used], atol=1e-5)
    np.testing.assert_allclose(np.mean(list(post.values()), axis=0), fit.weights, atol=1e-6)


def test_obvious_segments_are_found_exactly():
    log = hand_log(mixed=False)
    model = MarkovMixture(2, n_init=5, random_state=1).fit(log)
    pred = model.predict(log)
    truth = ["a"] * 10 + ["b"] * 10
    assert segment_agreement(truth, pred.to_numpy()).adjusted_rand_index == 1.0
    np.testing.assert_allclose(model.result_.weights, [0.5, 0.5])
    fit = model.result_
    # the a-segment converts with certainty, the b-segment never
    conv = fit.segment_table["conversion_probability"].sort_values().to_numpy()
    assert conv[0] < 0.3 and conv[1] > 0.7


def test_same_seed_same_fit_and_segments_in_weight_order():
    w = world(300, 1)
    a = MarkovMixture(3, n_init=3, random_state=5).fit(w.events).result_
    b = MarkovMixture(3, n_init=3, random_state=5).fit(w.events).result_
    assert a == b
    assert list(a.weights) == sorted(a.weights, reverse=True)
    json.dumps(a.to_dict(), allow_nan=False)


def test_intervals_need_n_boot_and_bootstrap_segments_are_aligned():
    log = hand_log(mixed=False)
    plain = MarkovMixture(2, n_init=3, random_state=0).fit(log).result_
    assert plain.transitions["ci_low"].isna().all() and plain.n_boot == 0
    boot = MarkovMixture(2, n_init=3, n_boot=60, random_state=0).fit(log).result_
    t = boot.transitions
    # without alignment, half the replicates would swap the a- and b-segments and every
    # interval would span both; aligned, each contains its estimate and stays narrow
    assert ((t["ci_low"] <= t["probability"] + 1e-12)
            & (t["probability"] <= t["ci_high"] + 1e-12)).mean() > 0.9
    main = t[(t["from_state"] == START) & (t["probability"] > 0.5)]
    assert (main["ci_high"] - main["ci_low"]).max() < 0.5
    assert (boot.segment_table["se"] < 0.15).all()


# ----------------------------------------------------------------------------- recovery
def test_recovery_of_known_segments_mixture_beats_kmeans():
    """The numbers quoted in the guide (docs/guide/analytics/segments.rst)."""
    w = world()
    model = mixture()
    fit = model.result_
    pred = model.predict(w.events)
    ari = segment_agreement(truth_labels(w, pred.index), pred.to_numpy()).adjusted_rand_index
    # the best any method can do: each journey's segment under the true parameters
    states = w.truth["states"]
    oracle_ll, oracle_post = mixture_loglik(recount(w.events), w.truth["weights"],
                                            np.asarray(w.truth["matrices"]), states)
    oracle = [w.segments[int(np.argmax(oracle_post[c]))]
              for c in pred.index.get_level_values("customer_id")]
    ari_oracle = segment_agreement(truth_labels(w, pred.index), oracle).adjusted_rand_index
    km_t = kmeans_segments(w.events, n_segments=3, random_state=0)
    km_s = kmeans_segments(w.events, n_segments=3, features="states", random_state=0)
    ari_t = segment_agreement(truth_labels(w, km_t.labels.index),
                              km_t.labels.to_numpy()).adjusted_rand_index
    ari_s = segment_agreement(truth_labels(w, km_s.labels.index),
                              km_s.labels.to_numpy()).adjusted_rand_index
    assert round(ari_oracle, 2) == 0.74
    assert round(ari, 2) == 0.73
    assert (round(ari_t, 2), round(ari_s, 2)) == (0.56, 0.61)
    assert ari > max(ari_t, ari_s) + 0.1
    # the fitted log-likelihood is at least the truth's (it is the maximum)
    assert fit.log_likelihood >= sum(oracle_ll.values())
    true, true_w = matched_truth(fit, w)
    np.testing.assert_allclose(fit.weights, true_w, atol=0.03)
    err = np.abs(fit.matrices - true)[fit.matrices.sum(axis=2) > 0]
    assert err.max() < 0.1 and err.mean() < 0.02


def test_bootstrap_intervals_cover_the_true_chains():
    w = world()
    fit = mixture(n_boot=50).result_
    cov = coverage(fit, w)
    assert round(cov, 2) == 0.95  # 114 of 120 transition probabilities
    _, true_w = matched_truth(fit, w)
    st = fit.segment_table
    assert ((st["ci_low"] <= true_w) & (true_w <= st["ci_high"])).all()


@pytest.mark.slow
def test_bootstrap_coverage_over_worlds():
    """Coverage of the 95% intervals over 8 worlds of 1000 customers (the guide quotes it):
    0.90 for the transition probabilities (0.81 to 0.97 by world), 21 of 24 weights."""
    cov, inside = [], 0
    for seed in range(8):
        w = simulate_segment_journeys(1000, random_state=100 + seed)
        fit = MarkovMixture(3, n_init=5, n_boot=200, random_state=seed).fit(w.events).result_
        cov.append(coverage(fit, w))
        _, true_w = matched_truth(fit, w)
        st = fit.segment_table
        inside += int(((st["ci_low"] <= true_w) & (true_w <= st["ci_high"])).sum())
    assert round(float(np.mean(cov)), 2) == 0.90, cov
    assert (round(min(cov), 2), round(max(cov), 2)) == (0.81, 0.97)
    assert inside == 21


def test_bic_and_heldout_likelihood_choose_three_segments():
    sel = select_n_segments(world().events, n_segments=(1, 2, 3, 4), n_init=3, random_state=0)
    assert (sel.best_bic, sel.best_heldout) == (3, 3)
    assert sel.n_train_journeys + sel.n_test_journeys == 2000
    assert sel.n_test_journeys == 500
    assert sel.table["heldout_log_likelihood"].notna().all()


# ----------------------------------------------------------------------------- k-means
def test_kmeans_features_and_inertia_by_recount():
    log = hand_log(mixed=False)
    km = kmeans_segments(log, n_segments=2, random_state=0)
    trans = recount(log)
    feats = []
    for cust in km.labels.index.get_level_values("customer_id"):
        s = pd.Series([f"{a} -> {b}" for a, b in trans[cust]]).value_counts(normalize=True)
        feats.append(s.reindex(list(km.columns), fill_value=0.0).to_numpy())
    x = np.array(feats)
    lab = km.labels.map({s: i for i, s in enumerate(km.segments)}).to_numpy()
    centers = np.array([x[lab == j].mean(axis=0) for j in range(2)])
    np.testing.assert_allclose(km.centers, centers, atol=1e-12)
    assert km.inertia == pytest.approx(float(((x - centers[lab]) ** 2).sum()))
    assert km.sizes.tolist() == [10.0, 10.0]
    truth = ["a"] * 10 + ["b"] * 10
    assert segment_agreement(truth, km.labels.to_numpy()).adjusted_rand_index == 1.0


# ----------------------------------------------------------------------------- agreement
def test_adjusted_rand_index_by_hand():
    # contingency [[2, 1, 0], [0, 1, 2]]: index 2, rows 6, columns 3, pairs 15
    # expected 6 * 3 / 15 = 1.2, maximum 4.5: ARI = 0.8 / 3.3; Rand = (15 + 4 - 9) / 15
    r = segment_agreement([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2])
    assert r.adjusted_rand_index == pytest.approx(0.8 / 3.3, abs=1e-15)
    assert r.rand_index == pytest.approx(10 / 15)
    assert r.contingency.to_numpy().tolist() == [[2, 1, 0], [0, 1, 2]]
    assert segment_agreement(["x", "y", "x"], [5, 7, 5]).adjusted_rand_index == 1.0
    assert segment_agreement([1, 1, 1], [2, 2, 2]).adjusted_rand_index == 1.0


def test_adjusted_rand_index_against_scikit_learn():
    """scikit-learn's adjusted_rand_score as an independent reference (tolerance 1e-12)."""
    metrics = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    for n, ka, kb in [(10, 2, 3), (200, 4, 4), (1000, 3, 7), (50, 1, 2)]:
        a, b = rng.integers(0, ka, n), rng.integers(0, kb, n)
        b[: n // 2] = a[: n // 2]  # some agreement
        assert segment_agreement(a, b).adjusted_rand_index == pytest.approx(
            metrics.adjusted_rand_score(a, b), abs=1e-12)


def test_agreement_refuses_mismatched_or_missing_labels():
    with pytest.raises(ValidationError, match="labels_pred"):
        segment_agreement([1, 2], [1])
    with pytest.raises(ValidationError, match="missing"):
        segment_agreement([1, None], [1, 2])
    with pytest.raises(ValidationError, match="no labels"):
        segment_agreement([], [])
    a = pd.Series([1, 2], index=["x", "y"])
    assert segment_agreement(a, pd.Series([3, 4], index=["y", "x"])).n == 2
    with pytest.raises(ValidationError, match="indexes"):
        segment_agreement(a, pd.Series([3, 4], index=["y", "z"]))


# ----------------------------------------------------------------------------- surface
def test_predict_on_new_journeys_and_refusals():
    w = world(300, 1)
    model = MarkovMixture(2, n_init=2, random_state=0)
    with pytest.raises(NotFittedError):
        model.predict(w.events)
    model.fit(w.events)
    other = simulate_segment_journeys(50, random_state=9).events
    proba = model.predict_proba(other)
    assert proba.shape == (50, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(proba.index.names) == ["customer_id", "journey"]
    unknown = other.assign(channel=other["channel"].replace("email", "tv"))
    with pytest.raises(ValidationError, match="tv"):
        model.predict(unknown)


def test_impossible_journeys_get_nan_with_a_warning():
    model = MarkovMixture(2, n_init=2, random_state=0).fit(hand_log(mixed=False))
    # b -> (conversion) happens in no journey of the fit
    new = pd.DataFrame({"customer_id": [1, 1, 1], "timestamp": [0, 1, 2],
                        "event": ["touch", "touch", "conversion"], "channel": ["a", "b", None]})
    with pytest.warns(UserWarning, match="no segment allows"):
        p = model.predict(new)
    assert p.iloc[0] is None


@pytest.mark.parametrize("kwargs, match", [
    ({"n_segments": 0}, "n_segments"), ({"prior": -1.0}, "prior"), ({"alpha": 1.5}, "alpha"),
    ({"n_boot": -1}, "n_boot"), ({"n_init": 0}, "n_init"), ({"tol": -1.0}, "tol"),
])
def test_bad_parameters_are_refused(kwargs, match):
    with pytest.raises(ValidationError, match=match):
        MarkovMixture(**kwargs).fit(hand_log())


def test_bad_data_and_spec_are_refused():
    with pytest.raises(ValidationError, match="spec"):
        MarkovMixture(2).fit(hand_log(), spec="channel")
    with pytest.raises(ValidationError, match="only 24 journeys"):
        MarkovMixture(30).fit(hand_log())
    with pytest.raises(ValidationError, match="n_segments"):
        select_n_segments(hand_log(), n_segments=())
    with pytest.raises(ValidationError, match="n_boot"):
        select_n_segments(hand_log(), n_segments=(1,), n_boot=10)
    with pytest.raises(ValidationError, match="distinct journeys"):
        kmeans_segments(hand_log(), n_segments=10)
    with pytest.raises(ValidationError, match="features"):
        kmeans_segments(hand_log(), features="paths")


def test_stages_and_an_explicit_spec():
    w = world(300, 1)
    ev = w.events.assign(stage=w.events["channel"])
    fit = MarkovMixture(2, n_init=2, random_state=0).fit(
        ev, spec=JourneySpec(sequence="stage")).result_
    same = MarkovMixture(2, n_init=2, random_state=0).fit(w.events).result_
    np.testing.assert_allclose(fit.matrices, same.matrices)
    assert fit.info["spec"]["sequence"] == "stage"


def test_max_iter_warns_with_our_warning():
    with pytest.warns(MixtureConvergenceWarning, match="max_iter"):
        MarkovMixture(2, n_init=1, max_iter=1, random_state=0).fit(world(300, 1).events)


def test_summary_repr_and_plot():
    import matplotlib

    matplotlib.use("Agg")
    fit = mixture().result_
    s = fit.summary()
    assert list(s.index) == ["segment_1", "segment_2", "segment_3"]
    assert s["expected_journeys"].sum() == pytest.approx(2000)
    assert repr(fit).startswith("MarkovMixtureFit(segments=3")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ax = fit.plot()
    assert ax is not None
    d = fit.to_dict()
    assert "posterior" not in d and set(d["matrices"]) == set(fit.segments)


def test_a_path_table_gives_the_fit_of_its_event_log():
    """Identical journeys are one weighted row either way: the same fit, and the posterior of
    each path-table row is that of its journeys."""
    from cjmodels.data import path_table

    w = world(300, 1)
    pt = path_table(w.events)
    a = MarkovMixture(2, n_init=3, random_state=0).fit(pt)
    b = MarkovMixture(2, n_init=3, random_state=0).fit(w.events)
    np.testing.assert_allclose(a.result_.matrices, b.result_.matrices, atol=1e-12)
    np.testing.assert_allclose(a.result_.weights, b.result_.weights, atol=1e-12)
    assert a.result_.log_likelihood == pytest.approx(b.result_.log_likelihood, rel=1e-12)
    t = pt.table  # one row per path and outcome: converted, dropped out, censored
    cells = ((t["total_conversions"] > 0).sum() + (t["total_null"] > t["total_censored"]).sum()
             + (t["total_censored"] > 0).sum())
    assert len(a.predict_proba(pt)) == int(cells)
