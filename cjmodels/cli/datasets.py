"""``cjmodels datasets list|build|verify``: the shipped datasets."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from cjmodels.cli._options import add_force, add_format, emit, output_dir, writing
from cjmodels.errors import ValidationError


def add_parser(subparsers: Any) -> None:
    """Add the ``datasets`` subcommand."""
    p = subparsers.add_parser("datasets", help="list, build or verify the shipped datasets")
    p.add_argument("action", choices=("list", "build", "verify"))
    p.add_argument("--out", default="datasets", help="folder for build / verify")
    add_force(p)
    add_format(p)


def run(args: argparse.Namespace) -> int:
    """List, build or verify; exit 1 when ``verify`` finds a mismatch."""
    from cjmodels import datasets

    if args.action == "list":
        payload = {n: datasets.DATASETS[n].description for n in datasets.list_datasets()}
        emit(args, payload, "\n".join(f"{k:<14} {v}" for k, v in payload.items()))
        return 0
    if args.action == "build":
        names = [f"{n}{ext}" for n in datasets.list_datasets() for ext in (".csv.gz", ".json")]
        notes: list[str] = []
        output_dir(args, args.out, names=[*names, "README.md"], notes=notes)
        with writing(args.out):
            built = datasets.build_datasets(args.out)
        payload = {d.name: {"rows": d.n_events, "sha256_csv": d.datasheet["sha256_csv"]}
                   for d in built}
        text = "\n".join(
            f"{n:<14} {p['rows']:>8} rows  sha256 {p['sha256_csv'][:16]}..."
            for n, p in payload.items()
        )
        emit(args, {"datasets": payload, "notes": notes},
             "\n".join([*notes, f"built datasets in {args.out}", text]))
        return 0
    if not Path(args.out).is_dir():
        raise ValidationError(f"{args.out}: no such folder to verify; give the folder of the "
                              "built datasets with --out.")
    check = datasets.verify_datasets(args.out)
    ok = check.table["ok"].to_dict()
    text = "\n".join(f"{n:<14} {'ok' if v else 'MISMATCH'}" for n, v in ok.items())
    emit(args, {"ok": check.ok, "datasets": ok}, text)
    return 0 if check.ok else 1
