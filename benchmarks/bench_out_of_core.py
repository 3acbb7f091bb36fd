"""Out of core: reduce a Parquet event log far larger than a pandas frame would fit, via DuckDB.

Usage::

    python benchmarks/bench_out_of_core.py --journeys 20_000_000 [--chunk 1_000_000] \
        [--dir /tmp/cj_ooc] [--threads 2] [--memory-limit 8GB] [--keep] \
        [--out benchmarks/results/out_of_core_20M.json]

Step 1 (this process) writes ``--journeys`` journeys (one per customer, 1 + Poisson(3.8)
touches over 10 channels at increasing timestamps, then a conversion with probability logistic
in the touches; about 5 events per journey) to one Parquet file, one chunk of ``--chunk``
journeys at a time with disjoint customer ids, so the whole log is never in memory.

Step 2 runs in a fresh process (so its peak resident memory is its own): a DuckDB connection
with ``--threads`` and ``--memory-limit`` (spilling to ``--dir``), ``scan(path)`` ->
``cjmodels.data.path_table`` (the engine builds the ordered paths and counts them; only the
path table comes back to Python) -> ``cjmodels.data.transition_counts`` of orders 1 and 2 from
the path table. Recorded: wall times, the reducing process's peak RSS (``VmHWM``), DuckDB's
settings and the peak size of its spill directory (sampled each second), file size, counts, and the load average before and after. The Parquet file is
deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common

CHANNELS = np.array(["organic_search", "paid_search", "social", "email", "display", "referral",
                     "direct", "sms", "phone", "store"])
P_CHANNEL = np.array([0.25, 0.15, 0.12, 0.12, 0.08, 0.08, 0.1, 0.04, 0.03, 0.03])
BETA = np.array([0.3, 0.5, 0.1, 0.4, 0.0, 0.6, 0.2, 0.2, 0.7, 0.8]) * 0.5
T0 = np.datetime64("2025-01-01T00:00:00", "us")


def chunk_events(n: int, first_customer: int, rng: np.random.Generator) -> dict:
    """Columns of ``n`` journeys (customers ``first_customer + 0..n-1``), sorted by customer
    and time: touches, then a conversion event for converting journeys. Vectorised."""
    touches = 1 + rng.poisson(3.8, n)
    ch = rng.choice(10, int(touches.sum()), p=P_CHANNEL)
    jid = np.repeat(np.arange(n), touches)
    score = np.bincount(jid, weights=BETA[ch], minlength=n)
    conv = rng.random(n) < 1 / (1 + np.exp(-(-2.5 + score)))
    lengths = touches + conv
    m = int(lengths.sum())
    ends = np.cumsum(lengths)
    starts = ends - lengths
    pos = np.arange(m) - np.repeat(starts, lengths)
    is_conv = np.zeros(m, dtype=bool)
    is_conv[ends[conv] - 1] = True
    channel_code = np.full(m, -1, dtype=np.int64)
    channel_code[~is_conv] = ch
    # each journey starts at a random second of 180 days; touches 1 s to ~2 days apart
    gaps = rng.integers(1, 172_800, m)
    gaps[pos == 0] = 0
    t_start = rng.integers(0, 180 * 86_400, n)
    seconds = np.repeat(t_start, lengths) + (np.cumsum(gaps) - np.repeat(
        np.cumsum(gaps)[starts], lengths))
    value = np.where(is_conv, np.round(rng.lognormal(4.0, 0.6, m), 2), 0.0)
    return {
        "customer_id": first_customer + np.repeat(np.arange(n, dtype=np.int64), lengths),
        "timestamp": T0 + seconds.astype("timedelta64[s]"),
        "event_is_conversion": is_conv,
        "channel_code": channel_code,
        "value": value,
    }


def write_parquet(path: Path, journeys: int, chunk: int, seed: int = 0) -> dict:
    """Write the log chunk by chunk (seeds spawned per chunk: results do not depend on
    ``chunk`` only through the seeds' order); return counts and timings."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    event_dict = pa.array(["touch", "conversion"])
    channel_dict = pa.array(CHANNELS.tolist())
    schema = pa.schema([("customer_id", pa.int64()), ("timestamp", pa.timestamp("us")),
                        ("event", pa.dictionary(pa.int8(), pa.string())),
                        ("channel", pa.dictionary(pa.int8(), pa.string())),
                        ("value", pa.float64())])
    n_chunks = -(-journeys // chunk)
    seeds = np.random.SeedSequence(seed).spawn(n_chunks)
    t0 = time.perf_counter()
    events = 0
    with pq.ParquetWriter(path, schema, compression="snappy") as writer:
        for i in range(n_chunks):
            n = min(chunk, journeys - i * chunk)
            c = chunk_events(n, i * chunk, np.random.default_rng(seeds[i]))
            code = c["channel_code"]
            channel = pa.DictionaryArray.from_arrays(
                pa.array(code.astype(np.int8), mask=code < 0), channel_dict)
            event = pa.DictionaryArray.from_arrays(
                pa.array(c["event_is_conversion"].astype(np.int8)), event_dict)
            table = pa.Table.from_arrays(
                [pa.array(c["customer_id"]), pa.array(c["timestamp"]), event, channel,
                 pa.array(c["value"])], schema=schema)
            writer.write_table(table, row_group_size=1_000_000)
            events += len(code)
    return {"journeys": journeys, "events": events, "chunks": n_chunks, "chunk_journeys": chunk,
            "write_seconds": round(time.perf_counter() - t0, 1),
            "file_bytes": path.stat().st_size,
            "peak_rss_mib_writer": _common.peak_rss_mib()}


def reduce(path: str, threads: int, memory_limit: str, tmpdir: str) -> dict:
    """Step 2, in its own process: DuckDB scan -> path table -> transition counts."""
    import warnings

    import duckdb

    from cjmodels.data import path_table, transition_counts
    from cjmodels.data.sql import scan

    rss0 = _common.rss_mib()
    spill, stop = [0], threading.Event()

    def watch() -> None:  # the largest size of DuckDB's spill directory, sampled each second
        while not stop.wait(1.0):
            size = sum(f.stat().st_size for f in Path(tmpdir).glob("*") if f.is_file())
            spill[0] = max(spill[0], size)

    threading.Thread(target=watch, daemon=True).start()
    con = duckdb.connect(config={"threads": threads, "memory_limit": memory_limit,
                                 "temp_directory": tmpdir, "preserve_insertion_order": False})
    settings = {r[0]: r[1] for r in con.execute(
        "SELECT name, value FROM duckdb_settings() WHERE name IN "
        "('threads', 'memory_limit', 'temp_directory', 'preserve_insertion_order')").fetchall()}
    out: dict = {"duckdb": duckdb.__version__, "duckdb_settings": settings,
                 "rss_mib_after_imports": rss0, "seconds": {}}
    t0 = time.perf_counter()
    rel = scan(path, con)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pt = path_table(rel)
    out["seconds"]["path_table_duckdb"] = round(time.perf_counter() - t0, 2)
    out["warnings"] = [str(w.message)[:300] for w in caught]
    t1 = time.perf_counter()
    tc1 = transition_counts(pt, order=1)
    out["seconds"]["transition_counts_order1_from_path_table"] = round(
        time.perf_counter() - t1, 2)
    t2 = time.perf_counter()
    tc2 = transition_counts(pt, order=2)
    out["seconds"]["transition_counts_order2_from_path_table"] = round(
        time.perf_counter() - t2, 2)
    out["seconds"]["total"] = round(time.perf_counter() - t0, 2)
    tab = pt.table
    out["counts"] = {
        "distinct_paths": len(tab),
        "journeys": int(tab["total_conversions"].sum() + tab["total_null"].sum()),
        "conversions": int(tab["total_conversions"].sum()),
        "conversion_value": round(float(tab["total_conversion_value"].sum()), 2),
        "order1_transitions": int(tc1.table["count"].sum()),
        "order1_distinct_pairs": len(tc1.table),
        "order2_states": len(tc2.states),
    }
    out["peak_rss_mib"] = _common.peak_rss_mib()
    stop.set()
    out["duckdb_spill_peak_gib"] = round(spill[0] / 2**30, 2)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--journeys", type=lambda s: int(s.replace("_", "")), default=20_000_000)
    ap.add_argument("--chunk", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    ap.add_argument("--dir", default="/tmp/cj_out_of_core")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory-limit", default="8GB")
    ap.add_argument("--keep", action="store_true", help="keep the Parquet file")
    ap.add_argument("--reduce", default=None, help=argparse.SUPPRESS)  # step 2 (child)
    ap.add_argument("--out", default=None)
    a = ap.parse_args(argv)
    if a.reduce:
        _common.emit(reduce(a.reduce, a.threads, a.memory_limit,
                            str(Path(a.reduce).parent / "duckdb_tmp")))
        return 0
    d = Path(a.dir)
    d.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(d).free
    res: dict = {"command": _common.command_line(), "date": time.strftime("%Y-%m-%d %H:%M UTC",
                                                                          time.gmtime()),
                 "machine": _common.machine(), "disk_free_gib_before": round(free / 2**30, 1),
                 "versions": _common.versions(["cjmodels", "numpy", "pandas", "pyarrow",
                                               "duckdb"])}
    path = d / f"events_{a.journeys}.parquet"
    res["data"] = write_parquet(path, a.journeys, a.chunk)
    res["data"]["file_gib"] = round(res["data"]["file_bytes"] / 2**30, 2)
    res["load_average_before_reduce"] = _common.load_average()
    t0 = time.perf_counter()
    child = _common.run_json([sys.executable, __file__, "--reduce", str(path), "--threads",
                              str(a.threads), "--memory-limit", a.memory_limit])
    res["reduce_wall_seconds_with_process_start"] = round(time.perf_counter() - t0, 2)
    res["reduce"] = child
    res["load_average_after"] = _common.load_average()
    if "peak_rss_mib" in child:
        res["bytes_of_peak_rss_per_event"] = round(child["peak_rss_mib"] * 2**20
                                                   / res["data"]["events"], 2)
    if not a.keep:
        path.unlink()
        shutil.rmtree(d / "duckdb_tmp", ignore_errors=True)
        res["parquet_deleted"] = True
    text = __import__("json").dumps(res, indent=2)
    sys.stdout.write(text + "\n")
    if a.out:
        _common.write_json(res, a.out)
    return 0 if "error" not in child else 1


if __name__ == "__main__":
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    sys.exit(main())
