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
# Parameters: the seed of every simulation below, the silence that means a customer has left,
# and the size of the coverage study.
SEED = 20251123
TIMEOUT = "30D"
COVERAGE_REPS = 200
COVERAGE_JOURNEYS = 300
ALPHA = 0.05

# %% [markdown]
# # Stage transitions: where customers are lost, how long stages take, who moves differently
#
# A stage chain is fitted to many journeys at once: every journey starts in `(start)` and ends
# in `(conversion)` or `(null)` (drop-out), and journeys are never glued together. The shipped
# log has no drop-out events, so a silence of `TIMEOUT` means the customer has left; the
# transitions out of the last `TIMEOUT` of the window are left out, because whether those
# customers left is not known yet. We fit new prospects' first journeys: one journey
# specification (`JourneySpec`) says so for every function below.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cjmodels.data import JourneySpec
from cjmodels.datasets import load_journeys
from cjmodels.markov import (
    MarkovChain,
    dwell_times,
    fit_chain,
    homogeneity_test,
    lifecycle_chain,
    order_test,
    select_order,
)
from tools.outputs import Outputs

out = Outputs("02")  # numbers, tables and figures for the paper (paper/generated/)
out.value("level", 1 - ALPHA, fmt="{:.0%}")  # the nominal level of every interval
ds = load_journeys()
log = ds.event_log()
FIRST = JourneySpec(timeout=TIMEOUT, journeys="first")
fit = fit_chain(log, spec=FIRST)
out.value("n_journeys", int(fit.n_journeys))
out.value("n_transitions", int(fit.counts.sum()))
out.value("censored_recent", int(fit.info["censored_recent"]))
fit

# %% [markdown]
# Every transition probability with a Wilson interval (Jeffreys, uniform-prior Dirichlet, Wald
# and a bootstrap over customers are the other choices).

# %%
iv = fit.intervals("wilson", alpha=ALPHA).table
iv = iv[iv["count"] > 0].set_index(["from_state", "to_state"])
out.table(iv[["count", "probability", "ci_low", "ci_high"]], "transitions",
          caption="Stage transitions of first journeys in the shipped data, with 95\\% Wilson "
          "intervals.")
iv[["count", "probability", "ci_low", "ci_high"]]

# %% [markdown]
# ## The funnel: where customers are lost
# `p_reach` is the share of journeys that reach a stage or a later one; `lost` the share that
# reach it and go no further. Intervals are delta-method (on the logit scale).

# %%
fu = fit.funnel(alpha=ALPHA)
cols = ["reached", "p_reach", "p_reach_low", "p_reach_high", "p_next", "lost", "lost_low",
        "lost_high"]
out.table(fu.table[cols].rename_axis("stage"), "funnel",
          caption="Funnel of first journeys: share reaching each stage (or later), conversion "
          "to the next stage and share lost at the stage, with 95\\% delta-method intervals.")
lost = fu.table.loc[fu.most_lost]
out.value("most_lost", fu.most_lost.replace("_", " "), fmt="{}")
out.value("most_lost_share", float(lost["lost"]), fmt="{:.1%}")
out.value("most_lost_low", float(lost["lost_low"]), fmt="{:.1%}")
out.value("most_lost_high", float(lost["lost_high"]), fmt="{:.1%}")
fu.table[cols]

# %%
fig, ax = plt.subplots(figsize=(6, 3.5))
fu.plot(ax)
out.figure(fig, "funnel")

# %% [markdown]
# ## Absorption: P(purchase) and steps to the end from each stage

# %%
ab = fit.absorbing(alpha=ALPHA)
p = ab.probability()
out.value("p_conversion", float(p["probability"]), fmt="{:.3f}")
out.value("p_conversion_low", float(p["ci_low"]), fmt="{:.3f}")
out.value("p_conversion_high", float(p["ci_high"]), fmt="{:.3f}")
out.value("p_conversion_truth", ds.truth["conversion"]["first_journey"], fmt="{:.3f}")
summ = ab.summary()
out.table(summ.iloc[:, :6].rename(columns=lambda c: c.replace("(conversion)", "conv")),
          "absorption",
          caption="Probability of purchase and expected steps to the end of the journey from "
          "each stage, with 95\\% delta-method intervals.")
