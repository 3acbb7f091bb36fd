"""``cjmodels steps FILE --anchor X``: the step matrix around an anchor event
(:func:`cjmodels.analytics.step_matrix`), and with ``--group`` the difference table of two
segments with its tests."""

from __future__ import annotations

import argparse
from typing import Any

from cjmodels.cli._options import add_event_log, add_format, emit, read_log


def _span(text: str) -> str | float:
    """A time span: a number (days for datetime logs, the log's unit for numeric ones) or a
    string such as 30D."""
    try:
        return float(text)
    except ValueError:
        return text


def add_parser(subparsers: Any) -> None:
    """Add the ``steps`` subcommand."""
    p = subparsers.add_parser(
        "steps", help="step matrix around an anchor event (and two segments' differences)")
    add_event_log(p, "event log: CSV or TSV (optionally compressed) or Parquet")
    p.add_argument("--anchor", required=True,
                   help="a channel or stage of the touches, or (conversion), (drop_out), "
                        "(censored)")
    p.add_argument("--before", type=int, default=5, help="steps before the anchor (default: 5)")
    p.add_argument("--after", type=int, default=5, help="steps after the anchor (default: 5)")
    p.add_argument("--sequence", choices=("stage", "channel"), default="stage",
                   help="what a journey is a sequence of (default: stage)")
    p.add_argument("--timeout", type=_span, default=None,
                   help="silence that ends a journey as a drop-out, e.g. 30D")
    p.add_argument("--lookback", type=_span, default=None,
                   help="keep touches within this span before a journey's end, e.g. 30D")
    p.add_argument("--journeys", choices=("all", "first", "repeat"), default="all")
    p.add_argument("--collapse-repeats", action="store_true")
    p.add_argument("--occurrence", choices=("first", "every"), default="first",
                   help="align each journey on its first occurrence of the anchor, or on every one")
    p.add_argument("--group", default=None,
                   help="a column with two segments of customers: print their differences")
    p.add_argument("--alpha", type=float, default=0.05,
                   help="1 - the simultaneous confidence level (and the tests' level)")
    p.add_argument("--test", choices=("chi-square", "g-test"), default="chi-square",
                   help="the test of each step with --group")
    p.add_argument("--correction", choices=("holm", "bonferroni", "hochberg", "bh", "by"),
                   default="holm", help="the multiple-testing correction with --group")
    add_format(p)


def run(args: argparse.Namespace) -> int:
    """Compute the step matrix; print it (shares by state and step) or its JSON."""
    import pandas as pd

    from cjmodels.analytics.steps import StepMatrix, step_matrix
    from cjmodels.data import JourneySpec

    spec = JourneySpec(sequence=args.sequence, timeout=args.timeout, lookback=args.lookback,
                       journeys=args.journeys, collapse_repeats=args.collapse_repeats)
    log = read_log(args)
    r = step_matrix(log, anchor=args.anchor, before=args.before, after=args.after, spec=spec,
                    occurrence=args.occurrence, group=args.group, alpha=args.alpha,
                    test=args.test, correction=args.correction)
    with pd.option_context("display.width", 200, "display.max_columns", 40,
                           "display.max_rows", 500):
        if isinstance(r, StepMatrix):
            text = (f"{r!r}\n{r.n_units} of {r.n_journeys} journeys reach {r.anchor!r}; "
                    f"share of them in each state at each step:\n\n"
                    f"{r.matrix().round(3).to_string()}\n\n"
                    f"simultaneous {1 - r.alpha:.0%} intervals per step: --format json, or "
                    "StepMatrix.summary() in Python")
        else:
            sig = r.table[r.table["significant"]]
            cells = (sig[["step", "state", "share_1", "share_2", "difference", "ci_low",
                          "ci_high", "pvalue_adjusted"]].round(4).to_string(index=False)
                     if len(sig) else "(none)")
            text = (f"{r!r}\n{r.groups[0]!r}: {r.first.n_units} journeys reach {r.first.anchor!r}"
                    f"; {r.groups[1]!r}: {r.second.n_units}\n\n"
                    f"overall: {r.test.method}, p = {r.test.pvalue:.4g}\n\nper step:\n"
                    f"{r.step_tests.round(4).to_string(index=False)}\n\n"
                    f"cells that differ beyond noise ({r.correction}-adjusted p < {r.alpha:g}; "
                    f"difference = share {r.groups[0]!r} - share {r.groups[1]!r}):\n{cells}")
    emit(args, r.to_dict(), text)
    return 0
