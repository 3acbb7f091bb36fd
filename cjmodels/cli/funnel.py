"""``cjmodels funnel FILE``: a funnel under an explicit definition, several definitions side by
side, segments compared step by step, or conversion within a window with censoring.

Every flag is the keyword of :mod:`cjmodels.analytics.funnels` it sets, in kebab-case:

* ``--steps a,b,c`` (a step ``column=value`` names its own column, e.g. ``event=conversion``)
  with ``--definition``: :func:`~cjmodels.analytics.funnel`;
* ``--definitions strict-order,any-order``: :func:`~cjmodels.analytics.compare_funnel_definitions`;
* ``--group COLUMN`` (and ``--correction``): :func:`~cjmodels.analytics.compare_funnels`;
* ``--origin A --target B --window 7D``: :func:`~cjmodels.analytics.window_conversion`.

Journeys are cut by ``--timeout``, ``--lookback`` and ``--journeys`` (the fields of
:class:`~cjmodels.data.JourneySpec`), sessions by ``--inactivity``.
"""

from __future__ import annotations

import argparse
from typing import Any

from cjmodels.cli._options import add_event_log, add_format, emit, read_log
from cjmodels.errors import ValidationError

_DEFINITIONS = ("strict-order", "any-order", "furthest-stage")


def add_parser(subparsers: Any) -> None:
    """Add the ``funnel`` subcommand."""
    p = subparsers.add_parser(
        "funnel", help="funnels under explicit definitions; conversion within a window")
    add_event_log(p, "event log: CSV or TSV (optionally compressed) or Parquet")
    p.add_argument("--steps", default=None,
                   help="the funnel's steps in order, comma-separated; a step column=value names "
                   "its own column (e.g. awareness,interest,event=conversion)")
    p.add_argument("--definition", choices=_DEFINITIONS, default="strict-order",
                   help="what reaching a step means (default: strict-order)")
    p.add_argument("--definitions", default=None,
                   help="show these definitions side by side, comma-separated (e.g. "
                   "strict-order,any-order,furthest-stage)")
    p.add_argument("--grain", choices=("customer", "journey", "session"), default="customer",
                   help="what is counted (default: customer)")
    p.add_argument("--sequence", choices=("stage", "channel", "event"), default="stage",
                   help="the column plain steps are read from (default: stage)")
    p.add_argument("--window", default=None,
                   help="only events within this span of the first step count, e.g. 7D (a "
                   "number: days, or the log's unit for numeric timestamps)")
    p.add_argument("--inactivity", default=None,
                   help="longest gap within a session (--grain session; default 30min)")
    p.add_argument("--timeout", default=None, help="silence that ends a journey, e.g. 30D")
    p.add_argument("--lookback", default=None, help="touches kept before a journey's end")
    p.add_argument("--journeys", choices=("all", "first", "repeat"), default="all")
    p.add_argument("--group", default=None,
                   help="compare the funnel of the segments of this column")
    p.add_argument("--correction", choices=("bonferroni", "holm", "hochberg", "bh", "by"),
                   default="holm", help="multiple-testing correction of --group (default holm)")
    p.add_argument("--origin", default=None,
                   help="conversion within --window of this step (with --target)")
    p.add_argument("--target", default=None, help="the step to reach (with --origin)")
    p.add_argument("--alpha", type=float, default=0.05)
    add_format(p)


def _span(text: str | None) -> Any:
    """A span flag: a number when it reads as one (days, or the log's unit), else the text."""
    if text is None:
        return None
    try:
        return float(text)
    except ValueError:
        return text


def _step(text: str) -> Any:
    text = text.strip()
    if "=" in text:
        column, value = (x.strip() for x in text.split("=", 1))
        return (column, value)
    return text


def _steps(text: str | None) -> list[Any]:
    if text is None:
        raise ValidationError(
            "give the funnel's steps, e.g. --steps awareness,interest,purchase (or --origin and "
            "--target for conversion within a window)."
        )
    return [_step(s) for s in text.split(",")]


def run(args: argparse.Namespace) -> int:
    """Compute the funnel asked for and print it."""
    from cjmodels.analytics import (
        compare_funnel_definitions,
        compare_funnels,
        funnel,
        window_conversion,
    )
    from cjmodels.data import JourneySpec

    window = _span(args.window)
    if (args.origin is None) != (args.target is None):
        raise ValidationError("--origin and --target go together: give both, or neither.")
    if args.origin is not None:
        if args.steps is not None or args.group is not None or args.definitions is not None:
            raise ValidationError(
                "--origin/--target is conversion within a window; drop --steps, --group and "
                "--definitions (or drop --origin/--target for a funnel)."
            )
        if window is None:
            raise ValidationError("--origin/--target needs --window, e.g. --window 7D.")
        log = read_log(args)
        w = window_conversion(log, _step(args.origin), _step(args.target), window=window,
                              sequence=args.sequence, alpha=args.alpha)
        emit(args, w.to_dict(), f"{w!r}\n\n{w.summary().round(4).to_string()}\n\n"
             f"customers with the origin: {w.n_origin}, converted within the window: "
             f"{w.n_converted}, censored (followed for less than the window): {w.n_censored}")
        return 0
    steps = _steps(args.steps)
    if args.group is not None and args.definitions is not None:
        raise ValidationError("--group compares segments under one --definition; drop "
                              "--definitions, or --group.")
    spec = None
    if args.grain != "customer" and any(v not in (None, "all") for v in (
            args.timeout, args.lookback, args.journeys)):
        spec = JourneySpec(timeout=_span(args.timeout), lookback=_span(args.lookback),
                           journeys=args.journeys)
    elif any(v not in (None, "all") for v in (args.timeout, args.lookback, args.journeys)):
        raise ValidationError("--timeout, --lookback and --journeys cut journeys; use them with "
                              "--grain journey (or --grain session for --timeout).")
    inactivity = _span(args.inactivity)
    common = {"grain": args.grain, "sequence": args.sequence, "spec": spec, "window": window,
              "inactivity": inactivity, "alpha": args.alpha}
    log = read_log(args)
    if args.definitions is not None:
        defs = [d.strip() for d in args.definitions.split(",")]
        d = compare_funnel_definitions(log, steps, definitions=defs, **common)
        emit(args, d.to_dict(), f"{d!r}\n\n{d.reached.to_string()}")
        return 0
    if args.group is not None:
        c = compare_funnels(log, steps, group=args.group, definition=args.definition,
                            correction=args.correction, **common)
        lines = [repr(c), "", "conversion per step and group:", c.summary().round(4).to_string(),
                 "", f"differences from {c.reference!r} ({c.correction}-adjusted p-values):",
                 c.differences.round(4).to_string(index=False), "", "overall: "
                 + repr(c.overall)]
        emit(args, c.to_dict(), "\n".join(lines))
        return 0
    f = funnel(log, steps, definition=args.definition, **common)
    cols = ["reached", "step_conversion", "step_ci_low", "step_ci_high", "cumulative_conversion",
            "cumulative_ci_low", "cumulative_ci_high", "lost"]
    emit(args, f.to_dict(), f"{f!r}\n\n{f.table[cols].round(4).to_string()}\n\n"
         f"most units are lost at: {f.most_lost}")
    return 0
