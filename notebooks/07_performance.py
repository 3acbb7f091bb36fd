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
# Parameters: where the recorded benchmark results are. Nothing is timed here: timings are
# machine-dependent and are measured by the scripts in benchmarks/ (each result file records its
# command and machine); this notebook only tabulates the committed results, so it is reproducible.
RESULTS = "benchmarks/results"

# %% [markdown]
# # Performance against the peers
#
# Every figure below comes from a committed result file in `benchmarks/results/`, produced on a
# two-core machine by the command recorded inside it, with the peer run in the same process or
# the same session on the same data.

# %%
import json
from pathlib import Path

import pandas as pd

from cjmodels.outputs import Outputs

out = Outputs("07")
res = {p.stem: json.loads(p.read_text()) for p in sorted(Path(RESULTS).glob("*.json"))}
sorted(res)

# %% [markdown]
# ## Side by side

# %%
att, mk = res["attribution"], res["markov_10M"]
surv, disc = res["survival_1M_threads1"], res["survival_discrete_1M"]
exp = res["experiments_10M"]
conv = res["conversions_10M"]
rows = [
    (
        "Markov attribution, order 1",
        att["seconds"]["markov_order1_end_to_end"],
        "ChannelAttribution",
        att["channelattribution"]["1"]["seconds"],
    ),
    (
        "Markov attribution, order 3",
        att["seconds"]["markov_order3_end_to_end"],
        "ChannelAttribution",
        att["channelattribution"]["3"]["seconds"],
    ),
    (
        "stage chain with intervals",
        mk["steps_seconds"]["total: fit + intervals + absorbing + funnel"],
        "PyDTMC",
        mk["pydtmc"]["fit_sequence_seconds"],
    ),
    (
        "BG/NBD fit",
        surv["seconds"]["bgnbd_fit"],
        "lifetimes",
        surv["seconds"]["lifetimes_bgnbd_fit"],
    ),
    (
        "proportional hazards",
        disc["seconds"]["discrete_time_cloglog_daily"],
        "lifelines Cox",
        disc["seconds"]["lifelines_cox_efron"],
    ),
    (
        "A/B analysis, four metrics",
        exp["cjmodels"]["seconds"]["analyze: srm + conversion + revenue + ratio, cuped, holm"],
        "tea-tasting",
        exp["tea_tasting"]["seconds"]["all four metrics"],
    ),
]
table = pd.DataFrame(rows, columns=["task", "cjmodels (s)", "peer", "peer (s)"]).set_index("task")
table["speed-up"] = table["peer (s)"] / table["cjmodels (s)"]
out.table(
    table,
    "side_by_side",
    caption="Wall-clock seconds on two cores, cjmodels and a peer on the same data in the same "
    "run: attribution on 5M journeys (500k paths), the stage chain from 10M events (PyDTMC fits "
    "one concatenated sequence without intervals), BG/NBD and proportional hazards (our "
    "discrete-time model against lifelines' Cox) on 1M customers, A/B analysis of 10M "
    "customers (benchmarks/results/*.json record the commands and machines).",
    float_format="{:.2f}",
)
out.value("att_order1", att["seconds"]["markov_order1_end_to_end"], fmt="{:.2f}")
out.value("ca_order1", att["channelattribution"]["1"]["seconds"], fmt="{:.2f}")
out.value("att_order3", att["seconds"]["markov_order3_end_to_end"], fmt="{:.2f}")
out.value("ca_order3", att["channelattribution"]["3"]["seconds"], fmt="{:.2f}")
out.value("bgnbd_1m", surv["seconds"]["bgnbd_fit"], fmt="{:.1f}")
out.value("lifetimes_1m", surv["seconds"]["lifetimes_bgnbd_fit"], fmt="{:.1f}")
out.value("discrete_1m", disc["seconds"]["discrete_time_cloglog_daily"], fmt="{:.2f}")
out.value("cox_1m", disc["seconds"]["lifelines_cox_efron"], fmt="{:.0f}")
out.value("ab_10m", table.iloc[5]["cjmodels (s)"], fmt="{:.1f}")
out.value("tea_10m", table.iloc[5]["peer (s)"], fmt="{:.1f}")
table

# %% [markdown]
# ## From the raw log: 10M events

# %%
steps = {
    "validate and sort the log": "event_log_validate_and_sort",
    "split into journeys": "journeys_split",
    "path table from the log": "path_table_from_log",
    "order-1 transition counts from the log": "transitions_order1_from_log",
    "time to first purchase": "time_to_first_purchase",
    "RFM summary (daily periods)": "rfm_summary_daily",
}
log_table = pd.DataFrame(
    {"seconds": [conv["seconds"][k] for k in steps.values()]}, index=list(steps)
).rename_axis("step")
out.table(
    log_table,
    "from_log",
    caption="Seconds for the data-layer conversions of a 10M-event log (3.06M journeys) on two "
    "cores (benchmarks/results/conversions_10M.json).",
    float_format="{:.2f}",
)
out.value("n_events", conv["n_events"])
out.value("n_journeys", conv["n_journeys"])
out.value("path_table_10m", conv["seconds"]["path_table_from_log"], fmt="{:.1f}")
out.value("validate_10m", conv["seconds"]["event_log_validate_and_sort"], fmt="{:.1f}")
out.write()
log_table
