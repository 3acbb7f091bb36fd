"""Demo-report section of the survival subpackage."""

from __future__ import annotations

import warnings
from typing import Any

import pandas as pd

from cjmodels.report._base import Section

# Fader & Hardie (2007), Table 1: survivors of 1,000 customers, years 0-12.
_REGULAR = [1000, 631, 468, 382, 326, 289, 262, 241, 223, 207, 194, 183, 173]
_HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]

__all__ = ["section", "sections"]


def section(ctx: Any) -> Any:
    """Time to purchase by first channel, churn regression, sBG and BG/NBD with CLV."""
    from cjmodels.data import rfm_summary, subscription_lifetimes, time_to_first_purchase
    from cjmodels.survival import (
        BetaGeoModel,
        GammaGammaModel,
        ShiftedBetaGeometricModel,
        cox_ph,
        customer_lifetime_value,
        kaplan_meier_by,
    )

    s = Section("Survival and customer-base models (cjmodels.survival)")
    values: dict[str, Any] = {}
    plt = ctx.plt
    fig, axes = plt.subplots(1, 3, figsize=(15, 4))

    # --- time to first purchase by first channel (journeys)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        d = time_to_first_purchase(ctx.log("journeys"), unit="D")
    top = d["first_channel"].value_counts().index[:4]
    sub = d[d["first_channel"].isin(top)]
    cs = kaplan_meier_by(sub, "first_channel")
    s.lines.append("  time to first purchase (days) by first channel, Kaplan-Meier:")
    s.table(cs.summary(), float_format="{:.1f}")
    s.lines.append(f"  log-rank across channels: {cs.logrank!r}")
    values["time_to_purchase_by_channel"] = cs.to_dict()
    for c in cs.curves.values():
        t = c.table.index.to_numpy()
        axes[0].step(t, 1 - c.table["estimate"], where="post", label=c.label)
    axes[0].set(xlabel="days since first touch", ylabel="share who bought",
                title="Time to first purchase")
    axes[0].legend(fontsize=7)

    # --- churn: Cox regression on the subscriptions world vs the truth
    ds = ctx.dataset("subscriptions")
    cov = ["plan", "acquisition_channel", "age"]
    sl = subscription_lifetimes(ctx.log("subscriptions"), unit="D", covariates=cov)
    x = pd.get_dummies(sl[["plan", "acquisition_channel"]], drop_first=True, dtype=float)
    x["age"] = sl["age"].astype(float) - 45.0
    x["duration"], x["event"] = sl["duration"], sl["event"]
    truth = ds.truth["coefficients"]
    res = cox_ph(x, list(truth))
    tab = res.table[["coef", "ci_low", "ci_high"]].assign(truth=pd.Series(truth))
    s.lines.append("  churn hazard ratios (Cox, Efron ties) against the generating truth:")
    s.table(tab, float_format="{:.3f}")
    values["cox_churn"] = {"table": tab.to_dict(orient="index"), "concordance": res.concordance}

    # --- sBG on the published retention data
    rows = {}
    for name, counts in (("regular", _REGULAR), ("high end", _HIGH_END)):
        m = ShiftedBetaGeometricModel().fit_survivors(counts[:8])
        proj = m.project(12)["survivors"]
        rows[name] = {"alpha": m.result_.params["alpha"], "beta": m.result_.params["beta"],
                      "log_likelihood": m.result_.log_likelihood,
                      "year_12_actual": counts[12], "year_12_projected": float(proj.iloc[12])}
        axes[1].plot(range(13), counts, "o", ms=3)
        axes[1].plot(proj.index, proj.to_numpy(), label=f"{name} (sBG, fit years 1-7)")
    s.lines.append("  sBG on Fader & Hardie (2007), fitted on years 1-7 "
                   "(paper: 0.704/1.182, LL -1680.27; 0.668/3.806, LL -1611.16):")
    s.table(pd.DataFrame(rows).T, float_format="{:.3f}")
    values["sbg"] = rows
    axes[1].axvline(7.5, color="grey", lw=0.8)
    axes[1].set(xlabel="year", ylabel="survivors of 1,000", title="sBG projection")
    axes[1].legend(fontsize=7)

    # --- BG/NBD + gamma-gamma on the transactions world: 39-week calibration, holdout
    log = ctx.log("transactions")
    start = log.observation_start
    cal_end = start + pd.Timedelta(39, unit="W")
    rfm = rfm_summary(log, unit="W", period="D", observation_end=cal_end)
    bg = BetaGeoModel().fit(rfm)
    gg = GammaGammaModel().fit(rfm)
    ev = log.events
    hold = ev[(ev["event"] == "conversion") & (ev["timestamp"] > cal_end)]
    hold_days = hold.assign(day=hold["timestamp"].dt.floor("D")).drop_duplicates(
        ["customer_id", "day"])
    actual = hold_days.groupby("customer_id").size().reindex(rfm["customer_id"]).fillna(0)
    horizon = float((log.observation_end - cal_end) / pd.Timedelta(1, unit="W"))
    pred = bg.conditional_expected_transactions(horizon, rfm["frequency"], rfm["recency"],
                                                rfm["T"])
    calib = pd.DataFrame({"frequency": rfm["frequency"].clip(upper=7).to_numpy(),
                          "predicted": pred, "actual": actual.to_numpy()})
    calib = calib.groupby("frequency").mean()
    s.lines.append(f"  BG/NBD on the transactions world, 39-week calibration: {bg.result_!r}")
    s.lines.append(f"  truth: {ds_params(ctx)}")
    s.lines.append(f"  holdout ({horizon:.0f} weeks): predicted {pred.sum():.0f} repeat purchase "
                   f"days, actual {actual.sum():.0f}; by calibration frequency (7 = 7+):")
    s.table(calib, float_format="{:.2f}")
    clv = customer_lifetime_value(rfm, bg, gg, horizon=12, discount_rate=0.01)
    s.lines.append(f"  12-month discounted CLV: mean {clv['clv'].mean():.2f}, top decile share "
                   f"{clv['clv'].nlargest(len(clv) // 10).sum() / clv['clv'].sum():.1%}")
    values["bgnbd"] = {"params": bg.result_.params.to_dict(),
                       "log_likelihood": bg.result_.log_likelihood,
                       "holdout_predicted": float(pred.sum()),
                       "holdout_actual": float(actual.sum()),
                       "gamma_gamma": gg.result_.params.to_dict(),
                       "clv_mean": float(clv["clv"].mean())}
    axes[2].plot(calib.index, calib["actual"], "o-", label="actual")
    axes[2].plot(calib.index, calib["predicted"], "s--", label="BG/NBD")
    axes[2].set(xlabel="repeat purchases in calibration (7 = 7+)",
                ylabel="holdout purchases per customer", title="Calibration vs holdout")
    axes[2].legend(fontsize=7)
    ctx.save(fig, "survival.png", s)
    s.values = values
    return s


def ds_params(ctx: Any) -> str:
    p = ctx.dataset("transactions").truth["params"]
    return ", ".join(f"{k}={v:.3g}" for k, v in p.items())


#: Sections of this capability in the demo report, in order.
sections = (section,)
