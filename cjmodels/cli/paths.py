"""``cjmodels paths FILE``: the path table (ChannelAttribution's layout) of an event log, its
top paths with the share of journeys and conversions they cover (``--top``), optionally for
the journeys a path pattern selects (``--where``)."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

from cjmodels.cli._options import (
    add_engine,
    add_event_log,
    add_force,
    add_format,
    emit,
    output_path,
    source,
    writing,
)


def add_parser(subparsers: Any) -> None:
    """Add the ``paths`` subcommand."""
    p = subparsers.add_parser("paths", help="path table (ChannelAttribution layout) of an event log")
    add_event_log(p, "event log: CSV or TSV (optionally compressed) or Parquet")
    p.add_argument("--out", default=None, help="write the path table as CSV")
    p.add_argument("--timeout", default=None, help="gap that ends a journey, e.g. 30D")
    p.add_argument("--lookback", default=None, help="keep touches within this span, e.g. 30D")
    p.add_argument("--collapse-repeats", action="store_true")
    p.add_argument("--top", type=int, default=15,
                   help="rows to print, and the number of top paths whose coverage of the "
                        "journeys and conversions is reported (with intervals)")
    p.add_argument("--rank", choices=("journeys", "conversions"), default="journeys",
                   help="what ranks the top paths")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="1 - the confidence level of the top paths' intervals")
    p.add_argument("--where", default=None, metavar="PATTERN",
                   help="keep only the journeys matching this path pattern, e.g. "
                        "'^email > ...(not sms) > (conversion)' (see cjmodels.analytics.paths)")
    add_force(p)
    add_engine(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    """Build the path table; print its totals and most converting paths, write it with --out."""
    from cjmodels.analytics.paths import PathPattern, select_journeys, top_paths
    from cjmodels.data import JourneySpec
    from cjmodels.data.journeys import path_table
    from cjmodels.errors import ValidationError

    notes: list[str] = []
    if args.top < 1:
        raise ValidationError(f"--top {args.top}: give a positive number of paths.")
    pattern = PathPattern(args.where) if args.where is not None else None
    if args.out:
        output_path(args, args.out, notes=notes)
    log, opts = source(args)
    selected = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        if pattern is not None:
            if args.engine != "memory":
                raise ValidationError("--where needs the in-memory engine (the pattern runs "
                                      "over the journeys in Python); use --engine memory.")
            spec = JourneySpec(sequence="channel", timeout=args.timeout, lookback=args.lookback,
                               collapse_repeats=args.collapse_repeats)
            with warnings.catch_warnings():  # the counting pass repeats path_table's warnings
                warnings.simplefilter("ignore", UserWarning)
                n_before = path_table(log, timeout=args.timeout,
                                      lookback=args.lookback).n_journeys
            log = select_journeys(log, pattern, spec=spec)
            selected = {"pattern": pattern.pattern, "journeys_of_the_log": n_before}
        pt = path_table(
            log,
            timeout=args.timeout,
            lookback=args.lookback,
            collapse_repeats=args.collapse_repeats,
            **opts,
        )
        tp = top_paths(pt, k=args.top, rank=args.rank, alpha=args.alpha)
    if args.out:
        with writing(args.out):
            pt.to_csv(args.out)
        notes.append(f"wrote the path table to {args.out}")
    if selected is not None:
        selected["journeys_selected"] = pt.n_journeys
        notes.append(f"--where {pattern.pattern!r}: {pt.n_journeys:g} of "
                     f"{selected['journeys_of_the_log']:g} journeys with a path match")
    top = pt.table.sort_values(["total_conversions", "total_null"], ascending=False).head(args.top)
    level = f"{1 - tp.alpha:.0%}"
    coverage = (
        f"the top {tp.k} paths by {tp.rank} cover {tp.coverage:.1%} of the journeys "
        f"({level} interval {tp.coverage_ci[0]:.1%} to {tp.coverage_ci[1]:.1%}) and "
        f"{tp.conversion_coverage:.1%} of the conversions ({tp.conversion_coverage_ci[0]:.1%} "
        f"to {tp.conversion_coverage_ci[1]:.1%})"
    )
    shown = tp.table[["rank", "path", "journeys", "share", "ci_low", "ci_high", "cum_share",
                      "conversions", "conversion_rate"]]
    totals = {
        "n_paths": len(pt.table),
        "n_journeys": pt.n_journeys,
        "total_conversions": pt.total_conversions,
        "total_conversion_value": pt.total_conversion_value,
        "channels": pt.channels,
        "info": dict(pt.info),
    }
    payload = {**totals, "warnings": [str(w.message) for w in caught], "out": args.out,
               "notes": notes, "top_paths": tp.to_dict(), "where": selected}
    text = "\n".join(
        [repr(pt), *(f"warning: {w.message}" for w in caught), *notes, "",
         top.to_string(index=False), "", coverage, "",
         shown.to_string(index=False, float_format=lambda x: f"{x:.3f}")]
    )
    emit(args, payload, text)
    return 0
