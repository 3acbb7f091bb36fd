"""Life-cycle chains: R markovchain reference values, hand-worked sequence rules, recovery of a
simulated life cycle and of the synthetic journey world, interval coverage, the state diagram."""

from __future__ import annotations

import dataclasses
import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import JourneySpec, lifecycle_transitions
from cjmodels.errors import ValidationError
from cjmodels.markov import MarkovChain, fit_chain, lifecycle_chain
from cjmodels.markov.passage import _passage

REF = pd.read_csv(
    Path(__file__).parent / "reference" / "lifecycle_values.csv", keep_default_na=False
).astype({"value": float})
R_NAMES = {"start": "(start)", "null": "(null)"}

# The life-cycle chain of reference/lifecycle_reference.R (same matrix).
LC_STATES = ("(start)", "a", "b", "purchase", "post", "(null)")
P_LC = np.array([
    [0, 0.8, 0.2, 0, 0, 0],
    [0, 0.3, 0.4, 0, 0, 0.3],
    [0, 0.1, 0.3, 0.3, 0, 0.3],
    [0, 0, 0, 0, 0.9, 0.1],
    [0, 0, 0.25, 0, 0.45, 0.3],
    [0, 0, 0, 0, 0, 1],
])
# Mean days of a step out of each state (exponential); the clock starts at the first event.
DWELL = {"(start)": 0.0, "a": 1.0, "b": 3.0, "purchase": 2.0, "post": 10.0, "(null)": 0.0}
D_TRUE = np.repeat([[DWELL[s]] for s in LC_STATES], len(LC_STATES), axis=1)


def _ref(name: str) -> pd.DataFrame:
    r = REF[REF["name"] == name].copy()
    r["row"] = r["row"].map(lambda s: R_NAMES.get(s, s))
    r["col"] = r["col"].map(lambda s: R_NAMES.get(s, s))
    return r


def exact_chain(restart: bool = False):
    """The reference chain as a life-cycle chain from counts (1000 lives: exact MLE)."""
    counts = {(f, t): 1000 * P_LC[i, j] for i, f in enumerate(LC_STATES)
              for j, t in enumerate(LC_STATES) if P_LC[i, j] > 0 and f != "(null)"}
    return lifecycle_chain(counts, purchase="purchase", restart=restart)


def simulate_lives(n: int, seed: int, *, silent: bool = False) -> pd.DataFrame:
    """Event log of ``n`` customers' whole lives from the reference chain.

    Each step out of state ``s`` takes an exponential time with mean ``DWELL[s]``; a purchase is
    a conversion event, leaving a drop_out event (or nothing when ``silent``). The window is long
    enough that every life is complete.
    """
    g_walk, g_time = np.random.default_rng(seed).spawn(2)
    sim = MarkovChain(LC_STATES, P_LC, start="(start)").simulate(n, random_state=g_walk)
    sim = sim[sim["state"] != "(start)"].reset_index(drop=True)
    walk = sim["walk"].to_numpy()
    state = sim["state"].to_numpy()
    first = np.r_[True, walk[1:] != walk[:-1]]
    mean_gap = np.r_[0.0, np.array([DWELL[s] for s in state[:-1]])]
    gap = np.where(first, g_time.random(len(sim)) * 100, g_time.exponential(1.0, len(sim)) *
                   mean_gap)
    t = pd.Series(gap).groupby(walk).cumsum().to_numpy()
    event = np.select([state == "purchase", state == "(null)"], ["conversion", "drop_out"],
                      "touch")
    df = pd.DataFrame({"customer_id": walk, "timestamp": t, "event": event,
                       "stage": np.where(event == "touch", state, None)})
    if silent:
        df = df[df["event"] != "drop_out"]
    return df


