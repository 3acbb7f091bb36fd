"""The ``cjmodels`` command line: a thin layer over the Python API.

Every subcommand prints a readable report, or JSON with ``--format json``. Bad input exits with
status 1 and a message naming the column, rows and fix; usage errors exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cjmodels import __version__
from cjmodels.errors import ValidationError

WORLDS = ("journeys", "subscriptions", "transactions", "experiment")
#: Capability subpackages that may add a subcommand through ``cjmodels.<name>._cli``.
CAPABILITIES = ("markov", "attribution", "survival", "experiments")


def _capability_clis() -> list[Any]:
    """The ``_cli`` modules of the capability subpackages that have one."""
    import importlib
    import importlib.util

    mods = []
    for name in CAPABILITIES:
        if importlib.util.find_spec(f"cjmodels.{name}") is None:
            continue
        if importlib.util.find_spec(f"cjmodels.{name}._cli") is not None:
            mods.append(importlib.import_module(f"cjmodels.{name}._cli"))
    return mods


def _log_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("event-log columns")
    g.add_argument("--customer", default="customer_id", help="customer id column")
    g.add_argument("--timestamp", default="timestamp", help="timestamp column")
    g.add_argument("--event", default="event", help="event type column ('none': all touches)")
    g.add_argument("--channel", default=None, help="channel column (default: 'channel' if present)")
    g.add_argument("--stage", default=None, help="stage column (default: 'stage' if present)")
    g.add_argument("--value", default=None, help="value column (default: 'value' if present)")
    g.add_argument("--scheme", default=None, help="stage scheme: five, six, seven")
    g.add_argument(
        "--observation-end", default=None, help="end of observation (default: last event)"
    )


def _log_options(a: argparse.Namespace) -> dict[str, Any]:
    opts: dict[str, Any] = {
        "customer": a.customer,
        "timestamp": a.timestamp,
        "event": None if a.event.lower() == "none" else a.event,
        "scheme": a.scheme,
        "observation_end": a.observation_end,
    }
    for k in ("channel", "stage", "value"):
        if getattr(a, k) is not None:
            opts[k] = getattr(a, k)
    return opts


def _engine_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--engine",
        choices=("memory", "duckdb"),
        default="memory",
        help="where the counting runs: 'duckdb' reads the file in the engine (larger than "
        "memory; same rules, same table; needs the 'scale' extra)",
    )


def _source(args: argparse.Namespace) -> tuple[Any, dict[str, Any]]:
    """The event log to count, and the options it takes: a validated in-memory log, or a DuckDB
    relation over the file with the column names."""
    if args.engine == "memory":
        return _read(args), {}
    from cjmodels.data.sql import scan
    from cjmodels.errors import ValidationError

    if args.scheme is not None or args.event.lower() == "none":
        raise ValidationError(
            "--scheme and --event none need the in-memory engine; drop them or use "
            "--engine memory."
        )
    opts = {k: getattr(args, k) for k in ("customer", "timestamp", "event", "channel", "stage",
                                          "value", "observation_end")
            if getattr(args, k) is not None}
    return scan(args.file), opts


def _fmt(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``cjmodels`` command."""
    ap = argparse.ArgumentParser(
        prog="cjmodels",
        description="Statistics of customer journeys from touchpoint event logs.",
    )
    ap.add_argument("--version", action="version", version=f"cjmodels {__version__}")
    sub = ap.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="check an event log file and describe it")
    p.add_argument("file", help="CSV (optionally .gz), TSV or Parquet event log")
    _log_args(p)
    _fmt(p)

    p = sub.add_parser("simulate", help="write a synthetic world and its ground truth")
    p.add_argument("world", choices=WORLDS)
    p.add_argument("--out", required=True, help="events file (.csv, .csv.gz or .parquet)")
    p.add_argument("--customers", type=int, default=None, help="number of customers")
    p.add_argument("--seed", type=int, default=0, help="random_state")
    p.add_argument("--truth", default=None, help="ground-truth JSON (default: OUT.truth.json)")
    _fmt(p)

    p = sub.add_parser("paths", help="path table (ChannelAttribution layout) of an event log")
    p.add_argument("file")
    p.add_argument("--out", default=None, help="write the path table as CSV")
    p.add_argument("--timeout", default=None, help="gap that ends a journey, e.g. 30D")
    p.add_argument("--lookback", default=None, help="keep touches within this span, e.g. 30D")
    p.add_argument("--collapse-repeats", action="store_true")
    p.add_argument("--top", type=int, default=15, help="rows to print")
    _engine_arg(p)
    _log_args(p)
    _fmt(p)

    p = sub.add_parser("transitions", help="order-k transition counts of an event log")
    p.add_argument("file")
    p.add_argument("--by", choices=("channel", "stage"), default="channel")
    p.add_argument("--order", type=int, default=1)
    p.add_argument("--censored", choices=("drop", "null", "state"), default="drop")
    p.add_argument("--collapse-repeats", action="store_true")
    _engine_arg(p)
    _log_args(p)
    _fmt(p)

    p = sub.add_parser("datasets", help="list, build or verify the shipped datasets")
    p.add_argument("action", choices=("list", "build", "verify"))
    p.add_argument("--out", default="datasets", help="folder for build / verify")
    _fmt(p)

    p = sub.add_parser("demo", help="end-to-end analysis of the shipped synthetic data")
    p.add_argument("--out", default="output/demo", help="folder for figures and tables")
    _fmt(p)
    for mod in _capability_clis():
        mod.add_parser(sub)
    return ap


