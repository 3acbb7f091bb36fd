"""Benchmark of cjmodels.experiments: large per-customer tables and vectorised A/A studies.

    .venv/bin/python benchmarks/bench_experiments.py --rows 10_000_000 \
        --teatasting-python /tmp/ttvenv/bin/python --out benchmarks/results/experiments_10M.json

A per-customer table of ``--rows`` rows (variant as a pandas categorical, converted 0/1,
revenue, a pre-period value and sessions; seed 0) is built in memory. Timed (best of
``--repeat``): the reduction to sufficient statistics, the conversion test, Welch on revenue,
CUPED on revenue, the delta-method ratio revenue/sessions, and ``analyze`` (SRM + all of them);
the peak resident memory of the process is compared with the table's own size. Then 100,000
simulated A/A experiments (``aa_simulation``) and 100,000 peeking experiments with 10 looks.
``--journey-aware`` times only the time-to-purchase tests and the Hodges-Lehmann shift
(written to ``benchmarks/results/experiments_journey_1M.json`` with ``--rows 1_000_000``).
With ``--teatasting-python`` the same table (same seed, same generator) is analysed by
tea-tasting in that interpreter (a scratch virtual environment; tea-tasting is not a
dependency), side by side.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd


def make_table(rows: int, seed: int = 0) -> pd.DataFrame:
    """The benchmark table (only numpy and pandas, so a peer's environment can rebuild it)."""
    rng = np.random.default_rng(seed)
    arm = rng.integers(0, 2, rows).astype(np.int8)
    pre = rng.lognormal(3.0, 0.8, rows)
    conv = (rng.random(rows) < 0.10 + 0.01 * arm).astype(np.int8)
    revenue = conv * rng.lognormal(4.0, 0.6, rows) * (1 + 0.002 * pre)
    sessions = rng.poisson(3.0, rows).astype(np.float64) + 1.0
    return pd.DataFrame({
        "variant": pd.Categorical.from_codes(arm, ["control", "treatment"]),
        "converted": conv,
        "revenue": revenue,
        "pre_revenue": pre,
        "sessions": sessions,
    })


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return round(min(times), 3)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_cjmodels(rows: int, repeat: int) -> dict:
    import warnings

    from cjmodels.experiments import (
        aa_simulation,
        analyze,
        compare_means,
        compare_proportions,
        compare_ratios,
        peeking_simulation,
        sufficient_stats,
    )

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    table = make_table(rows)
    build = time.perf_counter() - t0
    data_mb = table.memory_usage(deep=True).sum() / 2**20
    rss_data = _rss_mb()
    cols = ["converted", "revenue", "pre_revenue", "sessions"]
    steps = {
        "sufficient_stats (4 columns)": lambda: sufficient_stats(table, cols),
        "conversion z-test (table)": lambda: compare_proportions(table, control="control"),
        "welch t on revenue": lambda: compare_means(table, "revenue", control="control"),
        "cuped on revenue": lambda: compare_means(table, "revenue", control="control",
                                                  covariates="pre_revenue"),
        "ratio revenue/sessions (delta)": lambda: compare_ratios(
            table, "revenue", "sessions", control="control"),
        "analyze: srm + conversion + revenue + ratio, cuped, holm": lambda: analyze(
            table, control="control", metrics=["converted", "revenue"],
            ratios={"rps": ("revenue", "sessions")}, covariates=["pre_revenue"]),
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        timings = {k: _best(f, repeat) for k, f in steps.items()}
    rss_peak = _rss_mb()
    sims = {
        "aa_simulation 100k experiments (4 conversion tests, n=2000/arm)": _best(
            lambda: aa_simulation(2000, n_simulations=100_000, revenue=False, random_state=1), 1),
        "peeking_simulation 100k experiments x 10 looks (z, 3 designs, mSPRT)": _best(
            lambda: peeking_simulation(5000, n_simulations=100_000, bayes=False, random_state=1), 1),
        "peeking_simulation 100k x 10 looks, with exact Bayes P(B>A) (500 terms each)": _best(
            lambda: peeking_simulation(5000, n_simulations=100_000, random_state=1), 1),
    }
    return {
        "rows": rows,
        "build_table_s": round(build, 3),
        "table_memory_mb": round(float(data_mb), 1),
        "rss_before_table_mb": round(rss0, 1),
        "rss_with_table_mb": round(rss_data, 1),
        "rss_peak_mb": round(rss_peak, 1),
        "peak_extra_over_table_mb": round(rss_peak - rss_data, 1),
        "seconds": timings,
        "simulations_seconds": sims,
    }


def run_teatasting(rows: int, repeat: int) -> dict:
    import tea_tasting as tt

    table = make_table(rows)
    table["variant"] = table["variant"].cat.codes.astype(np.int64)  # tea-tasting: 0 = control
    exps = {
        "conversion (Mean of converted)": tt.Experiment(conv=tt.Mean("converted")),
        "welch t on revenue": tt.Experiment(rev=tt.Mean("revenue")),
        "cuped on revenue": tt.Experiment(rev=tt.Mean("revenue", "pre_revenue")),
        "ratio revenue/sessions (delta)": tt.Experiment(
            rps=tt.RatioOfMeans("revenue", "sessions")),
        "all four metrics": tt.Experiment(
            conv=tt.Mean("converted"), rev=tt.Mean("revenue", "pre_revenue"),
            rps=tt.RatioOfMeans("revenue", "sessions"), srm=tt.SampleRatio()),
    }
    out = {k: _best(lambda e=e: e.analyze(table, control=0), repeat) for k, e in exps.items()}
    return {"tea_tasting": tt.__version__, "seconds": out, "rss_peak_mb": round(_rss_mb(), 1)}


def run_journey_aware(rows: int, repeat: int) -> dict:
    """Time-to-purchase tests and the Hodges-Lehmann shift on ``rows`` customers."""
    from cjmodels.experiments import compare_time_to_purchase, mann_whitney

    rng = np.random.default_rng(1)
    arm = rng.integers(0, 2, rows)
    buys = rng.random(rows) < 0.10 + 0.01 * arm
    t = rng.exponential(3.0, rows)
    follow = rng.uniform(0, 28, rows)
    event = buys & (t <= follow)
    durations = pd.DataFrame({
        "variant": np.where(arm == 1, "treatment", "control"),
        "duration": np.where(event, t, follow), "event": event.astype(np.int8)})
    revenue = pd.DataFrame({"variant": durations["variant"],
                            "y": rng.lognormal(4.0, 0.6, rows) * (1 + 0.02 * arm)})
    sec = {
        "log-rank + RMST (tau 14)": _best(
            lambda: compare_time_to_purchase(durations, control="control", tau=14.0), repeat),
        "log-rank + Fleming-Harrington(0, 1) + RMST": _best(
            lambda: compare_time_to_purchase(durations, control="control", tau=14.0,
                                             weightings=["logrank", "fleming-harrington"],
                                             p=0.0, q=1.0), repeat),
        "mann-whitney + hodges-lehmann shift": _best(
            lambda: mann_whitney(revenue, "y", control="control"), repeat),
    }
    return {"rows": rows, "seconds": sec, "rss_peak_mb": round(_rss_mb(), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=10_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--teatasting-python", default=None)
    ap.add_argument("--engine", choices=("cjmodels", "teatasting"), default="cjmodels")
    ap.add_argument("--out", default=None)
    ap.add_argument("--journey-aware", action="store_true",
                    help="only time the journey-aware tests (time to purchase, rank shift)")
    a = ap.parse_args()
    if a.engine == "teatasting":
        print(json.dumps(run_teatasting(a.rows, a.repeat)))
        return
    if a.journey_aware:
        res = {"command": " ".join([Path(sys.executable).name, *sys.argv]),
               "machine": {"platform": platform.platform(), "python": platform.python_version(),
                           "numpy": np.__version__, "pandas": pd.__version__,
                           "cpus": __import__("os").cpu_count()},
               "journey_aware": run_journey_aware(a.rows, a.repeat)}
        text = json.dumps(res, indent=2)
        if a.out:
            Path(a.out).write_text(text + "\n")
        print(text)
        return
    res = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "machine": {"platform": platform.platform(), "python": platform.python_version(),
                    "numpy": np.__version__, "pandas": pd.__version__,
                    "cpus": __import__("os").cpu_count()},
        "cjmodels": run_cjmodels(a.rows, a.repeat),
    }
    if a.teatasting_python:
        proc = subprocess.run(
            [a.teatasting_python, __file__, "--engine", "teatasting", "--rows", str(a.rows),
             "--repeat", str(a.repeat)], capture_output=True, text=True, check=False)
        res["tea_tasting"] = (json.loads(proc.stdout.strip().splitlines()[-1])
                              if proc.returncode == 0 else {"error": proc.stderr[-2000:]})
    text = json.dumps(res, indent=2)
    if a.out:
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
