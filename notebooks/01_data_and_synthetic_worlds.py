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
# Parameters: the seed of every simulation below and the size of the small worlds.
SEED = 20251122
N_CUSTOMERS = 3000

# %% [markdown]
# # The journey data model and the synthetic worlds
#
# Everything in cjmodels starts from one validated event log: one row per event with a
# customer, a time, an event type (touch, conversion, drop-out, churn, subscribe, assignment),
# the channel of a touch, optionally the customer's stage, a value (revenue) and covariates.
# This notebook shows the log, the conversions that every model stands on, and the simulated
# worlds whose ground truth the other notebooks recover.

# %%
import warnings

import matplotlib.pyplot as plt
import pandas as pd

from cjmodels.data import EventLog, journeys, path_table, transition_counts
from cjmodels.datasets import load_journeys
from cjmodels.errors import ValidationError
from cjmodels.synthetic import simulate_journeys
from tools.outputs import Outputs

out = Outputs("01")  # numbers, tables and figures for the paper (paper/generated/)
ds = load_journeys()
log = ds.event_log()
out.value("n_events", log.n_events)
out.value("n_customers", log.n_customers)
log

# %% [markdown]
# ## Bad input gets a clear error
# A missing timestamp is reported with its column, its row and a fix.

# %%
broken = ds.events.head(20).copy()
broken.loc[3, "timestamp"] = pd.NaT
try:
    EventLog(broken)
except ValidationError as err:
    print(err)

# %% [markdown]
# ## Journeys
# A journey runs up to and including a conversion. Real logs have no drop-out rows, so open
# journeys are censored unless a timeout says the customer has left.

# %%
j = journeys(log, timeout="30D")
counts = j["outcome"].value_counts()
out.value("n_journeys", len(j))
for outcome, n in counts.items():
    out.value(f"n_{outcome}", int(n))
out.value("conversion_rate", (j["outcome"] == "conversion").mean(), fmt="{:.1%}")
counts

# %%
j.head()

# %% [markdown]
# ## The path table (ChannelAttribution's layout)

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    pt = path_table(log, timeout="30D")
top = pt.table.sort_values(["total_conversions", "path"], ascending=[False, True]).head(8)
out.value("n_paths", len(pt.table))
out.table(
    top.set_index("path")[["total_conversions", "total_null", "total_conversion_value"]].rename(
        columns={
            "total_conversions": "conversions",
            "total_null": "no conversion",
            "total_conversion_value": "value",
        }
    ),
    "top_paths",
    caption="The most converting paths of the shipped journeys (30-day timeout).",
    float_format="{:,.0f}",
)
top

# %%
fig, ax = plt.subplots(figsize=(7, 0.4 * min(15, len(pt.channels)) + 1.2))
pt.plot(ax);
out.figure(ax.figure, "first_last_touch");

# %% [markdown]
# ## Stage transitions with explicit start and end states

# %%
tc = transition_counts(log, sequence="stage", timeout="30D")
fig, ax = plt.subplots(figsize=(1.0 + 0.8 * len(tc.states), 0.6 + 0.6 * len(tc.states)))
tc.plot(ax);
out.figure(ax.figure, "stage_transitions");

# %% [markdown]
# ## A synthetic world and its truth
# The default world is calibrated to practitioner figures; they are targets, not facts.

# %%
world = simulate_journeys(N_CUSTOMERS, random_state=SEED)
calibration = pd.DataFrame(world.truth["calibration"]).T[["target", "model", "realised", "n"]]
calibration = calibration.astype({"target": float, "model": float, "realised": float, "n": int})
out.table(
    calibration.rename_axis("figure"),
    "calibration",
    caption="Calibration targets of the default journey world (practitioner claims, not facts), "
    "the exact model value and the value realised in a simulated world.",
)
calibration

# %% [markdown]
# Each channel's true counterfactual contribution: the first-journey conversion probability
# with the channel removed, computed exactly from the chain.

# %%
effects = world.model.removal_effects()
out.write()
effects
