"""Demo report section: attribution of the shipped journeys, with intervals and the truth."""

from __future__ import annotations

import warnings
from typing import Any

from cjmodels.report._base import Section

__all__ = ["section", "sections"]


def section(ctx: Any) -> Any:
    """Attribution models on the shipped journeys: table, order choice, ground truth, figure."""
    from cjmodels.attribution import (
        HeuristicAttribution,
        MarkovAttribution,
        ShapleyAttribution,
        attribution_data,
        compare,
        cross_validate_order,
        ground_truth_comparison,
    )

    s = Section("Channel attribution (journeys dataset): heuristics, exact Markov, Shapley")
    log = ctx.log("journeys")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        timed = attribution_data(log, times=True)
        cells = attribution_data(log)
    # repeated channels merged (ChannelAttribution's chain), as the demo always showed
    sel = cross_validate_order(cells, orders=(1, 2, 3), collapse_repeats=True, random_state=0)
    k = sel.best_order
    s.lines.append(
        f"  Markov order by 5-fold held-out log-loss: {k} (one-SE rule: {sel.one_se_order}); "
        "held-out log-loss by order: "
        + ", ".join(f"{o}: {v:.4f}" for o, v in sel.table["log_loss"].items())
    )
    models = {
        "first": HeuristicAttribution("first"),
        "last": HeuristicAttribution("last"),
        "linear": HeuristicAttribution("linear"),
        "position": HeuristicAttribution("position"),
        "time_decay": HeuristicAttribution("time-decay"),
        "shapley": ShapleyAttribution(),
        f"markov_{k}": MarkovAttribution(order=k, collapse_repeats=True),
    }
    results = {}
    for name, m in models.items():
        m.fit(timed if name == "time_decay" else cells)
        results[name] = m.bootstrap(50, random_state=1) if name.startswith("markov") else m.result_
    mk = results[f"markov_{k}"]
    s.lines.append(f"  {mk!r}; chain P(conversion) {mk.info['conversion_probability']:.4f} = "
                   f"observed rate {mk.info['observed_conversion_rate']:.4f}")
    tab = mk.table[["removal_effect", "removal_effect_ci_low", "removal_effect_ci_high",
                    "conversions", "conversions_ci_low", "conversions_ci_high", "value"]]
    s.table(tab, float_format="{:.3f}")
    shares = compare(results)
    s.lines.append("  share of conversions by model:")
    s.table(shares, float_format="{:.3f}")
    ctx.write_csv(shares, "attribution_shares.csv", s)
    truth = ctx.dataset("journeys").truth["removal"]["channels"]
    true_re = {c: v["window_removal_effect"] for c, v in truth.items()}
    gt_models = {
        "last": HeuristicAttribution("last"),
        "linear": HeuristicAttribution("linear"),
        "markov_1": MarkovAttribution(order=1, collapse_repeats=True),
        f"markov_{max(k, 2)}": MarkovAttribution(order=max(k, 2), collapse_repeats=True),
        "shapley": ShapleyAttribution(),
    }
    gt = ground_truth_comparison(cells, true_re, gt_models, n_boot=20, random_state=2)
    s.lines.append(
        "  against the truth (shares of the window removal effects, re-simulated without each "
        "channel): total-variation distance, rank correlation, credit to display (no effect)"
    )
    cols = ["tv_distance", "tv_distance_ci_low", "tv_distance_ci_high", "spearman",
            "credit_to_null_channels"]
    s.table(gt.table[cols], float_format="{:.3f}")
    s.values = {
        "order_selection": sel.to_dict(),
        "markov": mk.to_dict(),
        "shares": shares.to_dict(orient="index"),
        "ground_truth": gt.table.to_dict(orient="index"),
    }
    plt = ctx.plt
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2))
    mk.plot(ax=axes[0])
    axes[0].set_title(f"Markov order {k}: attributed conversions (95% bootstrap)")
    gt.plot(ax=axes[1])
    axes[1].set_title("Shares by method vs truth")
    ctx.save(fig, "attribution.png", s)
    return s


#: Sections of this capability in the demo report, in order.
sections = (section,)
