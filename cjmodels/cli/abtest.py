"""``cjmodels abtest FILE``: A/B analysis from the command line.

``abtest`` reads FILE, either a per-customer table (one row per customer, a variant column and
metric columns) or an event log with ``assignment`` events, which is reduced with
:func:`cjmodels.data.experiment_table` first (auto-detected: a file with an ``event`` column
holding ``assignment`` rows is an event log). It prints, per arm, the customers and the rate or
mean of every metric with its interval; per metric and arm, the difference and the relative lift
against the control with their intervals, the p-value before and after the multiplicity
correction and, with ``--covariate``, the variance reduction CUPED achieved. A sample-ratio
mismatch is stated on top of the output (results not trustworthy); with ``--fail-on-srm`` it
also makes the command exit with status 1.

Exit status: 0 success; 2 for an error in the input, a file or a flag (one line, no traceback);
1 when the command ran but a check failed (``--fail-on-srm``).
"""

from __future__ import annotations

import argparse
import math
import warnings
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.cli._options import (
    add_event_log,
    add_format,
    dump,
    events,
    in_unit,
    log_options,
    number,
    parse_event_map,
    percent,
    read_table,
)
from cjmodels.errors import ValidationError


def add_parser(subparsers: Any) -> None:
    """Add the ``abtest`` subcommand."""
    from cjmodels.experiments import CORRECTIONS, PROPORTION_TESTS

    p = subparsers.add_parser(
        "abtest", help="A/B test: SRM check, then every metric of every arm vs control",
        description="Sample-ratio check first, then each metric of each arm against the "
        "control (0/1 metrics: two-proportion test; others: Welch t, CUPED with --covariate; "
        "ratios by the delta method), adjusted for multiplicity over the family. Exit status: "
        "0 done, 2 bad input or flag, 1 sample-ratio mismatch with --fail-on-srm.",
    )
    add_event_log(p, "per-customer table or event log (CSV, gzip CSV or Parquet); the "
                  "event-log columns apply to an event log")
    p.add_argument("--variant", default="variant", help="column holding the arm")
    p.add_argument("--control", default=None,
                   help="control arm (default: 'control' if present, else the first sorted)")
    p.add_argument("--metrics", action="append", default=None, metavar="METRIC",
                   help="metric column (repeat for several; default: converted)")
    p.add_argument("--ratios", action="append", default=None, metavar="NAME=NUM/DEN",
                   help="ratio metric by the delta method, e.g. rps=value/sessions (repeat "
                   "for several)")
    p.add_argument("--covariates", action="append", default=None, metavar="COVARIATE",
                   help="pre-period covariate for CUPED (repeat for several)")
    p.add_argument("--missing-indicator", action="store_true",
                   help="fill missing covariates with 0 and add a missingness indicator")
    p.add_argument("--group", default=None,
                   help="grouping column (e.g. a segment): also test within each group")
    p.add_argument("--expected", default=None,
                   help="intended allocation, e.g. control=0.5,treatment=0.5 (default equal)")
    p.add_argument("--test", default="z-pooled", choices=PROPORTION_TESTS,
                   help="test for 0/1 metrics")
    p.add_argument("--correction", default="holm", choices=tuple(CORRECTIONS),
                   help="multiplicity correction over all metrics x arms (default holm)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--alternative", default="two-sided",
                   choices=("two-sided", "greater", "less"))
    p.add_argument("--srm-threshold", type=float, default=0.001,
                   help="sample-ratio mismatch when the SRM p-value is below this (0.001)")
    p.add_argument("--fail-on-srm", action="store_true",
                   help="exit with status 1 when a sample-ratio mismatch is found")
    p.add_argument("--input", default="auto", choices=("auto", "table", "events"),
                   help="what FILE holds (default: detect)")
    add_format(p)



def run(args: argparse.Namespace) -> int:
    """Run ``cjmodels abtest``; prints the report, returns the exit status."""
    return _run_abtest(args)


def _rows(table: pd.DataFrame, mask: np.ndarray) -> str:
    """The first offending rows, as file lines when the table came from a text file."""
    idx = table.index[mask][:5].tolist()
    more = f" and {int(mask.sum()) - 5} more" if mask.sum() > 5 else ""
    if str(table.attrs.get("rows_are", "")).startswith("file lines"):
        return f"file lines {idx}{more}"
    return f"rows {np.flatnonzero(mask)[:5].tolist()}{more}"


