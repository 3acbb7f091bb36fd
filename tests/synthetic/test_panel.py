"""The panel world: a known continuous-time journey seen at irregular snapshots."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import linalg, stats

from cjmodels.data import EventLog
from cjmodels.errors import ValidationError
from cjmodels.markov.multistate import fit_multistate
from cjmodels.synthetic.panel import PanelWorld, default_panel_qmatrix, simulate_panel


def test_deterministic_and_well_formed():
    w1 = simulate_panel(300, random_state=7)
    w2 = simulate_panel(300, random_state=7)
    assert isinstance(w1, PanelWorld)
    pd.testing.assert_frame_equal(w1.events, w2.events)
    json.dumps(w1.to_dict())
    log = w1.event_log()
    assert isinstance(log, EventLog) and log.n_customers == 300
    ev = w1.events
    first = ev.groupby("customer_id").head(1)
    assert (first["stage"] == "awareness").all() and (first["event"] == "touch").all()
    # nothing is recorded after a purchase or a drop-out
    last = ev.groupby("customer_id").tail(1)
    absorbed = ev[ev["event"] != "touch"]
    assert absorbed["customer_id"].is_unique
    assert set(absorbed.index) <= set(last.index)
    assert set(ev.loc[ev["event"] == "conversion", "stage"]) <= {"purchase"}
    assert set(ev.loc[ev["event"] == "drop_out", "stage"]) <= {"drop_out"}
    assert ev["timestamp"].max() < pd.Timestamp("2025-01-01") + pd.Timedelta(days=180)


def test_truth_is_consistent():
    w = simulate_panel(50, random_state=1)
    q = w.true_qmatrix().to_numpy()
    np.testing.assert_allclose(q.sum(axis=1), 0, atol=1e-15)
    p30 = w.true_pmatrix(30.0).to_numpy()
    np.testing.assert_allclose(p30, w.truth["pmatrix"]["30.0"], atol=1e-14)
    np.testing.assert_allclose(p30.sum(axis=1), 1, atol=1e-12)
    q1 = w.true_qmatrix(1).to_numpy()
    s = w.states
    assert q1[s.index("decision"), s.index("purchase")] == pytest.approx(
        2 * q[s.index("decision"), s.index("purchase")])
    assert list(default_panel_qmatrix("seven").index) == [
        "awareness", "interest", "consideration", "decision", "purchase", "drop_out"]


def test_simulated_paths_have_the_true_absorption_probabilities():
    # independent of the fitter: with a window long enough for everyone to be absorbed, the share
    # of purchases among non-returning customers is the chain's absorption probability
    w = simulate_panel(4000, days=20000, mean_gap_days=500, p_returning=0.0, random_state=11)
    q = w.true_qmatrix().to_numpy()
    tr = [0, 1, 2, 3]
    b = np.linalg.solve(-q[np.ix_(tr, tr)], q[np.ix_(tr, [4, 5])])
    ev = w.events
    p_hat = (ev["event"] == "conversion").sum() / 4000
    assert (ev["event"] != "touch").sum() == 4000
    se = np.sqrt(b[0, 0] * (1 - b[0, 0]) / 4000)
    assert abs(p_hat - b[0, 0]) < 4 * se


def test_bad_parameters():
    with pytest.raises(ValidationError, match="n_customers"):
        simulate_panel(0)
    with pytest.raises(ValidationError, match="not an allowed transition"):
        simulate_panel(10, hazard_ratios={("purchase", "awareness"): 2.0})
    with pytest.raises(ValidationError, match="mean_gap_days"):
        simulate_panel(10, mean_gap_days=-1.0)


def test_fit_recovers_the_truth_from_the_event_log():
    w = simulate_panel(2000, random_state=3)
    fit = fit_multistate(w.event_log(), center=False, **w.fit_options())
    assert fit.converged and fit.identifiable
    z = (fit.params - w.true_params) / fit.se
    assert np.all(np.abs(z) < 3.5), z
    # P(30 days) from awareness, returning = 0, within its interval's reach
    tab = fit.pmatrix_intervals(30.0, covariates={"returning": 0})
    truth = w.true_pmatrix(30.0).to_numpy().ravel()
    width = (tab["ci_high"] - tab["ci_low"]).to_numpy()
    assert np.all(np.abs(tab["estimate"].to_numpy() - truth) <= width + 1e-12)


def _coverage(n_rep: int, n_customers: int, seed: int) -> np.ndarray:
    z = stats.norm.ppf(0.975)
    hits = []
    seeds = np.random.SeedSequence(seed).spawn(n_rep)
    for ss in seeds:
        w = simulate_panel(n_customers, random_state=np.random.default_rng(ss))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = fit_multistate(w.event_log(), center=False, **w.fit_options())
        hits.append(np.abs(fit.params - w.true_params) <= z * fit.se)
    return np.array(hits)


def test_interval_coverage_quick():
    # 8 seeded worlds x 12 parameters: pooled coverage of the 95% Wald intervals
    hits = _coverage(8, 800, seed=2024)
    assert hits.mean() >= 0.85


@pytest.mark.slow
def test_interval_coverage_near_nominal():
    # 200 seeded worlds of 1000 customers: every parameter's 95% interval covers in
    # [0.91, 0.985] of worlds (binomial sd 0.015), pooled in [0.93, 0.97]
    hits = _coverage(200, 1000, seed=7)
    per = hits.mean(axis=0)
    assert np.all((per >= 0.91) & (per <= 0.985)), per
    assert 0.93 <= hits.mean() <= 0.97


def test_true_pmatrix_is_expm():
    w = simulate_panel(20, random_state=0)
    np.testing.assert_allclose(w.true_pmatrix(5.0, returning=1).to_numpy(),
                               linalg.expm(w.true_qmatrix(1).to_numpy() * 5.0))
