"""Path tables computed where the data lives: one SQL formulation run by DuckDB.

For logs too large for memory (Parquet or CSV files on disk, a DuckDB table), the engine does
the counting and only the path table comes back to Python. The SQL follows exactly the journey
rules of :mod:`cjmodels.data.journeys` (same tie order, same outcome rules, same ``timeout`` and
``lookback``), and a test checks that both give identical tables. Transition counts of any order
follow from the path table (:func:`cjmodels.data.transition_counts` accepts it).

DuckDB is optional: ``pip install "cjmodels[scale]"``.

Examples
--------
>>> import duckdb, pandas as pd
>>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2], "timestamp": [0.0, 1.0, 2.0, 0.0],
...                    "event": ["touch", "touch", "conversion", "touch"],
...                    "channel": ["a", "b", None, "a"]})
>>> rel = duckdb.from_df(df)
>>> path_table_duckdb(rel).table[["path", "total_conversions", "total_null"]]
    path  total_conversions  total_null
0      a                  0           1
1  a > b                  1           0
"""

from __future__ import annotations

import warnings
from os import PathLike
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.events import EVENT_TYPES, PATH_SEPARATOR
from cjmodels.data.journeys import PathTable
from cjmodels.errors import ValidationError

__all__ = ["path_table_duckdb", "path_table_sql", "scan"]

_RELEVANT = ("touch", "conversion", "drop_out", "churn")


def _duckdb() -> Any:
    try:
        import duckdb
    except ImportError:
        raise ValidationError(
            "this needs DuckDB, which is not installed: pip install 'cjmodels[scale]'"
        ) from None
    return duckdb


def scan(path: str | PathLike[str], connection: Any = None) -> Any:
    """A DuckDB relation over a Parquet or CSV file (or glob), read lazily by the engine.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "e.csv")
    >>> _ = pd.DataFrame({"customer_id": [1], "timestamp": ["2025-01-01"], "event": ["touch"],
    ...                   "channel": ["email"]}).to_csv(p, index=False)
    >>> scan(p).columns
    ['customer_id', 'timestamp', 'event', 'channel']
    """
    duckdb = _duckdb()
    con = connection or duckdb.connect()
    text = str(path)
    if "*" not in text and not Path(text).exists():
        raise ValidationError(f"file {text!r} does not exist.")
    lower = text.lower()
    if lower.endswith((".parquet", ".pq")):
        return con.read_parquet(text)
    if ".csv" in lower or lower.endswith(".tsv"):
        return con.read_csv(text)
    raise ValidationError(f"file {text!r}: use .parquet or .csv (optionally compressed).")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def path_table_sql(
    source: str,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    event: str = "event",
    channel: str = "channel",
    stage: str | None = None,
    value: str | None = None,
    numeric_time: bool = False,
    timeout: float | None = None,
    lookback: float | None = None,
    observation_end: str | None = None,
    collapse_repeats: bool = False,
) -> str:
    """The SQL text (DuckDB dialect) that reduces an event table to per-journey paths.

    ``timeout`` and ``lookback`` are in seconds for timestamp columns (in the column's own unit
    for numeric times); ``observation_end`` is an SQL expression (default: the latest time).
    The query returns one row per journey: ``path``, ``outcome`` (0 conversion, 1 drop-out,
    2 censored), ``value``.
    """
    t = f"epoch({_q(timestamp)})" if not numeric_time else f"CAST({_q(timestamp)} AS DOUBLE)"
    rank = " ".join(f"WHEN '{e}' THEN {i}" for i, e in enumerate(EVENT_TYPES))
    stage_key = f"COALESCE(CAST({_q(stage)} AS VARCHAR), '')" if stage else "''"
    val = f"CAST({_q(value)} AS DOUBLE)" if value else "0.0"
    relevant = ", ".join(f"'{e}'" for e in _RELEVANT)
    end_expr = observation_end or f"(SELECT max({t}) FROM {source})"
    gap = f"OR (t - prev_t > {float(timeout)!r})" if timeout is not None else ""
    stale = (
        f"WHEN NOT last_is_stop AND NOT next_timed_out AND (obs_end - end_t > {float(timeout)!r}) "
        "THEN 1"
        if timeout is not None
        else ""
    )
    keep_lb = f"AND t >= end_t - {float(lookback)!r}" if lookback is not None else ""
    return f"""
WITH ev AS (
    SELECT {_q(customer)} AS c, {t} AS t, CAST({_q(event)} AS VARCHAR) AS e,
           CAST({_q(channel)} AS VARCHAR) AS ch, {stage_key} AS st, {val} AS v,
           CASE CAST({_q(event)} AS VARCHAR) {rank} END AS r
    FROM {source}
    WHERE CAST({_q(event)} AS VARCHAR) IN ({relevant})
),
ordered AS (
    SELECT *,
        ROW_NUMBER() OVER w AS rn,
        LAG(e) OVER w AS prev_e,
        LAG(t) OVER w AS prev_t
    FROM ev
    WINDOW w AS (PARTITION BY c ORDER BY t, r, st, COALESCE(ch, ''), COALESCE(v, -1.0))
),
flagged AS (
    SELECT *,
        (prev_e IS NULL OR prev_e <> 'touch' {gap}) AS boundary,
        (prev_e IS NOT NULL AND prev_e = 'touch' {gap}) AS timed_out,
        e IN ('drop_out', 'churn') AS is_stop
    FROM ordered
),
numbered AS (
    SELECT *,
        SUM(CASE WHEN boundary AND NOT is_stop THEN 1 ELSE 0 END)
            OVER (PARTITION BY c ORDER BY rn ROWS UNBOUNDED PRECEDING) AS j,
        LEAD(timed_out) OVER (PARTITION BY c ORDER BY rn) AS next_gap
    FROM flagged
    WHERE NOT (is_stop AND boundary)
),
ends AS (
    SELECT c, j,
        arg_max(e, rn) AS last_e,
        arg_max(COALESCE(next_gap, FALSE), rn) AS next_timed_out,
        max(t) AS end_t,
        arg_max(v, rn) AS last_v
    FROM numbered GROUP BY c, j
),
journeys AS (
    SELECT c, j, end_t, last_e IN ('drop_out', 'churn') AS last_is_stop, next_timed_out,
        CASE WHEN last_e = 'conversion' THEN COALESCE(last_v, 0.0) ELSE 0.0 END AS value,
        {end_expr} AS obs_end,
        last_e
    FROM ends
),
outcomes AS (
    SELECT c, j, end_t, value,
        CASE WHEN last_e = 'conversion' THEN 0
             WHEN last_is_stop THEN 1
             WHEN next_timed_out THEN 1
             {stale}
             ELSE 2 END AS outcome
    FROM journeys
),
touches AS (
    SELECT n.c, n.j, n.rn, n.ch,
        LAG(n.ch) OVER (PARTITION BY n.c, n.j ORDER BY n.rn) AS prev_ch
    FROM numbered n JOIN outcomes o ON n.c = o.c AND n.j = o.j
    WHERE n.e = 'touch' {keep_lb.replace("t >=", "n.t >=").replace("end_t", "o.end_t")}
),
paths AS (
    SELECT c, j, string_agg(ch, '{PATH_SEPARATOR}' ORDER BY rn) AS path
    FROM touches
    {"WHERE prev_ch IS NULL OR prev_ch <> ch" if collapse_repeats else ""}
    GROUP BY c, j
)
SELECT p.path AS path, o.outcome AS outcome, o.value AS value
FROM outcomes o LEFT JOIN paths p ON o.c = p.c AND o.j = p.j
"""


