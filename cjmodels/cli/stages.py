"""``cjmodels stages EVENTS``: funnel, absorption probabilities and dwell times of an event log.

With ``--continuous`` the stage column is read as the state of each customer at irregular
snapshot times, and a continuous-time multi-state model is fitted instead
(:func:`cjmodels.markov.multistate.fit_multistate`): intensities, sojourn times and ``P(t)``.

With ``--n-states K`` the stages are taken as unobserved: a hidden Markov model with ``K``
latent stages is fitted to the channels of the touches, with purchase and drop-out as absorbing
end states (:class:`cjmodels.markov.HiddenMarkovModel`): channel profile of each stage,
per-touch moves, and the stage share of touches. Every flag is the keyword of the API it sets,
in kebab-case (``--n-init``, ``--random-state``, ``--method`` of ``FittedChain.intervals``).
"""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from cjmodels.cli._options import add_event_log, add_format, dump, emit, read_log
from cjmodels.errors import ValidationError


def add_parser(subparsers: Any) -> None:
    """Add the ``stages`` subcommand."""
    p = subparsers.add_parser("stages", help="stage-transition chain: funnel, absorption, dwell")
    add_event_log(p, "event log (CSV, optionally .gz, TSV or Parquet)")
    p.add_argument("--order", type=int, default=1)
    p.add_argument("--timeout", default=None, help="silence that ends a journey, e.g. 30D")
    p.add_argument("--journeys", choices=("all", "first", "repeat"), default="all")
    p.add_argument("--censored", choices=("drop", "null", "state"), default="drop")
    p.add_argument("--prior", default=None, help="None, jeffreys, uniform or a number")
    p.add_argument("--method", choices=("wald", "wilson", "jeffreys", "uniform"),
                   default="wilson",
                   help="interval method of the transition probabilities (FittedChain.intervals)")
    p.add_argument("--alpha", type=float, default=0.05)
    g = p.add_argument_group("continuous time (--continuous): panel observations of stages")
    g.add_argument("--continuous", action="store_true",
                   help="fit a continuous-time multi-state model to stage snapshots")
    g.add_argument("--qmatrix", default=None,
                   help="CSV: allowed transitions with initial intensities (states as header "
                        "and first column, as msm's qmatrix)")
    g.add_argument("--transitions", default=None,
                   help="allowed transitions 'a>b,b>c,...' (crude initial values from the data)")
    g.add_argument("--deathexact", action="store_true",
                   help="entry into absorbing states is observed at the exact time")
    g.add_argument("--covariates", default=None, help="comma-separated covariate columns")
    g.add_argument("--unit", default="D", help="time unit of intensities (D, h, W, ...)")
    g.add_argument("--t", type=float, default=None,
                   help="time for the transition probabilities P(t) (default: 30 units)")
    h = p.add_argument_group("latent stages (--n-states K): stages behind the touches")
    h.add_argument("--n-states", type=int, default=None, metavar="K",
                   help="fit a hidden Markov model with K latent stages to the touch channels")
    h.add_argument("--n-init", type=int, default=5,
                   help="seeded EM restarts of the hidden Markov model (with --n-states)")
    h.add_argument("--random-state", type=int, default=0,
                   help="seed of the restarts (with --n-states; default 0, so the command "
                   "repeats exactly)")
    add_format(p)


def _continuous(args: argparse.Namespace) -> int:
    """Fit the multi-state model and print intensities, sojourn times and P(t)."""
    from cjmodels.markov.multistate import crude_qmatrix, fit_multistate, panel_data

    log = read_log(args)
    log.require("stage", purpose="cjmodels stages --continuous (the stage is the state)")
    if (args.qmatrix is None) == (args.transitions is None):
        raise ValidationError(
            "--continuous needs the allowed transitions: either --qmatrix FILE.csv or "
            "--transitions 'a>b,b>c'."
        )
    if args.qmatrix is not None:
        from cjmodels.data.io import read_table

        try:
            q = read_table(args.qmatrix, what="--qmatrix table")
        except ValidationError as exc:
            raise ValidationError(f"--qmatrix {exc}") from None
        q = q.set_index(q.columns[0])
        q.index = [str(i) for i in q.index]
        q.columns = [str(c) for c in q.columns]
    else:
        pairs = [tuple(x.strip() for x in item.split(">")) for item in args.transitions.split(",")]
        if any(len(pr) != 2 or not all(pr) for pr in pairs):
            raise ValidationError(
                f"--transitions {args.transitions!r}: write the moves as 'from>to', separated "
                "by commas."
            )
        seen = [str(s) for s in pd.unique(log.events["stage"].dropna())]
        states = list(dict.fromkeys([s for pr in pairs for s in pr] + sorted(seen)))
        q = pd.DataFrame(0.0, index=states, columns=states)
        for a, b in pairs:
            q.loc[a, b] = 1.0
    covs = [c.strip() for c in args.covariates.split(",")] if args.covariates else None
    opts = {"deathexact": True if args.deathexact else None, "unit": args.unit}
    if args.transitions is not None:  # crude initial values, as msm's crudeinits.msm
        q = crude_qmatrix(panel_data(log, q, covariates=covs, **opts))
    fit = fit_multistate(log, q, covariates=covs, **opts)
    t = args.t if args.t is not None else 30.0
    inten = fit.intensities(alpha=args.alpha)
    soj = fit.sojourn(alpha=args.alpha)
    pm = fit.pmatrix(t)
    if args.format == "json":
        payload = {
            "model": fit.to_dict(),
            "intensities": inten.reset_index().to_dict(orient="records"),
            "hazard_ratios": fit.hazard_ratios(alpha=args.alpha).to_dict(orient="records"),
            "t": t,
            "pmatrix": fit.pmatrix_intervals(t, alpha=args.alpha).reset_index().to_dict(
                orient="records"),
        }
        print(dump(payload))
        return 0
    unit = args.unit if log.time_kind == "datetime" else "time unit of the data"
    lines = [repr(fit), f"-2 log L = {-2 * fit.log_likelihood:.3f}", "",
             f"intensities (per {unit}):",
             inten.drop(columns=["from", "to"]).to_string(float_format=lambda v: f"{v:.5g}"),
             "", f"mean sojourn times ({unit}):",
             soj.to_string(float_format=lambda v: f"{v:.4g}"), "",
             f"transition probabilities P(t), t = {t:g} ({unit}):",
             pm.to_string(float_format=lambda v: f"{v:.4f}")]
    if fit.covariate_names:
        lines += ["", "hazard ratios:", fit.hazard_ratios(alpha=args.alpha).to_string(
            float_format=lambda v: f"{v:.4g}")]
    print("\n".join(lines))
    return 0


