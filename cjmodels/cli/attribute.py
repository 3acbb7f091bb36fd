"""``cjmodels attribute FILE --model ...``: channel attribution from an event log or path table."""

from __future__ import annotations

import argparse
from typing import Any

from cjmodels.cli._options import (
    add_event_log,
    add_format,
    emit,
    events,
    log_options,
    read_table,
)
from cjmodels.errors import ValidationError


def add_parser(subparsers: Any) -> None:
    """Add the ``attribute`` subcommand."""
    from cjmodels.attribution import MODELS

    p = subparsers.add_parser(
        "attribute", help="multi-touch channel attribution (heuristics, Markov, Shapley, ...)"
    )
    add_event_log(
        p,
        "event log, or a path table in ChannelAttribution's layout (a CSV with a 'path' "
        "column, total_conversions, total_null, total_conversion_value)",
    )
    p.add_argument("--model", choices=MODELS, default="markov")
    p.add_argument("--order", type=int, default=1, help="Markov order (markov only)")
    p.add_argument(
        "--collapse-repeats", action=argparse.BooleanOptionalAction, default=False,
        help="merge a channel repeated in a row into one state (markov only; default: keep "
        "repeats, as the API does; --collapse-repeats merges them as ChannelAttribution does)",
    )
    p.add_argument("--n-boot", type=int, default=0, metavar="N",
                   help="bootstrap replicates over journeys for intervals (0: none)")
    p.add_argument("--alpha", type=float, default=0.05, help="intervals cover 1 - alpha")
    p.add_argument("--random-state", type=int, default=0,
                   help="seed of the bootstrap and of randomised models (default 0, so that a "
                   "run can be repeated)")
    p.add_argument("--half-life", type=float, default=7.0, help="time decay half-life (days)")
    p.add_argument("--timeout", default=None, help="gap that ends a journey (event logs), e.g. 30D")
    p.add_argument("--separator", default=None,
                   help="separator of the channels in a path table's 'path' column, e.g. '>' "
                   "or ' > ' (default: detected)")
    add_format(p)


def _data(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """FILE read once: a path table (it has a 'path' column) with its ``--separator``, or an
    event log with the column options."""
    from cjmodels.data.io import event_log_columns

    opts = log_options(args)
    df = read_table(args, what="event log or path table",
                     expected=[*event_log_columns(opts), "path"], text=["path"])
    if "path" in df.columns:
        return df, ({} if args.separator is None else {"separator": args.separator})
    if args.separator is not None:
        raise ValidationError(
            f"{args.file}: --separator is for path tables, and this file has no 'path' column "
            f"(its columns are {list(df.columns)[:12]}); drop --separator for an event log."
        )
    log = events(args, df, opts)
    return log, {"timeout": args.timeout}


def run(args: argparse.Namespace) -> int:
    """Fit the model and print the per-channel table (text or JSON)."""
    from cjmodels.attribution import attribute

    model = args.model
    params: dict[str, Any] = {}
    if model == "markov":
        params["order"] = args.order
        params["collapse_repeats"] = args.collapse_repeats
    if model == "time-decay":
        params["half_life"] = args.half_life
    data, opts = _data(args)
    res = attribute(data, model, n_boot=args.n_boot, alpha=args.alpha,
                    random_state=args.random_state, data_options=opts, **params)
    t = res.table
    keep = ["removal_effect", "conversions", "value", "share"]
    cols = [c for c in t.columns if any(c == k or c.startswith(k + "_ci") for k in keep)]
    if args.format == "json":
        payload = res.to_dict()
        payload["channels"] = [
            {"channel": str(ch), **{c: float(v) for c, v in r[cols].items()}}
            for ch, r in t.iterrows()
        ]
        emit(args, payload, "")
        return 0
    lines = [repr(res), "", t[cols].round(4).to_string()]
    if "conversion_probability" in res.info:
        lines += ["", f"P(conversion) of the chain {res.info['conversion_probability']:.4f} "
                  f"(observed {res.info['observed_conversion_rate']:.4f}); "
                  f"{res.info['n_states']} states"]
    print("\n".join(lines))
    return 0
