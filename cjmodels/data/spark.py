"""Path tables computed by Spark: a PySpark DataFrame in, the same :class:`PathTable` out.

The cluster runs the same SQL formulation as the DuckDB backend (:mod:`cjmodels.data.sql`),
spelled in Spark SQL by :data:`cjmodels.data._backend.SPARK` (the few functions that differ:
time to microseconds, ordered string aggregation, identifier quotes); only the path table (one
row per distinct path) is collected. :func:`cjmodels.data.path_table` and
:func:`cjmodels.data.transition_counts` dispatch PySpark DataFrames here.

PySpark is optional: ``pip install "cjmodels[spark]"`` (it needs Java 17 or newer).

Conventions
-----------
* Timestamps are counted in integer microseconds: ``TIMESTAMP`` columns (instants) through
  ``unix_micros``, ``TIMESTAMP_NTZ`` and ``DATE`` columns on their own wall clock. A pandas
  frame with naive datetimes becomes a ``TIMESTAMP`` column read in the session time zone; use
  ``spark.sql.session.timeZone = UTC`` (or ``TIMESTAMP_NTZ``) so that days have 24 hours and
  gaps match the in-memory path across daylight-saving changes.
* ``observation_end`` is read in the same way as the column (a naive literal).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pandas as pd

from cjmodels.data._backend import (
    SPARK,
    engine_arm_sums,
    engine_first_purchase_counts,
    engine_path_table,
    require,
)
from cjmodels.data.journeys import PathTable
from cjmodels.errors import ValidationError

__all__ = ["arm_sums_spark", "path_table_spark"]

_VIEW_IDS = itertools.count()


def _spark_frame(df: Any) -> Any:
    require("pyspark")
    from pyspark.sql import DataFrame

    if not isinstance(df, DataFrame):
        try:  # Spark Connect DataFrames are a different class
            from pyspark.sql.connect.dataframe import DataFrame as ConnectFrame
        except ImportError:  # pragma: no cover - connect extras absent
            ConnectFrame = ()
        if not isinstance(df, ConnectFrame):
            raise ValidationError(f"expected a PySpark DataFrame, got {type(df).__name__}.")
    return df


@contextmanager
def _view(df: Any, prefix: str) -> Iterator[tuple[str, dict[str, str], Any, Any]]:
    """A temporary view of the checked DataFrame for the duration of the block: its name, the
    columns' types, and functions that run a query returning rows or a small DataFrame."""
    df = _spark_frame(df)
    spark = df.sparkSession
    present = {f.name: f.dataType.simpleString() for f in df.schema.fields}
    view = f"{prefix}_{next(_VIEW_IDS)}"
    df.createOrReplaceTempView(view)

    def fetch(sql: str) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in spark.sql(sql).collect()]

    def fetch_df(sql: str) -> pd.DataFrame:
        res = spark.sql(sql)
        return pd.DataFrame([tuple(r) for r in res.collect()], columns=res.columns)

    try:
        yield view, present, fetch, fetch_df
    finally:
        spark.catalog.dropTempView(view)


def path_table_spark(
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
) -> PathTable:
    """The path table of an event table held by Spark.

    Same rules and result as :func:`cjmodels.data.path_table`: identical counts, values to
    floating-point rounding. Spark does the counting; only the distinct paths come back.

    Parameters
    ----------
    data : pyspark.sql.DataFrame
        One row per event. The timestamp column must be a timestamp, date or number; event,
        channel and stage must be strings; value numeric. ``stage`` and ``value`` are used
        when the columns exist.
    customer, timestamp, event, channel, stage, value : str
        Column names.
    timeout, lookback : time span, optional
        ``"30D"`` or a Timedelta for timestamp columns, numbers for numeric time columns. See
        :func:`cjmodels.data.journeys`.
    observation_end : timestamp or number, optional
        End of observation (default: the latest time in the table).
    collapse_repeats : bool
        Merge consecutive touches of the same channel.

    Returns
    -------
    PathTable
        ``info["source"] == "spark"``.

    Examples
    --------
    >>> from pyspark.sql import SparkSession  # doctest: +SKIP
    >>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
    >>> sdf = spark.createDataFrame(events_pandas)  # doctest: +SKIP
    >>> path_table_spark(sdf, timeout="30D").table  # doctest: +SKIP
    """
    with _view(data, "cj_events") as (view, present, fetch, fetch_df):
        return engine_path_table(
            SPARK,
            view,
            present,
            fetch,
            fetch_df,
            where="Spark DataFrame",
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


def arm_sums_spark(
    data: Any, columns: Any, *, variant: str = "variant", arms: Any = None
) -> pd.DataFrame:
    """Per-arm sufficient statistics of a per-customer table held by Spark.

    The Spark twin of :func:`cjmodels.data.sql.arm_sums_duckdb` (same SQL, same layout):
    ``SufficientStats.from_frame(arm_sums_spark(df, ["converted", "value"]))`` feeds every
    test of :mod:`cjmodels.experiments`.
    """
    with _view(data, "cj_table") as (view, present, fetch, fetch_df):
        return engine_arm_sums(
            SPARK,
            view,
            present,
            fetch,
            fetch_df,
            where="Spark DataFrame",
            columns=columns,
            variant=variant,
            arms=arms,
        )


def _first_purchase_counts_spark(
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
    """Time-to-first-purchase counts of an event table held by Spark: the Spark twin of
    :func:`cjmodels.data.sql.first_purchase_counts_duckdb` (same SQL); use
    :func:`cjmodels.data.durations.first_purchase_counts`, which dispatches here."""
    with _view(data, "cj_events") as (view, present, fetch, fetch_df):
        return engine_first_purchase_counts(
            SPARK,
            view,
            present,
            fetch,
            fetch_df,
            where="Spark DataFrame",
            customer=customer,
            timestamp=timestamp,
            event=event,
            channel=channel,
            stage=stage,
            value=value,
            origin=origin,
            censor_at_drop_out=censor_at_drop_out,
            unit=unit,
            by_first_channel=by_first_channel,
            observation_end=observation_end,
            resolution=resolution,
        )
