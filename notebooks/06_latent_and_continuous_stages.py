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
# Parameters: the seeds of the two simulated worlds, their sizes, the horizon of the transition
# probabilities, and the candidate numbers of latent stages.
SEED = 20251124
PANEL_CUSTOMERS = 2000
LATENT_CUSTOMERS = 3000
HORIZON_DAYS = 30
CANDIDATE_STAGES = (1, 2, 3, 4)
BOOTSTRAP_REPS = 20
ALPHA = 0.05

# %% [markdown]
# # Stages seen at irregular times, and stages never seen at all
#
# Two situations the observed chain of notebook 02 cannot handle.
#
# 1. **Stages seen only at snapshots.** A CRM records a customer's stage now and then; the moves
#    in between are never seen. A continuous-time Markov multi-state model fits the transition
#    intensities `Q` from such panel data through `P(t) = expm(Q t)` between snapshots
#    (Kalbfleisch and Lawless 1985; R's msm). We first reproduce msm's published example, then
#    recover a known continuous-time journey from irregular snapshots.
# 2. **Stages never seen.** The touches we observe (the organic path) are emitted by decision
#    stages we do not observe (the normative path). A hidden Markov model recovers the stages,
#    their channel profiles and their moves from the touches alone.

# %%
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cjmodels.markov import END_STATES, HiddenMarkovModel, fit_multistate, lrtest, select_n_states
from cjmodels.synthetic import simulate_latent_journeys, simulate_panel
from tools.outputs import Outputs

out = Outputs("06")  # numbers, tables and figures for the paper (paper/generated/)
out.value("level", 1 - ALPHA, fmt="{:.0%}")

# %% [markdown]
# ## msm's example: heart-transplant patients seen about once a year
#
# The `cav` data shipped with R's msm (GPL, copied in `datasets/cav/` with its source and
# licence): 622 patients, each examined roughly yearly for cardiac allograft vasculopathy (states
# 1 none, 2 mild, 3 severe, 4 death; death times are known exactly). The model and the initial
# values are those of the msm manual (section 2).

# %%
cav = pd.read_csv("datasets/cav/cav.csv")
Q_CAV = np.array([[0, 0.25, 0, 0.25], [0.166, 0, 0.166, 0.166], [0, 0.25, 0, 0.25], [0, 0, 0, 0]])
# the cav columns: patient, years since transplant, state
CAV = {"customer": "PTNUM", "timestamp": "years", "stage": "state", "deathexact": [4]}
cav_fit = fit_multistate(cav, Q_CAV, **CAV)
out.value("cav_subjects", int(cav["PTNUM"].nunique()))
out.value("cav_rows", len(cav))
out.value("cav_m2ll", -2.0 * cav_fit.log_likelihood, fmt="{:.3f}")
cav_fit

# %% [markdown]
# The manual prints −2 log-likelihood 3968.798 and these intensities (per year) with 95%
# intervals; the test suite checks every one against the manual and against msm itself.

# %%
iv = cav_fit.intensities(alpha=ALPHA)
out.table(iv, "cav_intensities",
          caption="Transition intensities (per year) of msm's four-state model of the cav data, "
          "with 95\\% delta-method intervals; they agree with msm's printed output.",
          float_format="{:.4f}")
iv

# %%
soj = cav_fit.sojourn(alpha=ALPHA)
p10 = cav_fit.pmatrix(10)
out.table(soj[["estimate", "se", "ci_low", "ci_high"]], "cav_sojourn",
          caption="Mean sojourn time (years) in each transient state of the cav model.",
          float_format="{:.3f}")
out.table(p10, "cav_p10",
          caption="Ten-year transition probabilities $P(10)$ of the cav model (rows: state "
          "now; columns: state ten years later).", float_format="{:.4f}")
out.value("cav_p10_death_from_1", float(p10.iloc[0, 3]), fmt="{:.3f}")
out.value("cav_sojourn_1", float(soj["estimate"].iloc[0]), fmt="{:.2f}")
soj, p10

