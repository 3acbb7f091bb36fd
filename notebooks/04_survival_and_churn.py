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
# Parameters: the seed of the simulated worlds, their sizes, the inactivity that declares a
# drop-out, and the calibration period of the repeat-buying models.
SEED = 20251122
N_CURE = 4000
DROP_OUT_AFTER = "30D"
CALIBRATION_WEEKS = 39

# %% [markdown]
# # Time to purchase, drop-out, never-buyers and customer-base models
#
# How long does the decision take, and who never buys? This notebook turns the shipped event
# logs into durations and analyses them with `cjmodels.survival`: Kaplan-Meier curves by first
# channel, purchase versus drop-out as competing risks, a mixture cure model for the customers
# who will never buy, discrete-time survival as the scalable stand-in for Cox regression, and
# the marketing-science models of customer bases (sBG, BG/NBD, gamma-gamma, CLV), reproducing
# published numbers side by side with the papers. Only shipped and simulated data are used.

# %%
import warnings

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from cjmodels.data import EventLog, journeys, rfm_summary, time_to_first_purchase
from cjmodels.datasets import load_journeys, load_transactions
from cjmodels.survival import (
    BetaGeoModel,
    GammaGammaModel,
    MixtureCureModel,
    ParetoNBDModel,
    ShiftedBetaGeometricModel,
    concordance_index_ipcw,
    cox_ph,
    cumulative_incidence,
    customer_lifetime_value,
    discrete_time_survival,
    integrated_brier_score,
    kaplan_meier,
    kaplan_meier_by,
    simulate_mixture_cure,
)
from tools.outputs import Outputs

out = Outputs("04")  # numbers, tables and figures for the paper (paper/generated/)
ds = load_journeys()
log = ds.event_log()
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    ttp = time_to_first_purchase(log, unit="D")
out.value("n_customers", len(ttp))
out.value("n_buyers", int(ttp["event"].sum()))
ttp.head()

# %% [markdown]
# ## Time to first purchase by first channel
# Most customers never buy within the window, so the median time to purchase is not reached;
# the curves are read as the share who have bought by each day.

# %%
top = ttp["first_channel"].value_counts().index[:4]
cs = kaplan_meier_by(ttp[ttp["first_channel"].isin(top)], "first_channel")
horizons = [7, 30, 90, 150]
bought = 1 - cs.at(horizons)
bought.columns = [f"day {h}" for h in horizons]
counts = cs.summary()[["n_customers", "n_events"]].rename(columns={"n_customers": "n"})
out.table(bought.join(counts.astype(int)), "bought_by_channel",
          caption="Share of customers who bought by day since the first touch, by first channel "
          "(Kaplan-Meier, shipped journeys).")
out.value("logrank_chi2", cs.logrank.statistic, fmt="{:.2f}")
out.value("logrank_pvalue", cs.logrank.pvalue, fmt="{:.3f}")
out.value("bought_day90_all", 1 - kaplan_meier(ttp).at(90)["estimate"].iloc[0], fmt="{:.1%}")
fig, ax = plt.subplots(figsize=(6, 3.5))
for c in cs.curves.values():
    t = c.table.index.to_numpy()
    ax.step(t, 1 - c.table["estimate"], where="post", label=c.label)
ax.set(xlabel="days since first touch", ylabel="share who bought")
ax.legend(fontsize=8)
out.figure(fig, "time_to_purchase")
bought

# %% [markdown]
# ## Purchase versus drop-out
# The log has no explicit drop-out events; as analysts do, a customer who goes
# `DROP_OUT_AFTER` without a touch and has not bought is declared lost at their last touch.
# That status is known only `DROP_OUT_AFTER` later, so follow-up ends that long before the end
# of the log (otherwise the customers still censored would be exactly the active ones).
# Purchase and drop-out then compete, and the Aalen-Johansen estimator gives the cumulative
# incidence of each (1 - Kaplan-Meier would overstate purchase by treating drop-outs as
# censored).

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    first = journeys(log, timeout=DROP_OUT_AFTER).groupby("customer_id").head(1)
cutoff = log.observation_end - pd.Timedelta(DROP_OUT_AFTER)
lost = first[(first["outcome"] == "drop_out") & (first["end"] <= cutoff)]
drops = pd.DataFrame({"customer_id": lost["customer_id"], "timestamp": lost["end"],
                      "event": "drop_out"})