def _latent(args: argparse.Namespace) -> int:
    from cjmodels.data import JourneySpec
    from cjmodels.markov.hmm import HiddenMarkovModel

    log = read_log(args)
    model = HiddenMarkovModel(args.n_states, end_states=True, n_init=args.n_init,
                              random_state=args.random_state)
    model.fit(log, spec=JourneySpec(sequence="channel", timeout=args.timeout))
    res = model.result_
    if args.format == "json":
        print(dump(res.to_dict()))
        return 0
    k = args.n_states
    states, symbols = list(res.states), list(res.symbols)
    emis = pd.DataFrame(res.emissionprob[:k, :-2], index=states[:k], columns=symbols[:-2])
    trans = pd.DataFrame(res.transmat[:k], index=states[:k], columns=states)
    occ = res.occupancy[:k]
    share = pd.Series(occ / occ.sum(), index=states[:k], name="share of touches")
    lines = [repr(res), "", "channel profile of each latent stage:",
             emis.to_string(float_format=lambda v: f"{v:.3f}"), "", "moves per touch:",
             trans.to_string(float_format=lambda v: f"{v:.3f}"), "", "share of touches:",
             share.to_string(float_format=lambda v: f"{v:.3f}")]
    print("\n".join(lines))
    return 0


def run(args: argparse.Namespace) -> int:
    """Fit the chain and print the funnel, absorption probabilities and dwell times."""
    from cjmodels.data import JourneySpec
    from cjmodels.markov import dwell_times, fit_chain

    if getattr(args, "continuous", False) and getattr(args, "n_states", None) is not None:
        raise ValidationError("--continuous and --n-states are different models; choose one.")
    if getattr(args, "continuous", False):
        return _continuous(args)
    if getattr(args, "n_states", None) is not None:
        return _latent(args)

    prior: Any = args.prior
    if prior is not None and prior not in ("jeffreys", "uniform"):
        try:
            prior = float(prior)
        except ValueError:
            prior = args.prior  # fit_chain raises a ValidationError naming it
    log = read_log(args)
    spec = JourneySpec(sequence="stage", order=args.order, censored=args.censored,
                       timeout=args.timeout, journeys=args.journeys)
    fit = fit_chain(log, spec=spec, prior=prior)
    ab = fit.absorbing(alpha=args.alpha)
    fu = fit.funnel(alpha=args.alpha) if args.order >= 1 else None
    dw = dwell_times(log, spec=spec.replace(order=1), alpha=args.alpha)  # visits: order 1
    if args.format == "json":
        payload = {
            "chain": {**fit.to_dict(),
                      "intervals": fit.intervals(args.method, args.alpha).to_dict()},
            "absorbing": ab.to_dict(),
            "funnel": fu.to_dict() if fu is not None else None,
            "dwell_times": dw.to_dict(),
        }
        emit(args, payload, "")
        return 0
    lines = [repr(fit), "", "funnel:", fu.table[["reached", "p_reach", "p_reach_low",
                                                  "p_reach_high", "p_next", "drop_off",
                                                  "lost"]].round(4).to_string(),
             f"most customers are lost at: {fu.most_lost}", "", "absorption:",
             ab.summary().round(4).to_string(), "", "dwell times (days):",
             dw.table[["visits", "mean", "mean_low", "mean_high", "median"]].round(3).to_string()]
    print("\n".join(lines))
    return 0
