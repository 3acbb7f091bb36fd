"""Demo-report sections of the data layer: the shipped worlds as event logs, journeys and
paths, time to first purchase, the RFM table, subscription lifetimes and the experiment's arms."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cjmodels.report._base import Context, Section

__all__ = ["sections"]


def section_data(ctx: Context) -> Section:
    from cjmodels.datasets import list_datasets

    s = Section("Shipped data: four synthetic worlds, validated as event logs")
    rows = []
    for name in list_datasets():
        log = ctx.log(name)
        rep = log.report()
        rows.append(
            {
                "dataset": name,
                "events": rep["n_events"],
                "customers": rep["n_customers"],
                "from": str(log.observation_start)[:10],
                "to": str(log.observation_end)[:10],
                "event types": ", ".join(f"{k} {v}" for k, v in rep["events"].items()),
            }
        )
    df = pd.DataFrame(rows).set_index("dataset")
    s.table(df)
    s.values = df.to_dict(orient="index")
    return s


def section_journeys(ctx: Context) -> Section:
    from cjmodels.data import journeys, path_table

    s = Section("Journeys and paths (journeys dataset)")
    log = ctx.log("journeys")
    j = journeys(log)
    outcomes = j["outcome"].value_counts().reindex(["conversion", "drop_out", "censored"])
    s.lines.append(
        f"  {len(j)} journeys of {log.n_customers} customers: "
        + ", ".join(f"{k} {v}" for k, v in outcomes.items())
    )
    jt = journeys(log, timeout="30D")
    out_t = jt["outcome"].value_counts().reindex(["conversion", "drop_out", "censored"])
    s.lines.append(
        "  the log has no drop-out rows, so every open journey is censored; calling a journey "
        "dropped out after 30 quiet days (timeout='30D') gives "
        + ", ".join(f"{k} {v}" for k, v in out_t.items())
    )
    conv = j["outcome"] == "conversion"
    s.lines.append(
        f"  conversion rate per journey {conv.mean():.3f}; touches per journey: median "
        f"{j['n_touches'].median():.0f}, mean {j['n_touches'].mean():.2f}; revenue "
        f"{j['value'].sum():,.0f}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pt = path_table(log)
    s.lines.append(f"  {pt!r}")
    top = pt.table.assign(journeys=pt.table["total_conversions"] + pt.table["total_null"])
    top = top.sort_values(["total_conversions", "journeys"], ascending=False).head(8)
    s.lines.append("  most converting paths:")
    s.table(top.set_index("path")[["journeys", "total_conversions", "total_conversion_value"]])
    ctx.write_csv(pt.table.set_index("path"), "path_table.csv", s)
    summ = pt.summary()
    first_share = summ["first_touch_share"].sort_values(ascending=False)
    s.values = {
        "n_journeys": len(j),
        "outcomes": outcomes.to_dict(),
        "outcomes_timeout_30d": out_t.to_dict(),
        "conversion_rate": float(conv.mean()),
        "n_paths": len(pt.table),
        "first_touch_share": first_share.to_dict(),
    }
    truth = ctx.dataset("journeys").truth
    cal = truth.get("calibration")
    if isinstance(cal, dict) and cal:
        s.lines.append("  calibration targets (practitioner claims, not facts) vs this data:")
        for k, v in cal.items():
            if isinstance(v, dict) and {"target", "model", "realised"} <= set(v):
                s.lines.append(
                    f"    {k:<28} target {v['target']:.3f}  model {v['model']:.3f}  "
                    f"realised {v['realised']:.3f} (n={v.get('n', '?')})"
                )
        s.values["calibration"] = cal
    plt = ctx.plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    lengths = j["n_touches"].clip(upper=15)
    bins = np.arange(0, 17) - 0.5
    axes[0].hist(
        [lengths[conv], lengths[~conv]], bins=bins, stacked=True, label=["converted", "not"]
    )
    axes[0].set(xlabel="touches per journey (15 = 15+)", ylabel="journeys", title="Path length")
    axes[0].legend(loc="upper right")
    pt.plot(ax=axes[1], top=10)
    ctx.save(fig, "journeys.png", s)
    return s


def _km(durations: pd.DataFrame, label: str):
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter(label=label)
    km.fit(durations["duration"], durations["event"])
    return km


def section_time_to_purchase(ctx: Context) -> Section:
    from cjmodels.data import time_to_first_purchase

    s = Section("Time to first purchase (journeys dataset, Kaplan-Meier via lifelines)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        d = time_to_first_purchase(ctx.log("journeys"), unit="D")
    km = _km(d, "all customers")
    bought = d["event"].mean()
    med = km.median_survival_time_
    s.lines.append(
        f"  {len(d)} customers, {int(d['event'].sum())} bought ({bought:.1%}); the rest are "
        "censored at the end of observation"
    )
    s.lines.append(
        "  median time to first purchase: "
        + (f"{med:.1f} days" if np.isfinite(med) else "not reached (under half ever buy)")
    )
    grid = [7, 14, 30, 60, 90]
    surv = km.survival_function_at_times(grid)
    s.lines.append(
        "  share bought by day "
        + ", ".join(f"{t}: {1 - v:.3f}" for t, v in zip(grid, surv, strict=True))
    )
    s.values = {
        "n_customers": len(d),
        "share_bought": float(bought),
        "median_days": float(med),
        "cumulative_purchase": {str(t): float(1 - v) for t, v in zip(grid, surv, strict=True)},
    }
    plt = ctx.plt
    fig, ax = plt.subplots(figsize=(6.5, 4))
    by = d["first_channel"].value_counts().index[:4]
    for ch in by:
        sub = d[d["first_channel"] == ch]
        k = _km(sub, f"first touch {ch}")
        ax.step(k.timeline, 1 - k.survival_function_.iloc[:, 0], where="post", label=k._label)
    ax.set(
        xlabel="days since first touch",
        ylabel="share who bought",
        title="Cumulative first purchase by first channel",
    )
    ax.legend(fontsize=8)
    ctx.save(fig, "time_to_purchase.png", s)
    return s


def section_customer_base(ctx: Context) -> Section:
    from cjmodels.data import rfm_summary

    s = Section("Repeat buying (transactions dataset): the RFM table of Fader and Hardie")
    log = ctx.log("transactions")
    rfm = rfm_summary(log, unit="W", period="D")
    desc = rfm[["frequency", "recency", "T", "monetary_value"]].describe().T
    s.table(desc[["mean", "std", "min", "50%", "max"]], float_format="{:.2f}")
    zero = (rfm["frequency"] == 0).mean()
    s.lines.append(
        f"  {len(rfm)} customers; {zero:.1%} made no repeat purchase; times in weeks, "
        "same-day purchases counted once"
    )
    s.values = {
        "n_customers": len(rfm),
        "share_no_repeat": float(zero),
        "mean_frequency": float(rfm["frequency"].mean()),
    }
    ctx.write_csv(rfm.set_index("customer_id"), "rfm.csv", s)
    plt = ctx.plt
    fig, ax = plt.subplots(figsize=(6, 3.6))
    counts = rfm["frequency"].clip(upper=10).value_counts().sort_index()
    ax.bar(counts.index, counts.to_numpy())
    ax.set(
        xlabel="repeat purchases (10 = 10+)",
        ylabel="customers",
        title="Frequency of repeat purchase",
    )
    ctx.save(fig, "rfm_frequency.png", s)
    return s


def section_subscriptions(ctx: Context) -> Section:
    from cjmodels.data import subscription_lifetimes

    s = Section("Subscription lifetimes (subscriptions dataset, Kaplan-Meier by plan)")
    log = ctx.log("subscriptions")
    group = "plan" if "plan" in log.covariates else None
    d = subscription_lifetimes(log, unit="D", covariates=[group] if group else None)
    s.lines.append(
        f"  {len(d)} subscriptions, {int(d['event'].sum())} churned, "
        f"{int((1 - d['event']).sum())} still active at the end (censored)"
    )
    plt = ctx.plt
    fig, ax = plt.subplots(figsize=(6.5, 4))
    rows = {}
    for name, sub in d.groupby(group, observed=True) if group else [("all", d)]:
        km = _km(sub, str(name))
        km.plot_survival_function(ax=ax, ci_show=True)
        rows[str(name)] = {
            "subscriptions": len(sub),
            "median_days": float(km.median_survival_time_),
            "retained_365d": float(km.survival_function_at_times(365).iloc[0]),
        }
    tab = pd.DataFrame(rows).T.astype({"subscriptions": int})
    s.table(tab, float_format="{:.3f}")
    s.values = rows
    ax.set(xlabel="days since subscribing", ylabel="still subscribed", title="Retention")
    ctx.save(fig, "subscriptions_km.png", s)
    return s


def section_experiment(ctx: Context) -> Section:
    from cjmodels.data.experiments import experiment_table

    s = Section("Experiment (experiment dataset): per-arm outcomes and the truth")
    ds = ctx.dataset("experiment")
    tab = experiment_table(ctx.log("experiment"), variant="variant")
    g = tab.groupby("variant", sort=True)
    arms = pd.DataFrame(
        {
            "customers": g.size(),
            "conversion_rate": g["converted"].mean(),
            "revenue_per_customer": g["value"].mean(),
            "with_pre_period": g["has_pre"].mean(),
        }
    )
    truth = ds.truth
    arms["true_conversion_rate"] = [
        truth["arms"][a]["observed"]["conversion_rate"] for a in arms.index
    ]
    arms["true_revenue_per_customer"] = [
        truth["arms"][a]["observed"]["revenue_per_customer"] for a in arms.index
    ]
    s.table(arms, float_format="{:.4f}")
    s.lines.append(
        "  (true values are on the observed scale: conversions after the end of the test are "
        "not seen)"
    )
    s.values = {"arms": arms.to_dict(orient="index")}
    ctx.write_csv(arms, "experiment_arms.csv", s)
    return s


#: The data layer's sections, in order.
sections = (section_data, section_journeys, section_time_to_purchase, section_customer_base,
            section_subscriptions, section_experiment)