seen = ds.events[ds.events["timestamp"] <= cutoff]
log_do = EventLog(pd.concat([seen, drops], ignore_index=True),
                  observation_start=log.observation_start, observation_end=cutoff)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    tdo = time_to_first_purchase(log_do, unit="D")
cause = np.where(tdo["event"] == 1, "purchase",
                 np.where(tdo["censor_reason"] == "drop_out", "drop_out", "censored"))
ci = cumulative_incidence(tdo.assign(cause=cause), cause="cause", censor_code="censored")
inc = ci.at(horizons)
inc.index = [f"day {h}" for h in horizons]
naive = 1 - kaplan_meier(tdo).at(horizons)["estimate"].to_numpy()
inc["purchase (1 - KM)"] = naive
out.table(inc, "purchase_vs_dropout",
          caption="Cumulative incidence of purchase and drop-out (Aalen-Johansen) and the "
          "naive 1 - Kaplan-Meier that censors drop-outs.")
out.value("dropout_day90", inc.loc["day 90", "drop_out"], fmt="{:.1%}")
out.value("purchase_day90", inc.loc["day 90", "purchase"], fmt="{:.1%}")
out.value("purchase_day90_naive", inc.loc["day 90", "purchase (1 - KM)"], fmt="{:.1%}")
ax = ci.plot()
ax.set(xlabel="days since first touch")
out.figure(ax.figure, "purchase_vs_dropout")
inc

# %% [markdown]
# ## Who will never buy: the mixture cure model
# First on a simulated world whose cure fraction and coefficients are known, then on the
# shipped journeys, where the generating chain's exact probability that a first journey ends in
# a purchase is in the dataset's truth.

# %%
world = simulate_mixture_cure(N_CURE, random_state=SEED)
sim, truth = world.data, world.truth
cm = MixtureCureModel().fit(sim, cure_covariates=["z"], latency_covariates=["x"])
tab = cm.summary()[["coef", "ci_low", "ci_high"]].assign(
    truth=pd.Series({k: v for k, v in truth.items() if k != "cure_fraction"}))
out.table(tab, "cure_simulated",
          caption="Mixture cure model (logistic cure probability, Weibull latency) on a "
          f"simulated world of {N_CURE:,} customers: estimates, 95% intervals and the truth.")
out.value("cure_sim_fraction", cm.result_.cure_fraction, fmt="{:.3f}")
out.value("cure_sim_truth", truth["cure_fraction"], fmt="{:.3f}")

never = ttp.assign(duration=ttp["duration"].clip(lower=0.5 / 24))  # purchases at the touch
with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    never_all = time_to_first_purchase(log, unit="D", censor_at_drop_out=False)
never_all = never_all.assign(duration=never_all["duration"].clip(lower=0.5 / 24))
cj = MixtureCureModel().fit(never_all)
exact = ds.truth["conversion"]["first_journey"]
out.value("cure_journeys_buy", 1 - cj.result_.cure_fraction, fmt="{:.3f}")
out.value("cure_journeys_buy_exact", exact, fmt="{:.3f}")
out.value("cure_journeys_plateau", 1 - kaplan_meier(never_all).table["estimate"].iloc[-1],
          fmt="{:.3f}")
ax = cj.plot(times=np.linspace(0, 180, 181))
ax.set(xlabel="days since first touch")
out.figure(ax.figure, "cure_fraction")
tab

# %% [markdown]
# ## Scale: discrete-time survival on aggregated counts
# Grouping time into days and customers into covariate patterns turns the Cox model into a
# binomial GLM on a few hundred rows; its hazard ratios match Cox's (on a million customers
# the aggregated fit takes a fraction of a second where lifelines' Cox takes minutes; see
# `benchmarks/results/survival_discrete_1M.json`).