summ

# %% [markdown]
# ## Dwell times
# A visit is a run of touches in one stage; it ends at the next stage, the purchase or the
# drop-out. The mean (time at risk over visits ended) has an exact Poisson interval; the median
# is Kaplan-Meier (lifelines), which handles visits still open at the end of the window.

# %%
dw = dwell_times(log, spec=FIRST, alpha=ALPHA)
dcols = ["visits", "ended", "mean", "mean_low", "mean_high", "median", "median_low",
         "median_high"]
out.table(dw.table[dcols], "dwell", caption="Days per stage visit (first journeys): "
          "censoring-aware mean with exact Poisson 95\\% interval and Kaplan-Meier median.",
          float_format="{:.2f}")
out.value("longest_stage", str(dw.table["mean"].idxmax()).replace("_", " "), fmt="{}")
out.value("longest_stage_days", float(dw.table["mean"].max()), fmt="{:.1f}")
dw.table[dcols]

# %% [markdown]
# ## The life cycle: purchase leads into the next journey
# Over a customer's life the purchase is a state like any other: post-purchase stages follow,
# then either leaving or a return into a pre-purchase stage and perhaps a repeat purchase.
# Returning customers get their own pre-purchase states. The repeat purchase is the first
# passage from the purchase back to it.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    lc = lifecycle_chain(log, spec=JourneySpec(timeout=TIMEOUT))
rp = lc.repeat_purchase(alpha=ALPHA).table
fp = lc.first_purchase(alpha=ALPHA).table
for name, t in (("repeat", rp), ("first", fp)):
    for q, f in (("probability", "{:.3f}"), ("days", "{:.1f}"), ("steps", "{:.1f}")):
        out.value(f"{name}_{q}", float(t.loc[q, "estimate"]), fmt=f)
        out.value(f"{name}_{q}_low", float(t.loc[q, "ci_low"]), fmt=f)
        out.value(f"{name}_{q}_high", float(t.loc[q, "ci_high"]), fmt=f)
passage = pd.concat({"first purchase": fp, "repeat purchase": rp}).rename_axis(
    ["passage", "quantity"])
out.table(passage, "passage", caption="From a new customer's first touch to the first "
          "purchase, and from a purchase to the next: probability, and expected steps and days "
          "given that it happens, with 95\\% delta-method intervals.")
passage

# %%
fig, ax = plt.subplots(figsize=(13, 5.5))
lc.plot(ax=ax, min_probability=0.03)
out.figure(fig, "lifecycle_diagram")

# %% [markdown]
# With `restart=True` every customer who leaves is replaced by a new one: the chain is then
# irreducible, and its stationary distribution is the steady-state mix of a population with
# constant replacement.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    st = lifecycle_chain(log, spec=JourneySpec(timeout=TIMEOUT), restart=True).stationary(
        alpha=ALPHA)
out.table(st[["probability", "ci_low", "ci_high", "recurrence_steps"]], "stationary",
          caption="Stationary distribution of the life cycle with restart, with 95\\% "
          "delta-method intervals, and mean recurrence times in steps.")
st

# %% [markdown]
# ## Do the intervals cover? Repeated simulation from a known chain
# Take the chain fitted above as the truth, simulate `COVERAGE_JOURNEYS` journeys from it
# `COVERAGE_REPS` times, refit each time, and count how often the 95% intervals contain the
# true transition probabilities and the true P(purchase).

