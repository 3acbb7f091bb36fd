"""``cjmodels validate FILE``: check an event log file and describe it."""

from __future__ import annotations

import argparse
from typing import Any

from cjmodels.cli._options import add_event_log, add_format, emit, read_log


def add_parser(subparsers: Any) -> None:
    """Add the ``validate`` subcommand."""
    p = subparsers.add_parser("validate", help="check an event log file and describe it")
    add_event_log(p, "event log: CSV or TSV (optionally gzip-compressed) or Parquet")
    add_format(p)


def run(args: argparse.Namespace) -> int:
    """Validate FILE and print what it holds."""
    log = read_log(args)
    rep = {"valid": True, "file": args.file, **log.report()}
    lines = [f"{args.file}: valid event log", ""]
    for k in ("n_events", "n_customers", "observation_start", "observation_end", "time_kind"):
        lines.append(f"  {k:<20} {rep[k]}")
    lines.append(f"  {'events':<20} {rep['events']}")
    for k in ("channels", "stages", "scheme", "total_conversion_value", "covariates"):
        if k in rep:
            lines.append(f"  {k:<20} {rep[k]}")
    emit(args, rep, "\n".join(lines))
    return 0
