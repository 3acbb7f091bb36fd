"""Statistics computed where the data lives: DuckDB over Parquet/CSV files or relations.

For logs too large for memory (Parquet or CSV files on disk, a DuckDB table), the engine does
the counting and only the statistics come back to Python:

* :func:`path_table_duckdb`: the path table (the one statistic journeys need from the engine:
  transition counts of any order follow from it, and :func:`cjmodels.data.path_table` and
  :func:`cjmodels.data.transition_counts` dispatch DuckDB relations here);
* :func:`arm_sums_duckdb`: per-arm counts, sums and sums of cross-products of a per-customer
  table, the sufficient statistics of every experiment test.

The SQL is shared with the Spark backend (:mod:`cjmodels.data.spark`); it is written by
:mod:`cjmodels.data._sqltext`, which explains how it works, and run by the one engine
dispatcher :mod:`cjmodels.data._engine`; this module only finds the DuckDB relation (a file
is scanned). It follows exactly the journey rules
of :mod:`cjmodels.data.journeys` (same tie order, outcome rules, ``timeout``, ``lookback`` and
censoring), and tests check that every backend gives identical tables. Timestamps are counted in
integer microseconds, so a gap equal to ``timeout`` never ends a journey.

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

from os import PathLike
from pathlib import Path
from typing import Any

import pandas as pd

from cjmodels.data._engine import engine_arm_sums, engine_path_table, require
from cjmodels.data._sqltext import DUCKDB, Columns, journey_ctes, journeys_sql
from cjmodels.data.paths import PathTable
from cjmodels.errors import ValidationError

__all__ = [
    "arm_sums_duckdb",
    "path_table_duckdb",
    "path_table_sql",
    "scan",
]


def _duckdb() -> Any:
    return require("duckdb")


def _relation(relation: Any, connection: Any) -> Any:
    """A DuckDB relation (a file path is scanned), checked."""
    duckdb = _duckdb()
    if isinstance(relation, (str, PathLike)):
        relation = scan(relation, connection)
    if not isinstance(relation, duckdb.DuckDBPyRelation):
        raise ValidationError(
            f"expected a DuckDB relation or a file path, got {type(relation).__name__}."
        )
    return relation


def scan(path: str | PathLike[str], connection: Any = None) -> Any:
    """A DuckDB relation over a Parquet or CSV file (or glob), read lazily by the engine.

    Parameters
    ----------
    path : str or path-like
        A ``.parquet``/``.pq`` file, a ``.csv`` (optionally compressed, e.g. ``.csv.gz``) or
        ``.tsv`` file, or a glob of such files (``"events/*.parquet"``). The format is taken
        from the name.
    connection : duckdb.DuckDBPyConnection, optional
        The connection that reads it (its settings: threads, memory limit, spill directory);
        default a new in-memory connection.

    Returns
    -------
    duckdb.DuckDBPyRelation
        The file's rows, not read until a query runs; DuckDB infers a CSV file's column types.

    Raises
    ------
    ValidationError
        When the file does not exist (a glob is not checked), its name is neither Parquet nor
        CSV, or DuckDB is not installed.

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


