# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% tags=["parameters"]
# Parameters: the seed of every simulation below and the sizes of the calibration studies.
SEED = 20250301
AA_REPS = 20000
PEEK_REPS = 10000
JOURNEY_CUSTOMERS = 4000  # per arm, in the simulated journey experiment of section 10
RMST_DAYS = 14.0  # horizon of the restricted mean time to purchase

# %% [markdown]
# # Experiments: an A/B analysis that says what it did
#
# The shipped `experiment` dataset is a simulated A/B test of 20,000 customers over 28 days
# with a known truth: the treatment raises the eventual conversion rate from 10% to 11% and
# the spend of converters by 5%, and a pre-period purchase value correlates with the outcome
# (so CUPED can reduce variance by a known amount). Every test below names its method; the
# defaults are documented in `cjmodels.experiments`. Sections 8-10 are the journey-aware
# tests: the funnel stage by stage, time from assignment to purchase under censoring, and the
# stage-transition matrices of the arms.

# %%
import inspect
import math

import numpy as np
import pandas as pd

from cjmodels.data import JourneySpec, experiment_table, purchase_times
from cjmodels.datasets import load_experiment
from cjmodels.experiments import (
    aa_simulation,
    analyze,
    beta_binomial,
    compare_proportions,
    compare_ratios,
    compare_time_to_purchase,
    compare_transitions,
    cumulative_effects,
    duration,
    funnel_test,
    group_sequential,
    msprt,
    peeking_simulation,
    sample_size_proportions,
    srm_check,
    with_missing_indicator,
)
from cjmodels.synthetic import JourneyParams, simulate_experiment, simulate_journeys
from tools.outputs import Outputs

pd.set_option("display.width", 120)
out = Outputs("05")  # numbers, tables and figures for the paper (paper/generated/)
ds = load_experiment()
log = ds.event_log()
table = with_missing_indicator(experiment_table(log), "pre_value")
out.value("n_customers", len(table))
table.head()

# %% [markdown]
# ## 1. The sample-ratio check comes first
# A 50/50 design should put about half of the customers in each arm; a chi-square test with the
# strict threshold p < 0.001 guards every analysis.

# %%
srm = srm_check(table)
out.value("srm_pvalue", srm.pvalue, fmt="{:.2f}")
srm

# %% [markdown]
# ## 2. Conversion: the choices the peers hide, side by side

# %%
rows = []
for test in ("z-pooled", "z-unpooled", "chi2-yates", "fisher"):
    for interval in ("newcombe", "wald"):
        c = compare_proportions(table, control="control", test=test, interval=interval,
                                relative=None).primary
        rows.append({"test": test, "interval": interval, "effect": c.effect,
                     "ci_low": c.ci_low, "ci_high": c.ci_high, "pvalue": c.pvalue})
choices = pd.DataFrame(rows)
out.table(choices.set_index(["test", "interval"]), "conversion_choices",
          caption="The conversion effect of the shipped experiment (treatment - control) under "
          "the test and interval choices that peers make silently.", float_format="{:.5f}")
choices.round(5)

# %% [markdown]
# ## 3. CUPED, a ratio metric and several metrics at once
# New customers have no pre-period, so CUPED uses the pre-period value (0 when missing) and a
# missing-pre-period indicator. The achieved reduction of the effect's variance is reported
# next to 1 - R^2 and the closed-form truth of the simulated world.

# %%
res = analyze(table, control="control", metrics=["converted", "value"],
              ratios={"value_per_order": ("value", "n_conversions")},
              covariates=["pre_value", "pre_value_missing"])
cols = ["metric", "effect_type", "effect", "ci_low", "ci_high", "pvalue", "pvalue_adjusted"]
out.table(res.summary()[cols].set_index(["metric", "effect_type"]), "analysis",
          caption="The shipped experiment analysed in one call: CUPED with the pre-period value "
          "and a missing-pre-period indicator, a ratio metric by the delta method, Holm over the "
          "family.", float_format="{:.4g}")
res.summary()[[*cols, "method"]]