# %%
x = pd.get_dummies(ttp["first_channel"].where(ttp["first_channel"].isin(top), "other"),
                   dtype=float).drop(columns="organic_search")
x["duration"], x["event"] = ttp["duration"], ttp["event"]
covs = [c for c in x.columns if c not in ("duration", "event")]
dt = discrete_time_survival(x, covs, width=1.0)
cox = cox_ph(x, covs)
hr = pd.DataFrame({"discrete (cloglog, days)": dt.table["hazard_ratio"],
                   "Cox (Efron)": cox.table["hazard_ratio"],
                   "Cox 95% low": np.exp(cox.table["ci_low"]),
                   "Cox 95% high": np.exp(cox.table["ci_high"])})
out.table(hr, "discrete_vs_cox",
          caption="Hazard ratios of purchase by first channel (reference: organic search): "
          "discrete-time model on daily person-period counts versus Cox regression.")
out.value("discrete_rows", dt.n_rows)
out.value("discrete_max_hr_diff", float(np.max(np.abs(hr.iloc[:, 0] - hr.iloc[:, 1]))),
          fmt="{:.4f}")
hr

# %% [markdown]
# Predictions are checked on customers the model has not seen: the integrated Brier score of
# the discrete-time model against a model without covariates (Kaplan-Meier), and Uno's
# concordance of its risk score. In this world the first channel barely changes the time to
# purchase (the log-rank test above), and the metrics say so: no gain over Kaplan-Meier and a
# concordance near 1/2.

# %%
rng = np.random.default_rng(SEED)
is_test = rng.random(len(x)) < 0.5
train, test = x[~is_test], x[is_test]
grid = np.arange(10.0, 171.0, 10.0)
fit = discrete_time_survival(train, covs, width=1.0)
s_model = fit.predict_survival(test, grid)
km_train = kaplan_meier(train).at(grid)["estimate"].to_numpy()
s_null = np.tile(km_train, (len(test), 1))
ibs_model = integrated_brier_score(train, test, s_model, grid)
ibs_null = integrated_brier_score(train, test, s_null, grid)
uno = concordance_index_ipcw(train, test, test[covs].to_numpy() @ fit.table["coef"].to_numpy())
out.value("ibs_model", ibs_model, fmt="{:.4f}")
out.value("ibs_null", ibs_null, fmt="{:.4f}")
out.value("uno_c", uno.cindex, fmt="{:.3f}")
pd.Series({"IBS discrete-time": ibs_model, "IBS Kaplan-Meier": ibs_null, "Uno C": uno.cindex})

# %% [markdown]
# ## Contractual retention: sBG against Fader & Hardie (2007)
# Survivors of 1,000 customers in two segments (the paper's Table 1). Fitted on years 1-7 as in
# the paper, the model projects years 8-12.

# %%
survivors = {
    "regular": [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173],
    "high end": [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394],
}
paper = {"regular": (0.704, 1.182, -1680.27), "high end": (0.668, 3.806, -1611.16)}
proj, params = {}, {}
for name, counts in survivors.items():
    m = ShiftedBetaGeometricModel().fit_survivors(counts[:8])
    proj[f"{name} actual"] = counts
    proj[f"{name} sBG"] = m.project(12)["survivors"].to_numpy()
    sbg = m.result_
    params[name] = {"alpha": sbg.params["alpha"], "alpha (paper)": paper[name][0],
                    "beta": sbg.params["beta"], "beta (paper)": paper[name][1],
                    "log-lik.": sbg.log_likelihood, "log-lik. (paper)": paper[name][2]}
proj = pd.DataFrame(proj).rename_axis("year")
params = pd.DataFrame(params).T.rename_axis("segment")
out.table(proj, "sbg_projection", float_format="{:.0f}",
          caption="Survivors of 1,000: Fader & Hardie (2007) Table 1 and the sBG fit on years "
          "1-7 projected to year 12.")
out.table(params, "sbg_params", float_format="{:.3f}",
          caption="sBG estimates on years 1-7: cjmodels and the published values.")
out.value("sbg_regular_year12", float(proj.loc[12, "regular sBG"]), fmt="{:.0f}")
out.value("sbg_highend_year12", float(proj.loc[12, "high end sBG"]), fmt="{:.0f}")
params

