"""Time to first purchase where the data lives: ``first_purchase_counts`` by each backend.

Usage::

    python benchmarks/bench_durations.py --journeys 1_000_000 [--repeat 3]
        [--spark-python PY] [--out benchmarks/results/durations_1M.json]

The log is the scaling curves' journey log (``bench_scaling.event_frame``: about five events
per customer, 20% buying), with touches from the journey world's channels. Each backend runs in
its own process (so its peak memory is its own) on the same data: ``memory`` (the pandas frame,
through :class:`EventLog` and ``time_to_first_purchase``), ``duckdb_parquet`` (DuckDB reads the
Parquet file), ``duckdb_relation`` (a DuckDB table already loaded) and ``spark`` (local mode,
when ``--spark-python`` has pyspark). Two statistics are timed: exact durations (the log's
timestamps are in seconds, so nearly every customer has a row of their own) and daily steps
(``resolution="1D"``, a life table). Every backend's tables are compared with the in-memory
ones; the fits of Kaplan-Meier on the per-customer table and on the counts are timed too.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common
from bench_scaling import event_frame

SIDES = ("memory", "duckdb_parquet", "duckdb_relation", "spark")


def side(name: str, journeys: int, repeat: int, parquet: str, reference: str) -> dict:
    """Time ``first_purchase_counts`` through one backend; compare with the reference."""
    import pandas as pd

    from cjmodels.data import first_purchase_counts, time_to_first_purchase
    from cjmodels.survival import kaplan_meier

    warnings.simplefilter("ignore")
    out: dict = {"side": name}
    if name == "memory":
        src = event_frame(journeys)
        out["events"] = len(src)
    elif name.startswith("duckdb"):
        import duckdb

        con = duckdb.connect(config={"threads": os.cpu_count() or 1})
        src = con.read_parquet(parquet)
        if name == "duckdb_relation":
            con.execute(f"CREATE TABLE events AS SELECT * FROM read_parquet('{parquet}')")
            src = con.table("events")
        out["duckdb"] = duckdb.__version__
    else:
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master(f"local[{os.cpu_count() or 1}]")
                 .config("spark.ui.enabled", "false")
                 .config("spark.sql.session.timeZone", "UTC")
                 .config("spark.driver.memory", "4g").getOrCreate())
        src = spark.read.parquet(parquet)
        out["pyspark"] = spark.version
    out["rss_mib_before_step"] = _common.rss_mib()
    tables = {}
    for step, res in (("exact", None), ("daily", "1D")):
        t, tables[step] = _common.timings(
            lambda res=res: first_purchase_counts(src, resolution=res), repeat)
        out[step] = {"time": t, "rows": len(tables[step]),
                     "customers": int(tables[step]["customers"].sum())}
    if name == "memory":
        pd.to_pickle(tables, reference)
        out["time_per_customer_table"], per = _common.timings(
            lambda: time_to_first_purchase(src), repeat)
        out["per_customer_rows"] = len(per)
        out["time_km_per_customer"], _ = _common.timings(lambda: kaplan_meier(per), repeat)
        for step in tables:
            out[step]["time_km"], _ = _common.timings(
                lambda step=step: kaplan_meier(tables[step], weight="customers"), repeat)
    else:
        ref = pd.read_pickle(reference)
        for step in tables:
            try:
                pd.testing.assert_frame_equal(ref[step], tables[step], rtol=1e-12)
                out[step]["equal_to_memory"] = True
            except AssertionError as err:
                out[step]["equal_to_memory"] = False
                out[step]["difference"] = str(err)[:300]
    out["peak_rss_mib"] = _common.peak_rss_mib()
    if name == "spark":
        out["peak_rss_mib_jvm"] = _common.descendants_peak_rss_mib()
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--journeys", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--spark-python", default=None, help="a Python with pyspark and cjmodels")
    ap.add_argument("--out", default=None)
    ap.add_argument("--side", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--parquet", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--reference", default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.side:
        _common.emit(side(a.side, a.journeys, a.repeat, a.parquet, a.reference))
        return 0
    res: dict = {"command": _common.command_line(),
                 "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                 "machine": _common.machine(), "journeys": a.journeys, "repeat": a.repeat,
                 "versions": _common.versions(["cjmodels", "numpy", "pandas", "pyarrow",
                                               "duckdb", "lifelines"]),
                 "load_average_start": _common.load_average(), "sides": {}}
    with tempfile.TemporaryDirectory(prefix="cjdur_") as tmp:
        parquet, reference = os.path.join(tmp, "events.parquet"), os.path.join(tmp, "ref.pkl")
        event_frame(a.journeys).to_parquet(parquet, index=False)
        for name in SIDES:
            py = sys.executable
            if name == "spark":
                if a.spark_python is None:
                    res["sides"][name] = {"skipped": "no --spark-python"}
                    continue
                py = a.spark_python
            cmd = [py, __file__, "--side", name, "--journeys", str(a.journeys), "--repeat",
                   str(a.repeat), "--parquet", parquet, "--reference", reference]
            res["sides"][name] = _common.run_json(cmd, timeout=3600,
                                                  env={"OPENBLAS_NUM_THREADS": "1"})
            sys.stderr.write(f"{name}: {res['sides'][name].get('daily')}\n")
    res["load_average_end"] = _common.load_average()
    out = Path(a.out) if a.out else _common.RESULTS / f"durations_{a.journeys}.json"
    _common.write_json(res, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