# %% [markdown]
# Does the patient's sex change the intensities? Sex on every intensity adds seven parameters;
# the fit flags the effect on `2 - 4` as not identified by these data (its interval spans many
# orders of magnitude) instead of reporting it as if it were known, and the likelihood-ratio test
# against the model without covariates is borderline.

# %%
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    cav_sex = fit_multistate(cav, Q_CAV, covariates=["sex"], **CAV)
print("\n".join(str(w.message) for w in caught))
lr = lrtest(cav_fit, cav_sex)
out.value("cav_lr_stat", lr.statistic, fmt="{:.2f}")
out.value("cav_lr_df", int(lr.df))
out.value("cav_lr_p", lr.pvalue, fmt="{:.3f}")
out.value("cav_sex_flagged", len(cav_sex.problems) > 0, fmt="{}")
lr, cav_sex.hazard_ratios(alpha=ALPHA)

# %% [markdown]
# ## A continuous-time journey recovered from irregular snapshots
#
# Customers move through awareness, interest, consideration and decision to purchase (or drop
# out) in continuous time, with known intensities per day; returning customers buy from the
# decision stage twice as fast and drop out of awareness half as often. The CRM sees each
# customer's stage at snapshots about every two weeks; purchases and drop-outs are logged when
# they happen. Nobody sees the moves in between.

# %%
world = simulate_panel(PANEL_CUSTOMERS, random_state=SEED)
log = world.event_log()
t0 = time.perf_counter()
panel_fit = fit_multistate(log, **world.fit_options())
panel_seconds = time.perf_counter() - t0
out.value("panel_customers", PANEL_CUSTOMERS)
out.value("panel_snapshots", int((world.events["event"] == "touch").sum()))
out.value("panel_converged", bool(panel_fit.converged), fmt="{}")
panel_fit

# %% [markdown]
# Estimated intensities for a new customer (`returning = 0`) against the truth, and the
# hazard ratios of returning customers.

# %%
true_q = world.true_qmatrix(0.0)
est = panel_fit.intensities(covariates={"returning": 0}, alpha=ALPHA)
est = est[est["from"] != est["to"]].copy()
est["true"] = [true_q.loc[a, b] for a, b in zip(est["from"], est["to"], strict=True)]
est["covered"] = (est["ci_low"] <= est["true"]) & (est["true"] <= est["ci_high"])
rec = est.set_index(["from", "to"])[["true", "estimate", "ci_low", "ci_high", "covered"]]
out.table(rec, "panel_recovery",
          caption="Intensities per day of the simulated continuous-time journey recovered from "
          "irregular snapshots: truth, estimate and 95\\% interval.", float_format="{:.4f}")
out.value("panel_covered", int(rec["covered"].sum()))
out.value("panel_intensities", len(rec))
rec

# %%
hr = panel_fit.hazard_ratios(alpha=ALPHA)
hr["true"] = np.exp(world.truth["log_hr"])
out.table(hr.set_index(["covariate", "transition"])[["true", "hr", "ci_low", "ci_high"]],
          "panel_hazard_ratios", caption="Hazard ratios of returning customers: truth and "
          "estimate with 95\\% interval.", float_format="{:.3f}")
hr

# %% [markdown]
# Where is a new customer `HORIZON_DAYS` days after entering? The fitted `P(t)` with intervals
# against the true one.

# %%
pt = panel_fit.pmatrix_intervals(HORIZON_DAYS, covariates={"returning": 0}, alpha=ALPHA)
pt

# %%
fig, ax = plt.subplots(figsize=(6, 3.6))
panel_fit.plot(ax=ax, covariates={"returning": 0}, alpha=ALPHA)
truth_t = np.linspace(0, 180, 61)
first = world.states[0]
for s in world.states:
    ax.plot(truth_t, [world.true_pmatrix(t).loc[first, s] for t in truth_t], "k:", lw=1)
ax.set_title("Stage of a new customer over time: fitted (bands) and true (dotted)")
out.figure(fig, "panel_pt")

