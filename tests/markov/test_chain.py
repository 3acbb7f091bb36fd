"""MarkovChain: textbook and R markovchain reference values, recurrent quantities, simulation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cjmodels.errors import ValidationError
from cjmodels.markov import MarkovChain, fit_chain
from tests.markov.conftest import P_TRUE, STATES

REF = pd.read_csv(
    Path(__file__).parent / "reference" / "markovchain_values.csv", keep_default_na=False
).astype({"value": float})
R_NAMES = {"start": "(start)", "conv": "(conversion)", "null": "(null)"}


def _ref(name: str) -> pd.DataFrame:
    r = REF[REF["name"] == name].copy()
    r["row"] = r["row"].map(lambda s: R_NAMES.get(s, s) if isinstance(s, str) else s)
    r["col"] = r["col"].map(lambda s: R_NAMES.get(s, s) if isinstance(s, str) else s)
    return r


def drunkard() -> MarkovChain:
    P = np.zeros((5, 5))
    P[0, 0] = P[4, 4] = 1
    for i in (1, 2, 3):
        P[i, i - 1] = P[i, i + 1] = 0.5
    return MarkovChain(["0", "1", "2", "3", "4"], P)


def test_drunkards_walk_grinstead_snell():
    # Grinstead & Snell, Introduction to Probability, ch. 11.2, Example 11.13 (drunkard's walk):
    # N = [[3/2, 1, 1/2], [1, 2, 1], [1/2, 1, 3/2]], t = (3, 4, 3),
    # B = [[3/4, 1/4], [1/2, 1/2], [1/4, 3/4]]. Tolerance 1e-12 (exact rationals).
    w = drunkard()
    np.testing.assert_allclose(
        w.fundamental_matrix.to_numpy(), [[1.5, 1, 0.5], [1, 2, 1], [0.5, 1, 1.5]], atol=1e-12
    )
    np.testing.assert_allclose(
        w.absorption_probabilities.to_numpy(), [[0.75, 0.25], [0.5, 0.5], [0.25, 0.75]],
        atol=1e-12,
    )
    np.testing.assert_allclose(w.expected_steps.to_numpy(), [3, 4, 3], atol=1e-12)
    # Variance of the time to absorption (G&S ch. 11, Exercise 11.2.19: (2N - I) t - t_sq).
    # Hand check: the gambler's-ruin closed form Var T = k(n-k)(k^2 + (n-k)^2 - 2)/3 with n = 4
    # gives 8 from k = 1, 2, 3. Tolerance 1e-12.
    np.testing.assert_allclose(w.steps_variance.to_numpy(), [8, 8, 8], atol=1e-12)


def test_steps_given_target_equals_h_transform():
    w = MarkovChain(STATES, P_TRUE, start="(start)")
    h = w.absorption_probabilities["(conversion)"].to_numpy()
    t = [w.index(s) for s in w.transient_states]
    q = P_TRUE[np.ix_(t, t)] * h[None, :] / h[:, None]  # Doob h-transform of Q
    n_star = np.linalg.inv(np.eye(len(t)) - q)
    np.testing.assert_allclose(
        w.expected_steps_given("(conversion)").to_numpy(), n_star.sum(axis=1), rtol=1e-12
    )


@pytest.mark.parametrize(
    ("name", "attr"),
    [("absorption", "absorption_probabilities"), ("fundamental", "fundamental_matrix")],
)
def test_absorbing_against_r_markovchain(true_chain, name, attr):
    # R markovchain 0.9.1: absorptionProbabilities(mc) and solve(diag(4) - Q) on the chain in
    # reference/markovchain_reference.R; tolerance 1e-12.
    mine = getattr(true_chain, attr)
    for _, r in _ref(name).iterrows():
        assert mine.loc[r["row"], r["col"]] == pytest.approx(r["value"], abs=1e-12)


def test_mean_absorption_time_and_hitting_against_r(true_chain):
    # R markovchain 0.9.1: meanAbsorptionTime(mc), hittingProbabilities(mc); tolerance 1e-12.
    for _, r in _ref("mean_absorption_time").iterrows():
        assert true_chain.expected_steps[r["col"]] == pytest.approx(r["value"], abs=1e-12)
    for _, r in _ref("hitting").iterrows():
        # markovchain's hitting probability h_ij is the chance of *ever* reaching j from i at a
        # step >= 1 (so h_ii < 1 for transient i); ours counts time 0. Compare off-diagonal.
        if r["row"] != r["col"]:
            h = true_chain.hitting_probabilities(r["col"])[r["row"]]
            assert h == pytest.approx(r["value"], abs=1e-12)


def test_recurrent_against_r():
    # R markovchain 0.9.1: steadyStates(mr), meanFirstPassageTime(mr), meanRecurrenceTime(mr)
    # on the 3-state chain in reference/markovchain_reference.R; tolerance 1e-10.
    R = np.array([[0.5, 0.3, 0.2], [0.2, 0.6, 0.2], [0.1, 0.4, 0.5]])
    mr = MarkovChain(["x", "y", "z"], R)
    for _, r in _ref("steady").iterrows():
        assert mr.stationary_distribution()[r["col"]] == pytest.approx(r["value"], abs=1e-10)
    for _, r in _ref("first_passage").iterrows():
        if r["row"] != r["col"]:
            assert mr.first_passage_times(r["col"])[r["row"]] == pytest.approx(
                r["value"], abs=1e-10
            )
    for _, r in _ref("recurrence").iterrows():
        assert mr.mean_recurrence_times()[r["col"]] == pytest.approx(r["value"], abs=1e-10)


def test_mle_against_r_markovchainfit():
    # R markovchain 0.9.1: markovchainFit(data = seqs, method = "mle") on six sequences fitted
    # one by one (reference/markovchain_reference.R). Transient rows agree to 1e-12; R leaves the
    # absorbing rows all zero, ours are identity rows.
    seqs = [["a", "b", "conv"], ["a", "a", "null"], ["b", "c", "conv"], ["a", "b", "b", "null"],
            ["c", "conv"], ["b", "a", "null"]]
    rows = []
    for i, s in enumerate(seqs):
        for t, x in enumerate(s):
            ev = {"conv": "conversion", "null": "drop_out"}.get(x, "touch")
            rows.append((i, float(t), ev, x if ev == "touch" else None))
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "stage"])
    fit = fit_chain(df)
    p = fit.transition_matrix
    ref = _ref("mle")
    for _, r in ref.iterrows():
        if r["row"] in ("(conversion)", "(null)"):
            assert r["value"] == 0.0
            continue
        assert p.loc[r["row"], r["col"]] == pytest.approx(r["value"], abs=1e-12)
    assert p.loc["(conversion)", "(conversion)"] == 1.0


def test_errors_say_why():
    with pytest.raises(ValidationError, match="sum to 1"):
        MarkovChain(["a", "b"], [[0.5, 0.4], [0, 1]])
    with pytest.raises(ValidationError, match="no absorbing state"):
        _ = MarkovChain(["a", "b"], [[0.5, 0.5], [0.5, 0.5]]).fundamental_matrix
    with pytest.raises(ValidationError, match="closed classes"):
        drunkard().stationary_distribution()
    with pytest.raises(ValidationError, match="not in the chain"):
        drunkard().hitting_probabilities("9")
    closed = MarkovChain(["a", "b", "c"], [[0, 1, 0], [1, 0, 0], [0, 0, 1]])
    with pytest.raises(ValidationError, match="never reach"):
        _ = closed.absorption_probabilities


def test_first_passage_infinite_when_not_sure():
    w = drunkard()
    fp = w.first_passage_times("4")
    assert np.isinf(fp["1"]) and fp["4"] == 0


def test_simulation_matches_absorption(true_chain):
    sim = true_chain.simulate(20000, random_state=5)
    end = sim.groupby("walk")["state"].last()
    p = (end == "(conversion)").mean()
    exact = true_chain.absorption_probabilities.loc["(start)", "(conversion)"]
    # binomial standard error at n = 20000 is about 0.0034; allow 4 standard errors
    assert abs(p - exact) < 4 * np.sqrt(exact * (1 - exact) / 20000)
    again = true_chain.simulate(20000, random_state=5)
    pd.testing.assert_frame_equal(sim, again)
