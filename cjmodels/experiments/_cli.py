"""``cjmodels abtest FILE``: the SRM check and the tests of an experiment, from the command line.

FILE is either a per-customer table (one row per customer, a variant column and metric
columns) or an event log with ``assignment`` events, which is reduced with
:func:`cjmodels.data.experiment_table` first (auto-detected: a file with an ``event`` column
holding ``assignment`` rows is an event log).
"""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path
from typing import Any

import pandas as pd

from cjmodels.errors import ValidationError

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Add the ``abtest`` subcommand."""
    from cjmodels.experiments.multiple import MULTIPLE_METHODS
    from cjmodels.experiments.proportions import PROPORTION_TESTS

    p = subparsers.add_parser(
        "abtest", help="A/B test: SRM check, then every metric of every arm vs control",
        description="Sample-ratio check first, then each metric of each arm against the "
        "control (0/1 metrics: two-proportion test; others: Welch t, CUPED with --covariate; "
        "ratios by the delta method), adjusted for multiplicity over the family.",
    )
    p.add_argument("file", help="per-customer table or event log (CSV, .csv.gz or Parquet)")
    p.add_argument("--variant-col", default="variant", help="column holding the arm")
    p.add_argument("--control", default=None,
                   help="control arm (default: 'control' if present, else the first sorted)")
    p.add_argument("--metric", action="append", default=None,
                   help="metric column (repeat for several; default: converted)")
    p.add_argument("--ratio", action="append", default=None, metavar="NAME=NUM/DEN",
                   help="ratio metric by the delta method, e.g. rps=value/sessions")
    p.add_argument("--covariate", action="append", default=None,
                   help="pre-period covariate for CUPED (repeat for several)")
    p.add_argument("--missing-indicator", action="store_true",
                   help="fill missing covariates with 0 and add a missingness indicator")
    p.add_argument("--segment", default=None, help="also test within each segment")
    p.add_argument("--expected", default=None,
                   help="intended allocation, e.g. control=0.5,treatment=0.5 (default equal)")
    p.add_argument("--test", default="z-pooled", choices=PROPORTION_TESTS,
                   help="test for 0/1 metrics")
    p.add_argument("--correction", default="holm", choices=tuple(MULTIPLE_METHODS))
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--alternative", default="two-sided",
                   choices=("two-sided", "greater", "less"))
    p.add_argument("--srm-threshold", type=float, default=0.001)
    p.add_argument("--input", default="auto", choices=("auto", "table", "events"),
                   help="what FILE holds (default: detect)")
    p.add_argument("--format", choices=("text", "json"), default="text", help="output format")


def _read_table(path: str) -> pd.DataFrame:
    p = Path(path)
    if not p.exists():
        raise ValidationError(f"file {path!r} does not exist.")
    suf = "".join(p.suffixes).lower()
    if suf.endswith((".parquet", ".pq")):
        return pd.read_parquet(p)
    if ".csv" in suf or ".tsv" in suf or ".txt" in suf:
        return pd.read_csv(p, sep="\t" if ".tsv" in suf else ",", low_memory=False)
    raise ValidationError(f"file {path!r}: use a .csv, .csv.gz, .tsv or .parquet file.")


def _parse_expected(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise ValidationError(f"--expected {text!r}: write arm=share pairs, comma-separated.")
        k, v = part.split("=", 1)
        try:
            out[k.strip()] = float(v)
        except ValueError:
            raise ValidationError(
                f"--expected: share {v!r} of arm {k!r} is not a number."
            ) from None
    return out


def _parse_ratios(items: list[str] | None) -> dict[str, tuple[str, str]]:
    out = {}
    for item in items or []:
        if "=" not in item or "/" not in item.split("=", 1)[1]:
            raise ValidationError(f"--ratio {item!r}: write NAME=NUMERATOR/DENOMINATOR.")
        name, frac = item.split("=", 1)
        num, den = frac.split("/", 1)
        out[name.strip()] = (num.strip(), den.strip())
    return out


def run(args: argparse.Namespace) -> int:
    """Run ``cjmodels abtest``; prints text or JSON and returns the exit status."""
    from cjmodels.experiments.analysis import analyze
    from cjmodels.experiments.continuous import with_missing_indicator

    df = _read_table(args.file)
    kind = args.input
    if kind == "auto":
        kind = "events" if "event" in df.columns and (df["event"] == "assignment").any() \
            else "table"
    caught: list[str] = []
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        if kind == "events":
            from cjmodels.data import experiment_table

            table = experiment_table(df, variant=args.variant_col)
            variant = "variant"
        else:
            table, variant = df, args.variant_col
        covs = list(args.covariate or [])
        if args.missing_indicator:
            for c in list(covs):
                table = with_missing_indicator(table, c)
                covs.append(f"{c}_missing")
        if variant not in table.columns:
            raise ValidationError(
                f"--variant-col {variant!r} is not a column of {args.file}; its columns are "
                f"{list(table.columns)}."
            )
        arms = sorted(table[variant].dropna().astype(str).unique())
        control = args.control or ("control" if "control" in arms else (arms[0] if arms
                                                                        else None))
        if control is None:
            raise ValidationError(f"column {variant!r} holds no arms.")
        table = table.assign(**{variant: table[variant].astype(str)}) \
            if not table[variant].isna().any() else table
        result = analyze(
            table, control=control, metrics=args.metric or ["converted"],
            ratios=_parse_ratios(args.ratio), variant=variant,
            expected=_parse_expected(args.expected), covariates=covs, segment=args.segment,
            correction=args.correction, srm_threshold=args.srm_threshold, alpha=args.alpha,
            alternative=args.alternative, proportion_test=args.test,
        )
    caught = [str(w.message) for w in rec]
    if args.format == "json":
        payload = {
            "file": args.file,
            "input": kind,
            "srm": result.srm.to_dict(),
            "comparisons": [
                {k: c.to_dict()[k] for k in ("metric", "arm", "control", "effect_type",
                                             "effect", "ci_low", "ci_high", "pvalue",
                                             "pvalue_adjusted", "method")}
                for c in result.comparisons
            ],
            "notes": list(result.tests.notes),
            "warnings": caught,
        }
        print(json.dumps(payload, indent=2))
    else:
        lines = [result.srm.message(), ""]
        summ = result.summary()
        cols = ["metric", "arm", "effect_type", "effect", "ci_low", "ci_high", "pvalue",
                "pvalue_adjusted", "method"]
        lines.append(summ[cols].to_string(index=False, float_format=lambda v: f"{v:.6g}"))
        lines += [""] + [f"note: {n}" for n in result.tests.notes if n != result.srm.message()]
        lines += [f"warning: {w}" for w in caught if "SAMPLE RATIO" not in w]
        print("\n".join(lines))
    return 0
