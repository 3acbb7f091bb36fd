"""``cjmodels paths FILE``: the path table (ChannelAttribution's layout) of an event log."""

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
    p.add_argument("--top", type=int, default=15, help="rows to print")
    add_force(p)
    add_engine(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    """Build the path table; print its totals and most converting paths, write it with --out."""
    from cjmodels.data.journeys import path_table

    notes: list[str] = []
    if args.out:
        output_path(args, args.out, notes=notes)
    log, opts = source(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        pt = path_table(
            log,
            timeout=args.timeout,
            lookback=args.lookback,
            collapse_repeats=args.collapse_repeats,
            **opts,
        )
    if args.out:
        with writing(args.out):
            pt.to_csv(args.out)
        notes.append(f"wrote the path table to {args.out}")
    top = pt.table.sort_values(["total_conversions", "total_null"], ascending=False).head(args.top)
    totals = {
        "n_paths": len(pt.table),
        "n_journeys": pt.n_journeys,
        "total_conversions": pt.total_conversions,
        "total_conversion_value": pt.total_conversion_value,
        "channels": pt.channels,
        "info": dict(pt.info),
    }
    payload = {**totals, "warnings": [str(w.message) for w in caught], "out": args.out,
               "notes": notes}
    text = "\n".join(
        [repr(pt), *(f"warning: {w.message}" for w in caught), *notes, "",
         top.to_string(index=False)]
    )
    emit(args, payload, text)
    return 0
