"""Fuzz :mod:`cjmodels.experiments` on adversarial per-customer tables (arms 1 and "1", a single
arm, no conversions, missing metrics) and on event logs with assignments.

Invariants: only our exceptions; arms are never merged or renamed; p-values lie in [0, 1];
the same result when the rows are shuffled; strict JSON.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from cjmodels import data as cd
from cjmodels import experiments as ex
from tests.fuzz.harness import call, count, fuzz, refused, same_frame, strict_json, surface
from tests.fuzz.strategies import event_logs, experiment_tables


def control_of(table: pd.DataFrame):
    arms = list(pd.unique(table["variant"].dropna().astype(object))) if len(table) else []
    return arms[0] if arms else "A"


def check_result(r, table: pd.DataFrame, what: str) -> None:
    strict_json(r)
    comps = getattr(r, "comparisons", None)
    if comps is None and hasattr(r, "tests"):
        comps = r.tests.comparisons
    arms_in = {repr(a) for a in table["variant"].dropna().astype(object)}
    if isinstance(comps, pd.DataFrame):  # Bayesian results: a table indexed by arm
        assert set(map(str, comps.index)) <= set(map(str, table["variant"].dropna())), (
            f"{what}: arms {list(comps.index)} are not all in the table")
        return
    for c in comps or ():
        p = c.pvalue
        assert p is None or np.isnan(p) or 0 <= p <= 1, f"{what}: p-value {p}"
        assert repr(c.arm) in arms_in or str(c.arm) in {str(a) for a in arms_in}, (
            f"{what}: arm {c.arm!r} is not in the table")


def frame_of(r) -> pd.DataFrame:
    return r.summary() if hasattr(r, "summary") else pd.DataFrame()


@given(table=experiment_tables(), cov=st.booleans())
@fuzz(3)
def test_analyze(table, cov):
    count()
    control = control_of(table)
    kw = {"control": control, "metrics": ["converted", "value"],
          "covariates": ["pre_value"] if cov else ()}
    r = call(ex.analyze, table, **kw)
    if refused(r):
        return
    check_result(r, table, "analyze")
    s = call(ex.analyze, table.sample(frac=1, random_state=11), **kw)
    assert not refused(s), f"shuffled rows refused: {s}"
    same_frame(frame_of(r.tests), frame_of(s.tests), "analyze after shuffling rows", rtol=1e-6)


@given(table=experiment_tables(), which=st.integers(0, 8))
@fuzz(4)
def test_comparisons(table, which):
    count()
    control = control_of(table)
    calls = [
        lambda: ex.compare_proportions(table, "converted", control=control),
        lambda: ex.compare_proportions(table, "converted", control=control, test="fisher"),
        lambda: ex.compare_means(table, "value", control=control, covariates="pre_value"),
        lambda: ex.compare_ratios(table, "value", "sessions", control=control),
        lambda: ex.mann_whitney(table, "value", control=control),
        lambda: ex.bootstrap_means(table, "value", control=control, n_boot=99,
                                   random_state=0),
        lambda: ex.beta_binomial(table, "converted", control=control),
        lambda: ex.srm_check(table),
        lambda: ex.cumulative_effects(table.assign(assigned_at=np.arange(len(table))),
                                      "converted", control=control, looks=3),
    ]
    r = call(calls[which])
    if refused(r) or isinstance(r, pd.DataFrame):
        return
    surface(r, plot=False)
    if which == 7:
        assert np.isnan(r.pvalue) or 0 <= r.pvalue <= 1
        return
    check_result(r, table, f"call {which}")


@given(table=experiment_tables())
@fuzz(2)
def test_table_helpers(table):
    count()
    st_ = call(ex.sufficient_stats, table, ["converted", "value"])
    if not refused(st_):
        call(ex.unit_sd, st_, "value", arm=st_.arms[0])
    call(ex.sufficient_stats, table, ["converted"], group="segment")
    w = call(ex.winsorize, table, "value")
    if not refused(w):
        assert len(w) == len(table)
    m = call(ex.with_missing_indicator, table, "pre_value")
    if not refused(m):
        assert len(m) == len(table)


@given(log=event_logs(variant=True, max_rows=30))
@fuzz(2)
def test_experiment_logs(log):
    count()
    frame = log.frame
    arms = [a for a in pd.unique(frame["variant"].dropna().astype(object))]
    control = arms[0] if arms else "A"
    logs = call(cd.arm_event_logs, frame)
    if not refused(logs):
        # arms are labels kept as their str (as in cjmodels.data): 0 is "0", never "0.0"
        assert set(logs) <= set(map(str, arms)), "arm_event_logs renamed arms"
    call(cd.funnel_table, frame)
    pt = call(cd.purchase_times, frame)
    if not refused(pt) and len(pt):
        strict_json(call(ex.compare_time_to_purchase, pt, control=control))
    strict_json(call(ex.compare_transitions, frame, control=control,
                     spec=cd.JourneySpec(sequence="channel", journeys="first")))
    t = call(cd.experiment_table, frame)
    if not refused(t) and len(t):
        r = call(ex.analyze, t, control=control)
        if not refused(r):
            check_result(r, t, "analyze(experiment_table(log))")


#: Numbers a user may hand over as a probability, a count or a Beta parameter.
NUMBERS = st.one_of(st.sampled_from([0.0, 0.1, 0.12, 0.5, 1.0, -0.1, 1.5, 2.0, 1e-300, 1e300]),
                    st.floats(allow_nan=True, allow_infinity=True),
                    st.sampled_from([None, "0.1", True, np.int64(3), [0.1, 0.2], 0]))


@given(table=experiment_tables(), alpha=st.sampled_from([0.05, 0.5, 0.0, 1.0, -0.1, np.nan]),
       alternative=st.sampled_from(["two-sided", "less", "greater", "both"]),
       method=st.sampled_from(["auto", "exact", "normal", "bootstrap"]))
@fuzz(2)
def test_hodges_lehmann(table, alpha, alternative, method):
    """The shift of the arm's values against the control's: an interval that holds the
    estimate, or a refusal (empty or missing values, a bad option)."""
    count()
    arms = list(pd.unique(table["variant"].dropna().astype(object))) if len(table) else []
    v = pd.to_numeric(table["value"], errors="coerce")
    a = v[table["variant"].astype(object) == arms[-1]].to_numpy() if arms else np.array([])
    c = v[table["variant"].astype(object) == arms[0]].to_numpy() if arms else np.array([])
    r = call(ex.hodges_lehmann, a, c, alpha=alpha, alternative=alternative, method=method)
    if refused(r):
        return
    surface(r)
    assert r.method in ("exact", "normal")
    lo, hi = r.ci_low, r.ci_high
    assert np.isnan(r.estimate) or (lo <= r.estimate <= hi), (
        f"estimate {r.estimate} outside its interval [{lo}, {hi}]")


@given(p_control=NUMBERS, p_arm=NUMBERS,
       n_per_arm=st.sampled_from([2, 1, 0, 100, 10**6, 2.5, -5, None, np.int64(50)]),
       n_simulations=st.sampled_from([100, 99, 200, 0, 100.0]),
       alpha=st.sampled_from([0.05, 0.0, 1.0, np.nan]))
@fuzz(2)
def test_power_simulation(p_control, p_arm, n_per_arm, n_simulations, alpha):
    count()
    r = call(ex.power_simulation, p_control, p_arm, n_per_arm, n_simulations=n_simulations,
             alpha=alpha, random_state=0)
    if refused(r):
        return
    surface(r)
    assert 0 <= r.simulated <= 1 and 0 <= r.formula <= 1, f"power outside [0, 1]: {r}"
    assert r == call(ex.power_simulation, p_control, p_arm, n_per_arm,
                     n_simulations=n_simulations, alpha=alpha, random_state=0)


@given(ac=NUMBERS, bc=NUMBERS, aa=NUMBERS, ba=NUMBERS)
@fuzz(2)
def test_expected_loss(ac, bc, aa, ba):
    """Expected losses are >= 0 and at most 1 (a difference of two probabilities)."""
    count()
    r = call(ex.expected_loss, ac, bc, aa, ba)
    if refused(r):
        return
    surface(r)
    for x in (np.asarray(r.arm, dtype=float), np.asarray(r.control, dtype=float)):
        assert np.all((x >= 0) & (x <= 1 + 1e-12)), f"expected loss outside [0, 1]: {r}"


@given(table=experiment_tables(), correction=st.sampled_from(
    ["holm", "bonferroni", "hochberg", "bh", "by", "Holm", "none"]),
       alpha=st.sampled_from([0.05, 0.0, 1.5]), threshold=st.sampled_from([0.001, 0.0, 2.0]),
       expected=st.sampled_from([None, [0.5, 0.5], [1, 0], [-1, 2], {"A": 1.0}]),
       test=st.sampled_from(["chi2", "binomial", "g"]))
@fuzz(2)
def test_adjust_and_srm(table, correction, alpha, threshold, expected, test):
    """adjust: adjusted p-values in [0, 1] and never below the raw one; srm_check with its
    options: a p-value in [0, 1]."""
    count()
    control = control_of(table)
    first = call(ex.compare_proportions, table, "converted", control=control)
    second = call(ex.compare_means, table, "value", control=control)
    family = [r for r in (first, second) if not refused(r)]
    if family:
        adj = call(ex.adjust, family, correction=correction, alpha=alpha)
        if not refused(adj):
            surface(adj)
            for c in adj.comparisons:
                pa = c.pvalue_adjusted
                assert np.isnan(pa) or (0 <= pa <= 1 and pa >= c.pvalue - 1e-12), (
                    f"adjusted p-value {pa} (raw {c.pvalue})")
    srm = call(ex.srm_check, table, expected=expected, threshold=threshold, test=test,
               warn=False)
    if not refused(srm):
        surface(srm)
        assert np.isnan(srm.pvalue) or 0 <= srm.pvalue <= 1, f"SRM p-value {srm.pvalue}"
