"""The one dispatcher of the engines: a DuckDB relation or a Spark DataFrame in, statistics out.

:func:`engine_of` tells which engine holds a table; :func:`opened` opens it for queries (a
DuckDB relation is queried through its own connection, a Spark DataFrame through a temporary
view) as an :class:`Opened` table with the same two ways to fetch rows. Every engine statistic
then runs one code path, whatever the engine: the checks of the event log, the path table
(:func:`engine_path_table`), per-arm sums (:func:`engine_arm_sums`) and time to first purchase
(:func:`engine_first_purchase_counts`). The SQL itself is written by
:mod:`cjmodels.data._sqltext`; the public entry points per engine are :mod:`cjmodels.data.sql`
(DuckDB) and :mod:`cjmodels.data.spark`, and :func:`cjmodels.data.path_table`,
:func:`cjmodels.data.transition_counts` and :func:`cjmodels.data.first_purchase_counts` dispatch
engine tables here.

Examples
--------
>>> import duckdb, pandas as pd
>>> rel = duckdb.from_df(pd.DataFrame({"variant": ["a", "b"], "y": [1.0, 2.0]}))
>>> engine_of(rel), engine_of(pd.DataFrame())
('duckdb', 'memory')
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cjmodels._checks import warn_user
from cjmodels.data._sqltext import (
    DUCKDB,
    NUMERIC_TYPES,
    REASONS,
    SPARK,
    Columns,
    Dialect,
    arm_sums_sql,
    base_type,
    channel_codes_sql,
    channels_sql,
    check_columns,
    digits_for,
    end_literal,
    first_purchase_sql,
    journey_ctes,
    path_counts_sql,
    span,
    validation_checks,
)
from cjmodels.data.paths import PathTable, without_touches_message
from cjmodels.data.vocabulary import PATH_SEPARATOR
from cjmodels.errors import ValidationError

__all__ = [
    "Opened",
    "engine_arm_sums",
    "engine_first_purchase_counts",
    "engine_of",
    "engine_path_table",
    "opened",
    "require",
]

_EXTRAS = {"duckdb": "scale", "pyspark": "spark", "sqlglot": "spark"}


def require(module: str) -> Any:
    """Import an optional engine, or raise a :class:`ValidationError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        extra = _EXTRAS.get(module.split(".")[0], "scale")
        raise ValidationError(
            f"this needs {module.split('.')[0]}, which is not installed: "
            f"pip install 'cjmodels[{extra}]'"
        ) from None


def engine_of(obj: Any) -> str:
    """Which backend counts ``obj``: ``"duckdb"``, ``"spark"`` or ``"memory"``.

    Decided from the top-level module of ``obj``'s type, so neither engine is imported to find
    out. :func:`cjmodels.data.path_table`, :func:`cjmodels.data.transition_counts` and
    :func:`cjmodels.data.first_purchase_counts` dispatch on it: an engine's table is counted by
    that engine, anything else in memory.

    Parameters
    ----------
    obj : object
        A DuckDB relation, a PySpark DataFrame, or anything else (an
        :class:`~cjmodels.data.EventLog`, a pandas DataFrame, ...).

    Returns
    -------
    str
        ``"duckdb"`` for an object of the ``duckdb`` package, ``"spark"`` for one of
        ``pyspark``, else ``"memory"``.

    Examples
    --------
    >>> engine_of(pd.DataFrame())
    'memory'
    >>> import duckdb
    >>> engine_of(duckdb.sql("select 1 as x"))
    'duckdb'
    """
    top = type(obj).__module__.split(".")[0]
    if top == "duckdb":
        return "duckdb"
    if top == "pyspark":
        return "spark"
    return "memory"



# ------------------------------------------------------------------- opening a table
@dataclass(frozen=True)
class Opened:
    """An engine table open for queries under the name ``view``."""

    dialect: Dialect
    view: str
    #: the table's columns and their engine type names
    present: dict[str, str]
    #: runs a query and returns its rows
    fetch: Callable[[str], list[tuple[Any, ...]]]
    #: runs a query and returns its (small) result as a DataFrame
    fetch_df: Callable[[str], pd.DataFrame]
    #: the table as messages name it ("DuckDB relation", "Spark DataFrame")
    where: str


_VIEW_IDS = itertools.count()


@contextmanager
def opened(data: Any, view: str) -> Iterator[Opened]:
    """``data`` (a DuckDB relation or a PySpark DataFrame) open for queries that name ``view``.

    A DuckDB relation is queried on its own connection; a Spark DataFrame becomes a temporary
    view (with a unique suffix) that is dropped when the block ends.
    """
    engine = engine_of(data)
    if engine == "duckdb":
        duckdb = require("duckdb")
        if not isinstance(data, duckdb.DuckDBPyRelation):
            raise ValidationError(f"expected a DuckDB relation, got {type(data).__name__}.")
        present = dict(zip(data.columns, [str(t) for t in data.types], strict=True))
        yield Opened(
            DUCKDB,
            view,
            present,
            lambda sql: data.query(view, sql).fetchall(),
            lambda sql: data.query(view, sql).df(),
            "DuckDB relation",
        )
        return
    if engine == "spark":
        spark = data.sparkSession
        present = {f.name: f.dataType.simpleString() for f in data.schema.fields}
        name = f"{view}_{next(_VIEW_IDS)}"
        data.createOrReplaceTempView(name)

        def fetch(sql: str) -> list[tuple[Any, ...]]:
            return [tuple(r) for r in spark.sql(sql).collect()]

        def fetch_df(sql: str) -> pd.DataFrame:
            res = spark.sql(sql)
            return pd.DataFrame([tuple(r) for r in res.collect()], columns=res.columns)

        try:
            yield Opened(SPARK, name, present, fetch, fetch_df, "Spark DataFrame")
        finally:
            spark.catalog.dropTempView(name)
        return
    raise ValidationError(f"no engine backend for {type(data).__name__}.")


# --------------------------------------------------------------------------- path table
def decode_paths(
    counts: pd.DataFrame, channels: list[str], separator: str = PATH_SEPARATOR
) -> pd.DataFrame:
    """Turn packed keys (and tails) back into path strings and merge equal paths.

    ``counts`` has columns ``k``, ``tail`` and the totals; rows with neither key nor tail are
    journeys without touches (path NaN). Keys with zero digits inside (touches left out by
    ``lookback`` or ``collapse_repeats``) decode to the same path as the packed ones.
    """
    m = digits_for(len(channels))
    base = len(channels) + 1
    keys = counts["k"].to_numpy(dtype=np.int64)
    labels = np.array([""] + list(channels), dtype=object)
    digits = np.empty((len(keys), m), dtype=np.int64)
    rest = keys.copy()
    for i in range(m):
        digits[:, i] = rest % base
        rest //= base
    tails = counts["tail"].to_numpy(dtype=object)
    has_tail = np.array([isinstance(x, str) and x != "" for x in tails], dtype=bool)
    lengths = (digits > 0).sum(axis=1)
    # the packed part, vectorised: the nonzero digits of each row, in order
    flat = digits[digits > 0]
    starts = np.r_[0, np.cumsum(lengths)]
    names = labels[flat]
    paths = np.empty(len(keys), dtype=object)
    for n in np.unique(lengths):
        rows = np.flatnonzero(lengths == n)
        if n == 0:
            paths[rows] = None
            continue
        cols = names[starts[rows][:, None] + np.arange(n)]
        joined = cols[:, 0].astype(object)
        for i in range(1, n):
            joined = joined + separator + cols[:, i]
        paths[rows] = joined
    for r in np.flatnonzero(has_tail):  # long journeys only
        tail = separator.join(labels[int(x)] for x in tails[r].split(","))
        paths[r] = tail if paths[r] is None else paths[r] + separator + tail
    out = counts.drop(columns=["k", "tail"]).copy()
    out.insert(0, "path", pd.Series(paths, dtype=object, index=out.index))
    totals = [c for c in out.columns if c != "path"]
    empty = out["path"].isna()
    grouped = out[~empty].groupby("path", sort=False)[totals].sum().reset_index()
    if empty.any():
        none = out.loc[empty, totals].sum().to_frame().T.astype(out[totals].dtypes)
        none.insert(0, "path", None)
        grouped = pd.concat([grouped, none], ignore_index=True)
    return grouped


def finish_path_table(agg: pd.DataFrame, info: dict[str, Any]) -> PathTable:
    """The :class:`PathTable` from per-path totals (``path`` NaN for journeys without touch),
    with the same warning and ``info`` counts as the in-memory path."""
    empty = agg["path"].isna().to_numpy()
    info = dict(info)
    info["journeys_without_touches"] = int(
        agg.loc[empty, ["total_conversions", "total_null"]].to_numpy(dtype=np.int64).sum()
    )
    if empty.any():
        conv = int(agg.loc[empty, "total_conversions"].sum())
        val = float(agg.loc[empty, "total_conversion_value"].sum())
        info["conversions_without_touches"] = conv
        info["value_without_touches"] = val
        warn_user(
            without_touches_message(info["journeys_without_touches"], conv, val, "the path table")
        )
    table = agg[~empty].copy()
    if len(table) == 0:
        raise ValidationError("no journey has a touch, so there is no path to count.")
    table["path"] = table["path"].astype(object)
    table = table.sort_values("path", kind="stable").reset_index(drop=True)
    for col in ("total_conversions", "total_null", "total_censored"):
        table[col] = table[col].astype(np.int64)
    table["total_conversion_value"] = table["total_conversion_value"].astype(float)
    table = table[
        ["path", "total_conversions", "total_null", "total_conversion_value", "total_censored"]
    ]
    # joined by us from the engine's exact channel names: split back exactly, no detection
    return PathTable._from_own_paths(table, info)



def validate(
    d: Dialect,
    cols: Columns,
    source: str,
    fetch: Callable[[str], list[tuple[Any, ...]]],
    end_sql: str | None = None,
) -> None:
    """One counting pass of :func:`validation_checks`; the first failing check raises with its
    count and up to three example rows."""
    checks = validation_checks(d, cols, end_sql)
    sel = ", ".join(
        f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END) AS c{i}"
        for i, cond in enumerate(checks.values())
    )
    counts = fetch(f"SELECT count(*) AS n, {sel} FROM {source}")[0]
    if not counts[0]:
        raise ValidationError("the event table is empty (0 rows); there is nothing to analyse.")
    q = d.q
    for i, (name, cond) in enumerate(checks.items()):
        n_bad = counts[i + 1]
        if n_bad:
            example = fetch(
                f"SELECT {q(cols.customer)}, {q(cols.timestamp)}, {q(cols.event)} FROM {source} "
                f"WHERE {cond} LIMIT 3"
            )
            example = [tuple(x) for x in example]
            raise ValidationError(
                f"{name}: {n_bad} rows, for example (customer, timestamp, event) {example}. Fix "
                "them in the source table or in the query that feeds cjmodels."
            )



_PATH_OPTIONS = ("customer", "timestamp", "event", "channel", "stage", "value", "timeout",
                 "lookback", "observation_end", "collapse_repeats")


def engine_path_table(data: Any, **options: Any) -> PathTable:
    """The path table of an engine table (DuckDB relation, PySpark DataFrame): checks, one
    counting query, decoding. ``options`` are column names and journey rules (those of
    :func:`cjmodels.data.sql.path_table_duckdb`); others raise."""
    unknown = sorted(set(options) - set(_PATH_OPTIONS))
    if unknown:
        raise ValidationError(
            f"options {unknown} do not apply to an engine table ({engine_of(data)}); it takes "
            f"column names and journey rules: {sorted(_PATH_OPTIONS)}. Validate or reshape the "
            "table in the engine's own query instead."
        )
    with opened(data, "cj_events") as e:
        return _path_table(e, **options)


def _path_table(
    e: Opened,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    event: str = "event",
    channel: str = "channel",
    stage: str | None = "stage",
    value: str | None = "value",
    timeout: Any = None,
    lookback: Any = None,
    observation_end: Any = None,
    collapse_repeats: bool = False,
) -> PathTable:
    d, view, present, fetch, fetch_df, where = (
        e.dialect, e.view, e.present, e.fetch, e.fetch_df, e.where
    )
    if not isinstance(collapse_repeats, bool):
        raise ValidationError(f"collapse_repeats == {collapse_repeats!r}, must be True or False.")
    cols = check_columns(
        present,
        customer=customer,
        timestamp=timestamp,
        event=event,
        channel=channel,
        stage=stage,
        value=value,
        where=where,
    )
    to = span(timeout, "timeout", cols.numeric_time)
    lb = span(lookback, "lookback", cols.numeric_time)
    end_sql = end_literal(d, cols, observation_end)
    validate(d, cols, view, fetch, end_sql)
    channels = sorted(str(r[0]) for r in fetch(channels_sql(d, view, cols)) if r[0] is not None)
    ctes = journey_ctes(
        d,
        view,
        cols,
        timeout=to,
        lookback=lb,
        observation_end=end_sql,
        collapse_repeats=collapse_repeats,
        channel_codes=channel_codes_sql(d, channels),
    )
    counts = fetch_df(path_counts_sql(d, ctes, len(channels)))
    agg = decode_paths(counts, channels)
    info: dict[str, Any] = {
        "sequence": "channel",
        "source": d.name,
        "timeout": None if timeout is None else str(timeout),
        "lookback": None if lookback is None else str(lookback),
        "collapse_repeats": collapse_repeats,
    }
    return finish_path_table(agg, info)




# ------------------------------------------------------------------ experiment statistics
def engine_arm_sums(
    data: Any, columns: Any, *, variant: str = "variant", arms: Any = None
) -> pd.DataFrame:
    """Checked per-arm sums of an engine table, in ``SufficientStats.to_frame`` layout (see
    :func:`cjmodels.data.sql.arm_sums_duckdb`)."""
    with opened(data, "cj_table") as e:
        return _arm_sums(e, columns=columns, variant=variant, arms=arms)


def _arm_sums(e: Opened, *, columns: Any, variant: str, arms: Any) -> pd.DataFrame:
    d, view, present, fetch, fetch_df, where = (
        e.dialect, e.view, e.present, e.fetch, e.fetch_df, e.where
    )
    cols = [columns] if isinstance(columns, str) else list(columns)
    if not cols or not all(isinstance(c, str) for c in cols):
        raise ValidationError(f"columns == {columns!r}, must name at least one column.")
    if len(set(cols)) != len(cols):
        raise ValidationError(f"columns {cols} contain duplicates.")
    for role, name in [("variant", variant)] + [("metric", c) for c in cols]:
        if name not in present:
            raise ValidationError(
                f"{role} column {name!r} not found in the {where}; it has columns "
                f"{list(present)}."
            )
    for c in cols:
        typ = base_type(present[c])
        if typ not in NUMERIC_TYPES and typ != "BOOLEAN":
            raise ValidationError(
                f"metric column {c!r} has type {present[c]} in the {where}, must be numeric (or "
                "boolean); cast it in the query that feeds cjmodels."
            )
    q = d.q
    checks = [f"SUM(CASE WHEN {q(variant)} IS NULL THEN 1 ELSE 0 END)"]
    checks += [
        f"SUM(CASE WHEN {q(c)} IS NULL OR NOT {d.is_finite(f'CAST({q(c)} AS DOUBLE)')} "
        "THEN 1 ELSE 0 END)"
        for c in cols
    ]
    counts = fetch(f"SELECT count(*), {', '.join(checks)} FROM {view}")[0]
    if not counts[0]:
        raise ValidationError(f"the {where} is empty (0 rows).")
    if counts[1]:
        raise ValidationError(
            f"variant column {variant!r} is missing on {counts[1]} rows; every customer needs "
            "an arm."
        )
    for c, n_bad in zip(cols, counts[2:], strict=True):
        if n_bad:
            raise ValidationError(
                f"metric column {c!r} has {n_bad} missing or infinite values; nothing is "
                "dropped silently. Fill them (e.g. 0 revenue for non-buyers) or filter those "
                "customers in the query."
            )
    sql = arm_sums_sql(d, view, variant, [c for c in cols])
    frame = fetch_df(sql).set_index("variant")
    frame.index = frame.index.astype(str)
    present_arms = sorted(frame.index)
    if arms is None:
        order = present_arms
    else:
        order = [str(a) for a in arms]
        unknown = sorted(set(present_arms) - set(order))
        if unknown:
            raise ValidationError(
                f"variant labels {unknown} in column {variant!r} are not among the declared "
                f"arms {order}; fix the labels or declare the arms."
            )
        empty = [a for a in order if a not in present_arms]
        if empty:
            raise ValidationError(f"arms {empty} have zero customers in column {variant!r}.")
    if len(order) < 2:
        raise ValidationError(
            f"only one arm ({order}) in column {variant!r}; an experiment compares at least two."
        )
    out = frame.loc[order].astype(float)
    out.index.name = "variant"
    return out



# -------------------------------------------------------------- time-to-purchase statistic
def engine_first_purchase_counts(
    data: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    event: str = "event",
    channel: str = "channel",
    stage: str | None = "stage",
    value: str | None = "value",
    origin: str = "first-touch",
    censor_at_drop_out: bool = True,
    unit: str = "D",
    by_first_channel: bool = True,
    observation_end: Any = None,
    resolution: Any = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Checked time-to-first-purchase counts of an engine table: the rows (``first_channel``,
    ``duration``, ``event``, ``censor_reason``, ``customers``; not yet sorted) and the counts
    that go into ``attrs``: the engine side of :func:`cjmodels.data.first_purchase_counts`,
    which sorts, checks and describes the result."""
    with opened(data, "cj_events") as e:
        d, view, present, fetch, fetch_df, where = (
            e.dialect, e.view, e.present, e.fetch, e.fetch_df, e.where
        )
        return _first_purchase_counts(
            d, view, present, fetch, fetch_df, where=where, customer=customer,
            timestamp=timestamp, event=event, channel=channel, stage=stage, value=value,
            origin=origin, censor_at_drop_out=censor_at_drop_out, unit=unit,
            by_first_channel=by_first_channel, observation_end=observation_end,
            resolution=resolution,
        )


def _first_purchase_counts(
    d: Dialect,
    view: str,
    present: dict[str, str],
    fetch: Callable[[str], list[tuple[Any, ...]]],
    fetch_df: Callable[[str], pd.DataFrame],
    *,
    where: str,
    customer: str,
    timestamp: str,
    event: str,
    channel: str,
    stage: str | None,
    value: str | None,
    origin: str,
    censor_at_drop_out: bool,
    unit: str,
    by_first_channel: bool,
    observation_end: Any,
    resolution: Any,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    cols = check_columns(
        present, customer=customer, timestamp=timestamp, event=event, channel=channel,
        stage=stage, value=value, where=where,
    )
    end_sql = end_literal(d, cols, observation_end)
    res = span(resolution, "resolution", cols.numeric_time)
    validate(d, cols, view, fetch, end_sql)
    raw = fetch_df(first_purchase_sql(
        d, view, cols, origin=origin, censor_at_drop_out=censor_at_drop_out,
        observation_end=end_sql, by_first_channel=by_first_channel, resolution=res,
    ))
    excluded = raw["excluded"].to_numpy(dtype=np.int64)
    n = raw["customers"].to_numpy(dtype=np.int64)
    if origin == "first-touch" and not int(n[excluded != 2].sum()):
        raise ValidationError(
            "time_to_first_purchase(origin='first-touch') needs 'touch' events, but the "
            f"{where} has none. Use origin='first-event' to start the clock at each customer's "
            "first event."
        )
    rows = raw[excluded == 0]
    dur = rows["dur"].to_numpy(dtype=float)
    if not cols.numeric_time:  # integer microseconds to float units, as pandas divides
        ticks = rows["dur"].to_numpy(dtype=np.int64)
        dur = ticks / (pd.Timedelta(1, unit=unit).value / 1000)
    reasons = np.array(REASONS, dtype=object)[rows["reason"].to_numpy(dtype=np.int64)]
    ch1 = rows["ch1"].astype(object).to_numpy()
    out = pd.DataFrame({
        "first_channel": pd.Series(ch1, dtype=object).where(pd.notna(ch1), None),
        "duration": dur,
        "event": rows["event"].to_numpy(dtype=np.int64),
        "censor_reason": pd.Series(reasons, dtype=object),
        "customers": rows["customers"].to_numpy(dtype=np.int64),
    })
    counts = {
        "n_customers": int(n.sum()),
        "converted_before_first_touch": int(n[excluded == 1].sum()),
        "no_touch": int(n[excluded == 2].sum()),
        "time_kind": "numeric" if cols.numeric_time else "datetime",
    }
    if observation_end is None:
        latest = fetch(f"SELECT max({d.q(cols.timestamp)}) FROM {view}")[0][0]
        counts["observation_end"] = str(latest if cols.numeric_time else pd.Timestamp(latest))
    else:
        counts["observation_end"] = str(observation_end)
    return out, counts

