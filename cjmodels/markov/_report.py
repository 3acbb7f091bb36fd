"""Demo-report section: the stage chain of the shipped journeys (funnel, absorption, dwell
times, the life cycle with repeat purchases) with intervals."""

from __future__ import annotations

import warnings

import numpy as np

__all__ = ["section"]

_TIMEOUT = "30D"


def _clean(d: dict) -> dict:
    """Nested dict with non-finite floats as None (JSON-safe)."""
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out[str(k)] = _clean(v)
        elif isinstance(v, float | np.floating):
            out[str(k)] = float(v) if np.isfinite(v) else None
        else:
            out[str(k)] = v
    return out


def section(ctx):
    """Analyse the shipped ``journeys`` dataset; returns a :class:`cjmodels.report.Section`."""
    from cjmodels.markov import dwell_times, fit_chain, lifecycle_chain
    from cjmodels.report import Section

    s = Section("Stage chain (journeys dataset): funnel, absorption, dwell times, life cycle")
    log = ctx.log("journeys")
    fit = fit_chain(log, timeout=_TIMEOUT, journeys="first")
    s.lines.append(
        f"  new prospects' first journeys, a {_TIMEOUT} silence = drop-out: {fit!r}; "
        f"{fit.info.get('censored_recent', 0)} transitions out of the last {_TIMEOUT} left out "
        "as not yet resolved"
    )
    fu = fit.funnel()
    s.lines.append("  funnel (delta-method 95% intervals; p_reach = share of journeys reaching "
                   "the stage or a later one):")
    s.table(fu.table[["reached", "p_reach", "p_reach_low", "p_reach_high", "p_next",
                      "drop_off", "lost", "lost_low", "lost_high"]], float_format="{:.3f}")
    lost = fu.table.loc[fu.most_lost]
    s.lines.append(
        f"  most customers are lost at {fu.most_lost}: {lost['lost']:.1%} of all journeys "
        f"[{lost['lost_low']:.1%}, {lost['lost_high']:.1%}] reach it and go no further"
    )
    ab = fit.absorbing()
    s.lines.append("  P(purchase) and expected steps from each stage:")
    s.table(ab.summary(), float_format="{:.3f}")
    dw = dwell_times(log, timeout=_TIMEOUT, journeys="first")
    s.lines.append("  dwell time per stage visit (days; exact Poisson interval for the mean, "
                   "Kaplan-Meier median):")
    s.table(dw.table[["visits", "mean", "mean_low", "mean_high", "median"]], float_format="{:.2f}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        lc = lifecycle_chain(log, timeout=_TIMEOUT)
    rp = lc.repeat_purchase().table
    fp = lc.first_purchase().table
    s.lines.append(
        f"  life cycle (purchase leads into the next journey): a buyer buys again with "
        f"probability {rp.loc['probability', 'estimate']:.3f} "
        f"[{rp.loc['probability', 'ci_low']:.3f}, {rp.loc['probability', 'ci_high']:.3f}], "
        f"after {rp.loc['days', 'estimate']:.1f} days on average "
        f"[{rp.loc['days', 'ci_low']:.1f}, {rp.loc['days', 'ci_high']:.1f}] "
        f"({rp.loc['steps', 'estimate']:.1f} steps) when they do; a new customer buys with "
        f"probability {fp.loc['probability', 'estimate']:.3f}, "
        f"{fp.loc['days', 'estimate']:.1f} days after the first touch when they do"
    )
    truth = ctx.dataset("journeys").truth.get("conversion", {})
    if "first_journey" in truth:
        p = ab.probability()
        s.lines.append(
            f"  truth of the synthetic world: P(first journey converts) "
            f"{truth['first_journey']:.3f} (fitted {p['probability']:.3f} "
            f"[{p['ci_low']:.3f}, {p['ci_high']:.3f}]; segments differ, so the pooled chain "
            "is an average)"
        )
    s.values = {
        "chain": {"n_journeys": fit.n_journeys, "transitions": float(fit.counts.sum()),
                  "timeout": _TIMEOUT},
        "funnel": {st: _clean(r.to_dict()) for st, r in fu.table.iterrows()},
        "most_lost": fu.most_lost,
        "p_conversion": _clean(ab.probability().to_dict()),
        "dwell_days": {st: _clean(r.to_dict()) for st, r in
                       dw.table[["visits", "mean", "mean_low", "mean_high", "median"]].iterrows()},
        "repeat_purchase": lc.repeat_purchase().to_dict(),
        "first_purchase": lc.first_purchase().to_dict(),
    }
    plt = ctx.plt
    fig = plt.figure(figsize=(15, 4.8))
    grid = fig.add_gridspec(1, 2, width_ratios=[1, 2.3])
    fu.plot(ax=fig.add_subplot(grid[0]))
    ax = lc.plot(ax=fig.add_subplot(grid[1]), min_probability=0.03)
    ax.set_title("Life cycle: purchase leads into the next journey (arrow width = probability)")
    ctx.save(fig, "stage_chain.png", s)
    ctx.write_csv(fu.table, "stage_funnel.csv", s)
    return s
