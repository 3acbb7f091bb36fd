"""``cjmodels power``: plan an A/B test from the command line.

``power`` plans a test: customers per arm (rounded up), the power at a given size, or the
minimum detectable effect, for conversion rates (``--baseline``) or means (``--sd``), with the
functions of :mod:`cjmodels.experiments.power`.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

from cjmodels.cli._options import add_format, dump, in_unit, number, percent
from cjmodels.errors import ValidationError


def add_parser(subparsers: Any) -> None:
    """Add the ``power`` subcommand."""
    p = subparsers.add_parser(
        "power", help="sample size per arm, power or minimum detectable effect of an A/B test",
        description="Plan a test of conversion rates (--baseline) or of means (--sd). Give "
        "--mde to get the customers per arm (rounded up); --mde and --n-control to get the "
        "power; --n-control alone to get the minimum detectable effect. Two-proportion z-test "
        "(Fleiss, as R power.prop.test) or difference in means (normal approximation); with --n-arms K each "
        "of the K-1 comparisons runs at alpha/(K-1) (Bonferroni).",
    )
    p.add_argument("--baseline", type=float, default=None,
                   help="control conversion rate (proportions), or control mean (means; "
                   "needed only with --relative)")
    p.add_argument("--sd", type=float, default=None,
                   help="standard deviation per customer: plan a test of means")
    p.add_argument("--mde", type=float, default=None,
                   help="effect to detect: absolute, or relative to --baseline with --relative")
    p.add_argument("--relative", action="store_true", help="--mde is relative (0.1 = +10%%)")
    p.add_argument("--n-control", type=float, default=None,
                   help="customers in the control arm (the others get --ratio times as many)")
    p.add_argument("--alpha", type=float, default=0.05)
    p.add_argument("--power", type=float, default=None, help="target power (default 0.8)")
    p.add_argument("--ratio", type=float, default=1.0, help="customers per arm / control")
    p.add_argument("--alternative", default="two-sided",
                   choices=("two-sided", "greater", "less"))
    p.add_argument("--n-arms", type=int, default=2, help="arms including the control")
    p.add_argument("--correction", default="bonferroni", choices=("bonferroni", "none"),
                   help="alpha split over the K-1 comparisons with --n-arms K (default)")
    p.add_argument("--variance", default="pooled", choices=("pooled", "unpooled", "control"),
                   help="proportions: the variance the test will use (pooled = z-pooled test)")
    p.add_argument("--variance-reduction", type=float, default=0.0,
                   help="means: share of the variance CUPED is expected to remove (rho^2)")
    add_format(p)



def run(args: argparse.Namespace) -> int:
    """Run ``cjmodels power``; prints the plan."""
    return _run_power(args)


def _ceil(n: float) -> int:
    """Round a sample size up; a relative 1e-12 absorbs the formula's floating-point error so
    that an exact 3000 is not planned as 3001."""
    return int(math.ceil(n * (1 - 1e-12)))


def _run_power(args: argparse.Namespace) -> int:
    from cjmodels.experiments import power as pw

    alpha = in_unit("--alpha", args.alpha)
    target = 0.8 if args.power is None else in_unit("--power", args.power)
    if not (math.isfinite(args.ratio) and args.ratio > 0):
        raise ValidationError(f"--ratio {args.ratio:g}: must be > 0 (customers per arm / "
                              "control).")
    if args.n_arms < 2:
        raise ValidationError(f"--n-arms {args.n_arms}: an A/B test has at least 2 arms.")
    if args.n_control is not None and not (math.isfinite(args.n_control) and args.n_control > 1):
        raise ValidationError(f"--n-control {args.n_control:g}: give the customers in the "
                              "control arm (> 1).")
    if args.mde is not None and not (math.isfinite(args.mde) and args.mde != 0):
        raise ValidationError(f"--mde {args.mde:g}: must be a non-zero number.")
    if args.mde is None and args.n_control is None:
        raise ValidationError("give --mde (to solve for the customers per arm, or with "
                              "--n-control for the power) or --n-control (to solve for the "
                              "minimum detectable effect).")
    if args.mde is not None and args.n_control is not None and args.power is not None:
        raise ValidationError("--power is what is computed from --mde and --n-control; drop "
                              "--power, --n-control or --mde.")
    means = args.sd is not None
    if means and not (math.isfinite(args.sd) and args.sd > 0):
        raise ValidationError(f"--sd {args.sd:g}: must be > 0.")
    if not means:
        if args.baseline is None:
            raise ValidationError("give --baseline (the control conversion rate) for a test of "
                                  "proportions, or --sd for a test of means.")
        if not 0 < args.baseline < 1:
            raise ValidationError(f"--baseline {args.baseline:g}: a conversion rate must lie "
                                  "strictly between 0 and 1 (use --sd for means).")
        if args.variance_reduction:
            raise ValidationError("--variance-reduction applies to means (--sd); drop it.")
    elif args.relative and (args.baseline is None or args.baseline == 0):
        raise ValidationError("--relative with --sd needs --baseline, the non-zero control "
                              "mean the relative --mde applies to.")
    if means and args.variance != "pooled":
        raise ValidationError("--variance applies to proportions; drop it with --sd.")
    if not 0 <= args.variance_reduction < 1:
        raise ValidationError(f"--variance-reduction {args.variance_reduction:g}: must lie in "
                              "[0, 1).")
    common = dict(alpha=alpha, alternative=args.alternative, ratio=float(args.ratio),
                  n_arms=int(args.n_arms),
                  correction=None if args.correction == "none" else "bonferroni")
    mde_abs = None
    if args.mde is not None:
        mde_abs = args.mde * args.baseline if args.relative else args.mde
    solve = "n" if args.n_control is None else ("power" if args.mde is not None else "mde")
    if means:
        extra = dict(variance_reduction=float(args.variance_reduction))
        if solve == "n":
            res = pw.sample_size_means(args.sd, mde_abs, power=target, **extra, **common)
        elif solve == "power":
            res = pw.power_means(args.sd, mde_abs, args.n_control, **extra, **common)
        else:
            res = pw.mde_means(args.sd, args.n_control, power=target, **extra, **common)
    else:
        extra = dict(variance=args.variance)
        if solve == "n":
            res = pw.sample_size_proportions(args.baseline, mde=args.mde, relative=args.relative,
                                             power=target, **extra, **common)
        elif solve == "power":
            res = pw.power_proportions(args.baseline, args.baseline + mde_abs, args.n_control, **extra,
                                       **common)
        else:
            res = pw.mde_proportions(args.baseline, args.n_control, power=target, **extra, **common,
                                     direction="decrease" if args.alternative == "less"
                                     else "increase")
    n_control = _ceil(res.n_control) if solve == "n" else res.n_control
    n_arm = _ceil(res.n_arm) if solve == "n" else res.n_arm
    effect = float(res.effect)
    baseline = args.baseline
    relative = effect / baseline if baseline else math.nan
    achieved = res.power
    if solve == "n":  # the power of the rounded-up plan (never below the target)
        kw = dict(common, ratio=n_arm / n_control)
        achieved = (pw.power_means(args.sd, effect, n_control, **extra, **kw) if means else
                    pw.power_proportions(args.baseline, args.baseline + effect, n_control,
                                         **extra, **kw)).power
    payload = {
        "metric": "means" if means else "proportions", "solve_for": solve,
        "baseline": baseline, "sd": args.sd,
        "mde": effect, "mde_relative": relative,
        "n_control": n_control, "n_arm": n_arm, "n_total": n_control + (args.n_arms - 1) * n_arm,
        "n_control_exact": res.n_control, "n_arm_exact": res.n_arm,
        "power": res.power, "achieved_power": achieved,
        "alpha": alpha, "alpha_per_comparison": res.alpha_per_comparison,
        "alternative": args.alternative, "arms": args.n_arms, "ratio": float(args.ratio),
        "correction": args.correction, "method": res.method,
        "variance_reduction": args.variance_reduction if means else None,
        "direction": "decrease" if effect < 0 else "increase",
    }
    if args.format == "json":
        print(dump(payload))
        return 0
    lines = [f"power analysis: {res.method}; alpha {alpha:g} {args.alternative}"
             + (f" ({args.correction} over {args.n_arms - 1} comparisons: "
                f"{res.alpha_per_comparison:.4g} each)" if args.n_arms > 2 else "")]
    base = (f"baseline {'rate' if not means else 'mean'} {number(baseline)}; "
            if baseline is not None else "")
    if means:
        base += f"sd {number(args.sd)}; "
        if args.variance_reduction:
            base += f"CUPED variance reduction {args.variance_reduction:g}; "
    lines.append(base + f"effect {number(effect)}"
                 + (f" ({percent(relative)} relative)" if np.isfinite(relative) else ""))
    if solve == "n":
        lines += [
            f"customers needed for power {target:g}: {n_control:,} in control, {n_arm:,} in "
            f"each of {args.n_arms - 1} other arm(s); {payload['n_total']:,} in total",
            f"  (exact {res.n_control:,.2f} per control arm, rounded up; power of the rounded "
            f"plan {achieved:.4f})",
        ]
    elif solve == "power":
        lines.append(f"power with {n_control:,.0f} in control and {n_arm:,.0f} per other arm: "
                     f"{res.power:.4f}")
    else:
        lines.append(f"minimum detectable effect at power {target:g} with {n_control:,.0f} in "
                     f"control: {number(effect)}"
                     + (f" ({percent(relative)} relative)" if np.isfinite(relative) else "")
                     + ("" if means else f" (the rate's {payload['direction']})"))
    print("\n".join(lines))
    return 0
