"""``cjmodels stages EVENTS``: funnel, absorption probabilities and dwell times of an event log."""

from __future__ import annotations

import argparse
import json
from typing import Any


def add_parser(subparsers: Any) -> None:
    """Add the ``stages`` subcommand."""
    from cjmodels.cli import _log_args

    p = subparsers.add_parser("stages", help="stage-transition chain: funnel, absorption, dwell")
    p.add_argument("file", help="event log (CSV, optionally .gz, TSV or Parquet)")
    p.add_argument("--order", type=int, default=1)
    p.add_argument("--timeout", default=None, help="silence that ends a journey, e.g. 30D")
    p.add_argument("--journeys", choices=("all", "first", "repeat"), default="all")
    p.add_argument("--censored", choices=("drop", "null", "state"), default="drop")
    p.add_argument("--prior", default=None, help="None, jeffreys, uniform or a number")
    p.add_argument("--interval", choices=("wald", "wilson", "jeffreys", "uniform"),
                   default="wilson")
    p.add_argument("--alpha", type=float, default=0.05)
    _log_args(p)
    p.add_argument("--format", choices=("text", "json"), default="text")


def run(args: argparse.Namespace) -> int:
    """Fit the chain and print the funnel, absorption probabilities and dwell times."""
    from cjmodels.cli import _read
    from cjmodels.markov import dwell_times, fit_chain

    prior: Any = args.prior
    if prior is not None and prior not in ("jeffreys", "uniform"):
        try:
            prior = float(prior)
        except ValueError:
            prior = args.prior  # fit_chain raises a ValidationError naming it
    log = _read(args)
    fit = fit_chain(log, by="stage", order=args.order, prior=prior, censored=args.censored,
                    timeout=args.timeout, journeys=args.journeys)
    ab = fit.absorbing(alpha=args.alpha)
    fu = fit.funnel(alpha=args.alpha) if args.order >= 1 else None
    dw = dwell_times(log, timeout=args.timeout, journeys=args.journeys, alpha=args.alpha)
    if args.format == "json":
        payload = {
            "chain": fit.to_dict(alpha=args.alpha, method=args.interval),
            "absorbing": ab.to_dict(),
            "funnel": fu.to_dict() if fu is not None else None,
            "dwell_times": dw.to_dict(),
        }
        print(json.dumps(payload, indent=2, default=str))
        return 0
    lines = [repr(fit), "", "funnel:", fu.table[["reached", "p_reach", "p_reach_low",
                                                  "p_reach_high", "p_next", "drop_off",
                                                  "lost"]].round(4).to_string(),
             f"most customers are lost at: {fu.most_lost}", "", "absorption:",
             ab.summary().round(4).to_string(), "", "dwell times (days):",
             dw.table[["visits", "mean", "mean_low", "mean_high", "median"]].round(3).to_string()]
    print("\n".join(lines))
    return 0