# %%
truth = MarkovChain(fit.states, fit.chain.matrix, start=fit.start)
true_b = truth.absorption_probabilities.loc[fit.start, fit.conversion]
hits = {"wilson": [], "jeffreys": [], "wald": [], "p_conversion": []}
for g in np.random.default_rng(SEED).spawn(COVERAGE_REPS):
    sim = truth.simulate(COVERAGE_JOURNEYS, random_state=g)
    w = sim["walk"].to_numpy()
    same = w[1:] == w[:-1]
    pairs = pd.DataFrame({"from_state": sim["state"].to_numpy()[:-1][same],
                          "to_state": sim["state"].to_numpy()[1:][same]})
    f = fit_chain(pairs.value_counts().rename("count").reset_index())
    for m in ("wilson", "jeffreys", "wald"):
        t = f.intervals(m, alpha=ALPHA).table
        t = t[t["row_total"] > 0]
        tp = truth.frame.to_numpy()[t["from_state"].map(truth.index), t["to_state"].map(
            truth.index)]
        keep = tp > 0
        hits[m].extend(((t["ci_low"] <= tp) & (tp <= t["ci_high"]))[keep].tolist())
    pc = f.absorbing(alpha=ALPHA).probability()
    hits["p_conversion"].append(pc["ci_low"] <= true_b <= pc["ci_high"])
coverage = pd.DataFrame({"coverage": {k: float(np.mean(v)) for k, v in hits.items()},
                         "intervals": {k: len(v) for k, v in hits.items()}})
coverage["mc_se"] = np.sqrt(coverage["coverage"] * (1 - coverage["coverage"])
                            / coverage["intervals"])
for k, r in coverage.iterrows():
    out.value(f"coverage_{k}", float(r["coverage"]), fmt="{:.3f}")
out.table(coverage.rename_axis("interval"), "coverage",
          caption=f"Coverage of nominal 95\\% intervals over {COVERAGE_REPS} simulated data "
          f"sets of {COVERAGE_JOURNEYS} journeys from the fitted chain (transition cells with "
          "positive probability; P(purchase) by the delta method).")
coverage

# %% [markdown]
# ## Is first order enough? Order selection and the Anderson-Goodman order test

# %%
sel = select_order(log, max_order=3, spec=FIRST)
ot = order_test(log, spec=FIRST)
# the paper's table keeps its column name `loglik` (the result's is `log_likelihood`)
out.table(sel.table.rename(columns={"log_likelihood": "loglik"}), "order_selection", caption="Log-likelihood, parameters, AIC and BIC of "
          "chains of order 1 to 3 on the same first-journey transitions.", float_format="{:.1f}")
out.value("best_aic", sel.best_aic)
out.value("best_bic", sel.best_bic)
out.value("order_stat", ot.statistic, fmt="{:.1f}")
out.value("order_df", ot.df)
out.value("order_p", ot.pvalue, fmt="{:.3f}")
print(ot)
sel.table

# %% [markdown]
# The synthetic world's stages are first-order *per customer*, but segments move at different
# speeds, so the pooled sequence can look higher-order: the order test and BIC weigh that.
#
# ## Do consumers and businesses move alike? Homogeneity between two segments
# Degrees of freedom from the observed support, or from the journey graph (every transition
# allowed from a stage counts, seen or not): the choice changes the test, so both are shown.

# %%
rows = {}
for how in ("observed", "structural"):
    h = homogeneity_test(log, group="segment", spec=FIRST, df_method=how)
    rows[how] = {"statistic": h.statistic, "df": h.df, "pvalue": h.pvalue}
homog = pd.DataFrame(rows).T.rename_axis("df_method")
out.table(homog, "homogeneity", caption="Likelihood-ratio test that consumers and businesses "
          "share one transition matrix (first journeys), with degrees of freedom counted from "
          "the observed support or the journey graph.", float_format="{:.4g}")
out.value("homog_stat", rows["observed"]["statistic"], fmt="{:.1f}")
out.value("homog_df", rows["observed"]["df"])
out.value("homog_p", rows["observed"]["pvalue"], fmt="{:.2g}")
out.write()
homog
