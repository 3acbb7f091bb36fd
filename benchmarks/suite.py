"""The benchmark suite: cjmodels and its peers on the same data, in one run, one table.

Usage::

    python benchmarks/suite.py --mode quick                  # a few minutes
    python benchmarks/suite.py --mode full                   # the issue's sizes
    python benchmarks/suite.py --mode quick --only attribution chain
    python benchmarks/suite.py --mode quick --install-peers  # first make .venv-bench

Writes ``benchmarks/results/suite_<mode>.json`` and ``suite_<mode>.md``: the command, date,
versions of every package used (cjmodels' side and the peers' side), the machine (CPU model,
cores, RAM, OS, Python), the load average at start and end, data sizes, the median and IQR of
``--repeat`` runs of every step, and each peer's ratio to cjmodels (peer seconds / cjmodels
seconds: above 1 means cjmodels is faster).

The peers are optional benchmark dependencies, never runtime ones: ``--install-peers`` creates
``--bench-venv`` (default ``.venv-bench`` in the project root) from ``benchmarks/peers.txt``
plus ``-e .``; the peers then run in that interpreter (``--peer-python`` to use another one,
``--python-for NAME=PYTHON`` for one peer). A peer that is not importable there is reported as
skipped. Every side of every case runs in its own process, so the peak resident memory
(``VmHWM``) recorded for it is its own; the data are made once by the orchestrator (untimed)
and handed over as files, or rebuilt by the same deterministic generator on both sides.

Cases: ``backends`` (path table + order-1 transition counts through numpy, a pandas
reference, DuckDB over Parquet, a DuckDB table, Spark when ``cjmodels.data.spark`` exists and
pyspark imports, and the memory-bandwidth bound; plus an exact equality check across them),
``attribution`` (cjmodels from the event log end to end against ChannelAttribution and
marketing-attribution-models from their own pre-aggregated path table: Markov orders 1-3 and
heuristics), ``chain`` (stage-chain fit against PyDTMC), ``customer_base`` (BG/NBD against
lifetimes), ``survival`` (Kaplan-Meier and proportional hazards against lifelines) and
``experiments`` (A/B analysis with CUPED against tea-tasting).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import _common  # noqa: E402

CASES = ("backends", "attribution", "chain", "customer_base", "survival", "experiments")
SIZES = {
    "quick": {"backends": 200_000, "equality": 20_000, "attribution": 200_000,
              "chain_events": 1_000_000, "customer_base": 100_000, "survival": 100_000,
              "experiments": 1_000_000},
    "full": {"backends": 1_000_000, "equality": 200_000, "attribution": 1_000_000,
             "chain_events": 10_000_000, "customer_base": 1_000_000, "survival": 1_000_000,
             "experiments": 10_000_000},
}
REPEAT = {"quick": 3, "full": 3}
# peer name -> (module to import, distribution name for the version)
PEERS = {
    "channelattribution": ("ChannelAttribution", "ChannelAttribution"),
    "mam": ("mam", "marketing_attribution_models"),
    "pydtmc": ("pydtmc", "PyDTMC"),
    "lifelines": ("lifelines", "lifelines"),
    "lifetimes": ("lifetimes", "Lifetimes"),
    "tea_tasting": ("tea_tasting", "tea-tasting"),
}
CASE_PEERS = {"attribution": ["channelattribution", "mam"], "chain": ["pydtmc"],
              "customer_base": ["lifetimes"], "survival": ["lifelines"],
              "experiments": ["tea_tasting"]}
BASE_PACKAGES = ["numpy", "pandas", "scipy", "pyarrow", "duckdb", "polars", "statsmodels"]
SURVIVAL_TRUTH = {"channel_email": 0.3, "channel_search": 0.5, "channel_social": -0.2,
                  "segment": 0.4}
HEURISTICS = ("first", "last", "linear", "position")


# ----------------------------------------------------------------------------- shared data
def survival_frame(n: int):
    """Weibull proportional-hazards times to purchase (``bench_survival.py``'s discrete part),
    built by numpy and pandas only, so either side can rebuild it."""
    import pandas as pd

    rng = np.random.default_rng(2)
    ch = rng.choice(["display", "email", "search", "social"], n, p=[0.25, 0.25, 0.3, 0.2])
    d = pd.get_dummies(pd.Series(ch, name="channel"), prefix="channel", drop_first=True,
                       dtype=float)
    d["segment"] = rng.integers(0, 2, n).astype(float)
    lp = d[list(SURVIVAL_TRUTH)].to_numpy() @ np.array(list(SURVIVAL_TRUTH.values()))
    t = 40.0 * (rng.exponential(1.0, n) / np.exp(lp)) ** (1 / 1.3)
    d["duration"] = np.minimum(t, 90.0)
    d["event"] = (t <= 90.0).astype(int)
    return d


# ----------------------------------------------------------------------------- the sides
def side_attribution_cjmodels(data: Path, n: int, repeat: int) -> dict:
    import pandas as pd
    from bench_scaling import event_frame

    from cjmodels.attribution import attribute, attribution_data

    df = event_frame(n)
    pt = pd.read_csv(data / "paths.csv")  # the peers' input, for a like-for-like line
    out: dict = {"steps": {}, "removal_effects": {}}
    for k in (1, 2, 3):
        t, r = _common.timings(lambda k=k: attribute(df, order=k, collapse_repeats=True), repeat)
        out["steps"][f"markov_order{k}"] = t
        out["removal_effects"][k] = r.table["removal_effect"].to_dict()
    for k in (1, 2, 3):
        t, _ = _common.timings(lambda k=k: attribute(pt, order=k, collapse_repeats=True), repeat)
        out["steps"][f"markov_order{k}_from_path_table"] = t
    for h in HEURISTICS:
        t, _ = _common.timings(lambda h=h: attribute(df, model=h), repeat)
        out["steps"][f"heuristic_{h}"] = t

    def three_rules():  # the journeys once, then each rule (as heuristic_models does)
        data = attribution_data(df)
        return [attribute(data, model=h) for h in HEURISTICS[:3]]

    t, _ = _common.timings(three_rules, repeat)
    out["steps"]["heuristics_first_last_linear"] = {
        **t, "note": "attribution_data(events) once, then first, last and linear from it"}
    # last, the same log in the row orders data also arrive in (then sorted by customer and
    # time first): exported in time order, and shuffled; the frame is replaced, not copied
    df = df.sort_values("timestamp", kind="stable")
    t, _ = _common.timings(lambda: attribute(df, order=1, collapse_repeats=True), repeat)
    out["steps"]["markov_order1_from_log_in_time_order"] = t
    df = df.sample(frac=1.0, random_state=1)
    t, _ = _common.timings(lambda: attribute(df, order=1, collapse_repeats=True), repeat)
    out["steps"]["markov_order1_from_shuffled_log"] = t
    return out


def side_attribution_channelattribution(data: Path, n: int, repeat: int) -> dict:
    import pandas as pd
    from ChannelAttribution import heuristic_models, markov_model

    df = pd.read_csv(data / "paths.csv")
    out: dict = {"steps": {}, "removal_effects": {}}
    for k in (1, 2, 3):
        t, r = _common.timings(lambda k=k: markov_model(
            df, "path", "total_conversions", var_value="total_conversion_value",
            var_null="total_null", order=k, out_more=True, ncore=1, verbose=False,
            flg_pro=False), repeat)
        out["steps"][f"markov_order{k}"] = t
        out["removal_effects"][k] = (r["removal_effects"].set_index("channel_name")
                                     ["removal_effects_conversion"].to_dict())
    t, _ = _common.timings(lambda: heuristic_models(
        df, "path", "total_conversions", var_value="total_conversion_value", flg_pro=False),
        repeat)
    out["steps"]["heuristics_first_last_linear"] = t  # one call computes the three
    return out


def side_attribution_mam(data: Path, n: int, repeat: int) -> dict:
    import pandas as pd
    from mam import MAM

    pt = pd.read_csv(data / "paths.csv")
    grouped = pd.concat([
        pd.DataFrame({"path": pt["path"], "occurrences": pt["total_conversions"],
                      "has_conv": True}),
        pd.DataFrame({"path": pt["path"], "occurrences": pt["total_null"], "has_conv": False}),
    ])
    grouped = grouped[grouped["occurrences"] > 0].reset_index(drop=True)

    def build():
        return MAM(grouped, format_type="grouped_journey", channels_colname="path",
                   journey_with_conv_colname="has_conv", occurrences_colname="occurrences")

    out: dict = {"steps": {}}
    t_build, m = _common.timings(build, repeat)
    out["steps"]["preprocess_grouped_path_table"] = t_build
    t, r = _common.timings(lambda: build().run_markov(), repeat)
    out["steps"]["markov_order1"] = t
    for h, fn in zip(HEURISTICS, ("run_first_click", "run_last_click", "run_linear",
                                  "run_position_based"), strict=True):
        t, _ = _common.timings(lambda fn=fn: getattr(m, fn)(), repeat)
        out["steps"][f"heuristic_{h}"] = t
    out["steps"]["heuristics_first_last_linear"] = {
        "median": round(sum(out["steps"][f"heuristic_{h}"]["median"] for h in HEURISTICS[:3])
                        + t_build["median"], 4),
        "note": "sum of the three medians plus one preprocessing of the path table"}
    re = r.metadata["removal_effect"]
    out["removal_effects_as_reported"] = {1: {str(k): float(v) for k, v in
                                             re.iloc[:, 0].items()}}
    out["note"] = ("MAM reports removal effects divided by the largest one; preprocessing "
                   "(polars) is timed inside markov_order1")
    return out


def side_chain_cjmodels(data: Path, n: int, repeat: int) -> dict:
    from bench_markov import make_log

    from cjmodels.data import EventLog
    from cjmodels.markov import fit_chain

    df, _ = make_log(n, 0)
    t, fit = _common.timings(lambda: fit_chain(EventLog(df, scheme="seven")), repeat)
    return {"steps": {"chain_fit": t}, "events": len(df),
            "p_awareness_interest": float(fit.transition_matrix.loc["awareness", "interest"])}


def side_chain_pydtmc(data: Path, n: int, repeat: int) -> dict:
    from pydtmc import MarkovChain

    codes = np.load(data / "codes.npy")
    states = json.loads((data / "states.json").read_text())
    seq = codes.tolist()  # PyDTMC takes a list; the conversion is not timed
    t, mc = _common.timings(lambda: MarkovChain.fit_sequence("mle", states, seq), repeat)
    return {"steps": {"chain_fit": t}, "p_awareness_interest": float(mc.p[1, 2]),
            "note": "one concatenated sequence (journey ends lead into the next start); "
            "no intervals; list conversion not timed"}


def side_customer_base_cjmodels(data: Path, n: int, repeat: int) -> dict:
    import pandas as pd

    from cjmodels.survival import BetaGeoModel

    rfm = pd.read_csv(data / "rfm.csv")
    t, m = _common.timings(lambda: BetaGeoModel().fit(rfm), repeat)
    return {"steps": {"bgnbd_fit": t},
            "params": {k: round(float(v), 5) for k, v in m.result_.params.items()}}


def side_customer_base_lifetimes(data: Path, n: int, repeat: int) -> dict:
    import pandas as pd
    from lifetimes import BetaGeoFitter

    rfm = pd.read_csv(data / "rfm.csv")
    t, f = _common.timings(lambda: BetaGeoFitter().fit(rfm["frequency"], rfm["recency"],
                                                       rfm["T"]), repeat)
    return {"steps": {"bgnbd_fit": t},
            "params": {k: round(float(v), 5) for k, v in f.params_.items()}}


def side_survival_cjmodels(data: Path, n: int, repeat: int) -> dict:
    from cjmodels.survival import discrete_time_survival, kaplan_meier

    d = survival_frame(n)
    covs = list(SURVIVAL_TRUTH)
    t_km, _ = _common.timings(lambda: kaplan_meier(d), repeat)
    t_ph, r = _common.timings(lambda: discrete_time_survival(d, covs, width=1.0), repeat)
    return {"steps": {"kaplan_meier": t_km, "proportional_hazards": t_ph},
            "coef": {k: round(float(v), 4) for k, v in r.table["coef"].items()},
            "note": "proportional hazards: discrete-time cloglog GLM on daily person-period "
            "counts"}


def side_survival_lifelines(data: Path, n: int, repeat: int) -> dict:
    from lifelines import CoxPHFitter, KaplanMeierFitter

    d = survival_frame(n)
    covs = list(SURVIVAL_TRUTH)
    t_km, _ = _common.timings(lambda: KaplanMeierFitter().fit(d["duration"], d["event"]),
                              repeat)
    t_ph, cph = _common.timings(lambda: CoxPHFitter().fit(d[[*covs, "duration", "event"]],
                                                         "duration", "event"),
                                1 if n > 200_000 else repeat)
    return {"steps": {"kaplan_meier": t_km, "proportional_hazards": t_ph},
            "coef": {k: round(float(v), 4) for k, v in cph.params_.items()},
            "note": "proportional hazards: CoxPHFitter (Efron)"}


def side_experiments_cjmodels(data: Path, n: int, repeat: int) -> dict:
    from bench_experiments import make_table

    from cjmodels.experiments import analyze

    table = make_table(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t, _ = _common.timings(lambda: analyze(
            table, control="control", metrics=["converted", "revenue"],
            ratios={"rps": ("revenue", "sessions")}, covariates=["pre_revenue"]), repeat)
    return {"steps": {"ab_four_metrics_cuped": t}}


def side_experiments_tea_tasting(data: Path, n: int, repeat: int) -> dict:
    import tea_tasting as tt
    from bench_experiments import make_table

    table = make_table(n)
    table["variant"] = table["variant"].cat.codes.astype(np.int64)  # 0 = control
    exp = tt.Experiment(conv=tt.Mean("converted"), rev=tt.Mean("revenue", "pre_revenue"),
                        rps=tt.RatioOfMeans("revenue", "sessions"), srm=tt.SampleRatio())
    t, _ = _common.timings(lambda: exp.analyze(table, control=0), repeat)
    return {"steps": {"ab_four_metrics_cuped": t}}


def side_backends_equal(data: Path, n: int, repeat: int) -> dict:
    """Path tables of the same log through every in-process backend, compared exactly."""
    import duckdb
    from bench_scaling import event_frame, pandas_path_table

    from cjmodels.data import path_table
    from cjmodels.data.sql import scan

    warnings.simplefilter("ignore")
    df = event_frame(n)
    cols = ["path", "total_conversions", "total_null"]
    ref = path_table(df).table.sort_values("path").reset_index(drop=True)
    pq = data / "equal.parquet"
    df.to_parquet(pq, index=False)
    con = duckdb.connect()
    others = {"pandas": pandas_path_table(df), "duckdb_parquet": path_table(scan(pq, con)).table}
    con.execute(f"CREATE TABLE ev AS SELECT * FROM read_parquet('{pq}')")
    others["duckdb_relation"] = path_table(con.table("ev")).table
    out: dict = {"journeys": n, "distinct_paths": len(ref)}
    for name, tab in others.items():
        tab = tab.sort_values("path").reset_index(drop=True)
        same = (len(tab) == len(ref)
                and (tab[cols].astype({"path": str}).to_numpy() == ref[cols].to_numpy()).all())
        val = np.allclose(tab["total_conversion_value"], ref["total_conversion_value"],
                          rtol=1e-12, atol=1e-9)
        out[name] = {"identical_counts": bool(same), "values_within_1e-12": bool(val)}
    return out


SIDES = {name[5:]: fn for name, fn in globals().items() if name.startswith("side_")}


# ----------------------------------------------------------------------------- orchestration
def prepare(case: str, mode: str, data: Path) -> dict:
    """Make the case's shared data (untimed) in ``data``; return its description."""
    size = SIZES[mode]
    warnings.simplefilter("ignore")
    if case == "attribution":
        from bench_scaling import event_frame

        from cjmodels.data import path_table

        df = event_frame(size["attribution"])
        pt = path_table(df).table
        pt[["path", "total_conversions", "total_null", "total_conversion_value"]].to_csv(
            data / "paths.csv", index=False)
        return {"journeys": size["attribution"], "events": len(df), "distinct_paths": len(pt),
                "conversions": int(pt["total_conversions"].sum()),
                "peer_input": "the path table (ChannelAttribution layout) cjmodels made from "
                "the same log; cjmodels starts from the event frame"}
    if case == "chain":
        from bench_markov import STATES, make_log

        df, codes = make_log(size["chain_events"], 0)
        np.save(data / "codes.npy", codes)
        (data / "states.json").write_text(json.dumps(list(STATES)))
        return {"events": len(df), "customers": int(df["customer_id"].nunique()),
                "peer_input": "the journeys' state codes as one concatenated sequence"}
    if case == "customer_base":
        from cjmodels.synthetic import simulate_transactions

        n = size["customer_base"]
        rfm = simulate_transactions(n, random_state=1).customers[["frequency", "recency", "T"]]
        rfm.to_csv(data / "rfm.csv", index=False)
        return {"customers": n, "peer_input": "the same RFM table (CSV)"}
    if case == "survival":
        return {"customers": size["survival"], "covariates": list(SURVIVAL_TRUTH),
                "peer_input": "rebuilt by the same seeded generator"}
    if case == "experiments":
        return {"rows": size["experiments"], "metrics": "conversion, revenue (CUPED on "
                "pre_revenue), revenue per session (delta), SRM",
                "peer_input": "rebuilt by the same seeded generator (bench_experiments.py)"}
    return {}


def peer_python(peer: str, args: argparse.Namespace) -> str | None:
    for item in args.python_for or []:
        name, _, py = item.partition("=")
        if name == peer:
            return py
    if args.peer_python:
        return args.peer_python
    venv = Path(args.bench_venv) / "bin" / "python"
    return str(venv) if venv.exists() else None


def run_side(python: str, side: str, data: Path, n: int, repeat: int, extra: list[str],
             timeout: float) -> dict:
    """One side of a case in a fresh process; adds its peak RSS and package versions."""
    return _common.run_json([python, str(HERE / "suite.py"), "--side", side, "--data", str(data),
                             "--n", str(n), "--repeat", str(repeat), *extra], timeout=timeout,
                            env={"OPENBLAS_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"})


def case_size(case: str, mode: str) -> int:
    s = SIZES[mode]
    return s["chain_events"] if case == "chain" else s[case]


def run_case(case: str, args: argparse.Namespace, data: Path) -> dict:
    mode, repeat = args.mode, args.repeat or REPEAT[args.mode]
    res: dict = {"load_average_start": _common.load_average()}
    if case == "backends":
        from bench_scaling import BACKENDS, run_curves

        n = SIZES[mode]["backends"]
        curves = run_curves(list(BACKENDS), [n], repeat, sys.executable, args.spark_python,
                            timeout=args.timeout)
        res["data"] = {"journeys": n}
        res["sides"] = {}
        for name, r in curves.items():
            if "skipped" in r:
                res["sides"][name] = {"skipped": r["skipped"]}
                continue
            p = r["points"][0]
            res["data"]["events"] = p.get("events", res["data"].get("events"))
            if "time" not in p:
                res["sides"][name] = {"error": p.get("error", p.get("skipped"))}
                continue
            res["sides"][name] = {"steps": {"path_table_and_transitions": p["time"]},
                                  "peak_rss_mib": p["peak_rss_mib"],
                                  "rss_mib_before_step": p["rss_mib_before_step"]}
        res["equality"] = run_side(sys.executable, "backends_equal", data,
                                   SIZES[mode]["equality"], 1, [], args.timeout)
        res["load_average_end"] = _common.load_average()
        return res
    res["data"] = prepare(case, mode, data)
    n = case_size(case, mode)
    res["sides"] = {"cjmodels": run_side(sys.executable, f"{case}_cjmodels", data, n, repeat, [],
                                         args.timeout)}
    for peer in CASE_PEERS[case]:
        py = peer_python(peer, args)
        module, dist = PEERS[peer]
        if py is None:
            res["sides"][peer] = {"skipped": "no peer environment: run with --install-peers "
                                  "or give --peer-python"}
            continue
        probe = _common.run_json([py, "-c", f"import json, importlib.metadata, {module}; "
                                  f"print(json.dumps({{'v': importlib.metadata.version("
                                  f"{dist!r})}}))"], timeout=300)
        if "v" not in probe:
            res["sides"][peer] = {"skipped": f"{dist} is not importable in {py}"}
            continue
        out = run_side(py, f"{case}_{peer}", data, n, repeat, [], args.timeout)
        out["python"] = py
        res["sides"][peer] = out
    if case == "attribution":  # exact (cjmodels) against the peers' removal effects
        exact = res["sides"]["cjmodels"].get("removal_effects", {})
        for peer in CASE_PEERS[case]:
            peer_re = res["sides"][peer].get("removal_effects", {})
            res["sides"][peer]["max_abs_removal_effect_difference"] = {
                k: round(max(abs(v[c] - exact[k][c]) for c in exact[k]), 5)
                for k, v in peer_re.items() if k in exact and set(v) == set(exact[k])}
    res["load_average_end"] = _common.load_average()
    return res


#: cjmodels steps that start from another input than the event log in its usual order; each
#: is compared with the peer's step of the name without the suffix
INPUT_SUFFIXES = ("_from_path_table", "_from_log_in_time_order", "_from_shuffled_log")


def _peer_step(step: str, peer_steps: dict) -> str | None:
    """The peer's step to compare cjmodels' ``step`` with, or None."""
    if step in peer_steps:
        return step
    for suffix in INPUT_SUFFIXES:
        if step.endswith(suffix) and step.removesuffix(suffix) in peer_steps:
            return step.removesuffix(suffix)
    return None


def ratios(case: str, res: dict) -> list[dict]:
    """Rows of the results table: each peer step next to the same cjmodels step."""
    rows = []
    sides = res.get("sides", {})
    ref_name = "numpy" if case == "backends" else "cjmodels"
    ref = sides.get(ref_name, {})
    for name, side in sides.items():
        if name == ref_name:
            continue
        for step, t in (ref.get("steps") or {}).items():
            row = {"case": case, "step": step, "cjmodels_side": ref_name,
                   "cjmodels_s": t.get("median"), "cjmodels_iqr": t.get("iqr"),
                   "cjmodels_cpu_s": t.get("cpu_median"), "peer": name}
            if "skipped" in side or "error" in side:
                row["status"] = "skipped" if "skipped" in side else "error"
                row["reason"] = (side.get("skipped") or side.get("error") or "")[-300:]
            elif (peer_step := _peer_step(step, side.get("steps", {}))) is not None:
                p = side["steps"][peer_step]
                row.update(peer_s=p.get("median"), peer_iqr=p.get("iqr"),
                           peer_cpu_s=p.get("cpu_median"), status="ok",
                           ratio_peer_over_cjmodels=(float(f"{p['median'] / t['median']:.3g}")
                                                     if t.get("median") else None))
            else:
                continue
            rows.append(row)
    return rows


def _num(t: float) -> str:
    return f"{t:.3g}" if t < 10 else f"{t:.1f}"


def _fmt(t: float | None, iqr: float | None = None, cpu: float | None = None) -> str:
    if t is None:
        return ""
    return (_num(t) + (f" ± {iqr:.2g}" if iqr else "")
            + (f" ({_num(cpu)})" if cpu is not None else ""))


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        f"# cjmodels benchmark suite ({result['mode']} mode)",
        "",
        f"- command: `{result['command']}`",
        f"- date: {result['date']}; wall time of the suite {result['suite_seconds']} s",
        f"- machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, {m['os']}, "
        f"Python {m['python']}",
        f"- load average (1 min) at start {result['load_average_start'][0]}, at end "
        f"{result['load_average_end'][0]} (a shared machine: other jobs ran at the same time)",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in result["versions"].items() if v),
        "- peers: " + ", ".join(f"{k} {v}" for k, v in result["peer_versions"].items()),
        "",
        "Seconds are medians of the repeats (± interquartile range); ratio = peer / cjmodels "
        "(above 1: cjmodels faster). For `backends` the reference is cjmodels' in-memory "
        "numpy path. CPU seconds (process time, all threads) are less sensitive to other jobs "
        "on a shared machine; sums of several steps have no IQR or CPU time.",
        "",
        "| case | step | data | cjmodels s (CPU) | peer | peer s (CPU) | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    if "rerun" in result:  # cases measured again later and merged into this file
        r = result["rerun"]
        at = next(i for i, line in enumerate(lines) if line.startswith("- peers:")) + 1
        lines.insert(at, f"- measured again and merged in: {', '.join(r['cases'])} at "
                         f"{r['date']} (`{r['command']}`): {r['why']}")
    for row in result["table"]:
        data = result["cases"][row["case"]].get("data", {})
        size = ", ".join(f"{v:,} {k}" for k, v in data.items()
                         if k in ("journeys", "events", "customers", "rows")
                         and isinstance(v, int))
        peer = row["peer"]
        if row["status"] != "ok":
            lines.append(f"| {row['case']} | {row['step']} | {size} | "
                         f"{_fmt(row['cjmodels_s'], row['cjmodels_iqr'], row['cjmodels_cpu_s'])}"
                         f" | {peer} | {row['status']} | |")
            continue
        lines.append(f"| {row['case']} | {row['step']} | {size} | "
                     f"{_fmt(row['cjmodels_s'], row['cjmodels_iqr'], row['cjmodels_cpu_s'])}"
                     f" | {peer} | {_fmt(row['peer_s'], row['peer_iqr'], row['peer_cpu_s'])} | "
                     f"{row['ratio_peer_over_cjmodels']} |")
    lines += ["", "Peak resident memory of each side's process (MiB, data included):", ""]
    for case, r in result["cases"].items():
        mem = [f"{name} {side['peak_rss_mib']:,.0f}" for name, side in r.get("sides", {}).items()
               if isinstance(side.get("peak_rss_mib"), (int, float))]
        if mem:
            lines.append(f"- {case}: " + ", ".join(mem))
    notes = []
    eq = result["cases"].get("backends", {}).get("equality")
    if eq and "error" in eq:
        notes.append("- the backends' equality check failed: "
                     f"{str(eq['error']).strip().splitlines()[-1][:300]}")
    elif eq:
        notes.append(f"- backends give identical path tables ({eq.get('journeys')} journeys): "
                     + ", ".join(f"{k} {v.get('identical_counts')}" for k, v in eq.items()
                                 if isinstance(v, dict)))
    for case, r in result["cases"].items():
        for name, side in r.get("sides", {}).items():
            if side.get("max_abs_removal_effect_difference"):
                notes.append(f"- {case}/{name}: largest difference from the exact removal "
                             "effects, by order: " + ", ".join(
                                 f"{k}: {v}" for k, v in
                                 side["max_abs_removal_effect_difference"].items()))
            if "skipped" in side:
                notes.append(f"- {case}/{name} skipped: {side['skipped']}")
            elif "error" in side:
                notes.append(f"- {case}/{name} failed: "
                             f"{str(side['error']).strip().splitlines()[-1][:200]}")
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines) + "\n"


