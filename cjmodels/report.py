"""The main job: an end-to-end analysis of the shipped synthetic data.

``cjmodels demo`` (and ``make demo``) runs every section registered in :data:`SECTIONS` on the
shipped datasets, prints a readable report, and writes figures (PNG) and tables (CSV) to an
output folder. Each capability of the package adds its own section; a section is a function
``section(ctx) -> Section``.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.results import Result, result_dataclass

__all__ = ["SECTIONS", "Context", "Report", "Section", "run_demo"]


@dataclass
class Section:
    """One part of the report: a title, readable lines, numbers, and files written."""

    title: str
    lines: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)

    def table(self, df: pd.DataFrame, float_format: str = "{:.3f}") -> None:
        """Add a DataFrame to the text, indented."""
        text = df.to_string(float_format=lambda v: float_format.format(v))
        self.lines.extend("  " + line for line in text.splitlines())


@result_dataclass
class Report(Result):
    """The demo's result: sections in order, with :meth:`text` and :meth:`to_dict`.

    A :class:`~cjmodels.results.Result`: ``summary()`` lists the sections (title, how many
    numbers and files each recorded), ``to_dict()`` holds each section's numbers and files.

    Attributes
    ----------
    out_dir : str
        The folder the figures, tables and ``report.txt`` / ``report.json`` were written to.
    sections : list of Section
        The sections in the order they ran.

    Examples
    --------
    >>> r = Report("output/demo", [Section("Data", lines=["  4 datasets"], values={"n": 4})])
    >>> r
    Report(out_dir='output/demo', n_sections=1)
    >>> r.summary()
      title  n_values  n_files
    0  Data         1        0
    >>> print(r.text().splitlines()[2])
    1. Data
    """

    out_dir: str
    sections: list[Section]

    def text(self) -> str:
        """The report as plain text."""
        parts = ["cjmodels demo: end-to-end analysis of the shipped synthetic data", ""]
        for i, s in enumerate(self.sections, 1):
            parts += [f"{i}. {s.title}", "-" * (len(s.title) + 3), *s.lines]
            if s.files:
                parts.append("  files: " + ", ".join(s.files))
            parts.append("")
        parts.append(f"figures and tables written to {self.out_dir}/")
        return "\n".join(parts)

    def _repr_fields(self) -> dict[str, Any]:
        return {"out_dir": self.out_dir, "n_sections": len(self.sections)}

    def _summary(self) -> pd.DataFrame:
        rows = [{"title": s.title, "n_values": len(s.values), "n_files": len(s.files)}
                for s in self.sections]
        return pd.DataFrame(rows, columns=["title", "n_values", "n_files"])

    def _to_dict(self) -> dict[str, Any]:
        return {
            "out_dir": self.out_dir,
            "sections": [
                {"title": s.title, "values": s.values, "files": s.files}
                for s in self.sections
            ],
        }


class Context:
    """Shared state of a demo run: the output folder and lazily loaded datasets."""

    def __init__(self, out_dir: str | Path) -> None:
        self.out = Path(out_dir)
        self.out.mkdir(parents=True, exist_ok=True)

    def dataset(self, name: str):
        from cjmodels import datasets

        cache = self.__dict__.setdefault("_datasets", {})
        if name not in cache:
            cache[name] = datasets.load(name)
        return cache[name]

    def log(self, name: str):
        cache = self.__dict__.setdefault("_logs", {})
        if name not in cache:
            cache[name] = self.dataset(name).event_log()
        return cache[name]

    @cached_property
    def plt(self):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        return plt

    def save(self, fig, name: str, section: Section) -> None:
        path = self.out / name
        fig.savefig(path, dpi=110, bbox_inches="tight")
        self.plt.close(fig)
        section.files.append(str(path))

    def write_csv(self, df: pd.DataFrame, name: str, section: Section) -> None:
        path = self.out / name
        df.to_csv(path, index=True)
        section.files.append(str(path))


# ---------------------------------------------------------------------------- sections
def section_data(ctx: Context) -> Section:
    from cjmodels.datasets import list_datasets

    s = Section("Shipped data: four synthetic worlds, validated as event logs")
    rows = []
    for name in list_datasets():
        log = ctx.log(name)
        rep = log.report()
        rows.append(
            {
                "dataset": name,
                "events": rep["n_events"],
                "customers": rep["n_customers"],
                "from": str(log.observation_start)[:10],
                "to": str(log.observation_end)[:10],
                "event types": ", ".join(f"{k} {v}" for k, v in rep["events"].items()),
            }
        )
    df = pd.DataFrame(rows).set_index("dataset")
    s.table(df)
    s.values = df.to_dict(orient="index")
    return s


def section_journeys(ctx: Context) -> Section:
    from cjmodels.data import journeys, path_table

    s = Section("Journeys and paths (journeys dataset)")
    log = ctx.log("journeys")
    j = journeys(log)
    outcomes = j["outcome"].value_counts().reindex(["conversion", "drop_out", "censored"])
    s.lines.append(
        f"  {len(j)} journeys of {log.n_customers} customers: "
        + ", ".join(f"{k} {v}" for k, v in outcomes.items())
    )
    jt = journeys(log, timeout="30D")
    out_t = jt["outcome"].value_counts().reindex(["conversion", "drop_out", "censored"])
    s.lines.append(
        "  the log has no drop-out rows, so every open journey is censored; calling a journey "
        "dropped out after 30 quiet days (timeout='30D') gives "
        + ", ".join(f"{k} {v}" for k, v in out_t.items())
    )
    conv = j["outcome"] == "conversion"
    s.lines.append(
        f"  conversion rate per journey {conv.mean():.3f}; touches per journey: median "
        f"{j['n_touches'].median():.0f}, mean {j['n_touches'].mean():.2f}; revenue "
        f"{j['value'].sum():,.0f}"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pt = path_table(log)
    s.lines.append(f"  {pt!r}")
    top = pt.table.assign(journeys=pt.table["total_conversions"] + pt.table["total_null"])
    top = top.sort_values(["total_conversions", "journeys"], ascending=False).head(8)
    s.lines.append("  most converting paths:")
    s.table(top.set_index("path")[["journeys", "total_conversions", "total_conversion_value"]])
    ctx.write_csv(pt.table.set_index("path"), "path_table.csv", s)
    summ = pt.summary()
    first_share = summ["first_touch_share"].sort_values(ascending=False)
    s.values = {
        "n_journeys": len(j),
        "outcomes": outcomes.to_dict(),
        "outcomes_timeout_30d": out_t.to_dict(),
        "conversion_rate": float(conv.mean()),
        "n_paths": len(pt.table),
        "first_touch_share": first_share.to_dict(),
    }
    truth = ctx.dataset("journeys").truth
    cal = truth.get("calibration")
    if isinstance(cal, dict) and cal:
        s.lines.append("  calibration targets (practitioner claims, not facts) vs this data:")
        for k, v in cal.items():
            if isinstance(v, dict) and {"target", "model", "realised"} <= set(v):
                s.lines.append(
                    f"    {k:<28} target {v['target']:.3f}  model {v['model']:.3f}  "
                    f"realised {v['realised']:.3f} (n={v.get('n', '?')})"
                )
        s.values["calibration"] = cal
    plt = ctx.plt
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
    lengths = j["n_touches"].clip(upper=15)
    bins = np.arange(0, 17) - 0.5
    axes[0].hist(
        [lengths[conv], lengths[~conv]], bins=bins, stacked=True, label=["converted", "not"]
    )
    axes[0].set(xlabel="touches per journey (15 = 15+)", ylabel="journeys", title="Path length")
    axes[0].legend(loc="upper right")
    pt.plot(ax=axes[1], top=10)
    ctx.save(fig, "journeys.png", s)
    return s


def _km(durations: pd.DataFrame, label: str):
    from lifelines import KaplanMeierFitter

    km = KaplanMeierFitter(label=label)
    km.fit(durations["duration"], durations["event"])
    return km


def section_time_to_purchase(ctx: Context) -> Section:
    from cjmodels.data import time_to_first_purchase

    s = Section("Time to first purchase (journeys dataset, Kaplan-Meier via lifelines)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        d = time_to_first_purchase(ctx.log("journeys"), unit="D")
    km = _km(d, "all customers")
    bought = d["event"].mean()
    med = km.median_survival_time_
    s.lines.append(
        f"  {len(d)} customers, {int(d['event'].sum())} bought ({bought:.1%}); the rest are "
        "censored at the end of observation"
    )
    s.lines.append(
        "  median time to first purchase: "
        + (f"{med:.1f} days" if np.isfinite(med) else "not reached (under half ever buy)")
    )
    grid = [7, 14, 30, 60, 90]
    surv = km.survival_function_at_times(grid)
    s.lines.append(
        "  share bought by day "
        + ", ".join(f"{t}: {1 - v:.3f}" for t, v in zip(grid, surv, strict=True))
    )
    s.values = {
        "n_customers": len(d),
        "share_bought": float(bought),
        "median_days": float(med),
        "cumulative_purchase": {str(t): float(1 - v) for t, v in zip(grid, surv, strict=True)},
    }
    plt = ctx.plt
    fig, ax = plt.subplots(figsize=(6.5, 4))
    by = d["first_channel"].value_counts().index[:4]
    for ch in by:
        sub = d[d["first_channel"] == ch]
        k = _km(sub, f"first touch {ch}")
        ax.step(k.timeline, 1 - k.survival_function_.iloc[:, 0], where="post", label=k._label)
    ax.set(
        xlabel="days since first touch",
        ylabel="share who bought",
        title="Cumulative first purchase by first channel",
    )
    ax.legend(fontsize=8)
    ctx.save(fig, "time_to_purchase.png", s)
    return s


def section_customer_base(ctx: Context) -> Section:
    from cjmodels.data import rfm_summary

    s = Section("Repeat buying (transactions dataset): the RFM table of Fader and Hardie")
    log = ctx.log("transactions")
    rfm = rfm_summary(log, unit="W", period="D")
    desc = rfm[["frequency", "recency", "T", "monetary_value"]].describe().T
    s.table(desc[["mean", "std", "min", "50%", "max"]], float_format="{:.2f}")
    zero = (rfm["frequency"] == 0).mean()
    s.lines.append(
        f"  {len(rfm)} customers; {zero:.1%} made no repeat purchase; times in weeks, "
        "same-day purchases counted once"
    )
    s.values = {
        "n_customers": len(rfm),
        "share_no_repeat": float(zero),
        "mean_frequency": float(rfm["frequency"].mean()),
    }
    ctx.write_csv(rfm.set_index("customer_id"), "rfm.csv", s)
    plt = ctx.plt
    fig, ax = plt.subplots(figsize=(6, 3.6))
    counts = rfm["frequency"].clip(upper=10).value_counts().sort_index()
    ax.bar(counts.index, counts.to_numpy())
    ax.set(
        xlabel="repeat purchases (10 = 10+)",
        ylabel="customers",
        title="Frequency of repeat purchase",
    )
    ctx.save(fig, "rfm_frequency.png", s)
    return s


def section_subscriptions(ctx: Context) -> Section:
    from cjmodels.data import subscription_lifetimes

    s = Section("Subscription lifetimes (subscriptions dataset, Kaplan-Meier by plan)")
    log = ctx.log("subscriptions")
    group = "plan" if "plan" in log.covariates else None
    d = subscription_lifetimes(log, unit="D", covariates=[group] if group else None)
    s.lines.append(
        f"  {len(d)} subscriptions, {int(d['event'].sum())} churned, "
        f"{int((1 - d['event']).sum())} still active at the end (censored)"
    )
    plt = ctx.plt
    fig, ax = plt.subplots(figsize=(6.5, 4))
    rows = {}
    for name, sub in d.groupby(group, observed=True) if group else [("all", d)]:
        km = _km(sub, str(name))
        km.plot_survival_function(ax=ax, ci_show=True)
        rows[str(name)] = {
            "subscriptions": len(sub),
            "median_days": float(km.median_survival_time_),
            "retained_365d": float(km.survival_function_at_times(365).iloc[0]),
        }
    tab = pd.DataFrame(rows).T.astype({"subscriptions": int})
    s.table(tab, float_format="{:.3f}")
    s.values = rows
    ax.set(xlabel="days since subscribing", ylabel="still subscribed", title="Retention")
    ctx.save(fig, "subscriptions_km.png", s)
    return s


def section_experiment(ctx: Context) -> Section:
    from cjmodels.data.experiments import experiment_table

    s = Section("Experiment (experiment dataset): per-arm outcomes and the truth")
    ds = ctx.dataset("experiment")
    tab = experiment_table(ctx.log("experiment"), variant="variant")
    g = tab.groupby("variant", sort=True)
    arms = pd.DataFrame(
        {
            "customers": g.size(),
            "conversion_rate": g["converted"].mean(),
            "revenue_per_customer": g["value"].mean(),
            "with_pre_period": g["has_pre"].mean(),
        }
    )
    truth = ds.truth
    arms["true_conversion_rate"] = [
        truth["arms"][a]["observed"]["conversion_rate"] for a in arms.index
    ]
    arms["true_revenue_per_customer"] = [
        truth["arms"][a]["observed"]["revenue_per_customer"] for a in arms.index
    ]
    s.table(arms, float_format="{:.4f}")
    s.lines.append(
        "  (true values are on the observed scale: conversions after the end of the test are "
        "not seen)"
    )
    s.values = {"arms": arms.to_dict(orient="index")}
    ctx.write_csv(arms, "experiment_arms.csv", s)
    return s


def _capability_sections() -> list[Callable[[Context], Section]]:
    """``section`` of each capability subpackage that has a ``_report`` module (or its
    ``sections``, a tuple of such functions, when it has several)."""
    import importlib
    import importlib.util

    from cjmodels.cli import CAPABILITIES

    out = []
    for name in CAPABILITIES:
        if importlib.util.find_spec(f"cjmodels.{name}") is None:
            continue
        if importlib.util.find_spec(f"cjmodels.{name}._report") is not None:
            mod = importlib.import_module(f"cjmodels.{name}._report")
            out.extend(getattr(mod, "sections", (mod.section,)))
    return out


#: The report's sections, in order: the data layer's, then each capability's own.
SECTIONS: list[Callable[[Context], Section]] = [
    section_data,
    section_journeys,
    section_time_to_purchase,
    section_customer_base,
    section_subscriptions,
    section_experiment,
    *_capability_sections(),
]


def run_demo(out_dir: str | Path = "output/demo") -> Report:
    """Run every section on the shipped data; write figures and tables to ``out_dir``.

    Examples
    --------
    >>> import tempfile
    >>> report = run_demo(tempfile.mkdtemp())  # doctest: +SKIP
    >>> print(report.text())  # doctest: +SKIP
    """
    ctx = Context(out_dir)
    sections = [fn(ctx) for fn in SECTIONS]
    report = Report(str(ctx.out), sections)
    (ctx.out / "report.txt").write_text(report.text() + "\n")
    (ctx.out / "report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    return report
