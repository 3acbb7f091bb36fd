"""Demo-report section: the stage chain of the shipped journeys (funnel, absorption, dwell
times, the life cycle with repeat purchases) with intervals."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from cjmodels.report._base import Section

__all__ = ["section", "section_hidden_stages", "sections"]

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
    """Analyse the shipped ``journeys`` dataset; returns a :class:`~cjmodels.report.Section`."""
    from cjmodels.data import JourneySpec
    from cjmodels.markov import dwell_times, fit_chain, lifecycle_chain

    s = Section("Stage chain (journeys dataset): funnel, absorption, dwell times, life cycle")
    log = ctx.log("journeys")
    first = JourneySpec(timeout=_TIMEOUT, journeys="first")
    fit = fit_chain(log, spec=first)
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
    dw = dwell_times(log, spec=first)
    s.lines.append("  dwell time per stage visit (days; exact Poisson interval for the mean, "
                   "Kaplan-Meier median):")
    s.table(dw.table[["visits", "mean", "mean_low", "mean_high", "median"]], float_format="{:.2f}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        lc = lifecycle_chain(log, spec=JourneySpec(timeout=_TIMEOUT))
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


def section_hidden_stages(ctx):
    """Stages seen only at snapshots, and stages never seen: a continuous-time multi-state
    model and a hidden Markov model, each on a seeded simulated world with known truth."""
    from cjmodels.markov import END_STATES, HiddenMarkovModel, fit_multistate
    from cjmodels.synthetic import simulate_latent_journeys, simulate_panel

    s = Section("Hidden stages: snapshots in continuous time, latent stages behind touches")
    world = simulate_panel(1000, random_state=2026)
    fit = fit_multistate(world.event_log(), **world.fit_options())
    truth = world.true_qmatrix(0.0)
    est = fit.intensities(covariates={"returning": 0})
    est = est[est["from"] != est["to"]].copy()
    est["true"] = [truth.loc[a, b] for a, b in zip(est["from"], est["to"], strict=True)]
    covered = int(((est["ci_low"] <= est["true"]) & (est["true"] <= est["ci_high"])).sum())
    s.lines.append(
        f"  stages seen at snapshots about every {world.params['mean_gap_days']:g} days "
        f"(simulated, seed 2026): {repr(fit).splitlines()[0]}"
    )
    s.lines.append("  intensities per day for a new customer, 95% intervals, and the truth:")
    s.table(est.set_index(["from", "to"])[["true", "estimate", "ci_low", "ci_high"]],
            float_format="{:.4f}")
    s.lines.append(f"  {covered} of {len(est)} intervals cover the true intensity")
    pm = fit.pmatrix(30, covariates={"returning": 0}).iloc[0]
    s.lines.append("  where a new customer is 30 days after entering: "
                   + ", ".join(f"{k} {v:.3f}" for k, v in pm.items() if v > 0.0005))

    lw = simulate_latent_journeys(1500, random_state=2026)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        hmm = HiddenMarkovModel(3, stage_names=lw.stages, end_states=True, n_init=3,
                                random_state=2026).fit(lw.events)
    dec = hmm.decode(lw.events)
    dec = dec[~dec["symbol"].isin(END_STATES)]
    accuracy = float((dec["stage"].to_numpy() == lw.touches["stage"].to_numpy()).mean())
    k = len(lw.stages)
    res = hmm.result_
    emis = res.emissionprob[:k, :-2]
    top = {st: res.symbols[int(np.argmax(emis[i]))] for i, st in enumerate(lw.stages)}
    s.lines.append(
        f"  latent stages behind the touches of {len(lw.touches):,} touches (simulated, "
        f"seed 2026): {hmm.result_!r}"
    )
    s.lines.append("  per-touch moves between latent stages and into purchase / drop-out:")
    s.table(pd.DataFrame(res.transmat[:k], index=list(res.states[:k]), columns=list(res.states)))
    s.lines.append(
        "  most likely channel of each stage: "
        + ", ".join(f"{st} {ch}" for st, ch in top.items())
        + f"; Viterbi names the true stage of {accuracy:.1%} of touches"
    )
    s.values = {
        "continuous": {"model": fit.to_dict(), "covered": covered, "intensities": len(est)},
        "latent": {"model": hmm.result_.to_dict(), "decoding_accuracy": accuracy},
    }
    return s


#: Sections of this capability in the demo report, in order.
sections = (section, section_hidden_stages)