def _parse_expected(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    out = {}
    for part in text.split(","):
        if "=" not in part:
            raise ValidationError(f"--expected {text!r}: write arm=share pairs, comma-separated.")
        k, v = part.split("=", 1)
        try:
            out[k] = float(v)
        except ValueError:
            raise ValidationError(
                f"--expected: share {v!r} of arm {k!r} is not a number."
            ) from None
        if not (math.isfinite(out[k]) and out[k] > 0):
            raise ValidationError(f"--expected: share {v!r} of arm {k!r} must be > 0.")
    return out


def _parse_ratios(items: list[str] | None) -> dict[str, tuple[str, str]]:
    out = {}
    for item in items or []:
        if "=" not in item or "/" not in item.split("=", 1)[1]:
            raise ValidationError(f"--ratios {item!r}: write NAME=NUMERATOR/DENOMINATOR.")
        name, frac = item.split("=", 1)
        num, den = frac.split("/", 1)
        out[name.strip()] = (num.strip(), den.strip())
    return out


def _check_numeric(table: pd.DataFrame, col: str, flag: str, where: str) -> None:
    """A metric or covariate column named by ``flag``: present, numeric, not all missing."""
    if col not in table.columns:
        raise ValidationError(
            f"{flag} {col!r} is not a column of {where}; its columns are "
            f"{[str(c) for c in table.columns]}."
        )
    s = table[col]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise ValidationError(
            f"{flag} {col!r} in {where} is not numeric (dtype {s.dtype}, e.g. "
            f"{s.dropna().astype(str).head(3).tolist()}); give a numeric column."
        )
    miss = s.isna().to_numpy() | ~np.isfinite(s.to_numpy(dtype=float, na_value=np.nan))
    if miss.all():
        raise ValidationError(
            f"{flag} {col!r} in {where} is missing in all {len(s)} rows; nothing to analyse."
        )
    if miss.any():
        fix = ("use --missing-indicator to fill it with 0 and add an indicator"
               if flag == "--covariates" else "fill them in the file (e.g. 0 for no purchase) or "
               "remove those customers")
        raise ValidationError(
            f"{flag} {col!r} in {where} is missing or infinite in {int(miss.sum())} rows "
            f"({_rows(table, miss)}); nothing is dropped silently: {fix}."
        )


def _check_arms(table: pd.DataFrame, variant: str, where: str) -> list[str]:
    """The arm labels, kept exactly; labels that would merge or look alike are refused."""
    if variant not in table.columns:
        raise ValidationError(
            f"--variant {variant!r} is not a column of {where}; its columns are "
            f"{[str(c) for c in table.columns]}. Name the arm column with --variant."
        )
    col = table[variant]
    if col.isna().any():
        raise ValidationError(
            f"--variant {variant!r} in {where} is empty in {int(col.isna().sum())} rows "
            f"({_rows(table, col.isna().to_numpy())}); every customer needs an arm."
        )
    raw = list(pd.unique(col.to_numpy(dtype=object)))
    by_text: dict[str, list[Any]] = {}
    for v in raw:
        by_text.setdefault(str(v), []).append(v)
    clash = [vs for vs in by_text.values() if len(vs) > 1]
    if clash:
        shown = ", ".join(f"{v!r} ({type(v).__name__})" for v in clash[0])
        raise ValidationError(
            f"--variant {variant!r} in {where} holds arm labels {shown} that print the "
            "same; they would merge into one arm. Write each arm's label one way."
        )
    arms = sorted(by_text)
    alike: dict[str, list[str]] = {}
    for a in arms:
        key = a.strip()
        try:
            key = repr(float(key))
        except ValueError:
            pass
        alike.setdefault(key, []).append(a)
    near = [vs for vs in alike.values() if len(vs) > 1]
    if near:
        raise ValidationError(
            f"--variant {variant!r} in {where} holds arm labels {near[0]} that differ only "
            "in blanks or number format; they would count as different arms. Write each "
            "arm's label one way."
        )
    if len(arms) < 2:
        raise ValidationError(
            f"--variant {variant!r} in {where} holds a single arm {arms}; an A/B test "
            "compares at least two arms (is --variant the right column?)."
        )
    return arms


def _check_segments(table: pd.DataFrame, segment: str, variant: str, arms: list[str],
                    where: str) -> None:
    """Every segment needs every arm (the tests run within each segment)."""
    if segment not in table.columns:
        raise ValidationError(
            f"--group {segment!r} is not a column of {where}; its columns are "
            f"{[str(c) for c in table.columns]}."
        )
    seg = table[segment]
    if seg.isna().any():
        raise ValidationError(
            f"--group {segment!r} in {where} is empty in {int(seg.isna().sum())} rows "
            f"({_rows(table, seg.isna().to_numpy())}); fill them (e.g. 'unknown') or drop "
            "--group."
        )
    counts = pd.crosstab(seg.astype(str), table[variant]).reindex(columns=arms, fill_value=0)
    for name, row in counts.iterrows():
        empty = [a for a in arms if row[a] == 0]
        if empty:
            raise ValidationError(
                f"--group {segment!r} in {where}: group {name!r} has 0 customers in arms "
                f"{empty}; every group needs customers in every arm (merge small groups "
                "or drop --group)."
            )


def _is_binary(table: pd.DataFrame, col: str) -> bool:
    x = table[col].to_numpy(dtype=float)
    return bool(np.all((x == 0) | (x == 1)))


# --------------------------------------------------------------------------- abtest
def _arm_table(table: pd.DataFrame, variant: str, arms: list[str], metrics: list[str],
               ratios: dict[str, tuple[str, str]], alpha: float) -> list[dict[str, Any]]:
    """Per arm and metric: n, the rate (Wilson interval), mean (t interval) or ratio (delta
    method), unadjusted."""
    from scipy import stats as sps
    from statsmodels.stats.proportion import proportion_confint

    from cjmodels.experiments import sufficient_stats

    cols = list(dict.fromkeys([*metrics, *(c for nd in ratios.values() for c in nd)]))
    st = sufficient_stats(table, cols, variant=variant, arms=arms)
    rows: list[dict[str, Any]] = []
    for m in metrics:
        binary = _is_binary(table, m)
        for a, arm in enumerate(st.arms):
            n = float(st.n[a])
            s = float(st.sums[a, st.index(m)])
            mean = s / n
            if binary:
                lo, hi = proportion_confint(s, n, alpha=alpha, method="wilson")
                kind, how = "rate", "wilson"
            else:
                var = float(st.var(m)[a]) if n > 1 else math.nan
                if n > 1:  # Student-t interval
                    q = sps.t.ppf(1 - alpha / 2, n - 1) * math.sqrt(var / n)
                    lo, hi = mean - q, mean + q
                else:
                    lo, hi = math.nan, math.nan
                kind, how = "mean", "t"
            rows.append({"arm": arm, "metric": m, "statistic": kind, "n": int(n),
                         "value": mean, "ci_low": float(lo), "ci_high": float(hi),
                         "ci_method": how})
    z = sps.norm.ppf(1 - alpha / 2)
    for name, (num, den) in ratios.items():
        # delta method of mean(num) / mean(den) per arm (analyze has checked n >= 2 and a
        # non-zero denominator); the unadjusted estimate analyze compares
        s = st.select([num, den])
        m, cov = s.means(), s.covariance()
        est = m[:, 0] / m[:, 1]
        w = np.column_stack([1.0 / m[:, 1], -est / m[:, 1]])
        variance = np.einsum("ki,kij,kj->k", w, cov, w) / s.n
        for a, arm in enumerate(st.arms):
            se = math.sqrt(variance[a])
            rows.append({"arm": arm, "metric": name, "statistic": "ratio", "n": int(st.n[a]),
                         "value": float(est[a]), "ci_low": float(est[a] - z * se),
                         "ci_high": float(est[a] + z * se), "ci_method": "delta"})
    return rows


def _effect_rows(result: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per metric and arm: difference, relative lift, p-values, CUPED gain; and the
    notes saying why a number is undefined."""
    from cjmodels.experiments import PROPORTION_TESTS

    pairs: dict[tuple[str, str], dict[str, Any]] = {}
    for c in result.comparisons:
        pairs.setdefault((c.metric, c.arm), {})[c.effect_type] = c
    rows, notes = [], []
    for (metric, arm), cs in pairs.items():
        d, r = cs["difference"], cs.get("relative")
        row: dict[str, Any] = {
            "metric": metric, "arm": arm, "control": d.control,
            "n_control": int(d.n_control), "n_arm": int(d.n_arm),
            "control_value": d.control_value, "arm_value": d.arm_value,
            "difference": d.effect, "difference_ci_low": d.ci_low,
            "difference_ci_high": d.ci_high,
            "relative_lift": r.effect if r else math.nan,
            "relative_lift_ci_low": r.ci_low if r else math.nan,
            "relative_lift_ci_high": r.ci_high if r else math.nan,
            "pvalue": d.pvalue, "pvalue_adjusted": d.pvalue_adjusted,
            "significant": d.significant(), "method": d.method,
            "relative_method": r.method if r else None,
        }
        if "variance_reduction" in d.details:
            vr = float(d.details["variance_reduction"])
            factor = 1 / (1 - vr) if vr < 1 else math.inf
            row.update(variance_reduction=vr, effective_sample_size_factor=factor,
                       effective_n=(d.n_control + d.n_arm) * factor,
                       unadjusted_difference=d.details.get("unadjusted_effect", math.nan))
        rows.append(row)
        what = ("rate" if d.method.split(";")[0] in PROPORTION_TESTS
                else "ratio" if "ratio" in d.method else "mean")
        if r is not None and not np.isfinite(r.effect):
            notes.append(
                f"relative lift of {metric!r} for arm {arm!r} is undefined: the control "
                f"{d.control!r} has {what} {d.control_value:g} (a lift divides by it); only "
                "the absolute difference is reported."
            )
        elif r is not None and d.control_value < 0:
            notes.append(
                f"relative lift of {metric!r} for arm {arm!r} divides by a negative control "
                f"{what} ({d.control_value:g}): its sign does not say which arm is higher; "
                "read the difference."
            )
        elif r is not None and (np.isnan(r.ci_low) or np.isnan(r.ci_high)):
            notes.append(
                f"interval of the relative lift of {metric!r} for arm {arm!r} is undefined "
                f"({r.method} needs positive values in both arms; control {d.control_value:g},"
                f" arm {d.arm_value:g}); use the interval of the difference."
            )
    return rows, notes


def _run_abtest(args: argparse.Namespace) -> int:
    from cjmodels.experiments.analysis import analyze
    from cjmodels.experiments.continuous import with_missing_indicator

    alpha = in_unit("--alpha", args.alpha)
    threshold = in_unit("--srm-threshold", args.srm_threshold)
    # the arm column as written: 01 stays 01, and 1 and 1.0 are not one number
    df = read_table(args, what="experiment table or event log", text=[args.variant])
    if len(df.columns) == 0 or len(df) == 0:
        raise ValidationError(
            f"file {args.file!r} has a header but no rows: there are no customers to analyse."
        )
    kind = args.input
    if kind == "auto":
        assignment = {"assignment", *(k for k, v in (parse_event_map(args.event_map) or {}).items()
                                      if v == "assignment")}
        kind = "events" if args.event in df.columns and df[args.event].isin(assignment).any() \
            else "table"
    where = f"{args.file}"
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        if kind == "events":
            from cjmodels.data import experiment_table

            if args.variant not in df.columns:
                raise ValidationError(
                    f"--variant {args.variant!r} is not a column of {where}; its "
                    f"columns are {[str(c) for c in df.columns]}."
                )
            table = experiment_table(events(args, df, log_options(args)), variant=args.variant)
            variant = "variant"
            where = f"the experiment table built from {args.file}"
        else:
            table, variant = df, args.variant
        if len(table) == 0:
            raise ValidationError(f"{where} has no customers to analyse.")
        arms = _check_arms(table, variant, where)
        metrics = list(dict.fromkeys(args.metrics or ["converted"]))
        ratios = _parse_ratios(args.ratios)
        for m in metrics:
            _check_numeric(table, m, "--metrics", where)
        for num, den in ratios.values():
            _check_numeric(table, num, "--ratios", where)
            _check_numeric(table, den, "--ratios", where)
        covs = list(args.covariates or [])
        for c in covs:
            if c not in table.columns or not args.missing_indicator:
                _check_numeric(table, c, "--covariates", where)
        if args.missing_indicator:
            for c in list(covs):
                table = with_missing_indicator(table, c)
                covs.append(f"{c}_missing")
        # labels are kept exactly: compare them as the text they are in the file
        table = table.assign(**{variant: table[variant].astype(str)})
        if args.group is not None:
            _check_segments(table, args.group, variant, arms, where)
        control = args.control if args.control is not None else (
            "control" if "control" in arms else arms[0])
        if control not in arms:
            raise ValidationError(
                f"--control {control!r} is not an arm of {where}; the arms are {arms}."
            )
        expected = _parse_expected(args.expected)
        if expected is not None:
            absent = [a for a in expected if a not in arms]
            if absent:
                raise ValidationError(
                    f"--expected names arms {absent} that have 0 customers in {where} (its arms"
                    f" are {arms}); an arm without customers cannot be analysed: check the "
                    "assignment, or leave the arm out of --expected."
                )
            unlisted = [a for a in arms if a not in expected]
            if unlisted:
                raise ValidationError(
                    f"--expected gives no share for arms {unlisted} of {where}; give one "
                    "share per arm."
                )
        result = analyze(
            table, control=control, metrics=metrics, ratios=ratios, variant=variant,
            expected=expected, covariates=covs, group=args.group,
            correction=args.correction, srm_threshold=threshold, alpha=alpha,
            alternative=args.alternative, test=args.test,
        )
        arm_rows = _arm_table(table, variant, arms, metrics, ratios, alpha)
    caught = [str(w.message) for w in rec if "SAMPLE RATIO MISMATCH" not in str(w.message)]
    effects, undefined = _effect_rows(result)
    srm = result.srm
    mismatch = result.srm_mismatch
    trust = ("NOT TRUSTWORTHY: sample ratio mismatch (SRM p = "
             f"{srm.pvalue:.3g} < {srm.info['threshold']:g}); the arms' sizes differ from the "
             "intended allocation, so the effects below are biased until the cause is found."
             if mismatch else None)
    notes = [n for n in result.tests.notes if n != srm.info["message"]] + undefined
    cuped = covs and any("variance_reduction" in r for r in effects)
    if args.format == "json":
        payload = {
            "file": args.file, "input": kind, "control": control,
            "trustworthy": not mismatch, "srm_mismatch": bool(mismatch),
            "verdict": trust or "sample ratio ok",
            "srm": srm.to_dict(), "alpha": alpha, "alternative": args.alternative,
            "correction": args.correction, "covariates": covs,
            "arms": arm_rows, "effects": effects,
            "comparisons": [c.to_dict() for c in result.comparisons],
            "notes": notes, "warnings": caught,
        }
        print(dump(payload))
    else:
        print(_abtest_text(args, kind, control, srm, trust, arm_rows, effects, notes, caught,
                           alpha, bool(cuped), covs))
    return 1 if (mismatch and args.fail_on_srm) else 0


def _abtest_text(args, kind, control, srm, trust, arm_rows, effects, notes, caught, alpha,
                 cuped, covs) -> str:
    level = f"{1 - alpha:.0%}"
    lines = []
    if trust:
        lines += ["!" * 78, f"RESULTS {trust}", "!" * 78]
    lines += [srm.info["message"], "",
              f"{args.file} ({'event log' if kind == 'events' else 'per-customer table'}); "
              f"control: {control!r}", "", f"per arm (unadjusted, {level} intervals):"]
    arm_df = pd.DataFrame([{
        "arm": r["arm"], "metric": r["metric"], "n": r["n"],
        "value": f"{r['statistic']} {number(r['value'])}",
        f"{level} CI": f"[{number(r['ci_low'])}, {number(r['ci_high'])}] ({r['ci_method']})",
    } for r in arm_rows])
    lines.append(arm_df.to_string(index=False))
    lines += ["", f"against the control {control!r} ({level} intervals; p adjusted by "
              f"{args.correction}{'; CUPED-adjusted values' if cuped else ''}):"]
    eff_df = pd.DataFrame([{
        "metric": e["metric"], "arm": e["arm"],
        "control -> arm": f"{number(e['control_value'])} -> {number(e['arm_value'])}",
        "difference [CI]": f"{number(e['difference'])} [{number(e['difference_ci_low'])}, "
                           f"{number(e['difference_ci_high'])}]",
        "relative lift [CI]": f"{percent(e['relative_lift'])} [{percent(e['relative_lift_ci_low'])}, "
                              f"{percent(e['relative_lift_ci_high'])}]",
        "p": number(e["pvalue"]), "p adjusted": number(e["pvalue_adjusted"]),
        "method": e["method"],
    } for e in effects])
    lines.append(eff_df.to_string(index=False))
    if cuped:
        lines += ["", f"CUPED with {covs}: variance of the effect, 1 - Var(adjusted)/Var(raw):"]
        for e in effects:
            if "variance_reduction" in e:
                lines.append(
                    f"  {e['metric']} {e['arm']}: variance reduced by "
                    f"{e['variance_reduction']:.2%} (raw difference "
                    f"{number(e['unadjusted_difference'])}); as precise as "
                    f"{number(e['effective_sample_size_factor'])}x the customers "
                    f"({e['n_control'] + e['n_arm']:,} -> {e['effective_n']:,.0f})"
                )
    lines += [""] + [f"note: {n}" for n in notes]
    lines += [f"warning: {w}" for w in caught]
    if trust:
        lines += ["", f"RESULTS {trust}"]
    return "\n".join(lines).rstrip("\n")