# ---------------------------------------------------------------------------- R references
def test_passage_against_r_markovchain():
    # R markovchain 0.9.1: hittingProbabilities(mc) on the chain in
    # reference/lifecycle_reference.R: the probability of reaching j from i at a step >= 1
    # (the repeat purchase is hitting[purchase, purchase]). Tolerance 1e-12.
    lc = exact_chain()
    for _, r in _ref("hitting").iterrows():
        if r["row"] == "(null)" or r["col"] in ("(null)", "(start)"):
            continue
        got = lc.passage(r["row"], r["col"]).probability
        assert got == pytest.approx(r["value"], abs=1e-12), (r["row"], r["col"])
    assert lc.repeat_purchase().probability == pytest.approx(0.190909090909091, abs=1e-12)
    # expected steps given the purchase is reached: Doob h-transform in base R (the same
    # script; markovchain has no conditional passage time). Tolerance 1e-10.
    steps = _ref("steps_given").set_index("col")["value"]
    for s in ("a", "b", "post"):
        assert lc.passage(s, "purchase").table.loc["steps", "estimate"] == pytest.approx(
            steps[s], abs=1e-10)
    rep = _ref("repeat_steps")["value"].iloc[0]
    assert lc.repeat_purchase().table.loc["steps", "estimate"] == pytest.approx(rep, abs=1e-10)
    assert np.isnan(lc.repeat_purchase().table.loc["days", "estimate"])  # counts have no times


def test_stationary_recurrence_first_passage_against_r():
    # R markovchain 0.9.1 on the restart chain ((null) -> (start)): steadyStates(mr),
    # meanRecurrenceTime(mr), meanFirstPassageTime(mr). Tolerance 1e-10.
    lc = exact_chain(restart=True)
    st = lc.stationary()
    for _, r in _ref("steady").iterrows():
        assert st.loc[r["col"], "probability"] == pytest.approx(r["value"], abs=1e-10)
    for _, r in _ref("recurrence").iterrows():
        assert st.loc[r["col"], "recurrence_steps"] == pytest.approx(r["value"], abs=1e-10)
    for _, r in _ref("first_passage").iterrows():
        if r["row"] != r["col"]:
            got = lc.chain.first_passage_times(r["col"])[r["row"]]
            assert got == pytest.approx(r["value"], abs=1e-10)
    np.testing.assert_allclose(st["probability"].sum(), 1.0)
    assert (st["ci_low"] <= st["probability"]).all() and (st["probability"] <= st["ci_high"]).all()


def test_mle_from_customer_sequences_against_r():
    # R markovchain 0.9.1: markovchainFit(data = seqs, method = "mle") on five customers' whole
    # sequences (reference/lifecycle_reference.R); transient rows agree to 1e-12 (R leaves the
    # absorbing row all zero; ours is an identity row).
    seqs = [["a", "b", "purchase", "post", "b", "purchase", "null"], ["a", "a", "null"],
            ["b", "purchase", "post", "post", "null"], ["a", "b", "b", "purchase", "null"],
            ["b", "a", "b", "purchase", "post", "b", "null"]]
    rows = []
    for c, s in enumerate(seqs):
        for i, x in enumerate(s):
            ev = {"purchase": "conversion", "null": "drop_out"}.get(x, "touch")
            rows.append((c, float(i), ev, x if ev == "touch" else None))
    df = pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "stage"])
    lc = lifecycle_chain(df, purchase="purchase", returning=False)
    p = lc.transition_matrix
    for _, r in _ref("mle").iterrows():
        if r["row"] == "(null)":
            continue
        assert p.loc[r["row"], r["col"]] == pytest.approx(r["value"], abs=1e-12)
    assert p.loc["(null)", "(null)"] == 1.0


# ---------------------------------------------------------------------------- sequence rules
def _df(rows):
    return pd.DataFrame(rows, columns=["customer_id", "timestamp", "event", "stage"])