# %%
truth = ds.truth
cuped = pd.DataFrame({
    m: {"achieved variance reduction": res.tests.get(metric=m, effect_type="difference")
        .details["variance_reduction"],
        "1 - R^2": res.tests.get(metric=m, effect_type="difference")
        .details["one_minus_r_squared"],
        "true variance ratio": truth["arms"]["control"]["observed"][
            f"cuped_variance_ratio_{k}_with_missing"],
        "true effect": truth["effects"]["treatment"]["observed"][f"{k}_diff"]}
    for m, k in (("converted", "conversion"), ("value", "revenue"))
})
for m in cuped.columns:
    out.value(f"cuped_reduction_{m}", cuped.loc["achieved variance reduction", m],
              fmt="{:.1%}")
out.table(cuped, "cuped", caption="Variance reduction achieved by CUPED on the shipped "
          "experiment, next to 1 - R^2 and the closed-form truth of the simulated world.",
          float_format="{:.4f}")
cuped.round(4)

# %% [markdown]
# Average order value (revenue per conversion) is a ratio metric whose unit of analysis (the
# order) is not the unit of randomisation (the customer); the delta method gives its variance.

# %%
compare_ratios(table, "value", "n_conversions", control="control", name="value_per_order")

# %%
res.plot(effect_type="relative");

# %% [markdown]
# ## 4. How many customers would detect the "30% conversion lift"?
# DOMAIN.md quotes practitioners' claim that journey analysis raises conversion by 30%. With
# the control rate of this test, the pooled-variance sample size for a 30% and a 10% relative
# lift (two-sided 0.05, power 0.8), and what the peers' control-variance shortcut would say:

# %%
p0 = float(table.loc[table.variant == "control", "converted"].mean())
plans = {
    f"{lift:.0%} lift, {var} variance": sample_size_proportions(p0, mde=lift, relative=True,
                                                                variance=var)
    for lift in (0.30, 0.10) for var in ("pooled", "control")
}
daily = len(table) / 28
sizes = pd.DataFrame({k: {"n per arm": v.n_control, "days at this traffic": duration(v, daily)}
                      for k, v in plans.items()}).T
sizes.index.name = "plan"
out.value("control_rate", p0, fmt="{:.2%}")
out.value("n_30pct_lift", math.ceil(plans["30% lift, pooled variance"].n_control))
out.value("n_10pct_lift", math.ceil(plans["10% lift, pooled variance"].n_control))
out.value("days_30pct_lift", duration(plans["30% lift, pooled variance"], daily), fmt="{:.1f}")
out.table(sizes, "sample_sizes", caption="Customers per arm to detect a relative conversion "
          "lift from the shipped experiment's control rate (two-sided 0.05, power 0.8): the "
          "pooled-variance formula of the pooled z-test and the control-variance shortcut.",
          float_format="{:,.1f}")
sizes.round(1)

# %%
gs = group_sequential(5)
sample_size_proportions(p0, mde=0.10, relative=True, design=gs)

# %% [markdown]
# ## 5. Calibration: A/A tests and peeking
# Fixed-horizon tests hold their level (Yates' correction is conservative). Looking ten times
# with a nominal z-test rejects a true null about 19% of the time (theory 0.193); the
# group-sequential boundaries and the always-valid mSPRT hold 5%. Stopping as soon as the
# Bayesian P(B > A) exceeds 95% is not an error-controlling rule.

# %%
aa = aa_simulation(2000, rate=p0, n_simulations=AA_REPS, random_state=SEED)
out.table(aa, "aa_calibration", caption=f"Type-I error of fixed-horizon tests in "
          f"{AA_REPS:,} simulated A/A experiments (2,000 customers per arm; revenue tests on "
          "a fifth of them).", float_format="{:.4f}")
aa.round(4)

# %%
peek = peeking_simulation(4000, looks=10, rate=p0, n_simulations=PEEK_REPS,
                          random_state=SEED + 1)
out.value("peeking_nominal_rate", peek.loc["nominal z at every look", "rejection_rate"],
          fmt="{:.3f}")
