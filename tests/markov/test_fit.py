"""fit_chain: pooling, priors, the journey graph, intervals against statsmodels/scipy, bootstrap,
bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from cjmodels.data import JourneySpec, journey_transitions, path_table, transition_counts
from cjmodels.errors import ValidationError
from cjmodels.markov import fit_chain
from tests.conftest import random_log

SIMPLE = {("(start)", "a"): 10, ("a", "b"): 4, ("a", "(null)"): 6, ("b", "(conversion)"): 3,
          ("b", "(null)"): 1}


def test_path_table_source_matches_log():
    df = random_log(np.random.default_rng(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pt = path_table(df)
    a = fit_chain(pt, spec=JourneySpec(sequence="channel", censored="null"), zero_rows="absorb")
    b = transition_counts(pt, censored="null").probabilities()
    np.testing.assert_allclose(a.transition_matrix.to_numpy(), b.fillna(0).to_numpy())


def test_rows_sum_to_one_and_end_rows_identity():
    fit = fit_chain(SIMPLE)
    p = fit.transition_matrix
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    assert p.loc["(null)", "(null)"] == 1 and p.loc["(conversion)", "(conversion)"] == 1
    assert p.loc["a", "b"] == pytest.approx(0.4)


def test_prior_is_posterior_mean_over_allowed_cells():
    allowed = {"(start)": ["a"], "a": ["b", "(null)"], "b": ["(conversion)", "(null)"]}
    fit = fit_chain(SIMPLE, prior="jeffreys", allowed=allowed)
    # (4 + 0.5) / (10 + 2 * 0.5)
    assert fit.transition_matrix.loc["a", "b"] == pytest.approx(4.5 / 11)
    assert fit.transition_matrix.loc["a", "a"] == 0.0  # structural zero gets no prior mass
    full = fit_chain(SIMPLE, prior=1.0)
    # default graph: a may go to a, b, (conversion), (null): (4 + 1) / (10 + 4)
    assert full.transition_matrix.loc["a", "b"] == pytest.approx(5 / 14)


def test_observed_transition_outside_graph_is_an_error():
    with pytest.raises(ValidationError, match="not allowed by the declared journey graph"):
        fit_chain(SIMPLE, allowed={"(start)": ["a"], "a": ["(null)"], "b": ["(null)"]})
    with pytest.raises(ValidationError, match="names state 'zz'"):
        fit_chain(SIMPLE, allowed=[("a", "zz")])


@pytest.mark.parametrize(("method", "sm"), [("wilson", "wilson"), ("wald", "normal")])
def test_binomial_intervals_match_statsmodels(method, sm):
    iv = fit_chain(SIMPLE).intervals(method, alpha=0.1).summary()
    # statsmodels.stats.proportion.proportion_confint(4, 10, alpha=0.1, method=sm)
    lo, hi = proportion_confint(4, 10, alpha=0.1, method=sm)
    assert iv.loc[("a", "b"), "ci_low"] == pytest.approx(max(lo, 0), abs=1e-12)
    assert iv.loc[("a", "b"), "ci_high"] == pytest.approx(min(hi, 1), abs=1e-12)


def test_wilson_published_value():
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, 81/263, method 3 (Wilson
    # score, no continuity correction): 0.2553 to 0.3662. Tolerance 1e-4 (4 decimals published).
    fit = fit_chain({("(start)", "a"): 263, ("a", "b"): 81, ("a", "(null)"): 182,
                     ("b", "(conversion)"): 81})
    iv = fit.intervals("wilson").summary()
    lo, hi = iv.loc[("a", "b"), ["ci_low", "ci_high"]]
    assert (lo, hi) == pytest.approx((0.2553, 0.3662), abs=1e-4)


def test_dirichlet_marginals():
    allowed = {"(start)": ["a"], "a": ["b", "(null)"], "b": ["(conversion)", "(null)"]}
    fit = fit_chain(SIMPLE, allowed=allowed)
    iv = fit.intervals("jeffreys").summary()
    # two allowed cells: the Dirichlet marginal is the binomial Jeffreys interval,
    # statsmodels proportion_confint(4, 10, method="jeffreys"); tolerance 1e-10
    lo, hi = proportion_confint(4, 10, method="jeffreys")
    assert iv.loc[("a", "b"), ["ci_low", "ci_high"]].tolist() == pytest.approx([lo, hi], abs=1e-10)
    # default graph: four allowed cells from a -> Beta(4 + 1, 6 + 3) under the uniform prior
    iv = fit_chain(SIMPLE).intervals("uniform").summary()
    ref = stats.beta.ppf([0.025, 0.975], 5, 9)
    assert iv.loc[("a", "b"), ["ci_low", "ci_high"]].tolist() == pytest.approx(ref, abs=1e-12)


def _log(n=400, seed=0):
    from cjmodels.markov import MarkovChain
    from tests.markov.conftest import P_TRUE, STATES, walks_to_log

    sim = MarkovChain(STATES, P_TRUE, start="(start)").simulate(n, random_state=seed)
    return walks_to_log(sim)


def test_bootstrap_resamples_customers_deterministically():
    df = _log()
    fit = fit_chain(df)
    b1 = fit.bootstrap(50, random_state=3)
    b2 = fit.bootstrap(50, random_state=3, batch_size=7)
    np.testing.assert_array_equal(b1.counts, b2.counts)  # independent of batching
    # each replicate draws n customers, so the start row total is always 400
    starts = b1.counts[:, b1.pair_from == 0].sum(axis=1)
    np.testing.assert_array_equal(starts, 400)
    iv = fit.intervals("bootstrap", n_boot=200, random_state=1).summary()
    w = fit.intervals("wilson").summary()
    big = w["count"] > 30
    width_b = (iv["ci_high"] - iv["ci_low"])[big]
    width_w = (w["ci_high"] - w["ci_low"])[big]
    assert np.all(np.abs(width_b / width_w - 1) < 0.35)


def test_bootstrap_needs_journeys():
    with pytest.raises(ValidationError, match="pooled counts"):
        fit_chain(SIMPLE).bootstrap(10)


def test_zero_rows():
    df = pd.DataFrame({"customer_id": [1, 1, 1, 2, 2], "timestamp": [0, 1, 2, 0, 1],
                       "event": ["touch", "touch", "conversion", "touch", "touch"],
                       "stage": ["a", "b", None, "a", "c"]})
    with pytest.raises(ValidationError, match=r"\['c'\] are never left"):
        fit_chain(df)
    with pytest.warns(UserWarning, match="made absorbing"):
        fit = fit_chain(df, zero_rows="absorb")
    assert fit.transition_matrix.loc["c", "c"] == 1.0
    assert "c" in fit.info["made_absorbing"]
    with pytest.warns(UserWarning, match="prior mean"):
        fit_chain(df, prior="uniform")
    assert fit_chain(df, spec=JourneySpec(censored="null")).transition_matrix.loc[
        "c", "(null)"] == 1.0


def test_bad_input():
    with pytest.raises(ValidationError, match="leave an absorbing state"):
        fit_chain({("(start)", "a"): 1, ("a", "(null)"): 1, ("(null)", "a"): 1})
    with pytest.raises(ValidationError, match="never start"):
        fit_chain({("a", "(null)"): 3})
    with pytest.raises(ValidationError, match="enter the start state"):
        fit_chain({("(start)", "a"): 1, ("a", "(start)"): 1})
    with pytest.raises(ValidationError, match="prior"):
        fit_chain(SIMPLE, prior="flat")
    with pytest.raises(ValidationError, match="longest journey"):
        fit_chain(_log(20), spec=JourneySpec(order=50))
    with pytest.raises(ValidationError, match="cannot fit a chain"):
        fit_chain([1, 2, 3])
    df = pd.DataFrame({"customer_id": [1, 1], "timestamp": [0, 1], "event": ["touch"] * 2,
                       "stage": ["awareness", "sideways"]})
    with pytest.raises(ValidationError, match="sideways"):
        fit_chain(df, scheme="seven")


def test_censor_recent_removes_unresolved_transitions():
    # customer 1 leaves after day 0 (silence > timeout); customer 2 touches on days 6 and 9 of
    # 10 (day 6 is resolved: a -> a); customer 3 on days 7 and 8: a day-7 touch by someone
    # who then left would still look open at day 10, so its transition is censored
    df = pd.DataFrame({"customer_id": [1, 2, 2, 3, 3], "timestamp": [0.0, 6.0, 9.0, 7.0, 8.0],
                       "event": ["touch"] * 5, "stage": ["a"] * 5})
    fit = fit_chain(df, spec=JourneySpec(timeout=3.5), observation_end=10.0)
    c = fit.count_matrix
    assert c.loc["a", "(null)"] == 1 and c.loc["a", "a"] == 1
    assert fit.info["censored_recent"] == 1
    plain = fit_chain(df, spec=JourneySpec(timeout=3.5, censor_recent=False),
                      observation_end=10.0)
    assert plain.count_matrix.loc["a"].sum() == 3  # open journeys' ends are dropped


def test_summary_repr_to_dict_json():
    import json

    fit = fit_chain(_log(100))
    assert "FittedChain(order=1" in repr(fit)
    json.dumps(fit.to_dict())
    assert fit.summary().shape[0] == 4


def test_fit_chain_takes_reduced_journeys_and_refuses_foreign_spec_fields():
    df = _log(50)
    spec = JourneySpec(order=2)
    jt = journey_transitions(df, spec=spec)
    a, b = fit_chain(jt), fit_chain(df, spec=spec)
    np.testing.assert_array_equal(a.counts, b.counts)
    assert a.order == b.order == 2
    with pytest.raises(ValidationError, match="already reduced"):
        fit_chain(jt, spec=spec)
    with pytest.raises(ValidationError, match="timeout='30D' would be ignored"):
        fit_chain(SIMPLE, spec=JourneySpec(timeout="30D"))
    with pytest.raises(ValidationError, match="pass a cjmodels.data.JourneySpec"):
        fit_chain(df, spec={"order": 2})


def test_a_log_without_drop_outs_is_warned_that_conversion_is_certain():
    # Two journeys: one converts, one is still open. With censored="drop" the open one is
    # dropped, so the chain only sees the converter: P(conversion) = 1, which the user is told.
    import warnings

    import pandas as pd

    from cjmodels.data import JourneySpec
    from cjmodels.markov import fit_chain

    df = pd.DataFrame({
        "customer_id": [1, 1, 2], "timestamp": [0.0, 1.0, 0.0],
        "event": ["touch", "conversion", "touch"], "stage": ["a", None, "a"],
    })
    with pytest.warns(UserWarning, match="no journey ends in a drop-out: the 1 journeys"):
        fit = fit_chain(df)
    assert fit.transition_matrix.loc["a", "(conversion)"] == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit_chain(df, spec=JourneySpec(censored="null"))  # counted as a drop-out: no warning
        fit_chain(df.iloc[:2])  # nothing censored: no warning