def test_without_leaving_the_chain_warns():
    # without a timeout nobody leaves (the rules: tests/data/test_lives.py): warned
    df = _df([(1, 0.0, "touch", "a"), (1, 30.0, "touch", "b"), (1, 31.0, "conversion", None),
              (1, 33.0, "touch", "post")])
    with pytest.raises(ValidationError, match=r"\['post'\] are never left"), \
            pytest.warns(UserWarning, match="no customer"):
        lifecycle_chain(df, purchase="purchase", returning=False)
    with pytest.warns(UserWarning, match="no customer is seen to leave"), \
            pytest.warns(UserWarning, match="prior mean"):
        lifecycle_chain(df, purchase="purchase", prior="jeffreys", returning=False)


def test_comebacks_are_warned_and_reduced_lives_are_fitted():
    df = _df([(1, 0.0, "touch", "a"), (1, 1.0, "drop_out", None), (1, 5.0, "touch", "b"),
              (1, 6.0, "conversion", None), (1, 7.0, "drop_out", None)])
    with pytest.warns(UserWarning, match="1 customers have events after a drop_out"):
        lc = lifecycle_chain(df, purchase="purchase")
    lives = lifecycle_transitions(df, purchase="purchase")
    with pytest.warns(UserWarning, match="comeback"):
        again = lifecycle_chain(lives)
    np.testing.assert_array_equal(again.fit.counts, lc.fit.counts)
    with pytest.raises(ValidationError, match="already reduced"):
        lifecycle_chain(lives, spec=JourneySpec())
    with pytest.raises(ValidationError, match="order=2 would be ignored"):
        lifecycle_chain(df, spec=JourneySpec(order=2))


def test_scheme_order_and_purchase_name():
    from cjmodels.synthetic import simulate_journeys

    log = simulate_journeys(200, random_state=3).event_log()
    lc = lifecycle_chain(log, spec=JourneySpec(timeout="30D"))
    plain = tuple(s for s in log.scheme.stages if s in lc.states)
    assert lc.states[1 : len(plain) + 1] == plain  # then the returning states, in scheme order
    back = [s[: -len(" (returning)")] for s in lc.states[len(plain) + 1 : -1]]
    assert back == [s for s in log.scheme.pre_purchase if s in back] and back
    assert lc.purchase == "purchase" and lc.states.index("purchase") == 5


def test_bad_input():
    df = simulate_lives(50, 1)
    with pytest.raises(ValidationError, match="restart=True"):
        lifecycle_chain(df, purchase="purchase").stationary()
    with pytest.raises(ValidationError, match="pooled counts"):
        exact_chain().repeat_purchase(method="bootstrap")
    with pytest.raises(ValidationError, match="purchase == 'buy'"):
        lifecycle_chain({("(start)", "a"): 2, ("a", "(null)"): 2}, purchase="buy")
    with pytest.raises(ValidationError, match="every customer reaches it"):
        exact_chain().passage("a", "(null)")
    with pytest.raises(ValidationError, match="not in the chain"):
        exact_chain().passage("a", "zz")
    with pytest.raises(ValidationError, match="have no stage"):
        lifecycle_chain(_df([(1, 0.0, "touch", None), (1, 1.0, "touch", "a")]))
    with pytest.raises(ValidationError, match="method"):
        exact_chain().repeat_purchase(method="exact")
    bad = _df([(1, 0.0, "touch", "a"), (1, 1.0, "touch", "b"), (2, 0.0, "touch", "a"),
               (2, 1.0, "drop_out", None)])
    with pytest.raises(ValidationError, match=r"\['b'\] are never left"):
        lifecycle_chain(bad)
    with pytest.warns(UserWarning, match="made absorbing"):
        lifecycle_chain(bad, zero_rows="absorb")


