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

from tools.outputs import Outputs

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
log_table

# %% [markdown]
# ## The benchmark suite: every peer on the same data in one run
#
# `make benchmark-full` (`benchmarks/suite.py --mode full`) runs each side in its own process on
# the same data and records medians of three repeats, CPU time, peak memory and the load of the
# machine. The ratio is the peer's time over ours (above 1: cjmodels is faster). The first
# block compares the statistics backends with the in-memory numpy path.

# %%
suite = res["suite_full"]
rows = [r for r in suite["table"] if r["status"] == "ok" and r["peer"] != "bandwidth"]
names = {
    ("backends", "path_table_and_transitions"): "path table + transitions",
    ("attribution", "markov_order1"): "Markov order 1, from the log",
    ("attribution", "markov_order2"): "Markov order 2, from the log",
    ("attribution", "markov_order3"): "Markov order 3, from the log",
    ("attribution", "markov_order1_from_path_table"): "Markov order 1, from paths",
    ("attribution", "markov_order3_from_path_table"): "Markov order 3, from paths",
    ("chain", "chain_fit"): "stage chain fit",
    ("customer_base", "bgnbd_fit"): "BG/NBD fit",
    ("survival", "kaplan_meier"): "Kaplan-Meier",
    ("survival", "proportional_hazards"): "proportional hazards",
    ("experiments", "ab_four_metrics_cuped"): "A/B, four metrics, CUPED",
}
PEERS = {"pandas": "pandas", "duckdb_parquet": "DuckDB (Parquet)", "duckdb_relation":
         "DuckDB (table)", "spark": "Spark (local)", "channelattribution": "ChannelAttribution",
         "mam": "marketing-attribution-models", "pydtmc": "PyDTMC", "lifetimes": "lifetimes",
         "lifelines": "lifelines", "tea_tasting": "tea-tasting"}
suite_table = pd.DataFrame(
    [
        {
            "task": names[(r["case"], r["step"])],
            "cjmodels (s)": r["cjmodels_s"],
            "peer": PEERS.get(r["peer"], r["peer"]),
            "peer (s)": r["peer_s"],
            "ratio": r["ratio_peer_over_cjmodels"],
        }
        for r in rows
        if (r["case"], r["step"]) in names
    ]
).set_index("task")
out.table(
    suite_table,
    "suite",
    caption="The benchmark suite in full mode on two cores (benchmarks/results/suite_full.json): "
    "path table and transitions of 1M journeys (5M events) by each backend; Markov attribution "
    "of the same journeys (ChannelAttribution and marketing-attribution-models start from the "
    "path table); a stage chain from 10M events; BG/NBD, Kaplan-Meier and proportional hazards "
    "(our discrete-time model, lifelines' Cox) on 1M customers; A/B analysis of 10M customers. "
    "Ratio: peer seconds over cjmodels seconds.",
    float_format="{:.2f}",
)
bw = next(r for r in suite["table"] if r["peer"] == "bandwidth")
backends = {r["peer"]: r for r in suite["table"] if r["case"] == "backends"}
out.value("suite_paths_numpy", bw["cjmodels_s"], fmt="{:.1f}")
out.value("suite_paths_duckdb", backends["duckdb_parquet"]["peer_s"], fmt="{:.1f}")
out.value("suite_paths_pandas", backends["pandas"]["peer_s"], fmt="{:.1f}")
if "spark" in backends and backends["spark"]["status"] == "ok":
    out.value("suite_paths_spark", backends["spark"]["peer_s"], fmt="{:.0f}")
out.value("suite_bandwidth_ms", 1000 * bw["peer_s"], fmt="{:.0f}")
att_rows = {(r["step"], r["peer"]): r for r in suite["table"]
            if r["case"] == "attribution" and r["status"] == "ok"}
for k in (1, 3):
    row = att_rows[(f"markov_order{k}", "channelattribution")]
    out.value(f"suite_att{k}_log", row["cjmodels_s"], fmt="{:.2f}")
    out.value(f"suite_ca{k}", row["peer_s"], fmt="{:.2f}")
suite_table

# %% [markdown]
# The suite's event frame arrives sorted by customer and time, as the generator writes it. A
# second run of the attribution case hands over the same log in time order and shuffled, which
# the event log sorts first.

# %%
row_order = {r["step"]: r for r in res["suite_full_attribution_row_order"]["table"]
             if r["peer"] == "channelattribution" and r["status"] == "ok"}
row_table = pd.DataFrame(
    [
        (label, row_order[step]["cjmodels_s"], row_order[step]["peer_s"])
        for label, step in (
            ("sorted by customer and time", "markov_order1"),
            ("in time order", "markov_order1_from_log_in_time_order"),
            ("shuffled", "markov_order1_from_shuffled_log"),
        )
    ],
    columns=["event log", "cjmodels (s)", "ChannelAttribution from paths (s)"],
).set_index("event log")
out.value("att1_time_order", row_table.iloc[1, 0], fmt="{:.2f}")
out.value("att1_shuffled", row_table.iloc[2, 0], fmt="{:.2f}")
out.value("ca1_row_order_run", row_table.iloc[2, 1], fmt="{:.2f}")
row_table