out.table(peek, "peeking", caption=f"A/A experiments looked at 10 times ({PEEK_REPS:,} "
          "simulated, 4,000 customers per arm): rejection rates when stopping at the first "
          "significant look.", float_format="{:.4f}")
peek.round(4)

# %% [markdown]
# ## 6. Sequential monitoring of this test
# Five looks by enrolment order: the cumulative effect on conversion with the Lan-DeMets
# boundaries (at the observed information fractions) and the mSPRT confidence sequence.

# %%
looks = cumulative_effects(table, "converted", control="control", looks=5)
design = group_sequential(looks["information"].to_numpy())
av = msprt(looks["effect"], looks["variance"], mde=0.1 * p0)
print(design.test(looks["z"].to_numpy()))
av.summary().round(5)

# %%
design.plot(z=looks["z"].to_numpy());

# %%
av.plot();

# %% [markdown]
# ## 7. Bayesian summary (a decision aid)

# %%
beta_binomial(table, control="control")

# %% [markdown]
# ## 8. Journey-aware: where in the funnel did the arms differ?
# The shipped experiment has no stage data, so this cell simulates a two-arm funnel
# (visit -> cart -> checkout -> purchase) in which the treatment changes only the
# cart -> checkout step (60% -> 66%). The step tests find that step; the others stay quiet.

# %%
rng = np.random.default_rng(SEED + 2)
stages = ["visit", "cart", "checkout", "purchase"]


def simulate_funnel(n, steps):
    depth = np.zeros(n, dtype=int)
    alive = np.ones(n, dtype=bool)
    for p in steps:
        alive &= rng.random(n) < p
        depth += alive
    return np.array(stages, dtype=object)[depth]


funnel = pd.DataFrame({
    "variant": np.repeat(["control", "treatment"], 10000),
    "max_stage": np.r_[simulate_funnel(10000, [0.30, 0.60, 0.50]),
                       simulate_funnel(10000, [0.30, 0.66, 0.50])],
})
ft = funnel_test(funnel, stages, control="control")
steps = ft.summary()[["metric", "effect", "ci_low", "ci_high", "pvalue", "pvalue_adjusted"]]
out.table(steps.set_index("metric"), "funnel", caption="Stage-by-stage conditional conversion "
          "(treatment - control) in a simulated funnel where only cart -> checkout changes "
          "(60% -> 66%); Holm over the steps.", float_format="{:.4f}")
steps

# %% [markdown]
# ## 9. Journey-aware: time from assignment to purchase, under censoring
# A customer assigned on day 27 has had one day to buy. The conversion test above counts them
# as a non-buyer; a time-to-purchase analysis censors them at their follow-up instead. The clock
# starts at the assignment; censoring is only at the end of the test. In this simulated world
# the delay from assignment to purchase is exponential with mean 3 days in both arms and only
# the eventual rate differs (10% vs 11%), so the true survival curve (share not yet purchased)
# is `S(t) = 1 - p (1 - exp(-t / 3))` and the restricted mean purchase-free time up to
# `tau` days is `tau - p (tau - 3 (1 - exp(-tau / 3)))`, known exactly.

# %%
times = purchase_times(log)
ttp = compare_time_to_purchase(times, control="control",
                               weightings=["logrank", "fleming-harrington"], p=0.0, q=1.0,
                               tau=RMST_DAYS)
delay = inspect.signature(simulate_experiment).parameters["delay_mean"].default


def true_rmst(rate, tau=RMST_DAYS, mean=delay):
    return tau - rate * (tau - mean * (1 - math.exp(-tau / mean)))


true_diff = true_rmst(truth["arms"]["treatment"]["rate"]) - true_rmst(
    truth["arms"]["control"]["rate"])
rm = ttp.get(effect_type="difference")
lr = ttp.get(metric="time to purchase: logrank")
out.value("ttp_logrank_pvalue", lr.pvalue, fmt="{:.3f}")
out.value("ttp_fh_pvalue", ttp.get(metric="time to purchase: fleming-harrington(p=0, q=1)")
          .pvalue, fmt="{:.3f}")
