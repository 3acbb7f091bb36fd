"""Scaling curves: time and peak memory versus the number of events, each point in a fresh process.

Usage::

    python benchmarks/bench_scaling.py --mode quick          # 100k, 300k, 1M journeys
    python benchmarks/bench_scaling.py --mode full           # 1M, 5M, 20M journeys
    python benchmarks/bench_scaling.py --sizes 200000,1000000 --only numpy,duckdb_parquet

Each point (one curve at one size) runs in its own Python process, which builds its data
(untimed), runs the step ``--repeat`` times and reports the median and IQR of the wall time and
its own peak resident memory (``VmHWM``, so the data it holds is included; the resident memory
just before the timed step is recorded too). Journeys are drawn by the vectorised generator of
``bench_out_of_core.py`` (one journey per customer, about 5 events each). The curves:

- statistics backends, path table and order-1 transition counts from the raw event frame:
  ``numpy`` (``cjmodels.data.path_table`` / ``transition_counts`` in memory), ``pandas`` (a
  plain pandas reference: sort, groupby-join of the channel strings, groupby-count),
  ``duckdb_parquet`` (``path_table(scan(file))``: the engine reads the Parquet file),
  ``duckdb_relation`` (the same over a DuckDB table already loaded), ``spark`` (only when
  ``cjmodels.data.spark`` exists and pyspark imports) and ``bandwidth`` (a numpy sum over an
  array as large as the event columns: the memory-bandwidth bound);
- main models: ``markov_attribution`` (exact order-1 removal effects end to end from the event
  frame), ``chain_fit`` (``fit_chain`` on a stage log of as many events), ``bgnbd`` (BG/NBD fit
  on as many customers as journeys), ``experiment`` (``analyze`` with CUPED on as many rows).

A straight line fitted to log(time) against log(events) gives each curve's slope (1 = linear;
fixed costs make small sizes look flatter). Results: ``benchmarks/results/scaling_<mode>.json``
and the log-log plot ``scaling_<mode>.png`` / ``.pdf``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
from bench_out_of_core import CHANNELS, chunk_events

BACKENDS = ("bandwidth", "numpy", "pandas", "duckdb_parquet", "duckdb_relation", "spark")
MODELS = ("transitions_numpy", "markov_attribution", "chain_fit", "bgnbd", "experiment")
CURVES = BACKENDS + MODELS
SIZES = {"quick": [100_000, 300_000, 1_000_000], "full": [1_000_000, 5_000_000, 20_000_000]}
EVENTS_PER_JOURNEY = 5.0  # of the generator (1 + Poisson(3.8) touches, ~20% convert)
# the pandas reference is 10-20x slower and string-heavy: it is skipped above this many journeys
PANDAS_MAX_JOURNEYS = 5_000_000


def event_frame(journeys: int, seed: int = 0):
    """The journey log as a pandas frame (categorical event and channel columns)."""
    import pandas as pd

    c = chunk_events(journeys, 0, np.random.default_rng(seed))
    return pd.DataFrame({
        "customer_id": c["customer_id"],
        "timestamp": c["timestamp"],
        "event": pd.Categorical.from_codes(c["event_is_conversion"].astype(np.int8),
                                           ["touch", "conversion"]),
        "channel": pd.Categorical.from_codes(c["channel_code"], CHANNELS.tolist()),
        "value": c["value"],
    })


def pandas_path_table(df):
    """A plain-pandas reference path table (journeys end at a conversion; the rest are null)."""
    import pandas as pd

    d = df.sort_values(["customer_id", "timestamp"], kind="stable")
    conv = d["event"].eq("conversion").to_numpy()
    cust = d["customer_id"].to_numpy()
    new = np.r_[True, (cust[1:] != cust[:-1]) | conv[:-1]]
    jid = np.cumsum(new)
    touch = ~conv
    paths = (d.loc[touch, "channel"].astype(str).groupby(jid[touch], sort=False)
             .agg(" > ".join))
    j = pd.DataFrame({"conv": pd.Series(conv).groupby(jid).any(),
                      "value": pd.Series(np.where(conv, d["value"], 0.0)).groupby(jid).sum()})
    j["path"] = paths
    j = j.dropna(subset=["path"])
    out = j.groupby("path", sort=True).agg(total_conversions=("conv", "sum"),
                                           journeys=("conv", "size"),
                                           total_conversion_value=("value", "sum"))
    out["total_null"] = out.pop("journeys") - out["total_conversions"]
    return out.reset_index()


def _point(curve: str, journeys: int, repeat: int, seed: int = 0) -> dict:
    """Build the data for one point (untimed), time the step, report time and memory."""
    import pandas as pd

    from cjmodels.data import path_table, transition_counts

    info: dict = {"curve": curve, "journeys": journeys,
                  "data_layer_digest": _common.source_digest()}
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    if curve in BACKENDS + ("transitions_numpy", "markov_attribution"):
        df = event_frame(journeys, seed)
        info["events"] = len(df)
        info["event_columns_mib"] = round(df.memory_usage(deep=True).sum() / 2**20, 1)
    if curve == "bandwidth":
        # an array as large as the event columns (8+8+1+1+8 bytes per event, numpy dtypes)
        n = int(np.ceil(df[["customer_id", "timestamp", "event", "channel", "value"]]
                        .memory_usage(index=False).sum() / 8))
        arr = np.ones(n)
        del df
        step = arr.sum
        info["array_mib"] = round(arr.nbytes / 2**20, 1)
    elif curve == "numpy":
        def step():
            pt = path_table(df)
            return pt, transition_counts(pt, order=1)
    elif curve == "transitions_numpy":
        def step():
            return transition_counts(df, order=1)
    elif curve == "pandas":
        def step():
            return pandas_path_table(df)
    elif curve in ("duckdb_parquet", "duckdb_relation"):
        import duckdb

        from cjmodels.data.sql import scan

        tmp = tempfile.mkdtemp(prefix="cjscale_")
        pq = os.path.join(tmp, "events.parquet")
        df.to_parquet(pq, index=False)
        del df
        con = duckdb.connect(config={"threads": os.cpu_count() or 1})
        if curve == "duckdb_parquet":
            def step():
                pt = path_table(scan(pq, con))
                return pt, transition_counts(pt, order=1)
        else:
            con.execute(f"CREATE TABLE events AS SELECT * FROM read_parquet('{pq}')")
            os.remove(pq)

            def step():
                pt = path_table(con.table("events"))
                return pt, transition_counts(pt, order=1)
        info["duckdb"] = duckdb.__version__
    elif curve == "spark":
        from pyspark.sql import SparkSession

        from cjmodels.data import spark as cjspark

        spark = (SparkSession.builder.master(f"local[{os.cpu_count() or 1}]")
                 .config("spark.ui.enabled", "false")
                 .config("spark.sql.session.timeZone", "UTC")
                 .config("spark.driver.memory", "4g").getOrCreate())
        info["pyspark"] = spark.version
        tmp = tempfile.mkdtemp(prefix="cjscale_")
        pq = os.path.join(tmp, "events.parquet")
        df.to_parquet(pq, index=False)
        del df
        sdf = spark.read.parquet(pq)
        fn = getattr(cjspark, "path_table_spark", None) or path_table

        def step():
            pt = fn(sdf)
            return pt, transition_counts(pt, order=1)
    elif curve == "markov_attribution":
        from cjmodels.attribution import attribute

        def step():
            return attribute(df, order=1, collapse_repeats=True)
    elif curve == "chain_fit":
        from bench_markov import make_log

        from cjmodels.data import EventLog
        from cjmodels.markov import fit_chain

        sdf, _ = make_log(int(journeys * EVENTS_PER_JOURNEY), seed)
        info["events"] = len(sdf)

        def step():
            return fit_chain(EventLog(sdf, scheme="seven"))
    elif curve == "bgnbd":
        from cjmodels.survival import BetaGeoModel
        from cjmodels.synthetic import simulate_transactions

        rfm = simulate_transactions(journeys, random_state=1).customers[
            ["frequency", "recency", "T"]]
        info["customers"] = journeys
        info["events"] = int(journeys * EVENTS_PER_JOURNEY)  # for the common x axis

        def step():
            return BetaGeoModel().fit(rfm)
    elif curve == "experiment":
        from bench_experiments import make_table

        from cjmodels.experiments import analyze

        table = make_table(journeys)
        info["rows"] = journeys
        info["events"] = int(journeys * EVENTS_PER_JOURNEY)

        def step():
            return analyze(table, control="control", metrics=["converted", "revenue"],
                           ratios={"rps": ("revenue", "sessions")}, covariates=["pre_revenue"])
    else:
        raise SystemExit(f"unknown curve {curve!r}")
    info["data_seconds"] = round(time.perf_counter() - t0, 2)
    _ = pd  # imported for the frame builders
    info["rss_mib_before_step"] = _common.rss_mib()
    info["time"], _out = _common.timings(step, repeat)
    if isinstance(_out, tuple) and hasattr(_out[0], "table"):
        info["distinct_paths"] = len(_out[0].table)
    info["peak_rss_mib"] = _common.peak_rss_mib()
    if curve == "spark":  # the JVM is a child process: its memory counts too
        info["peak_rss_mib_python"] = info["peak_rss_mib"]
        info["peak_rss_mib_jvm"] = _common.descendants_peak_rss_mib()
        info["peak_rss_mib"] = round(info["peak_rss_mib"] + info["peak_rss_mib_jvm"], 1)
    info["load_average"] = _common.load_average()
    return info


def spark_available(python: str) -> bool:
    """True when ``cjmodels.data.spark`` exists and pyspark imports in ``python``."""
    res = _common.run_json([python, "-c", "import json, pyspark, cjmodels.data.spark; "
                            "print(json.dumps({'ok': pyspark.__version__}))"], timeout=120)
    return "ok" in res


def slope(points: list[dict], key: str = "median") -> float | None:
    """Least-squares slope of log(time) on log(events) (``key``: "median" wall or
    "cpu_median" process CPU time, which other jobs on a shared machine disturb less)."""
    ok = [p for p in points if "time" in p]
    if len(ok) < 2:
        return None
    x = np.log([p["events"] for p in ok])
    y = np.log([max(p["time"][key], 1e-6) for p in ok])
    return round(float(np.polyfit(x, y, 1)[0]), 3)


def run_curves(curves: list[str], sizes: list[int], repeat: int, python: str,
               spark_python: str | None = None, timeout: float = 3600) -> dict:
    """Every (curve, size) point in a fresh process; returns {curve: {...}}."""
    out: dict = {}
    for curve in curves:
        py = python
        if curve == "spark":
            py = spark_python or python
            if not spark_available(py):
                out[curve] = {"skipped": "cjmodels.data.spark or pyspark not importable in "
                              f"{py}"}
                continue
        pts = []
        for n in sizes:
            if curve == "pandas" and n > PANDAS_MAX_JOURNEYS:
                pts.append({"journeys": n, "skipped": "pandas reference capped at "
                            f"{PANDAS_MAX_JOURNEYS} journeys"})
                continue
            done = [p for p in pts if "peak_rss_mib" in p]
            avail = _common.available_mib()
            if done and avail and curve not in ("duckdb_parquet", "duckdb_relation", "spark"):
                # in-memory curves grow linearly: do not start a point that would not fit
                guess = done[-1]["peak_rss_mib"] * n / done[-1]["journeys"]
                if guess > 0.8 * avail:
                    pts.append({"journeys": n, "skipped": f"predicted peak {guess:,.0f} MiB "
                                f"> 80% of the {avail:,.0f} MiB available"})
                    continue
            res = _common.run_json([py, __file__, "--point", curve, "--journeys", str(n),
                                    "--repeat", str(repeat)], timeout=timeout,
                                   env={"OPENBLAS_NUM_THREADS": "1"})
            res.setdefault("journeys", n)
            pts.append(res)
            sys.stderr.write(f"{curve} {n}: {res.get('time', res.get('error', ''))}\n")
        out[curve] = {"points": pts, "slope_log_time_vs_log_events": slope(pts),
                      "slope_log_cpu_vs_log_events": slope(pts, "cpu_median")}
    return out


def plot(result: dict, stem: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.5))
    for curve, r in result["curves"].items():
        pts = [p for p in r.get("points", []) if "time" in p]
        if not pts:
            continue
        x = [p["events"] for p in pts]
        style = "--" if curve in MODELS else "-"
        label = (f"{curve} (slope {r['slope_log_time_vs_log_events']}, CPU "
                 f"{r.get('slope_log_cpu_vs_log_events')})")
        ax1.plot(x, [p["time"]["median"] for p in pts], style, marker="o", label=label)
        ax2.plot(x, [p["peak_rss_mib"] for p in pts], style, marker="o", label=curve)
    x0 = np.array([min(p["events"] for r in result["curves"].values()
                       for p in r.get("points", []) if "events" in p),
                   max(p["events"] for r in result["curves"].values()
                       for p in r.get("points", []) if "events" in p)], float)
    for ax, ylab in ((ax1, "seconds (median)"), (ax2, "peak RSS of the process (MiB)")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("events")
        ax.set_ylabel(ylab)
        ax.grid(True, which="both", alpha=0.3)
    ymid = np.median([p["time"]["median"] for r in result["curves"].values()
                      for p in r.get("points", []) if "time" in p])
    ax1.plot(x0, ymid * x0 / x0.mean(), ":", color="grey", label="slope 1")
    ax1.legend(fontsize=7)
    ax2.legend(fontsize=7)
    fig.suptitle(f"cjmodels scaling ({result['mode']}; load average "
                 f"{result['load_average_start'][0]}-{result['load_average_end'][0]})",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(stem.with_suffix(".png"), dpi=120)
    fig.savefig(stem.with_suffix(".pdf"))
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("quick", "full"), default="quick")
    ap.add_argument("--sizes", default=None, help="journeys per point, comma-separated")
    ap.add_argument("--only", default=None, help="curves, comma-separated (default: all)")
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--spark-python", default=None, help="a Python with pyspark and cjmodels")
    ap.add_argument("--out", default=None, help="default benchmarks/results/scaling_<mode>.json")
    ap.add_argument("--replot", default=None, metavar="JSON",
                    help="only recompute the slopes and redraw the plot of a result file")
    ap.add_argument("--point", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--journeys", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    repeat = a.repeat or (3 if a.mode == "quick" else 1)
    if a.point:
        _common.emit(_point(a.point, a.journeys, repeat))
        return 0
    if a.replot:
        res = json.loads(Path(a.replot).read_text())
        for r in res["curves"].values():
            if "points" in r:
                r["slope_log_time_vs_log_events"] = slope(r["points"])
                r["slope_log_cpu_vs_log_events"] = slope(r["points"], "cpu_median")
        _common.write_json(res, a.replot)
        plot(res, Path(a.replot).with_suffix(""))
        return 0
    sizes = ([int(s.replace("_", "")) for s in a.sizes.split(",")] if a.sizes
             else SIZES[a.mode])
    curves = a.only.split(",") if a.only else list(CURVES)
    unknown = set(curves) - set(CURVES)
    if unknown:
        ap.error(f"unknown curves {sorted(unknown)}; choose from {list(CURVES)}")
    res: dict = {"command": _common.command_line(),
                 "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 "mode": a.mode, "machine": _common.machine(),
                 "versions": _common.versions(["cjmodels", "numpy", "pandas", "pyarrow", "duckdb",
                                               "scipy", "pyspark"]),
                 "sizes_journeys": sizes, "repeat": repeat,
                 "load_average_start": _common.load_average()}
    res["curves"] = run_curves(curves, sizes, repeat, sys.executable, a.spark_python)
    res["load_average_end"] = _common.load_average()
    out = Path(a.out) if a.out else _common.RESULTS / f"scaling_{a.mode}.json"
    _common.write_json(res, out)
    plot(res, out.with_suffix(""))
    for curve, r in res["curves"].items():
        sys.stdout.write(f"{curve:20s} slope {r.get('slope_log_time_vs_log_events')} "
                         f"(CPU {r.get('slope_log_cpu_vs_log_events')})\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
