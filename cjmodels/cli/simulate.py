"""``cjmodels simulate WORLD --out FILE``: write a synthetic world and its ground truth."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cjmodels.cli._options import (
    add_force,
    add_format,
    dump,
    emit,
    output_path,
    same_file,
    writing,
)
from cjmodels.errors import ValidationError

WORLDS = ("journeys", "subscriptions", "transactions", "experiment")


def add_parser(subparsers: Any) -> None:
    """Add the ``simulate`` subcommand."""
    p = subparsers.add_parser("simulate", help="write a synthetic world and its ground truth")
    p.add_argument("world", choices=WORLDS)
    p.add_argument("--out", required=True, help="events file (.csv, .csv.gz or .parquet)")
    p.add_argument("--n-customers", type=int, default=None, help="number of customers")
    p.add_argument("--random-state", type=int, default=0,
                   help="seed of the simulation (default 0, so the command repeats exactly)")
    p.add_argument("--truth", default=None, help="ground-truth JSON (default: OUT.truth.json)")
    add_force(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    """Simulate the world; write its events and its truth."""
    from cjmodels import synthetic

    fn = {
        "journeys": synthetic.simulate_journeys,
        "subscriptions": synthetic.simulate_subscriptions,
        "transactions": synthetic.simulate_transactions,
        "experiment": synthetic.simulate_experiment,
    }[args.world]
    kw: dict[str, Any] = {"random_state": args.random_state}
    if args.n_customers is not None:
        kw["n_customers"] = args.n_customers
    out = Path(args.out)
    if out.suffix != ".parquet" and ".csv" not in out.suffixes:
        raise ValidationError(f"--out {str(out)!r}: use a .csv, .csv.gz or .parquet file name.")
    truth_path = Path(args.truth) if args.truth else out.with_name(out.name + ".truth.json")
    if same_file(out, truth_path):
        raise ValidationError(f"{truth_path}: --truth and --out are the same file; choose "
                              "another --truth.")
    notes: list[str] = []
    output_path(args, out, notes=notes)
    output_path(args, truth_path, flag="--truth", notes=notes)
    world = fn(**kw)
    with writing(out):
        if out.suffix == ".parquet":
            world.events.to_parquet(out, index=False)
        else:
            world.events.to_csv(out, index=False)
    payload = {**world.to_dict(), "events_file": str(out), "truth_file": str(truth_path),
               "notes": notes}
    with writing(truth_path, "--truth"):
        truth_path.write_text(dump(payload) + "\n")
    text = "\n".join([
        *notes,
        f"wrote {len(world.events)} events of {payload['n_customers']} customers to {out}",
        f"ground truth: {truth_path}",
    ])
    emit(args, payload, text)
    return 0