def install_peers(venv: Path) -> dict:
    """Create ``venv`` from benchmarks/peers.txt plus ``-e .`` (never the project's own env)."""
    t0 = time.perf_counter()
    if not (venv / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    proc = subprocess.run([*pip, "-r", str(HERE / "peers.txt"), "-e", str(_common.ROOT)],
                          capture_output=True, text=True, check=False)
    no_deps = [w for line in (HERE / "peers.txt").read_text().splitlines()
               if line.startswith("# no-deps:") for w in line.split(":", 1)[1].split()]
    proc2 = subprocess.run([*pip, "--no-deps", *no_deps], capture_output=True, text=True,
                           check=False) if no_deps else proc
    return {"venv": str(venv), "seconds": round(time.perf_counter() - t0, 1),
            "returncode": max(proc.returncode, proc2.returncode),
            "stderr_tail": (proc.stderr + proc2.stderr)[-500:]}


def peer_versions(args: argparse.Namespace) -> dict:
    out = {}
    for peer, (_, dist) in PEERS.items():
        py = peer_python(peer, args)
        if py is None:
            out[dist] = None
            continue
        r = _common.run_json([py, "-c", "import json, importlib.metadata as m\n"
                              f"try: v = m.version({dist!r})\nexcept Exception: v = None\n"
                              "print(json.dumps({'v': v}))"], timeout=120)
        out[dist] = r.get("v")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mode", choices=("quick", "full"), default="quick")
    ap.add_argument("--only", nargs="+", choices=CASES, default=None, metavar="NAME",
                    help=f"cases to run (default all: {', '.join(CASES)})")
    ap.add_argument("--install-peers", action="store_true",
                    help="create --bench-venv from benchmarks/peers.txt + -e . first")
    ap.add_argument("--bench-venv", default=str(_common.ROOT / ".venv-bench"))
    ap.add_argument("--peer-python", default=None, help="run all peers in this Python")
    ap.add_argument("--python-for", action="append", metavar="PEER=PYTHON",
                    help=f"one peer's Python (peers: {', '.join(PEERS)})")
    ap.add_argument("--spark-python", default=None,
                    help="a Python with pyspark and cjmodels (default: this one)")
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per process")
    ap.add_argument("--out", default=None, help="default benchmarks/results/suite_<mode>")
    ap.add_argument("--render", default=None, metavar="JSON",
                    help="only rewrite the Markdown table of an existing suite_<mode>.json")
    ap.add_argument("--side", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--data", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, default=None, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.side:  # a child: one side of one case
        warnings.simplefilter("ignore")
        rss0 = _common.rss_mib()
        out = SIDES[a.side](Path(a.data), a.n, a.repeat or 1)
        out["rss_mib_after_imports"] = rss0
        out["peak_rss_mib"] = _common.peak_rss_mib()
        _common.emit(out)
        return 0
    if a.render:
        result = json.loads(Path(a.render).read_text())
        result["table"] = [row for case in result["cases"]
                           for row in ratios(case, result["cases"][case])]
        _common.write_json(result, a.render)
        Path(a.render).with_suffix(".md").write_text(markdown(result))
        return 0
    t0 = time.perf_counter()
    result: dict = {"command": _common.command_line(),
                    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "mode": a.mode, "machine": _common.machine(),
                    "load_average_start": _common.load_average(),
                    "sizes": SIZES[a.mode], "repeat": a.repeat or REPEAT[a.mode]}
    if a.install_peers:
        result["install_peers"] = install_peers(Path(a.bench_venv))
    result["versions"] = _common.versions(["cjmodels", *BASE_PACKAGES, "pyspark"])
    result["peer_versions"] = peer_versions(a)
    result["cases"] = {}
    with tempfile.TemporaryDirectory(prefix="cjsuite_") as tmp:
        for case in a.only or CASES:
            data = Path(tmp) / case
            data.mkdir()
            sys.stderr.write(f"[suite] {case} ...\n")
            result["cases"][case] = run_case(case, a, data)
    result["table"] = [row for case in result["cases"]
                       for row in ratios(case, result["cases"][case])]
    result["load_average_end"] = _common.load_average()
    result["suite_seconds"] = round(time.perf_counter() - t0, 1)
    stem = Path(a.out) if a.out else _common.RESULTS / f"suite_{a.mode}"
    _common.write_json(result, stem.with_suffix(".json"))
    text = markdown(result)
    stem.with_suffix(".md").write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
