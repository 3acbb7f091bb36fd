"""Ground-truth comparison on the journey world and on a non-Markov (logistic) world."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from cjmodels.attribution import (
    HeuristicAttribution,
    MarkovAttribution,
    ShapleyAttribution,
    ground_truth_comparison,
    logistic_world,
)
from cjmodels.errors import ValidationError


def test_logistic_world_truth_by_definition():
    w = logistic_world(3000, random_state=4)
    t = w.truth
    assert t.loc["display", "removal_effect"] == 0 and t.loc["social", "removal_effect"] == 0
    assert (t.loc[t.coefficient > 0, "removal_effect"] > 0).all()
    assert t["share"].sum() == pytest.approx(1)
    assert w.paths.total_conversions.sum() + w.paths.total_null.sum() == 3000
    # the removal effect of 'referral' from its definition, journey by journey
    p = w.paths
    beta = t["coefficient"]
    lost = expected = 0.0
    for path, c, n in zip(p.path, p.total_conversions, p.total_null, strict=True):
        x = {ch: path.split(" > ").count(ch) for ch in beta.index}
        eta = -3.0 + sum(beta[ch] * k for ch, k in x.items())
        expected += (c + n) * expit(eta)
        lost += (c + n) * (expit(eta) - expit(eta - beta["referral"] * x["referral"]))
    assert t.loc["referral", "removal_effect"] == pytest.approx(lost / expected, rel=1e-10)


def test_comparison_on_logistic_world_shows_failures():
    w = logistic_world(20000, random_state=1)
    models = {
        "first": HeuristicAttribution("first"),
        "markov_1": MarkovAttribution(),
        "shapley_rate": ShapleyAttribution("rate"),
    }
    cmp = ground_truth_comparison(w.paths, w.truth["removal_effect"], models, n_boot=20,
                                  random_state=0)
    tab = cmp.table
    # first touch and the Markov chain credit channels that do nothing (display, social)
    assert tab.loc["first", "credit_to_null_channels"] > 0.3
    assert tab.loc["markov_1", "credit_to_null_channels"] > 0.2
    assert tab.loc["shapley_rate", "tv_distance"] < tab.loc["first", "tv_distance"]
    assert (tab["tv_distance_ci_low"] <= tab["tv_distance"] + 1e-12).all()
    assert cmp.shares.sum().to_numpy() == pytest.approx(np.ones(4))
    assert "closest" in repr(cmp)


def test_comparison_on_journey_world():
    from cjmodels.synthetic import simulate_journeys

    world = simulate_journeys(1500, random_state=3)
    truth = world.removal_effects["window_removal_effect"]
    cmp = ground_truth_comparison(
        world.event_log(), truth,
        {"last": HeuristicAttribution("last"), "markov_2": MarkovAttribution(order=2),
         "time_decay": HeuristicAttribution("time-decay")},
        n_boot=0,
    )
    assert set(cmp.table.index) == {"last", "markov_2", "time_decay"}
    assert cmp.table["tv_distance"].between(0, 1).all()


def test_missing_truth():
    w = logistic_world(500, random_state=1)
    with pytest.raises(ValidationError, match="truth"):
        ground_truth_comparison(w.paths, w.truth["removal_effect"].drop("email"),
                                {"last": HeuristicAttribution("last")}, n_boot=0)


def test_rank_correlation_with_equal_true_effects_is_nan_without_a_warning():
    # found by the fuzz suite: scipy warns that the correlation of a constant input is
    # undefined; the table says NaN (undefined) instead, in its own words
    import warnings

    import pandas as pd

    log = pd.DataFrame({"customer_id": [0, 0, 0], "timestamp": [0, 0, 1],
                        "event": ["touch", "touch", "conversion"],
                        "channel": ["search", "email", None]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cmp = ground_truth_comparison(log, {"search": 0.5, "email": 0.5},
                                      {"last": HeuristicAttribution("last")}, n_boot=0)
    assert np.isnan(cmp.table.loc["last", "spearman"])
