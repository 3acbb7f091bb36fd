"""``cjmodels transitions FILE``: order-k transition counts of an event log."""

from __future__ import annotations

import argparse
from typing import Any

from cjmodels.cli._options import add_engine, add_event_log, add_format, emit, source


def add_parser(subparsers: Any) -> None:
    """Add the ``transitions`` subcommand."""
    p = subparsers.add_parser("transitions", help="order-k transition counts of an event log")
    add_event_log(p, "event log: CSV or TSV (optionally compressed) or Parquet")
    p.add_argument("--sequence", choices=("channel", "stage"), default="channel",
                   help="what a journey is a sequence of (default: channel)")
    p.add_argument("--order", type=int, default=1)
    p.add_argument("--censored", choices=("drop", "null", "state"), default="drop")
    p.add_argument("--collapse-repeats", action="store_true")
    add_engine(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    """Count the transitions; print the matrix."""
    from cjmodels.data.transitions import transition_counts

    log, opts = source(args)
    tc = transition_counts(
        log,
        sequence=args.sequence,
        order=args.order,
        censored=args.censored,
        collapse_repeats=args.collapse_repeats,
        **opts,
    )
    emit(args, tc.to_dict(), f"{tc!r}\n\n{tc.matrix().to_string()}")
    return 0
