"""Path tables computed by Spark: a PySpark DataFrame in, the same :class:`PathTable` out.

The cluster runs the same SQL formulation as the DuckDB backend (:mod:`cjmodels.data.sql`),
spelled in Spark SQL by :data:`cjmodels.data._sqltext.SPARK` and run by the one engine dispatcher
:mod:`cjmodels.data._engine` (the few functions that differ:
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

from typing import Any

import pandas as pd

from cjmodels.data._engine import engine_arm_sums, engine_path_table, require
from cjmodels.data.paths import PathTable
from cjmodels.errors import ValidationError

__all__ = ["arm_sums_spark", "path_table_spark"]

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
    return engine_path_table(
        _spark_frame(data),
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

    Parameters
    ----------
    data : pyspark.sql.DataFrame
        One row per customer.
    columns : str or sequence of str
        Numeric (or boolean) metric and covariate columns; missing or infinite values raise.
    variant : str
        Column holding the arm.
    arms : sequence of str, optional
        Declared arms in order (default: the labels present, sorted).

    Returns
    -------
    pandas.DataFrame
        One row per arm (index ``variant``): ``n``, ``sum[c]`` for each column and
        ``sum[c*e]`` for each pair, squares included, as floats.

    Raises
    ------
    ValidationError
        As :func:`cjmodels.data.sql.arm_sums_duckdb`; also when ``data`` is not a PySpark
        DataFrame or PySpark is not installed.

    Examples
    --------
    >>> from pyspark.sql import SparkSession  # doctest: +SKIP
    >>> spark = SparkSession.builder.master("local[2]").getOrCreate()  # doctest: +SKIP
    >>> t = pd.DataFrame({"variant": ["a", "a", "b", "b"], "y": [1.0, 3.0, 2.0, 6.0]})
    >>> arm_sums_spark(spark.createDataFrame(t), "y")  # doctest: +SKIP
               n  sum[y]  sum[y*y]
    variant
    a        2.0     4.0      10.0
    b        2.0     8.0      40.0
    """
    return engine_arm_sums(_spark_frame(data), columns, variant=variant, arms=arms)