# ---------------------------------------------------------------------------- recovery
def test_recovers_simulated_life_cycle_and_times():
    df = simulate_lives(4000, seed=21)
    lc = lifecycle_chain(df, purchase="purchase", returning=False)
    truth = _passage(P_LC, D_TRUE, 3, 3)  # repeat purchase: [P, steps | reach, days | reach]
    rp = lc.repeat_purchase(alpha=0.01).table
    for q, v in zip(["probability", "steps", "days"], truth, strict=True):
        assert rp.loc[q, "ci_low"] <= v <= rp.loc[q, "ci_high"], (q, v, rp.loc[q])
    # the same data, directly: steps and days from each purchase to the same customer's next
    # purchase (lives are complete, so every next purchase is seen). The chain's estimates are
    # the model-based versions of these averages: agree within 3 standard errors.
    s = df.assign(step=df.groupby("customer_id").cumcount())
    buys = s[s["event"] == "conversion"]
    nxt = buys.groupby("customer_id")[["step", "timestamp"]].diff().dropna()
    assert len(nxt) > 100
    for q, col in (("steps", "step"), ("days", "timestamp")):
        emp, se = nxt[col].mean(), nxt[col].std() / np.sqrt(len(nxt))
        assert abs(rp.loc[q, "estimate"] - emp) < 3 * np.hypot(se, rp.loc[q, "se"]), q
    share = (buys.groupby("customer_id").size() - 1).sum() / len(buys)
    assert abs(rp.loc["probability", "estimate"] - share) < 0.01  # the same counts


def test_silent_leaving_with_timeout_matches_explicit_events():
    explicit = lifecycle_chain(simulate_lives(1500, seed=5), purchase="purchase")
    assert "b (returning)" in explicit.states
    silent = lifecycle_chain(simulate_lives(1500, seed=5, silent=True),
                             spec=JourneySpec(timeout=200), purchase="purchase",
                             observation_end=1e6)
    np.testing.assert_allclose(silent.transition_matrix, explicit.transition_matrix)


def test_bootstrap_agrees_with_delta_and_is_deterministic():
    lc = lifecycle_chain(simulate_lives(1500, seed=8), purchase="purchase", returning=False)
    d = lc.repeat_purchase().table
    b = lc.repeat_purchase(method="bootstrap", n_boot=300, random_state=2).table
    b2 = lc.repeat_purchase(method="bootstrap", n_boot=300, random_state=2).table
    pd.testing.assert_frame_equal(b, b2)
    np.testing.assert_allclose(b["se"], d["se"], rtol=0.25)
    st = lifecycle_chain(simulate_lives(1500, seed=8), purchase="purchase", restart=True)
    np.testing.assert_allclose(st.stationary(method="bootstrap", n_boot=200, random_state=1)["se"],
                               st.stationary()["se"], rtol=0.3)


def _homogeneous_world(n: int, days: float, seed: int):
    from cjmodels.synthetic import JourneyParams, simulate_journeys

    # One segment and region, so that the channel-averaged stage process is exactly a
    # first-order chain (new prospects' rows: truth["marginal_transitions"]; returning customers
    # have their own pre-purchase rows, with the calibrated returning lift).
    params = dataclasses.replace(
        JourneyParams.default(), segments={"all": 1.0}, segment_lift={"all": 1.0},
        regions={"all": 1.0}, region_lift={"all": 1.0})
    return simulate_journeys(n, days=days, random_state=seed, params=params)