def path_table_sql(
    data: str,
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
    """The SQL text (DuckDB dialect) that reduces an event table to one row per journey.

    The readable form of the query :func:`path_table_duckdb` runs (which packs paths into
    integers instead of joining strings). ``timeout`` and ``lookback`` are in microseconds for
    timestamp columns (in the column's own unit for numeric times); ``observation_end`` is an
    SQL expression in the same unit (default: the latest time in ``data``, the name of the
    event table). The query returns
    ``path`` (NULL for a journey without touches), ``outcome`` (0 conversion, 1 drop-out,
    2 censored) and ``value``.

    Parameters
    ----------
    data : str
        The name of the event table (or view) in the query.
    customer, timestamp, event, channel : str
        Column names.
    stage, value : str, optional
        Column names of the stage and the value; None when the table has none.
    numeric_time : bool
        Whether the timestamp column holds numbers (else a TIMESTAMP).
    timeout, lookback : float, optional
        The journey rules of :func:`cjmodels.data.journeys`, in microseconds for timestamp
        columns and in the column's own unit for numeric times.
    observation_end : str, optional
        An SQL expression for the end of observation, in the same unit; default the latest
        time in ``data``.
    collapse_repeats : bool
        Merge consecutive touches of the same channel.

    Returns
    -------
    str
        One SQL query, one row per journey: ``path``, ``outcome`` and ``value``.

    Examples
    --------
    >>> import duckdb
    >>> con = duckdb.connect()
    >>> _ = con.execute("CREATE TABLE ev AS SELECT * FROM (VALUES (1, 0.0, 'touch', 'a'), "
    ...                 "(1, 1.0, 'conversion', NULL)) t(customer_id, timestamp, event, channel)")
    >>> con.execute(path_table_sql("ev", numeric_time=True)).fetchall()
    [('a', 0, 0.0)]
    """
    cols = Columns(
        customer, timestamp, event, channel, stage, value,
        "DOUBLE" if numeric_time else "TIMESTAMP", numeric_time,
    )
    ctes = journey_ctes(
        DUCKDB,
        data,
        cols,
        timeout=timeout,
        lookback=lookback,
        observation_end=observation_end,
        collapse_repeats=collapse_repeats,
        channel_codes=None,
    )
    return journeys_sql(DUCKDB, ctes)


def path_table_duckdb(
    data: Any,
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
    connection: Any = None,
) -> PathTable:
    """The path table of an event table held by DuckDB (a relation, or a file via :func:`scan`).

    Same rules and result as :func:`cjmodels.data.path_table` (which dispatches DuckDB
    relations here); ``value`` and ``stage`` are used when the columns exist. Spans are pandas
    Timedelta strings (``"30D"``) for timestamp columns, numbers for numeric time columns.
    DuckDB counts; only the path table (one row per distinct path) comes back to Python.

    Parameters
    ----------
    data : duckdb.DuckDBPyRelation or path
        A relation (a table, a query, ``duckdb.from_df(df)``) or a Parquet/CSV file (or glob).
    customer, timestamp, event, channel, stage, value : str
        Column names. The timestamp column must be a TIMESTAMP, DATE or a number; event,
        channel and stage must be text; value must be numeric.
    timeout, lookback : time span, optional
        See :func:`cjmodels.data.journeys`: ``"30D"`` or a Timedelta for timestamp columns,
        numbers for numeric time columns.
    observation_end : timestamp or number, optional
        End of observation; default the latest time in the table (an engine table carries no
        window of its own).
    collapse_repeats : bool
        Merge consecutive touches of the same channel.
    connection : duckdb.DuckDBPyConnection, optional
        Connection used to read a file (default: a new in-memory one).

    Returns
    -------
    PathTable
        ``info["source"] == "duckdb"``.

    Examples
    --------
    >>> import duckdb
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2], "timestamp": [0.0, 1.0, 2.0, 0.0],
    ...                    "event": ["touch", "touch", "conversion", "touch"],
    ...                    "channel": ["a", "b", None, "a"]})
    >>> path_table_duckdb(duckdb.from_df(df)).table[["path", "total_conversions"]]
        path  total_conversions
    0      a                  0
    1  a > b                  1
    """
    return engine_path_table(
        _relation(data, connection),
        customer=customer,
        timestamp=timestamp,
        event=event,
        channel=channel,
        stage=stage,
        value=value,
        timeout=timeout,
        lookback=lookback,
        observation_end=observation_end,
        collapse_repeats=collapse_repeats,
    )


def arm_sums_duckdb(
    data: Any,
    columns: Any,
    *,
    variant: str = "variant",
    arms: Any = None,
    connection: Any = None,
) -> pd.DataFrame:
    """Per-arm sufficient statistics of a per-customer table held by DuckDB.

    One ``GROUP BY`` returns, per arm, the number of customers ``n``, the sum of every column
    ``sum[c]`` and the sum of every product of two columns ``sum[c*e]`` (squares included):
    all that the tests of :mod:`cjmodels.experiments` need. The layout is that of
    ``SufficientStats.to_frame``; ``SufficientStats.from_frame(arm_sums_duckdb(...))`` gives
    the statistics, and the tests give the same answers as on the per-customer table.

    Parameters
    ----------
    data : duckdb.DuckDBPyRelation or path
        One row per customer (e.g. a warehouse table, or :func:`cjmodels.data.experiment_table`
        written to Parquet).
    columns : str or sequence of str
        Numeric (or boolean) metric and covariate columns; missing or infinite values raise.
    variant : str
        Column holding the arm.
    arms : sequence of str, optional
        Declared arms in order (default: the labels present, sorted).
    connection : duckdb.DuckDBPyConnection, optional
        Connection used to read a file (default: a new in-memory one).

    Returns
    -------
    pandas.DataFrame
        One row per arm (index ``variant``, the arms as strings), floats: ``n``, ``sum[c]``
        for each column and ``sum[c*e]`` for each pair, squares included.

    Raises
    ------
    ValidationError
        For a missing column, a metric that is not numeric or boolean, an empty table, a
        missing arm or a missing or infinite metric value (nothing is dropped), arms other
        than the declared ones, a declared arm without customers, or fewer than two arms.

    Examples
    --------
    >>> import duckdb
    >>> t = pd.DataFrame({"variant": ["a", "a", "b", "b"], "y": [1.0, 3.0, 2.0, 6.0]})
    >>> arm_sums_duckdb(duckdb.from_df(t), "y")
               n  sum[y]  sum[y*y]
    variant
    a        2.0     4.0      10.0
    b        2.0     8.0      40.0
    """
    return engine_arm_sums(_relation(data, connection), columns, variant=variant, arms=arms)