def path_table_duckdb(
    relation: Any,
    *,
    customer: str = "customer_id",
    timestamp: str = "timestamp",
    event: str = "event",
    channel: str = "channel",
    stage: str | None = None,
    value: str | None = "value",
    timeout: Any = None,
    lookback: Any = None,
    observation_end: Any = None,
    collapse_repeats: bool = False,
    connection: Any = None,
) -> PathTable:
    """The path table of an event table held by DuckDB (a relation, or a file via :func:`scan`).

    Same rules and result as :func:`cjmodels.data.path_table`; ``value`` and ``stage`` are used
    when the columns exist. Spans are pandas Timedelta strings (``"30D"``) for timestamp columns,
    numbers for numeric time columns.
    """
    duckdb = _duckdb()
    if isinstance(relation, (str, Path)):
        relation = scan(relation, connection)
    if not isinstance(relation, duckdb.DuckDBPyRelation):
        raise ValidationError(
            f"expected a DuckDB relation or a file path, got {type(relation).__name__}."
        )
    cols = relation.columns
    types = dict(zip(cols, [str(t) for t in relation.types], strict=True))
    for role, name in (
        ("customer", customer),
        ("timestamp", timestamp),
        ("event", event),
        ("channel", channel),
    ):
        if name not in cols:
            raise ValidationError(
                f"column {name!r} ({role}) not found; the table has columns {cols}. Name the right "
                f"column with {role}=..."
            )
    value = value if value in cols else None
    stage = stage if stage in cols else None
    numeric_time = not types[timestamp].upper().startswith(("TIMESTAMP", "DATE"))
    if numeric_time and types[timestamp].upper() in ("VARCHAR", "BLOB"):
        raise ValidationError(
            f"column {timestamp!r} (timestamp) is text ({types[timestamp]}); cast it to TIMESTAMP "
            "in the query, or load it as a timestamp."
        )

    def seconds(span: Any, name: str) -> float | None:
        if span is None:
            return None
        if numeric_time:
            return float(span)
        try:
            out = pd.Timedelta(span).total_seconds()
        except (TypeError, ValueError):
            raise ValidationError(f"{name} == {span!r}, must be a time span like '30D'.") from None
        if not out > 0:
            raise ValidationError(f"{name} == {span!r}, must be a positive time span.")
        return out

    view = "cj_events"

    def run(sql: str) -> Any:  # queries run on the relation's own connection
        return relation.query(view, sql)

    _validate(run, view, customer, timestamp, event, channel, value, numeric_time)
    end_sql = None
    if observation_end is not None:
        end_sql = (
            repr(float(observation_end))
            if numeric_time
            else f"epoch(TIMESTAMP '{pd.Timestamp(observation_end)}')"
        )
    sql = path_table_sql(
        view,
        customer=customer,
        timestamp=timestamp,
        event=event,
        channel=channel,
        stage=stage,
        value=value,
        numeric_time=numeric_time,
        timeout=seconds(timeout, "timeout"),
        lookback=seconds(lookback, "lookback"),
        observation_end=end_sql,
        collapse_repeats=collapse_repeats,
    )
    agg = run(
        f"""
        SELECT path,
            SUM(CASE WHEN outcome = 0 THEN 1 ELSE 0 END) AS total_conversions,
            SUM(CASE WHEN outcome = 0 THEN 0 ELSE 1 END) AS total_null,
            SUM(value) AS total_conversion_value,
            SUM(CASE WHEN outcome = 2 THEN 1 ELSE 0 END) AS total_censored
        FROM ({sql}) GROUP BY path
        """
    ).df()
    empty = agg["path"].isna()
    info: dict[str, Any] = {
        "by": "channel",
        "source": "duckdb",
        "timeout": None if timeout is None else str(timeout),
        "lookback": None if lookback is None else str(lookback),
        "collapse_repeats": collapse_repeats,
        "journeys_without_touches": int(
            agg.loc[empty, ["total_conversions", "total_null"]].sum().sum()
        ),
    }
    if empty.any():
        conv = int(agg.loc[empty, "total_conversions"].sum())
        val = float(agg.loc[empty, "total_conversion_value"].sum())
        info["conversions_without_touches"] = conv
        info["value_without_touches"] = val
        warnings.warn(
            f"{info['journeys_without_touches']} journeys have no touch (for example a conversion "
            f"right after another); they have no path and are left out of the path table "
            f"({conv} conversions, value {val:g}).",
            UserWarning,
            stacklevel=2,
        )
    table = agg[~empty].sort_values("path", kind="stable").reset_index(drop=True)
    for col in ("total_conversions", "total_null", "total_censored"):
        table[col] = table[col].astype(np.int64)
    table["total_conversion_value"] = table["total_conversion_value"].astype(float)
    table["path"] = table["path"].astype(object)
    return PathTable(table, info=info)


