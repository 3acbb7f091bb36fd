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
# Parameters: the funnel steps, the silence that ends a journey, the conversion window, the
# step-matrix anchor, and the size and seeds of the simulated world for the mixture.
STEPS = ["awareness", "interest", "consideration", "decision", "purchase"]
TIMEOUT = "30D"
WINDOW = "30D"
ANCHOR = "decision"
MIXTURE_CUSTOMERS = 1000
MIXTURE_SEGMENTS = 3
WORLD_SEED = 3
FIT_SEED = 0
ALPHA = 0.05

# %% [markdown]
# # Journey analytics: funnels by definition, censored windows, step matrices, segments
#
# The descriptive questions analysts ask first, each answered with its uncertainty: how many
# reach each funnel step (and under which definition of "reaching"), how many convert within a
# window when some customers have not been watched that long, what journeys do around an
# event, how two segments differ cell by cell, and which behavioural segments the journeys
# hold. Sections 1 to 4 use the shipped `journeys` data; section 5 a simulated world whose
# segments are known.

# %%
import matplotlib.pyplot as plt
import pandas as pd

from cjmodels.analytics import (
    MarkovMixture,
    compare_funnel_definitions,
    kmeans_segments,
    segment_agreement,
    step_matrix,
    window_conversion,
)
from cjmodels.data import JourneySpec
from cjmodels.datasets import load_journeys
from cjmodels.synthetic import simulate_segment_journeys
from tools.outputs import Outputs

out = Outputs("08")  # numbers, tables and figures for the paper (paper/generated/)
out.value("level", 1 - ALPHA, fmt="{:.0%}")
log = load_journeys().event_log()
spec = JourneySpec(sequence="stage", timeout=TIMEOUT)

# %% [markdown]
# ## 1. Three funnel definitions side by side
# Journey grain. *strict-order*: the journey did step 1, then 2, ..., in this order (the
# ordered funnel of clickstream tools); *any-order*: it did each of the steps so far, in any
# order; *furthest-stage*: its deepest stage is this one or later. Read each column as a
# funnel; the ratio is furthest-stage over strict-order at the last step.

# %%
d = compare_funnel_definitions(log, STEPS, grain="journey")
out.table(d.reached, "funnel_definitions", caption="Journeys reaching each funnel step under "
          "three definitions (shipped data, journey grain).")
last = d.reached.iloc[-1]
out.value("strict_purchase", int(last["strict-order"]))
out.value("any_purchase", int(last["any-order"]))
out.value("furthest_purchase", int(last["furthest-stage"]))
out.value("definition_ratio", float(d.ratio), fmt="{:.1f}")
d.reached

# %% [markdown]
# ## 2. Conversion within a window, with censoring
# Of the customers with an awareness touch, the share converting within `WINDOW` of it. A
# customer watched for less than `WINDOW` without converting is censored, not a non-converter:
# the Kaplan-Meier estimate (Greenwood log-log interval) uses them as far as they were watched;
# the naive share counts them as lost.

# %%
w = window_conversion(log, "awareness", ("event", "conversion"), window=WINDOW, alpha=ALPHA)
ws = w.summary()
out.table(ws, "window", caption="Conversion within 30 days of the first awareness touch: "
          "Kaplan-Meier estimate with censoring next to the naive share, with 95\\% intervals.")
for method, key in (("kaplan-meier", "km"), ("naive", "naive")):
    out.value(f"window_{key}", float(ws.loc[method, "estimate"]), fmt="{:.1%}")
    out.value(f"window_{key}_low", float(ws.loc[method, "ci_low"]), fmt="{:.1%}")
    out.value(f"window_{key}_high", float(ws.loc[method, "ci_high"]), fmt="{:.1%}")
out.value("window_n_origin", int(w.n_origin))
out.value("window_n_censored", int(w.n_censored))
ws

# %% [markdown]
# ## 3. A step matrix around an anchor
# Journeys aligned on their first `ANCHOR` touch (step 0): at each step before and after, the
# share of journeys in each state (a stage, or the journey's start, conversion, drop-out,
# censoring or earlier end). Each column adds up to 1; its intervals (in `m.summary()`) are
# Goodman's simultaneous ones.

