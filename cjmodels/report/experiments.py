"""Demo-report section: the shipped experiment analysed end to end (SRM, CUPED, power, peeking)."""

from __future__ import annotations

import math
import warnings

import pandas as pd

from cjmodels.report._base import Section

__all__ = ["section", "sections"]


def section(ctx):
    """Analyse the shipped ``experiment`` dataset; returns a :class:`~cjmodels.report.Section`."""
    from cjmodels.data import experiment_table, purchase_times
    from cjmodels.experiments import (
        analyze,
        compare_time_to_purchase,
        cumulative_effects,
        group_sequential,
        msprt,
        peeking_simulation,
        sample_size_proportions,
        with_missing_indicator,
    )

    s = Section("A/B analysis (experiment dataset): SRM, CUPED, multiplicity, sequential looks")
    ds = ctx.dataset("experiment")
    table = with_missing_indicator(experiment_table(ctx.log("experiment")), "pre_value")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        plain = analyze(table, control="control", metrics=["converted", "value"])
        cuped = analyze(table, control="control", metrics=["converted", "value"],
                        covariates=["pre_value", "pre_value_missing"])
    s.lines.append(f"  {plain.srm.info['message']}")
    cols = ["metric", "effect_type", "effect", "ci_low", "ci_high", "pvalue", "pvalue_adjusted"]
    s.lines.append("  unadjusted (z-pooled for conversion, Welch for revenue; Holm over 2):")
    s.table(plain.summary()[cols].set_index("metric"), float_format="{:.4g}")
    s.lines.append("  CUPED with the pre-period value and a missing-pre-period indicator:")
    s.table(cuped.summary()[cols].set_index("metric"), float_format="{:.4g}")
    truth = ds.truth
    vr = {}
    for m, key in (("converted", "conversion"), ("value", "revenue")):
        c = cuped.tests.get(metric=m, effect_type="difference")
        true_ratio = truth["arms"]["control"]["observed"][
            f"cuped_variance_ratio_{key}_with_missing"]
        vr[m] = {"achieved": c.details["variance_reduction"],
                 "effective_sample_size_factor": 1 / (1 - c.details["variance_reduction"]),
                 "one_minus_r_squared": c.details["one_minus_r_squared"],
                 "true_variance_ratio": true_ratio}
        s.lines.append(
            f"  {m}: variance of the effect reduced by {c.details['variance_reduction']:.1%}, "
            f"as precise as {vr[m]['effective_sample_size_factor']:.3f}x the customers "
            f"(1 - R^2 = {c.details['one_minus_r_squared']:.3f}; closed-form truth "
            f"{true_ratio:.3f}); true effect "
            f"{truth['effects']['treatment']['observed'][key + '_diff']:.4g}"
        )
    base = float(table.loc[table.variant == "control", "converted"].mean())
    n30 = sample_size_proportions(base, mde=0.30, relative=True)
    n10 = sample_size_proportions(base, mde=0.10, relative=True)
    n30_arm, n10_arm = math.ceil(n30.n_control), math.ceil(n10.n_control)  # plans round up
    s.lines.append(
        f"  sample size per arm at conversion {base:.3f} (pooled z, alpha .05, power .8): "
        f"{n30_arm:,} to detect the '30% lift' claimed in DOMAIN.md, "
        f"{n10_arm:,} for a 10% lift (cjmodels power --baseline {base:.4g} --mde 0.3 "
        "--relative)"
    )
    looks = cumulative_effects(table, "converted", control="control", looks=5)
    design = group_sequential(looks["information"].to_numpy())
    decision = design.test(looks["z"].to_numpy())
    av = msprt(looks["effect"], looks["variance"], mde=0.1 * base)
    s.lines.append(
        f"  5 interim looks on conversion: {design!r}; stopped at look "
        f"{decision.stopped_at_look}; mSPRT (tau = {av.tau:.4f}) always-valid p "
        f"{av.pvalue[-1]:.3f}"
    )
    ttp = compare_time_to_purchase(purchase_times(ctx.log("experiment")), control="control",
                                   tau=14.0)
    rm, lr = ttp.get(effect_type="difference"), ttp.get(effect_type="logrank")
    s.lines.append(
        f"  time from assignment to purchase (censored at the end of the test): log-rank "
        f"p = {lr.pvalue:.3g}; restricted mean purchase-free days to day 14, treatment - "
        f"control = {rm.effect:.3f} [{rm.ci_low:.3f}, {rm.ci_high:.3f}]"
    )
    peek = peeking_simulation(4000, looks=10, n_simulations=4000, random_state=20250301,
                              designs=("obrien-fleming", "pocock"))
    s.lines.append("  A/A with 10 looks (4,000 simulated experiments, 4,000 customers per arm):")
    s.table(peek[["rejection_rate", "mc_se", "nominal"]], float_format="{:.3f}")
    s.values = {
        "srm": plain.srm.to_dict(),
        "unadjusted": plain.tests.to_dict()["comparisons"],
        "cuped": cuped.tests.to_dict()["comparisons"],
        "variance_reduction": vr,
        "sample_size_30pct_lift": n30_arm,
        "sample_size_10pct_lift": n10_arm,
        "sequential": {"design": design.to_dict(), "decision": decision.to_dict(),
                       "msprt": av.to_dict()},
        "peeking": peek["rejection_rate"].to_dict(),
        "time_to_purchase": ttp.to_dict(),
    }
    ctx.write_csv(pd.concat([plain.summary().assign(adjustment="none"),
                             cuped.summary().assign(adjustment="cuped")]),
                  "experiment_tests.csv", s)
    plt = ctx.plt
    fig, axes = plt.subplots(1, 2, figsize=(12, 3.8))
    cuped.plot(ax=axes[0], effect_type="relative")
    axes[0].set_title("Relative lift, CUPED (95% CI)")
    design.plot(ax=axes[1], z=looks["z"].to_numpy())
    ctx.save(fig, "experiment_effects.png", s)
    return s


#: Sections of this capability in the demo report, in order.
sections = (section,)
