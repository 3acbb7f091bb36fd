"""Bootstrap over journeys: determinism, bookkeeping and interval coverage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels._resample import reweight
from cjmodels.attribution import MarkovAttribution, attribute
from tests.attribution.test_selection import first_order_paths


def test_deterministic_and_complete(ref_tables):
    a = attribute(ref_tables["random"], model="markov", order=2, n_boot=30, random_state=4)
    b = attribute(ref_tables["random"], model="markov", order=2, n_boot=30, random_state=4)
    pd.testing.assert_frame_equal(a.table, b.table)
    t = a.table
    for q in ("removal_effect", "conversions", "value", "share"):
        assert (t[f"{q}_ci_low"] <= t[f"{q}_ci_high"]).all()
    assert a.replicates["conversions"].shape == (30, 4)
    assert a.info["n_boot"] == 30
    assert "n_boot=30" in repr(a)


@pytest.mark.parametrize("model", ["first", "linear", "position", "shapley", "markov"])
def test_every_model_bootstraps(ref_tables, model):
    res = attribute(ref_tables["random"], model=model, n_boot=20, random_state=1)
    t = res.table
    assert (t["conversions_ci_low"] <= t["conversions"] + 1e-9).all() or model == "markov"
    assert np.isfinite(t["share_se"]).all()


def test_multinomial_keeps_the_number_of_journeys():
    w = np.array([3.0, 5.0, 2.0])
    for s in range(5):
        assert reweight(w, np.random.default_rng(s), "multinomial").sum() == 10


def test_progress_is_called(ref_tables):
    seen = []

    def bar(it, total, desc):
        seen.append((total, desc))
        return it

    attribute(ref_tables["tiny"], model="last", n_boot=5, random_state=0, progress=bar)
    assert seen == [(5, "bootstrap last")]


def _true_removal_effects():
    """Exact removal effects of the chain in first_order_paths (dense absorbing chain)."""
    P = np.array([[0.2, 0.3, 0.2, 0.05, 0.25],
                  [0.3, 0.1, 0.3, 0.15, 0.15],
                  [0.2, 0.3, 0.1, 0.30, 0.10]])
    start = np.array([0.5, 0.3, 0.2])

    def pconv(keep):
        k = np.flatnonzero(keep)
        Q = P[np.ix_(k, k)].copy()
        # self-loops do not change absorption: the data collapse repeats, the chain need not
        x = np.linalg.solve(np.eye(len(k)) - Q, P[k, 3])
        return start[k] @ x

    full = pconv(np.ones(3, bool))
    return np.array([1 - pconv(np.arange(3) != c) / full for c in range(3)])


@pytest.mark.parametrize("n_sims", [pytest.param(25, id="quick"),
                                    pytest.param(300, marks=pytest.mark.slow, id="full")])
def test_coverage_of_removal_effect_intervals(n_sims):
    # Journeys from a known first-order chain; the percentile intervals (95%) of the removal
    # effects should cover the chain's exact removal effects about 95% of the time.
    truth = _true_removal_effects()
    hits = np.zeros(3)
    for s in range(n_sims):
        df = first_order_paths(1500, seed=1000 + s)
        m = MarkovAttribution().fit(df)
        t = m.bootstrap(150 if n_sims < 100 else 400, random_state=s).table
        hits += (t["removal_effect_ci_low"] <= truth) & (truth <= t["removal_effect_ci_high"])
    cover = hits / n_sims
    lo = 0.8 if n_sims < 100 else 0.92  # 0.8: about 3 binomial sd below 0.95 at 25 runs
    assert (cover >= lo).all() and (cover <= 1.0).all(), cover


def test_one_replicate_left_gives_nan_se_with_a_note_not_a_numpy_warning():
    # fuzz (ground_truth_comparison, n_boot=2 with one replicate skipped): numpy's
    # "degrees of freedom <= 0" escaped from the standard error of a single replicate
    import json
    import warnings

    pt = pd.DataFrame({"path": ["a > b", "b"], "total_conversions": [2, 1], "total_null": [1, 3]})
    m = MarkovAttribution().fit(pt)
    share = m.result_.table["share"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        r = m._with_intervals(m.result_, {"share": [share]}, 0.05, 2, "poisson", 1)
    assert r.table["share_se"].isna().all() and "bootstrap_note" in r.info
    assert (r.table["share_ci_low"] == r.table["share"]).all()
    json.dumps(r.to_dict(), allow_nan=False)
