"""``cjmodels demo``: the end-to-end analysis of the shipped data (:mod:`cjmodels.report`)."""

from __future__ import annotations

import argparse
from typing import Any

from cjmodels.cli._options import add_force, add_format, emit, output_dir, writing


def add_parser(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    p = subparsers.add_parser("demo", help="end-to-end analysis of the shipped synthetic data")
    p.add_argument("--out", default="output/demo", help="folder for figures and tables")
    add_force(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    """Run the demo report into ``--out``; print it."""
    from cjmodels import report  # the report's module attribute, so a test can replace it

    notes: list[str] = []
    output_dir(args, args.out, notes=notes)
    with writing(args.out):
        rep = report.run_demo(args.out)
    emit(args, {**rep.to_dict(), "notes": notes}, "\n".join([*notes, rep.text()]))
    return 0