def test_recovers_synthetic_journey_world():
    world = _homogeneous_world(3000, 720.0, 5)
    lc = lifecycle_chain(world.event_log(), spec=JourneySpec(timeout="60D"))
    conv = world.truth["conversion"]
    # exact truth from the simulator's own linear algebra: a buyer re-enters with
    # reentry_probability, and a repeat journey converts with returning_journey; a new
    # prospect's first journey converts with first_journey
    true_repeat = conv["reentry_probability"] * conv["returning_journey"]
    rp = lc.repeat_purchase(alpha=0.01).table.loc["probability"]
    assert rp["ci_low"] <= true_repeat <= rp["ci_high"]
    fp = lc.first_purchase(alpha=0.01).table.loc["probability"]
    assert fp["ci_low"] <= conv["first_journey"] <= fp["ci_high"]
    # pooling new and returning customers (returning=False) misses the repeat purchase
    pooled = lifecycle_chain(world.event_log(), spec=JourneySpec(timeout="60D"),
                             returning=False)
    assert pooled.repeat_purchase(alpha=0.01).table.loc["probability", "ci_high"] < true_repeat
    # every new-prospect and post-purchase transition inside its 99% Wilson interval (allow
    # one miss of ~30)
    name = {"drop_out": "(null)", "churn": "(null)"}
    true = pd.DataFrame(0.0, index=list(lc.states), columns=list(lc.states))
    for f, row in world.truth["marginal_transitions"].items():
        for t, v in row.items():
            t = name.get(t, t)
            if f in world.model.post_stages + ("purchase",) and t in world.model.pre_stages:
                t = f"{t} (returning)"  # re-entry leads into the returning states
            true.loc[f, t] += v
    for s, v in world.truth["entry"].items():
        true.loc["(start)", s] = v
    iv = lc.intervals("wilson", alpha=0.01).table
    iv = iv[(iv["row_total"] > 0) & ~iv["from_state"].str.endswith("(returning)")]
    assert len(iv) > 25
    tp = np.array([true.loc[f, t] for f, t in zip(iv["from_state"], iv["to_state"], strict=True)])
    inside = (iv["ci_low"].to_numpy() <= tp + 1e-12) & (tp <= iv["ci_high"].to_numpy() + 1e-12)
    assert (~inside).sum() <= 1, iv[~inside]
    # days: the world's dwell means are the mean step times; the true days from the start to a
    # first purchase is inside the 99% interval
    dwell = world.truth["dwell_mean_days"]
    d = np.array([[dwell.get(s, 0.0)] * len(lc.states) for s in lc.states])
    i = lc.states.index("purchase")
    true_days = _passage(true.to_numpy(), d, 0, i)[2]
    r = lc.first_purchase(alpha=0.01).table.loc["days"]
    assert r["ci_low"] <= true_days <= r["ci_high"]