# %% [markdown]
# ## Time to first purchase, counted where the data lives
#
# `first_purchase_counts` (`benchmarks/bench_durations.py`): customers per first channel,
# duration and outcome from the same journey log, in memory and by each engine, with exact
# durations (timestamps in seconds: nearly one row per customer) and in daily steps (a life
# table); every engine's tables equal the in-memory ones.

# %%
dur = res["durations_1000000"]
mem = dur["sides"]["memory"]
dur_table = pd.DataFrame(
    [
        {"backend": name, "exact (s)": side["exact"]["time"]["median"],
         "daily (s)": side["daily"]["time"]["median"],
         "equal to memory": bool(side["exact"].get("equal_to_memory", True)
                                 and side["daily"].get("equal_to_memory", True))}
        for name, side in dur["sides"].items() if "daily" in side
    ]
).set_index("backend")
out.value("dur_customers", mem["daily"]["customers"])
out.value("dur_rows_exact", mem["exact"]["rows"])
out.value("dur_rows_daily", mem["daily"]["rows"])
out.value("dur_memory", mem["daily"]["time"]["median"], fmt="{:.1f}")
out.value("dur_duckdb", dur["sides"]["duckdb_parquet"]["daily"]["time"]["median"], fmt="{:.1f}")
if "daily" in dur["sides"].get("spark", {}):
    out.value("dur_spark", dur["sides"]["spark"]["daily"]["time"]["median"], fmt="{:.0f}")
out.value("dur_km_counts_ms", 1000 * mem["daily"]["time_km"]["median"], fmt="{:.0f}")
out.value("dur_km_customers", mem["time_km_per_customer"]["median"], fmt="{:.1f}")
dur_table

# %% [markdown]
# ## Scaling: time and memory against events
#
# `benchmarks/bench_scaling.py --mode full` runs every point (one backend or model at one size)
# in a fresh process; in-memory points that would not fit in memory at 100M events are skipped.
# A slope of 1 on the log-log scale is linear growth.

# %%
import matplotlib.pyplot as plt
import numpy as np

scaling = res["scaling_full"]
fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 3.8))
for name, curve in scaling["curves"].items():
    pts = [p for p in curve["points"] if "time" in p]
    if len(pts) < 2:
        continue
    ev = np.array([p["events"] for p in pts], dtype=float)
    ax_t.loglog(ev, [p["time"]["median"] for p in pts], "o-", label=name)
    ax_m.loglog(ev, [p["peak_rss_mib"] for p in pts], "o-", label=name)
ax_t.set(xlabel="events", ylabel="seconds")
ax_m.set(xlabel="events", ylabel="peak memory of the process (MiB)")
ax_t.legend(fontsize=7, ncol=2)
fig.tight_layout()
out.figure(fig, "scaling")
slopes = {k: c["slope_log_cpu_vs_log_events"] for k, c in scaling["curves"].items()
          if c.get("slope_log_cpu_vs_log_events") is not None and k != "bandwidth"}
out.value("slope_min", min(slopes.values()), fmt="{:.2f}")
out.value("slope_max", max(slopes.values()), fmt="{:.2f}")
pd.Series(slopes, name="CPU-time slope")

# %% [markdown]
# ## Out of core, and the hidden-stage models

# %%
ooc = res["out_of_core_20M"]
out.value("ooc_events", ooc["data"]["events"])
out.value("ooc_journeys", ooc["data"]["journeys"])
out.value("ooc_file_gib", ooc["data"]["file_gib"], fmt="{:.2f}")
out.value("ooc_seconds", ooc["reduce"]["seconds"]["total"], fmt="{:.0f}")
out.value("ooc_path_seconds", ooc["reduce"]["seconds"]["path_table_duckdb"], fmt="{:.0f}")
out.value("ooc_peak_gib", ooc["reduce"]["peak_rss_mib"] / 1024, fmt="{:.1f}")
out.value("ooc_paths", ooc["reduce"]["counts"]["distinct_paths"])
ms, hm = res["multistate"], res["hmm_50k"]
hidden = pd.DataFrame(
    [
        ("msm's cav model", ms["cjmodels"]["cav_seconds_median"], "R msm",
         ms["msm"]["cav_seconds_median"]),
        ("cav model with sex", ms["cjmodels"]["cavsex_seconds_median"], "R msm",
         ms["msm"]["cavsex_seconds_median"]),
        ("HMM, 10 EM iterations", hm["cjmodels"]["fixed_iterations_seconds"], "hmmlearn",
         hm["hmmlearn"]["scaling_seconds"]),
    ],
    columns=["task", "cjmodels (s)", "peer", "peer (s)"],
).set_index("task")
hidden["ratio"] = hidden["peer (s)"] / hidden["cjmodels (s)"]
out.table(
    hidden,
    "hidden",
    caption="Continuous-time multi-state fits of msm's cav data against R's msm (medians; "
    "benchmarks/results/multistate.json) and Baum-Welch on 50,000 journeys against hmmlearn from "
    "the same start values (benchmarks/results/hmm_50k.json).",
    float_format="{:.2f}",
)
out.value("cav_seconds", ms["cjmodels"]["cav_seconds_median"], fmt="{:.2f}")
out.value("msm_seconds", ms["msm"]["cav_seconds_median"], fmt="{:.2f}")
out.value("hmm_speedup", hm["speedup_vs_hmmlearn_scaling"], fmt="{:.0f}")
out.write()
hidden