# %% [markdown]
# ## Latent stages behind the touches
#
# In this world each customer's touches are emitted by three latent decision stages
# (awareness, consideration, intent) with distinct channel profiles; the journey ends with a
# purchase or a drop-out, which the model treats as absorbing end states. Only the touches and
# the outcome are in the log.

# %%
lw = simulate_latent_journeys(LATENT_CUSTOMERS, random_state=SEED)
out.value("latent_customers", LATENT_CUSTOMERS)
out.value("latent_touches", len(lw.touches))
lw.events.head()

# %% [markdown]
# How many stages? BIC on the training customers and the log-likelihood of held-out customers.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    sel = select_n_states(lw.events, n_states=CANDIDATE_STAGES, end_states=True, n_init=4,
                          random_state=SEED)
sel_table = sel.summary()[["log_likelihood", "n_params", "aic", "bic", "heldout_log_likelihood"]]
# the paper's table keeps its short column names
sel_table = sel_table.rename(columns={"log_likelihood": "loglik",
                                      "heldout_log_likelihood": "heldout_loglik"})
out.table(sel_table, "latent_selection",
          caption="Choosing the number of latent stages: AIC and BIC on training customers and "
          "the held-out log-likelihood.", float_format="{:.1f}")
sel

# %%
hmm = HiddenMarkovModel(3, stage_names=lw.stages, end_states=True, n_init=5,
                        random_state=SEED).fit(lw.events)
fit = hmm.result_
symbols, states = list(fit.symbols), list(fit.states)
truth = lw.hmm_params(symbols[: -2])
emis = pd.DataFrame(fit.emissionprob[:3, :-2], index=lw.stages, columns=symbols[:-2])
emis_true = pd.DataFrame(truth["emissionprob"][:3, :-2], index=lw.stages,
                         columns=symbols[:-2])
out.value("latent_emission_maxerr", float(np.abs(emis - emis_true).to_numpy().max()),
          fmt="{:.3f}")
out.table(pd.concat({"fitted": emis, "true": emis_true}, names=["", "stage"]), "latent_emissions",
          caption="Channel profile of each latent stage: fitted by Baum-Welch from the touches "
          "alone, and the truth.", float_format="{:.3f}")
emis

# %%
trans = pd.DataFrame(fit.transmat[:3], index=lw.stages, columns=states)
trans_true = pd.DataFrame(truth["transmat"][:3], index=lw.stages, columns=states)
out.value("latent_transition_maxerr", float(np.abs(trans - trans_true).to_numpy().max()),
          fmt="{:.3f}")
out.table(pd.concat({"fitted": trans, "true": trans_true}, names=["", "stage"]), "latent_transitions",
          caption="Per-touch moves between latent stages and into purchase or drop-out: fitted "
          "and true.", float_format="{:.3f}")
trans

# %% [markdown]
# The stage at every touch: Viterbi decoding against the true stage the simulation kept.

# %%
true_stage = lw.touches["stage"].to_numpy()
dec = hmm.decode(lw.events)
fitted_stage = dec.loc[~dec["symbol"].isin(END_STATES), "stage"].to_numpy()
# the best any decoder of this model can do: Viterbi with the true parameters
oracle = HiddenMarkovModel(3, stage_names=lw.stages, end_states=True, n_init=1, max_iter=0,
                           init=truth, order="none").fit(lw.events)
odec = oracle.decode(lw.events)
oracle_stage = odec.loc[~odec["symbol"].isin(END_STATES), "stage"].to_numpy()
accuracy = float(np.mean(fitted_stage == true_stage))
accuracy_oracle = float(np.mean(oracle_stage == true_stage))
out.value("latent_accuracy", accuracy, fmt="{:.1%}")
out.value("latent_accuracy_oracle", accuracy_oracle, fmt="{:.1%}")
accuracy, accuracy_oracle

# %% [markdown]
# Uncertainty: a bootstrap over customers, each replicate's stages matched to the fit's.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    boot = hmm.bootstrap(lw.events, n_boot=BOOTSTRAP_REPS, random_state=SEED)
boot.summary().head(12)

# %%
out.write()