# ---------------------------------------------------------------------------- coverage
def _coverage(reps: int, n: int, seed: int) -> dict[str, float]:
    truth = _passage(P_LC, D_TRUE, 3, 3)
    pi = exact_chain(restart=True).stationary()["probability"]
    hits: dict[str, list[bool]] = {"probability": [], "steps": [], "days": [], "stationary": []}
    for g in np.random.default_rng(seed).spawn(reps):
        df = simulate_lives(n, int(g.integers(2**31)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            lc = lifecycle_chain(df, purchase="purchase", restart=True, returning=False)
        t = lc.repeat_purchase().table
        for q, v in zip(["probability", "steps", "days"], truth, strict=True):
            hits[q].append(t.loc[q, "ci_low"] <= v <= t.loc[q, "ci_high"])
        st = lc.stationary()
        hits["stationary"].append(st.loc["purchase", "ci_low"] <= pi["purchase"]
                                  <= st.loc["purchase", "ci_high"])
    return {k: float(np.mean(v)) for k, v in hits.items()}


def test_coverage_near_nominal_fast():
    # 150 replications of 400 customers' lives: coverage of 95% delta intervals for the
    # repeat-purchase probability, steps and days given a repeat purchase, and the stationary
    # share of the purchase state. Recorded (seed 31): probability 0.960, steps 0.947, days
    # 0.907, stationary 0.953; a 150-replicate estimate has sd ~0.018. With 1000 replications
    # (seed 32, the slow test): 0.954, 0.954, 0.949, 0.941.
    cov = _coverage(150, 400, seed=31)
    for k, v in cov.items():
        assert 0.89 <= v <= 0.99, (k, v, cov)


@pytest.mark.slow
def test_coverage_near_nominal_slow():
    cov = _coverage(1000, 400, seed=32)
    for k, v in cov.items():
        assert 0.93 <= v <= 0.965, (k, v, cov)


# ---------------------------------------------------------------------------- output, plots
def test_summary_to_dict_repr():
    lc = lifecycle_chain(simulate_lives(300, 4), purchase="purchase", restart=True,
                         returning=False)
    json.dumps(lc.to_dict())
    json.dumps(lc.repeat_purchase().to_dict())
    assert "LifecycleChain(stages=4, customers=300" in repr(lc)
    assert "Passage(origin='purchase', target='purchase'" in repr(lc.repeat_purchase())
    assert lc.summary().shape[0] == len(lc.states) - 1


def test_state_diagram():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Arc, FancyArrowPatch

    lc = exact_chain()
    ax = lc.plot(order=["a", "b", "purchase", "post"])  # counts give alphabetical states
    arrows = [p for p in ax.patches if isinstance(p, FancyArrowPatch)]
    loops = [p for p in ax.patches if isinstance(p, Arc)]
    p = lc.chain.matrix
    off = (p >= 0.02) & ~np.eye(len(p), dtype=bool)
    assert len(arrows) == off.sum()
    assert len(loops) == ((np.diag(p) >= 0.02) & (np.diag(p) < 1)).sum()
    widths = sorted(a.get_linewidth() for a in arrows)
    assert widths[-1] > widths[0]  # wider for likelier
    # states on one row by stage order, start left, the end state below
    xs = {t.get_text(): t.get_position() for t in ax.texts if t.get_text() in LC_STATES}
    assert xs["(start)"][0] < xs["a"][0] < xs["b"][0] < xs["purchase"][0] < xs["post"][0]
    assert xs["(null)"][1] < xs["a"][1]
    plt.close("all")
    fit = fit_chain({("(start)", "a"): 10, ("a", "(conversion)"): 4, ("a", "(null)"): 6})
    ax = fit.plot(kind="diagram")
    assert len([p for p in ax.patches if isinstance(p, FancyArrowPatch)]) == 3
    ax = fit.chain.plot(kind="diagram", order=["a"])
    assert len([p for p in ax.patches if isinstance(p, FancyArrowPatch)]) == 3
    with pytest.raises(ValidationError, match="kind"):
        fit.plot(kind="graphviz")
    with pytest.raises(ValidationError, match="lacks"):
        fit.plot(kind="diagram", order=["zz"])
    plt.close("all")


def test_closed_stage_and_unreachable_target_are_explained_not_raw_errors():
    # 'b' is only ever followed by itself: with restart=True the chain is reducible
    counts = {("(start)", "a"): 10, ("a", "(conversion)"): 5, ("a", "(null)"): 5,
              ("(conversion)", "b"): 3, ("b", "b"): 4, ("(conversion)", "(null)"): 2}
    with pytest.warns(UserWarning, match=r"\['b'\] never reach an end state"):
        lc = lifecycle_chain(counts, restart=True)
    with pytest.raises(ValidationError, match=r"states \['b'\] are never left once entered"):
        lc.stationary()
    d = lc.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["stationary"] is None
    assert any("stationary distribution is undefined" in n for n in d["notes"])
    # a purchase nobody reaches: passage steps and days are undefined, with a note
    lc = lifecycle_chain({("(start)", "a"): 10, ("a", "(null)"): 10,
                          ("(conversion)", "(null)"): 1})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = lc.first_purchase()
    assert p.probability == 0
    assert any("never reached" in n for n in p.to_dict()["notes"])


def test_log_without_touches_is_refused_or_fitted_not_a_raw_error():
    # fuzz findings 5/13: only stop events (no life at all) -> a clear error; only conversions
    # (no channel label anywhere) -> a chain of the purchase state, not an IndexError
    stops = pd.DataFrame({"customer_id": [1, 2], "timestamp": [1, 2],
                          "event": ["drop_out", "churn"], "channel": [None, None]})
    with pytest.raises(ValidationError, match="no touch or conversion events"):
        lifecycle_chain(stops, spec=JourneySpec(sequence="channel"))
    convs = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [1, 1, 2],
                          "event": ["conversion", "conversion", "drop_out"],
                          "channel": [None, None, None]})
    with pytest.warns(UserWarning):
        lc = lifecycle_chain(convs, spec=JourneySpec(sequence="channel"), returning=True)
    assert lc.states == ("(start)", "(conversion)", "(null)")
    assert lc.fit.count_matrix.loc["(conversion)", "(conversion)"] == 1