def _validate(
    run: Any,
    view: str,
    customer: str,
    timestamp: str,
    event: str,
    channel: str,
    value: str | None,
    numeric_time: bool,
) -> None:
    """One pass of the checks EventLog makes, with counts and example values in the messages."""
    allowed = ", ".join(f"'{e}'" for e in EVENT_TYPES)
    checks = {
        f"column {customer!r} (customer id) has missing values": f"{_q(customer)} IS NULL",
        f"column {timestamp!r} (timestamp) has missing values": f"{_q(timestamp)} IS NULL",
        f"column {event!r} (event type) has missing values": f"{_q(event)} IS NULL",
        f"column {event!r} (event type) has values outside {list(EVENT_TYPES)}": (
            f"{_q(event)} IS NOT NULL AND CAST({_q(event)} AS VARCHAR) NOT IN ({allowed})"
        ),
        f"column {channel!r} (channel) is missing on touch rows": (
            f"CAST({_q(event)} AS VARCHAR) = 'touch' AND {_q(channel)} IS NULL"
        ),
        f"column {channel!r} (channel) contains '>'": (
            f"contains(CAST({_q(channel)} AS VARCHAR), '>')"
        ),
    }
    if numeric_time:
        checks[f"column {timestamp!r} (timestamp) is not finite"] = (
            f"NOT isfinite(CAST({_q(timestamp)} AS DOUBLE))"
        )
    if value is not None:
        checks[f"column {value!r} (value) is negative"] = f"{_q(value)} < 0"
        checks[f"column {value!r} (value) is missing on conversion rows"] = (
            f"CAST({_q(event)} AS VARCHAR) = 'conversion' AND {_q(value)} IS NULL"
        )
    names = list(checks)
    sel = ", ".join(
        f"count(*) FILTER (WHERE {cond}) AS c{i}" for i, cond in enumerate(checks.values())
    )
    counts = run(f"SELECT count(*) AS n, {sel} FROM {view}").fetchall()[0]
    if counts[0] == 0:
        raise ValidationError("the event table is empty (0 rows); there is nothing to analyse.")
    for i, name in enumerate(names):
        n_bad = counts[i + 1]
        if n_bad:
            cond = list(checks.values())[i]
            example = run(
                f"SELECT {_q(customer)}, {_q(timestamp)}, {_q(event)} FROM {view} WHERE {cond} "
                "LIMIT 3"
            ).fetchall()
            raise ValidationError(
                f"{name}: {n_bad} rows, for example (customer, timestamp, event) {example}. Fix "
                "them in the source table or in the query that feeds cjmodels."
            )
