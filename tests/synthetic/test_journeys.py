"""Tests of the synthetic journey world (cjmodels.synthetic.journeys).

References used below:
* absorbing Markov chains (Kemeny & Snell, *Finite Markov Chains*, 1960, ch. 3): with transient
  block Q and absorbing block R, absorption probabilities are B = (I - Q)^-1 R and expected
  visits are the rows of N = (I - Q)^-1. The module solves these linear systems; the tests check
  them against an independent route (matrix powers of the absorbing chain, a Neumann series) and
  against simulation;
* binomial standard errors sqrt(p (1 - p) / n) for simulated proportions.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.data import EventLog, StageScheme
from cjmodels.errors import ValidationError
from cjmodels.synthetic import (
    JourneyParams,
    JourneyWorld,
    simulate_first_journeys,
    simulate_journeys,
)
from cjmodels.synthetic.journey_model import NO_TOUCH
from cjmodels.synthetic.journey_params import CALIBRATION_TARGETS, DEFAULT_CHANNELS

FUNNEL = StageScheme("funnel", ("visit", "cart", "checkout", "purchase"), purchase="purchase")
SCHEMES = ["seven", "six", "five", FUNNEL]


@pytest.fixture(scope="module")
def world() -> JourneyWorld:
    return simulate_journeys(3000, random_state=11)


# ---------------------------------------------------------------------- output format
def test_same_seed_same_world_different_seed_different(world: JourneyWorld) -> None:
    again = simulate_journeys(3000, random_state=11)
    pd.testing.assert_frame_equal(world.events, again.events)
    pd.testing.assert_frame_equal(world.journeys, again.journeys)
    assert world.truth["removal"] == again.truth["removal"]
    other = simulate_journeys(3000, random_state=12)
    assert not world.events.equals(other.events)


def test_generator_random_state_is_recorded_and_reproducible() -> None:
    w = simulate_journeys(200, random_state=np.random.default_rng(3))
    again = simulate_journeys(200, random_state=w.params["seed"])
    pd.testing.assert_frame_equal(w.events, again.events)


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: getattr(s, "name", s))
def test_every_scheme_passes_event_log_validation(scheme) -> None:
    w = simulate_journeys(800, scheme=scheme, days=120, random_state=1)
    log = EventLog(w.events, **w.event_log_options)
    assert log.scheme is not None and log.n_events == len(w.events)
    p = w.model
    ev = w.events
    assert ev.columns.tolist() == [
        "customer_id", "timestamp", "event", "channel", "stage", "value", "segment", "region",
    ]
    assert w.name == "journeys"
    assert pd.api.types.is_datetime64_dtype(ev["timestamp"])
    # sorted by customer, then time, strictly increasing within a customer
    cust = ev["customer_id"].to_numpy()
    ts = ev["timestamp"].to_numpy()
    same = cust[1:] == cust[:-1]
    assert np.all(cust[1:] >= cust[:-1]) and np.all(ts[1:][same] > ts[:-1][same])
    t0, t1 = w.event_log_options["observation_start"], w.event_log_options["observation_end"]
    assert t1 - t0 == pd.Timedelta(120, unit="D")
    assert ev["timestamp"].min() >= t0 and ev["timestamp"].max() < t1
    touch = ev["event"] == "touch"
    assert set(ev["event"]) == {"touch", "conversion"}
    assert set(ev.loc[touch, "stage"]) <= set(p.touch_stages)
    assert set(ev.loc[touch, "channel"]) <= set(p.channels)
    conv = ev[~touch]
    assert conv["channel"].isna().all() and (conv["stage"] == p.scheme.purchase).all()
    assert (conv["value"] > 0).all() and (ev.loc[touch, "value"] == 0).all()
    json.dumps(w.to_dict())  # JSON-safe truth and params


def test_journey_table_agrees_with_events(world: JourneyWorld) -> None:
    ev, jr = world.events, world.journeys
    assert set(jr["outcome"]) <= {"conversion", "drop_out", "censored", "churn"}
    touches = ev[ev["event"] == "touch"].groupby("customer_id").size()
    assert jr.groupby("customer_id")["n_touches"].sum().loc[touches.index].equals(touches)
    conv = ev[ev["event"] == "conversion"]
    assert (jr["outcome"] == "conversion").sum() == len(conv)
    assert jr["value"].sum() == pytest.approx(conv["value"].sum(), rel=1e-12)
    # first journeys start at the customer's first touch; later ones at the purchase before
    first = ev.groupby("customer_id")["timestamp"].min()
    j1 = jr[jr["journey"] == 1].set_index("customer_id")
    assert (j1["start"] == first.loc[j1.index]).all()
    assert ((jr["journey"] > 1) == jr["returning"]).all()
    # every customer has exactly one journey that does not end in conversion (the last)
    last = jr.groupby("customer_id").tail(1)
    assert (last["outcome"] != "conversion").all()
    assert len(last) == world.params["n_customers"]
    assert (jr.loc[jr["outcome"] == "churn", "journey"] >= 2).all()  # churn follows a purchase
    t = world.truth["simulation"]
    assert t["n_events"] == len(ev) and t["n_capped"] == 0


def test_custom_channels_get_documented_defaults() -> None:
    p = JourneyParams.default(FUNNEL, ["a", "b", "c"])
    assert p.lift == {"a": 2.0, "b": 1.5, "c": 1.0}
    for mix in p.channel_mix.values():
        assert mix == pytest.approx({"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}, abs=1e-12)
    w = simulate_journeys(300, scheme=FUNNEL, channels=["a", "b", "c"], random_state=0)
    w.event_log()
    assert set(w.events["channel"].dropna()) <= {"a", "b", "c"}


def test_step_cap_censors_open_journeys() -> None:
    w = simulate_journeys(500, random_state=2, params={"max_steps": 3})
    n_capped = w.truth["simulation"]["n_capped"]
    assert n_capped > 0
    touches = w.events[w.events["event"] == "touch"]
    assert touches.groupby("customer_id").size().max() == 3  # one touch per step
    assert (w.journeys["outcome"] == "censored").sum() >= n_capped


# ---------------------------------------------------------------------- transition matrices
def test_transition_rows_sum_to_one(world: JourneyWorld) -> None:
    p = world.model
    for ch in (*p.channels, NO_TOUCH, None):
        for returning in (False, True):
            for seg in p.segments:
                for reg in p.regions:
                    P = p.transition_matrix(ch, segment=seg, region=reg, returning=returning)
                    assert np.allclose(P.sum(axis=1), 1.0, atol=1e-12)
                    assert (P.to_numpy() >= 0).all()
    long = world.tables["transitions"]
    sums = long.groupby(["returning", "segment", "region", "channel", "from"])["probability"].sum()
    assert np.allclose(sums, 1.0, atol=1e-12)
    assert np.allclose(world.tables["channel_mix"].sum(axis=1), 1.0, atol=1e-12)
    assert np.allclose(world.tables["marginal_transitions"].sum(axis=1), 1.0, atol=1e-12)
    pop = world.tables["marginal_transitions_population"]
    assert np.allclose(pop.sum(axis=1), 1.0, atol=1e-12)


def test_population_marginal_is_what_first_journeys_show() -> None:
    # transition frequencies counted in simulated first journeys (a long window, so censoring is
    # negligible) estimate the visit-weighted population marginal; binomial SE per entry
    w = simulate_journeys(20_000, days=3000, random_state=6)
    ev, jr = w.events, w.journeys
    done = jr[(jr["journey"] == 1) & jr["outcome"].isin(["conversion", "drop_out"])]
    is_conv = (ev["event"] == "conversion").astype(int)
    conv_before = is_conv.groupby(ev["customer_id"]).cumsum() - is_conv
    first = ev[(conv_before == 0) & ev["customer_id"].isin(done["customer_id"])]
    nxt = first.groupby("customer_id")["stage"].shift(-1)
    outcome = first["customer_id"].map(done.set_index("customer_id")["outcome"])
    touch = first["event"] == "touch"
    to = nxt.where(nxt.notna(), "drop_out")[touch]
    counts = pd.crosstab(first.loc[touch, "stage"], to)
    freq = counts.div(counts.sum(axis=1), axis=0)
    exact = w.tables["marginal_transitions_population"]
    assert (outcome[touch & nxt.isna()] == "drop_out").all()
    for s in exact.index:
        n_s = counts.loc[s].sum()
        for t in exact.columns:
            p_true = exact.loc[s, t]
            p_hat = freq.loc[s, t] if t in freq.columns else 0.0
            assert p_hat == pytest.approx(p_true, abs=4 * np.sqrt(p_true * (1 - p_true) / n_s)
                                          + 1e-12), (s, t)


@given(
    lifts=st.lists(st.floats(1.0, 8.0), min_size=10, max_size=10),
    seg=st.floats(0.2, 5.0),
)
def test_rows_sum_to_one_and_removal_effects_in_unit_interval(lifts, seg) -> None:
    # invariants for any lifts >= 1: rows are distributions; removing a channel that helps
    # progress cannot raise conversion, and cannot remove all of it
    p = JourneyParams.default().replace(
        lift=dict(zip(DEFAULT_CHANNELS, lifts, strict=True)), segment_lift={"business": seg}
    )
    for ch in ("email", NO_TOUCH, None):
        P = p.transition_matrix(ch, segment="business", returning=True).to_numpy()
        assert np.allclose(P.sum(axis=1), 1.0, atol=1e-12) and (P >= 0).all()
    eff = p.removal_effects()["removal_effect"]
    assert ((eff >= -1e-12) & (eff < 1)).all()


@pytest.mark.parametrize("stage", ["consideration", "loyalty"])
def test_dwell_times_are_erlang(stage: str) -> None:
    # the gap after a touch in stage s is Gamma(shape, mean_s / shape) whatever happens next;
    # reference: scipy.stats.gamma via a Kolmogorov-Smirnov test (a long window so that
    # truncation at the observation end is negligible)
    w = simulate_journeys(3000, days=3000, random_state=9)
    ev = w.events
    same = ev["customer_id"].to_numpy()[1:] == ev["customer_id"].to_numpy()[:-1]
    gap = np.diff(ev["timestamp"].to_numpy()) / np.timedelta64(1, "D")
    prev = ev.iloc[:-1]
    sel = same & (prev["event"] == "touch").to_numpy() & (prev["stage"] == stage).to_numpy()
    shape, mean = w.model.dwell_shape, w.model.dwell_mean[stage]
    assert sel.sum() > 400
    res = scipy.stats.kstest(gap[sel], scipy.stats.gamma(a=shape, scale=mean / shape).cdf)
    assert res.pvalue > 0.001
    assert gap[sel].mean() == pytest.approx(mean, rel=0.1)


def test_lift_is_an_odds_multiplier_on_progress() -> None:
    # definition: odds(progress | channel) = lift * odds(progress | no touch)
    p = JourneyParams.default()
    base = p.transition_matrix(NO_TOUCH).loc["decision"]
    email = p.transition_matrix("email").loc["decision"]
    odds = lambda f: f / (1 - f)  # noqa: E731
    assert odds(email["purchase"]) / odds(base["purchase"]) == pytest.approx(p.lift["email"])
    # the non-progress entries keep their proportions
    ratio = email[["decision", "consideration", "drop_out"]] / base[
        ["decision", "consideration", "drop_out"]
    ]
    assert np.allclose(ratio, ratio.iloc[0], rtol=1e-12)


# ---------------------------------------------------------------------- exact quantities
@pytest.mark.parametrize("scheme", ["seven", FUNNEL], ids=["seven", "funnel"])
def test_exact_absorption_matches_matrix_powers(scheme) -> None:
    # independent route to B = (I - Q)^-1 R: iterate the absorbing chain (P^n with purchase and
    # drop-out absorbing) until convergence; and N = sum_n Q^n for the expected visits
    p = JourneyParams.default(scheme)
    for seg, reg in (("consumer", "north"), ("business", "west")):
        P = p.transition_matrix(segment=seg, region=reg)
        pre = list(p.pre_stages)
        states = [*pre, p.scheme.purchase, p.scheme.drop_out]
        M = np.zeros((len(states), len(states)))
        M[: len(pre)] = P.loc[pre, states].to_numpy()
        M[len(pre), len(pre)] = M[len(pre) + 1, len(pre) + 1] = 1.0
        Mn = np.linalg.matrix_power(M, 4096)
        entry = np.array([p.entry.get(s, 0.0) for s in pre])
        exact = p.conversion_probability(segment=seg, region=reg)
        assert exact == pytest.approx(entry @ Mn[: len(pre), len(pre)], abs=1e-12)
    # population expected touches: Neumann series sum_n entry Q^n, averaged over groups
    total = 0.0
    for seg, ws in p.segments.items():
        for reg, wr in p.regions.items():
            Q = p.transition_matrix(segment=seg, region=reg).loc[pre, pre].to_numpy()
            v, acc = entry.copy(), np.zeros(len(pre))
            for _ in range(3000):
                acc += v
                v = v @ Q
            total += ws * wr * acc.sum()
    assert p.expected_touches()["total"] == pytest.approx(total, rel=1e-10)


@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: getattr(s, "name", s))
def test_exact_conversion_matches_simulation(scheme) -> None:
    p = JourneyParams.default(scheme)
    n = 100_000
    fj = simulate_first_journeys(n, params=p, random_state=21)
    assert set(fj["outcome"]) == {"conversion", "drop_out"}  # nothing hit the step cap
    exact = p.conversion_probability()
    se = np.sqrt(exact * (1 - exact) / n)
    assert (fj["outcome"] == "conversion").mean() == pytest.approx(exact, abs=4 * se)
    touches = fj["n_touches"]
    assert touches.mean() == pytest.approx(
        p.expected_touches()["total"], abs=4 * touches.std() / np.sqrt(n)
    )
    # expected duration (days from first touch to purchase or drop-out): sum over pre-purchase
    # stages of expected visits (fundamental matrix, Kemeny & Snell) times the mean dwell there
    pre = list(p.pre_stages)
    entry = np.array([p.entry.get(s, 0.0) for s in pre])
    dwell = np.array([p.dwell_mean[s] for s in pre])
    expected = 0.0
    for seg, ws in p.segments.items():
        for reg, wr in p.regions.items():
            Q = p.transition_matrix(segment=seg, region=reg).loc[pre, pre].to_numpy()
            visits = np.linalg.solve((np.eye(len(pre)) - Q).T, entry)
            expected += ws * wr * visits @ dwell
    dur = fj["duration"]
    assert dur.mean() == pytest.approx(expected, abs=4 * dur.std() / np.sqrt(n))
    # one covariate group on its own
    sub = fj[(fj["segment"] == "business") & (fj["region"] == "west")]
    e_g = p.conversion_probability(segment="business", region="west")
    se_g = np.sqrt(e_g * (1 - e_g) / len(sub))
    assert (sub["outcome"] == "conversion").mean() == pytest.approx(e_g, abs=4 * se_g)


@pytest.mark.parametrize("channel", ["organic_search", "store"])
def test_exact_removed_conversion_matches_simulation(channel: str) -> None:
    p = JourneyParams.default()
    n = 100_000
    full = simulate_first_journeys(n, params=p, random_state=5)
    gone = simulate_first_journeys(n, params=p, removed=channel, random_state=5)
    exact = p.conversion_probability(removed=channel)
    se = np.sqrt(exact * (1 - exact) / n)
    y_gone = (gone["outcome"] == "conversion").to_numpy(float)
    assert y_gone.mean() == pytest.approx(exact, abs=4 * se)
    assert (gone["first_channel"] != channel).all()
    # common random numbers: the paired difference is much more precise than either rate
    diff = (full["outcome"] == "conversion").to_numpy(float) - y_gone
    exact_diff = p.conversion_probability() - exact
    assert diff.mean() == pytest.approx(exact_diff, abs=4 * diff.std() / np.sqrt(n))
    assert diff.std() / np.sqrt(n) < se / 2


def test_removal_effects(world: JourneyWorld) -> None:
    rem = world.removal_effects
    # Tolerance 1e-12: the exact effects are 1 - P(removed) / P(full) from two linear solves.
    # Removing a channel moves its mix weight onto the baseline row; with lift 1 the channel's row
    # is the baseline row, but (a + b) x and a x + b x round differently, so the neutral
    # channel's effect is 0 only within a few ulps (0.0 on Python 3.11, 1.1e-16 on 3.12 and 3.13
    # with the same numpy), and could as well be -1e-16
    assert ((rem["exact_removal_effect"] >= -1e-12) & (rem["exact_removal_effect"] < 1)).all()
    assert ((rem["window_removal_effect"] >= 0) & (rem["window_removal_effect"] < 1)).all()
    # display is neutral by construction (lift 1): removing it changes nothing
    assert rem.loc["display", "exact_removal_effect"] == pytest.approx(0.0, abs=1e-12)
    # the simulated effect counts the same common-random-number journeys: exactly 0
    assert rem.loc["display", "window_removal_effect"] == 0.0
    assert rem["exact_removal_effect"].equals(
        world.model.removal_effects()["removal_effect"].rename("exact_removal_effect")
    )


def test_strongest_channel_has_largest_removal_effect() -> None:
    # same mix for every channel, distinct lifts: the ranking of the removal effects must be
    # the ranking of the lifts
    chans = ["a", "b", "c", "d"]
    p = JourneyParams.default(FUNNEL, chans).replace(lift={"a": 1.2, "b": 3.0, "c": 1.0, "d": 2.0})
    eff = p.removal_effects()["removal_effect"]
    assert eff.idxmax() == "b"
    assert list(eff.sort_values().index) == ["c", "a", "d", "b"]
    w = simulate_journeys(4000, scheme=FUNNEL, params=p, random_state=8)
    assert w.removal_effects["window_removal_effect"].idxmax() == "b"


# ---------------------------------------------------------------------- calibration
@pytest.mark.parametrize("scheme", SCHEMES, ids=lambda s: getattr(s, "name", s))
def test_calibrated_model_values_hit_targets(scheme) -> None:
    cal = JourneyParams.default(scheme).calibration()
    for name, value in cal.items():
        assert value == pytest.approx(CALIBRATION_TARGETS[name]["target"], abs=1e-8), name


def test_single_pre_purchase_stage_calibrates_conversion_only() -> None:
    tiny = StageScheme("tiny", ("browse", "purchase", "fan"), purchase="purchase")
    cal = JourneyParams.default(tiny).calibration()
    assert cal["new_prospect_conversion"] == pytest.approx(0.125, abs=1e-8)
    # everyone reaches the only pre-purchase stage, so abandonment = 1 - conversion
    assert cal["decision_abandonment"] == pytest.approx(0.875, abs=1e-8)


def test_realised_calibration_in_simulated_data() -> None:
    w = simulate_journeys(20_000, random_state=4)
    cal = w.truth["calibration"]
    assert list(cal) == list(CALIBRATION_TARGETS)
    for name, c in cal.items():
        se = np.sqrt(c["model"] * (1 - c["model"]) / c["n"])
        assert c["n"] > 500, name
        assert c["realised"] == pytest.approx(c["model"], abs=4 * se), name
        lo, hi = c["range"]
        assert lo - 4 * se <= c["realised"] <= hi + 4 * se, name
    conv = w.truth["conversion"]
    assert conv["returning_journey"] > 3 * conv["first_journey"]  # loyal customers buy again


# ---------------------------------------------------------------------- common random numbers
def test_crn_removed_world_leaves_unexposed_customers_unchanged(world: JourneyWorld) -> None:
    gone = simulate_journeys(3000, random_state=11, removed="paid_search")
    ev, ev2 = world.events, gone.events
    exposed = set(ev.loc[ev["channel"] == "paid_search", "customer_id"])
    assert 0 < len(exposed) < 3000
    keep = ~ev["customer_id"].isin(exposed)
    keep2 = ~ev2["customer_id"].isin(exposed)
    pd.testing.assert_frame_equal(
        ev[keep].reset_index(drop=True), ev2[keep2].reset_index(drop=True)
    )
    assert not (ev2["channel"] == "paid_search").any()
    # exposed customers: identical up to their first paid_search touch
    first = ev[ev["channel"] == "paid_search"].groupby("customer_id")["timestamp"].min()
    before = ev[ev["customer_id"].isin(exposed)]
    before = before[before["timestamp"] < before["customer_id"].map(first)]
    after = ev2[ev2["customer_id"].isin(exposed)]
    after = after[after["timestamp"] < after["customer_id"].map(first)]
    pd.testing.assert_frame_equal(before.reset_index(drop=True), after.reset_index(drop=True))
    # the stacked re-simulation behind the truth table is the same counterfactual world
    row = world.removal_effects.loc["paid_search"]
    assert row["window_conversions"] == gone.truth["simulation"]["n_conversions"]
    assert row["window_conversion_rate"] == pytest.approx(
        gone.truth["removal"]["window_conversion_rate"], abs=1e-15
    )
    assert gone.truth["conversion"]["first_journey"] == pytest.approx(
        row["exact_conversion_probability"], abs=1e-15
    )


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_customers": -5}, r"n_customers == -5, must be >= 1"),
        ({"n_customers": 2.5}, r"n_customers == 2.5, must be of type int"),
        ({"days": 0}, r"days == 0, must be > 0"),
        ({"scheme": "eight"}, r"scheme == 'eight', must be a StageScheme or one of"),
        ({"start": "not a date"}, r"start == 'not a date'"),
        ({"random_state": "x"}, r"random_state"),
        ({"removed": "tiktok"}, r"cannot remove channel 'tiktok'"),
        ({"channels": []}, r"channels == \[\], must be a non-empty list"),
        ({"params": {"channel_mix": {"awareness": {"tiktok": 1.0}}}},
         r"channel_mix\['awareness'\] names unknown channels \['tiktok'\]"),
        ({"params": {"channel_mix": {"awareness": {"email": 0.5, "sms": 0.4}}}},
         r"channel_mix\['awareness'\] sums to 0.9, must sum to 1"),
        ({"params": {"transitions": {"decision": {"purchase": 0.5, "drop_out": 0.4}}}},
         r"transitions\['decision'\] sums to 0.9, must sum to 1"),
        ({"params": {"transitions": {"decision": {"loyalty": 1.0}}}},
         r"transitions\['decision'\] names \['loyalty'\], which are not allowed"),
        ({"params": {"lift": {"email": -1.0}}}, r"lift\['email'\] == -1.0, must be > 0"),
        ({"params": {"entry": {"awareness": 0.5}}}, r"entry sums to 0.5"),
        ({"params": {"dwell_shape": 20}}, r"dwell_shape == 20, must be <= 12"),
        ({"params": {"colour": "red"}}, r"unknown JourneyParams fields \['colour'\]"),
        ({"params": {"transitions": {"loyalty": {"loyalty": 1.0}}}},
         r"from stages \['loyalty'\] the customer can never reach re-entry or churn"),
        ({"params": "abc"}, r"params must be a JourneyParams"),
    ],
)
def test_bad_parameters_raise_validation_error(kwargs, match) -> None:
    args = {"n_customers": 50, "random_state": 0, **kwargs}
    n = args.pop("n_customers")
    with pytest.raises(ValidationError, match=match):
        simulate_journeys(n, **args)


def test_scheme_without_pre_purchase_stage_is_rejected() -> None:
    bad = StageScheme("bad", ("purchase", "loyalty"), purchase="purchase")
    with pytest.raises(ValidationError, match="no stage before its purchase stage"):
        JourneyParams.default(bad)
