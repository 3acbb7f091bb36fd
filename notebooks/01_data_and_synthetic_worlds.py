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

import pandas as pd

from cjmodels.data import EventLog, journeys, path_table, transition_counts
from cjmodels.datasets import load_journeys
from cjmodels.errors import ValidationError
from cjmodels.synthetic import simulate_journeys

ds = load_journeys()
log = ds.event_log()
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
j["outcome"].value_counts()

# %%
j.head()

# %% [markdown]
# ## The path table (ChannelAttribution's layout)

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    pt = path_table(log, timeout="30D")
pt.table.sort_values("total_conversions", ascending=False).head(10)

# %%
pt.plot();

# %% [markdown]
# ## Stage transitions with explicit start and end states

# %%
tc = transition_counts(log, by="stage", timeout="30D")
tc.plot();

# %% [markdown]
# ## A synthetic world and its truth
# The default world is calibrated to practitioner figures; they are targets, not facts.

# %%
world = simulate_journeys(N_CUSTOMERS, random_state=SEED)
pd.DataFrame(world.truth["calibration"]).T[["target", "model", "realised", "n"]]

# %% [markdown]
# Each channel's true counterfactual contribution: the first-journey conversion probability
# with the channel removed, computed exactly from the chain.

# %%
world.model.removal_effects()