# %% [markdown]
# ## Non-contractual repeat buying: BG/NBD, Pareto/NBD and CLV
# The published CDNOW estimates of Fader, Hardie & Lee (2005) give the paper's conditional
# expectation for a customer with two repeat purchases, the last at week 30.43, observed for
# 38.86 weeks; the CDNOW data themselves are not shipped (the tests fetch them).

# %%
bg_pub = BetaGeoModel.from_params({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426})
pn_pub = ParetoNBDModel.from_params({"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669})
cond = pd.DataFrame({
    "cjmodels": [bg_pub.conditional_expected_transactions(39, 2, 30.43, 38.86)[0],
                 bg_pub.prob_alive(2, 30.43, 38.86)[0], pn_pub.prob_alive(2, 30.43, 38.86)[0]],
    "paper": [1.226, np.nan, np.nan],
}, index=["BG/NBD E[X(39) | 2, 30.43, 38.86]", "BG/NBD P(alive)", "Pareto/NBD P(alive)"])
out.value("bgnbd_cond_exp", cond.iloc[0, 0], fmt="{:.3f}")
cond

# %% [markdown]
# On the shipped transactions (a BG/NBD world with gamma-gamma spend): fit on the first
# `CALIBRATION_WEEKS` weeks, compare the holdout with the prediction, and value the customers.

# %%
tx = load_transactions()
tlog = tx.event_log()
cal_end = tlog.observation_start + pd.Timedelta(weeks=CALIBRATION_WEEKS)
rfm = rfm_summary(tlog, unit="W", period="D", observation_end=cal_end)
bg = BetaGeoModel().fit(rfm)
gg = GammaGammaModel().fit(rfm)
ev = tlog.events
hold = ev[(ev["event"] == "conversion") & (ev["timestamp"] > cal_end)]
hold = hold.assign(day=hold["timestamp"].dt.floor("D")).drop_duplicates(["customer_id", "day"])
actual = hold.groupby("customer_id").size().reindex(rfm["customer_id"]).fillna(0).to_numpy()
horizon = float((tlog.observation_end - cal_end) / pd.Timedelta(weeks=1))
pred = bg.conditional_expected_transactions(horizon, rfm["frequency"], rfm["recency"], rfm["T"])
calib = pd.DataFrame({"calibration purchases": rfm["frequency"].clip(upper=7).to_numpy(),
                      "predicted": pred, "actual": actual})
calib = calib.groupby("calibration purchases").mean()
calib.index = [str(i) if i < 7 else "7+" for i in calib.index]
out.table(calib.rename_axis("repeat purchases"), "bgnbd_holdout", float_format="{:.2f}",
          caption="BG/NBD on the shipped transactions: mean holdout purchases per customer by "
          f"calibration frequency, predicted and actual ({horizon:.0f}-week holdout).")
bg_tab = bg.summary()[["estimate", "ci_low", "ci_high"]].assign(
    truth=pd.Series(tx.truth["params"]))
out.table(bg_tab, "bgnbd_params",
          caption="BG/NBD estimates on the shipped transactions with 95% intervals and the "
          "generating values.")
out.value("holdout_predicted", float(pred.sum()), fmt="{:,.0f}")
out.value("holdout_actual", float(actual.sum()), fmt="{:,.0f}")
clv = customer_lifetime_value(rfm, bg, gg, horizon=12, discount_rate=0.01)
top_share = clv["clv"].nlargest(len(clv) // 10).sum() / clv["clv"].sum()
out.value("clv_mean", float(clv["clv"].mean()), fmt="{:.2f}")
out.value("clv_top_decile_share", float(top_share), fmt="{:.1%}")
fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(calib.index, calib["actual"], "o-", label="actual")
ax.plot(calib.index, calib["predicted"], "s--", label="BG/NBD")
ax.set(xlabel="repeat purchases in calibration", ylabel="holdout purchases per customer")
ax.legend()
out.figure(fig, "bgnbd_holdout")
bg_tab

# %%
out.write()