def _emit(args: argparse.Namespace, payload: dict[str, Any], text: str) -> None:
    if getattr(args, "format", "text") == "json":
        print(json.dumps(payload, indent=2, default=str))
    else:
        print(text)


def _read(args: argparse.Namespace):
    from cjmodels.data import read_events

    return read_events(args.file, **_log_options(args))


def _cmd_validate(args: argparse.Namespace) -> int:
    log = _read(args)
    rep = {"valid": True, "file": args.file, **log.report()}
    lines = [f"{args.file}: valid event log", ""]
    for k in ("n_events", "n_customers", "observation_start", "observation_end", "time_kind"):
        lines.append(f"  {k:<20} {rep[k]}")
    lines.append(f"  {'events':<20} {rep['events']}")
    for k in ("channels", "stages", "scheme", "total_conversion_value", "covariates"):
        if k in rep:
            lines.append(f"  {k:<20} {rep[k]}")
    _emit(args, rep, "\n".join(lines))
    return 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from cjmodels import synthetic

    fn = {
        "journeys": synthetic.simulate_journeys,
        "subscriptions": synthetic.simulate_subscriptions,
        "transactions": synthetic.simulate_transactions,
        "experiment": synthetic.simulate_experiment,
    }[args.world]
    kw: dict[str, Any] = {"random_state": args.seed}
    if args.customers is not None:
        kw["n_customers"] = args.customers
    world = fn(**kw)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".parquet":
        world.events.to_parquet(out, index=False)
    elif ".csv" in out.suffixes:
        world.events.to_csv(out, index=False)
    else:
        raise ValidationError(f"--out {str(out)!r}: use a .csv, .csv.gz or .parquet file name.")
    truth_path = Path(args.truth) if args.truth else out.with_name(out.name + ".truth.json")
    payload = {**world.to_dict(), "events_file": str(out), "truth_file": str(truth_path)}
    truth_path.write_text(json.dumps(payload, indent=2) + "\n")
    text = (
        f"wrote {len(world.events)} events of {payload['n_customers']} customers to {out}\n"
        f"ground truth: {truth_path}"
    )
    _emit(args, payload, text)
    return 0


def _cmd_paths(args: argparse.Namespace) -> int:
    from cjmodels.data.journeys import path_table

    log, opts = _source(args)
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
        pt.to_csv(args.out)
    top = pt.table.sort_values(["total_conversions", "total_null"], ascending=False).head(args.top)
    payload = {**pt.to_dict(), "warnings": [str(w.message) for w in caught], "out": args.out}
    text = "\n".join(
        [repr(pt), *(f"warning: {w.message}" for w in caught), "", top.to_string(index=False)]
    )
    _emit(args, payload, text)
    return 0


def _cmd_transitions(args: argparse.Namespace) -> int:
    from cjmodels.data.transitions import transition_counts

    source, opts = _source(args)
    tc = transition_counts(
        source,
        by=args.by,
        order=args.order,
        censored=args.censored,
        collapse_repeats=args.collapse_repeats,
        **opts,
    )
    _emit(args, tc.to_dict(), f"{tc!r}\n\n{tc.matrix().to_string()}")
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from cjmodels import datasets

    if args.action == "list":
        payload = {n: datasets.DATASETS[n].description for n in datasets.list_datasets()}
        _emit(args, payload, "\n".join(f"{k:<14} {v}" for k, v in payload.items()))
        return 0
    if args.action == "build":
        sheets = datasets.build_datasets(args.out)
        payload = {s["name"]: {"rows": s["n_rows"], "sha256_csv": s["sha256_csv"]} for s in sheets}
        text = "\n".join(
            f"{n:<14} {p['rows']:>8} rows  sha256 {p['sha256_csv'][:16]}..."
            for n, p in payload.items()
        )
        _emit(args, payload, f"built datasets in {args.out}\n{text}")
        return 0
    ok = datasets.verify_datasets(args.out)
    text = "\n".join(f"{n:<14} {'ok' if v else 'MISMATCH'}" for n, v in ok.items())
    _emit(args, {"ok": all(ok.values()), "datasets": ok}, text)
    return 0 if all(ok.values()) else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    from cjmodels.report import run_demo

    report = run_demo(args.out)
    _emit(args, report.to_dict(), report.text())
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cjmodels`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    handlers = {
        "validate": _cmd_validate,
        "simulate": _cmd_simulate,
        "paths": _cmd_paths,
        "transitions": _cmd_transitions,
        "datasets": _cmd_datasets,
        "demo": _cmd_demo,
    }
    handler = handlers.get(args.command)
    if handler is None:  # a capability's subcommand
        handler = next(m.run for m in _capability_clis() if _owns(m, parser, args.command))
    try:
        return handler(args)
    except ValidationError as exc:
        if getattr(args, "format", "text") == "json":
            print(json.dumps({"valid": False, "error": str(exc)}, indent=2))
        else:
            print(f"cjmodels {args.command}: error: {exc}", file=sys.stderr)
        return 1


def _owns(mod: Any, parser: argparse.ArgumentParser, command: str) -> bool:
    """Whether the capability module ``mod`` added the subcommand ``command``."""
    probe = argparse.ArgumentParser()
    sub = probe.add_subparsers(dest="command")
    mod.add_parser(sub)
    return command in sub.choices


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