out.value("ttp_rmst_days", RMST_DAYS, fmt="{:.0f}")
out.value("ttp_rmst_diff", rm.effect, fmt="{:.3f}")
out.value("ttp_rmst_ci_low", rm.ci_low, fmt="{:.3f}")
out.value("ttp_rmst_ci_high", rm.ci_high, fmt="{:.3f}")
out.value("ttp_rmst_true_diff", true_diff, fmt="{:.3f}")
ttp_table = ttp.summary()[["metric", "control_value", "arm_value", "effect", "ci_low",
                           "ci_high", "statistic", "pvalue"]].set_index("metric")
out.table(ttp_table, "time_to_purchase", caption="Time from assignment to purchase in the "
          "shipped experiment: log-rank and Fleming-Harrington (0, 1) tests and the difference "
          f"in restricted mean purchase-free days up to day {RMST_DAYS:g} (true difference "
          f"{true_diff:.3f}).", float_format="{:.4g}")
ttp

# %%
ax = ttp.plot()
out.figure(ax.figure, "time_to_purchase");

# %% [markdown]
# ## 10. Journey-aware: did the stage-transition matrix change?
# The shipped experiment has no stages either, so this cell runs a journey experiment on the
# simulated seven-stage world: each arm is a world of its own (independent seeds), every
# customer is assigned at their first touch, and the treatment raises only the
# decision -> purchase step (and lowers decision -> drop-out by as much). The Anderson-Goodman
# test compares the arms' transition matrices after assignment; its per-state breakdown says
# which row changed. (First journeys only: repeat journeys of returning customers are
# correlated within a customer, which makes the chi-square reference liberal; the simulation
# studies in `tests/experiments/test_transitions.py` measure this.)

# %%
base = JourneyParams.default("seven")
rows = {k: dict(v) for k, v in base.transitions.items()}
p_old = rows["decision"]["purchase"]
p_new = 0.15
rows["decision"]["drop_out"] -= p_new - p_old
rows["decision"]["purchase"] = p_new
parts = []
for k, (arm, params) in enumerate((("control", None), ("treatment", {"transitions": rows}))):
    w = simulate_journeys(JOURNEY_CUSTOMERS, random_state=SEED + 10 + k, params=params,
                          days=120)
    ev = w.events.drop(columns=["segment", "region"])
    ev["customer_id"] += k * JOURNEY_CUSTOMERS
    ev["variant"] = None
    first = ev.groupby("customer_id", sort=False).head(1).copy()
    first["event"] = "assignment"
    first[["channel", "stage"]] = None
    first["value"] = np.nan
    first["variant"] = arm
    parts += [ev, first]
journey_events = pd.concat(parts, ignore_index=True)
tr = compare_transitions(journey_events, control="control",
                         spec=JourneySpec(journeys="first"), scheme="seven")
out.value("transitions_statistic", tr.statistic, fmt="{:.1f}")
out.value("transitions_df", tr.df)
out.value("transitions_pvalue", tr.pvalue, fmt="{:.2g}")
out.value("transitions_decision_pvalue", tr.strata().loc["decision", "pvalue"], fmt="{:.2g}")
out.value("decision_purchase_control", p_old, fmt="{:.3f}")
out.value("decision_purchase_treatment", p_new, fmt="{:.3f}")
strata = tr.strata()[["statistic", "df", "pvalue", "n"]]
out.table(strata.rename_axis("from state"), "transitions", caption="Homogeneity of the "
          "stage-transition matrices of two arms of a simulated journey experiment (first "
          f"journeys after assignment): the treatment raises decision -> purchase from "
          f"{p_old:.3f} to {p_new:.3f}; G2 contribution of each from-state.",
          float_format="{:.4g}")
tr

# %%
strata

# %%
ax = tr.plot()
out.figure(ax.figure, "transitions");

# %% [markdown]
# The same journey experiment, read as time from assignment to purchase: more decisions end in
# a purchase, so the treatment arm buys sooner.

# %%
jt = compare_time_to_purchase(purchase_times(journey_events, scheme="seven"),
                              control="control", tau=60.0)
out.value("journey_ttp_logrank_pvalue", jt.get(effect_type="logrank").pvalue, fmt="{:.2g}")
out.write()
jt