# %%
m = step_matrix(log, anchor=ANCHOR, before=2, after=3, spec=spec, alpha=ALPHA)
mat = m.matrix()
out.table(mat.rename(columns=str).rename_axis("state"), "step_matrix",
          caption="Step matrix around the first decision touch (shipped data): share of "
          "journeys in each state, two steps before to three after.")
out.value("steps_anchored", int(m.n_anchored))
out.value("steps_convert_next", float(mat.loc["(conversion)", 1]), fmt="{:.1%}")
out.value("steps_dropout_next", float(mat.loc["(drop_out)", 1]), fmt="{:.1%}")
out.value("steps_from_consideration", float(mat.loc["consideration", -1]), fmt="{:.1%}")
mat.round(3)

# %%
fig, ax = plt.subplots(figsize=(7, 4.5))
m.plot(ax=ax)
out.figure(fig, "step_matrix")

# %% [markdown]
# ## 4. Two segments, cell by cell
# The same step matrix for business and consumer customers: each cell's difference of shares
# (business minus consumer) with Newcombe's interval at the Bonferroni level, and its
# two-proportion test with Holm-adjusted p-value; the overall test is Bonferroni's over the
# per-step chi-square tests. Only cells that differ beyond noise are `significant`.

# %%
c = step_matrix(log, anchor=ANCHOR, before=1, after=3, spec=spec, group="segment",
                alpha=ALPHA)
out.table(c.step_tests.set_index("step"), "segment_steps",
          caption="Business against consumer journeys around the first decision touch: "
          "chi-square test per step, Holm-adjusted.", float_format="{:.4g}")
cols = ["step", "state", "share_1", "share_2", "difference", "ci_low", "ci_high",
        "pvalue_adjusted"]
sig = c.table[c.table["significant"]][cols]
out.table(sig, "segment_cells", caption="Cells of the step matrix where business and "
          "consumer journeys differ beyond noise (simultaneous 95\\% intervals, Holm-adjusted "
          "p-values).", index=False)
out.value("segment_groups", " and ".join(c.groups), fmt="{}")
out.value("segment_stat", float(c.test.statistic), fmt="{:.1f}")
out.value("segment_p", float(c.test.pvalue), fmt="{:.2g}")
out.value("segment_n_significant", int(len(sig)))
sig

# %% [markdown]
# ## 5. Behavioural segments: a mixture of Markov chains against k-means
# A simulated world of `MIXTURE_CUSTOMERS` customers, one journey each, from three known
# segments. The mixture is fitted by EM from seeded random starts; k-means on the journeys'
# state shares is the baseline. The adjusted Rand index (ARI) compares each segmentation with
# the truth: 1 is the same partition, about 0 chance.

# %%
world = simulate_segment_journeys(MIXTURE_CUSTOMERS, random_state=WORLD_SEED)
model = MarkovMixture(MIXTURE_SEGMENTS, n_init=3, random_state=FIT_SEED).fit(world.events)
fit = model.result_
pred = model.predict(world.events)
membership = world.membership.set_index("customer_id")["segment"]
truth = membership.loc[pred.index.get_level_values("customer_id")].to_numpy()
ari_mix = segment_agreement(truth, pred.to_numpy()).adjusted_rand_index
km = kmeans_segments(world.events, n_segments=MIXTURE_SEGMENTS, features="states",
                     random_state=FIT_SEED)
ari_km = segment_agreement(truth, km.labels.loc[pred.index].to_numpy()).adjusted_rand_index
seg = fit.summary()[["weight", "conversion_probability"]].rename_axis("segment")
out.table(seg, "mixture", caption="Segments found by the Markov mixture in the simulated "
          "world: weight and probability of conversion from the segment's chain.")
out.value("mixture_customers", MIXTURE_CUSTOMERS)
out.value("ari_mixture", float(ari_mix), fmt="{:.2f}")
out.value("ari_kmeans", float(ari_km), fmt="{:.2f}")
out.write()
pd.DataFrame({"ARI": {"Markov mixture": ari_mix, "k-means (state shares)": ari_km}}).round(3)
