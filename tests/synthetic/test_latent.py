"""Tests of the latent-stage world (cjmodels.synthetic.latent)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cjmodels.data import journeys
from cjmodels.errors import ValidationError
from cjmodels.synthetic.latent import (
    DEFAULT_LATENT_EMISSIONS,
    DEFAULT_LATENT_START,
    DEFAULT_LATENT_TRANSITIONS,
    LatentWorld,
    simulate_latent_journeys,
)


@pytest.fixture(scope="module")
def world() -> LatentWorld:
    return simulate_latent_journeys(6000, random_state=12)


def test_event_log_and_tables(world):
    ev = world.events
    assert ev.columns.tolist() == ["customer_id", "timestamp", "event", "channel", "value"]
    log = world.event_log()  # validates
    assert log.n_events == len(ev)
    touches = world.touches
    assert (ev["event"].iloc[touches["event_row"]] == "touch").all()
    assert (ev["channel"].iloc[touches["event_row"]].to_numpy() == touches["channel"]).all()
    assert len(touches) == (ev["event"] == "touch").sum() == world.truth["simulation"]["n_touches"]
    assert ev.loc[ev["event"] != "touch", "channel"].isna().all()
    assert (ev.loc[ev["event"] == "conversion", "value"] > 0).all()
    assert "stage" not in ev.columns  # the stages are latent
    # the data layer sees the same journeys and outcomes as the world
    j = journeys(log)
    assert len(j) == 6000
    truth_j = world.tables["journeys"].set_index("customer_id")
    assert (j.set_index("customer_id")["outcome"].astype(str) == truth_j["outcome"]).all()
    assert (j.set_index("customer_id")["n_touches"] == truth_j["n_touches"]).all()
    json.dumps(world.to_dict())
    assert repr(world).startswith("LatentWorld(name='latent_journeys'")


def test_seeded():
    a = simulate_latent_journeys(300, random_state=4)
    b = simulate_latent_journeys(300, random_state=4)
    c = simulate_latent_journeys(300, random_state=5)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert not a.events.equals(c.events)


def test_exact_quantities_against_power_iteration(world):
    # Independent check of the absorbing-chain algebra: iterate the full chain 2000 steps.
    k = 3
    full = np.zeros((k + 2, k + 2))
    full[:k] = DEFAULT_LATENT_TRANSITIONS
    full[k, k] = full[k + 1, k + 1] = 1.0
    dist = np.concatenate([DEFAULT_LATENT_START, [0, 0]])
    touches = 0.0
    for _ in range(2000):
        touches += dist[:k].sum()
        dist = dist @ full
    assert world.truth["conversion_probability"] == pytest.approx(dist[k], abs=1e-12)
    assert world.truth["expected_touches"] == pytest.approx(touches, abs=1e-9)


def test_simulated_frequencies_match_truth(world):
    # Chi-square goodness of fit (alpha 0.001) of entry stages, of channels given the true
    # stage, and of the moves out of each stage; and the conversion share of journeys that
    # ended, against the exact probability (normal approximation, 4 SE).
    t = world.touches
    first = t.groupby("customer_id").head(1)
    stages = world.stages
    obs = first["stage"].value_counts().reindex(stages, fill_value=0).to_numpy()
    assert stats.chisquare(obs, DEFAULT_LATENT_START * obs.sum()).pvalue > 1e-3
    for i, s in enumerate(stages):
        obs = t.loc[t["stage"] == s, "channel"].value_counts().reindex(
            world.truth["channels"], fill_value=0).to_numpy()
        assert stats.chisquare(obs, DEFAULT_LATENT_EMISSIONS[i] * obs.sum()).pvalue > 1e-3
    # moves: next touch's stage, or the journey's end (only journeys that ended)
    jr = world.tables["journeys"].set_index("customer_id")
    nxt = t.groupby("customer_id")["stage"].shift(-1)
    last = nxt.isna()
    outcome = jr.loc[t["customer_id"], "outcome"].to_numpy()
    target = nxt.to_numpy(dtype=object)
    target[last.to_numpy()] = np.where(outcome[last.to_numpy()] == "conversion", "(conversion)",
                                       np.where(outcome[last.to_numpy()] == "drop_out", "(null)",
                                                None))
    keep = pd.notna(target)
    cols = [*stages, "(conversion)", "(null)"]
    for i, s in enumerate(stages):
        sel = keep & (t["stage"] == s).to_numpy()
        obs = pd.Series(target[sel]).value_counts().reindex(cols, fill_value=0).to_numpy()
        expected = DEFAULT_LATENT_TRANSITIONS[i] * obs.sum()
        assert stats.chisquare(obs, expected).pvalue > 1e-3, (s, obs, expected)
    ended = jr["outcome"] != "censored"
    p = world.truth["conversion_probability"]
    share = (jr.loc[ended, "outcome"] == "conversion").mean()
    assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / ended.sum())


def test_hmm_params_layout(world):
    p = world.hmm_params()
    assert p["transmat"].shape == (5, 5) and p["emissionprob"].shape == (5, 8)
    np.testing.assert_allclose(p["transmat"].sum(axis=1), 1)
    np.testing.assert_allclose(p["emissionprob"].sum(axis=1), 1)
    order = sorted(world.truth["channels"])
    np.testing.assert_allclose(p["emissionprob"][0, :6],
                               world.tables["emissionprob"].loc["awareness", order])
    with pytest.raises(ValidationError, match="not channels"):
        world.hmm_params(["tv"])


def test_censoring_at_window_end():
    w = simulate_latent_journeys(500, days=20, random_state=3)
    end = pd.Timestamp("2025-01-21")
    assert (w.events["timestamp"] < end).all()
    assert w.truth["simulation"]["journeys_by_outcome"]["censored"] > 0


def test_custom_world_and_bad_input():
    w = simulate_latent_journeys(
        50, stages=["early", "late"], channels=["x", "y"], startprob=[1.0, 0.0],
        transitions=[[0.5, 0.3, 0.0, 0.2], [0.0, 0.5, 0.3, 0.2]],
        emissionprob=[[0.9, 0.1], [0.2, 0.8]], random_state=0,
    )
    assert w.stages == ["early", "late"]
    first = w.touches.groupby("customer_id")["stage"].first()
    assert (first == "early").all()
    with pytest.raises(ValidationError, match="transitions has shape"):
        simulate_latent_journeys(10, transitions=np.eye(3))
    with pytest.raises(ValidationError, match="rows must sum to 1"):
        simulate_latent_journeys(10, startprob=[0.5, 0.2, 0.2])
    with pytest.raises(ValidationError, match="never leave"):
        simulate_latent_journeys(10, transitions=[[1, 0, 0, 0, 0], [0, 1, 0, 0, 0],
                                                  [0, 0, 1, 0, 0]])
    with pytest.raises(ValidationError, match="n_customers"):
        simulate_latent_journeys(0)
    with pytest.raises(ValidationError, match="channels"):
        simulate_latent_journeys(10, channels=["a", "a", "b", "c", "d", "e"])
