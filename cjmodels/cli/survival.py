"""``cjmodels survival EVENTS``: time to purchase, purchase versus drop-out, churn."""

from __future__ import annotations

import argparse
import warnings
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.cli._options import add_event_log, add_format, emit, read_log
from cjmodels.errors import ValidationError


def add_parser(subparsers: Any) -> None:
    """Add the ``survival`` subcommand."""
    p = subparsers.add_parser(
        "survival",
        help="median time to purchase, purchase vs drop-out incidence, churn",
        description=(
            "Time to first purchase from the first touch (Kaplan-Meier median with interval), "
            "the cumulative incidence of purchase and of drop-out at chosen horizons "
            "(Aalen-Johansen), and subscription churn (Kaplan-Meier) when the log has "
            "subscribe/churn events."
        ),
    )
    add_event_log(p, "event log (CSV, CSV.GZ or Parquet)")
    p.add_argument("--unit", default="D", help="time unit of durations (pandas: D, h, W)")
    p.add_argument("--horizons", default="7,30,90",
                   help="comma-separated horizons in --unit (default 7,30,90)")
    p.add_argument("--alpha", type=float, default=0.05, help="1 - confidence level")
    add_format(p)


def _horizons(text: str) -> list[float]:
    try:
        out = [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        out = []
    if not out or any(not np.isfinite(h) or h <= 0 for h in out):
        raise ValidationError(f"--horizons {text!r}: give positive numbers separated by commas.")
    return out


def analyse(log: Any, *, unit: str = "D", horizons: list[float], alpha: float = 0.05
            ) -> dict[str, Any]:
    """The numbers the command prints, as a JSON-safe dict."""
    from cjmodels.data import subscription_lifetimes, time_to_first_purchase
    from cjmodels.survival import cumulative_incidence, kaplan_meier

    out: dict[str, Any] = {"unit": unit, "horizons": horizons, "alpha": alpha}
    etypes = set(log.events["event"].unique())
    if "touch" in etypes and "conversion" in etypes:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            d = time_to_first_purchase(log, unit=unit)
        km = kaplan_meier(d, alpha=alpha)
        cause = np.where(d["event"] == 1, "purchase",
                         np.where(d["censor_reason"] == "drop_out", "drop_out", "censored"))
        ci = cumulative_incidence(d.assign(cause=cause), cause="cause", censor_code="censored",
                                  alpha=alpha)
        inc = ci.at(horizons)
        out["time_to_purchase"] = {
            "n_customers": int(len(d)),
            "n_purchases": int(d["event"].sum()),
            "n_drop_outs": int((cause == "drop_out").sum()),
            "median": _median(km),
            "incidence": {c: {str(h): float(v) for h, v in inc[c].items()} for c in ci.causes},
        }
    if "subscribe" in etypes:
        s = subscription_lifetimes(log, unit=unit)
        km = kaplan_meier(s, alpha=alpha)
        at = km.at(horizons)
        out["churn"] = {
            "n_subscriptions": int(len(s)),
            "n_churned": int(s["event"].sum()),
            "median_lifetime": _median(km),
            "retained": {str(h): float(v) for h, v in at["estimate"].items()},
        }
    if len(out) == 3:
        raise ValidationError(
            "the log has neither touches with conversions nor subscribe events; nothing to "
            f"analyse (event types: {sorted(etypes)})."
        )
    return out


def _median(km: Any) -> dict[str, float]:
    m = km.median
    return {"time": m.time, "ci_low": m.ci_low, "ci_high": m.ci_high}


def _t(v: float) -> str:
    return f"{v:.4g}" if np.isfinite(v) else "not reached"


def _text(res: dict[str, Any]) -> str:
    u = res["unit"]
    lines = []
    level = f"{1 - res['alpha']:.0%}"
    if "time_to_purchase" in res:
        t = res["time_to_purchase"]
        m = t["median"]
        lines.append(
            f"time to first purchase ({t['n_customers']} customers, {t['n_purchases']} bought, "
            f"{t['n_drop_outs']} dropped out)"
        )
        lines.append(
            f"  median {_t(m['time'])} {u} ({level} CI {_t(m['ci_low'])} to {_t(m['ci_high'])})"
        )
        inc = pd.DataFrame(t["incidence"])
        inc.index.name = f"horizon ({u})"
        lines.append("  cumulative incidence (Aalen-Johansen):")
        lines += ["    " + x for x in inc.to_string(float_format="{:.3f}".format).splitlines()]
    if "churn" in res:
        c = res["churn"]
        m = c["median_lifetime"]
        lines.append(
            f"subscriptions ({c['n_subscriptions']}, {c['n_churned']} churned): median lifetime "
            f"{_t(m['time'])} {u} ({level} CI {_t(m['ci_low'])} to {_t(m['ci_high'])}); retained " + ", ".join(f"{h} {u}: {v:.3f}" for h, v in c["retained"].items())
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    """Run ``cjmodels survival``."""
    horizons = _horizons(args.horizons)
    log = read_log(args)
    res = analyse(log, unit=args.unit, horizons=horizons, alpha=args.alpha)
    emit(args, res, _text(res))
    return 0
