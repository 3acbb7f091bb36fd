"""The Spark backend gives the in-memory answers, on a real local Spark session.

Slow (a local session starts in ~10-20 s; each query a few seconds) and skipped without pyspark:
``pip install "cjmodels[spark]"`` (Java 17+), then ``pytest -m slow tests/data/test_spark.py``.
Counts must equal the in-memory (numpy) path exactly, values to 1e-12 relative, and DuckDB too.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from cjmodels.data import path_table, transition_counts
from cjmodels.errors import ValidationError
from tests.data.test_backends import (
    assert_same_paths,
    assert_same_transitions,
    hard_log,
    quiet,
)

pyspark = pytest.importorskip("pyspark")
duckdb = pytest.importorskip("duckdb")
from cjmodels.data.spark import path_table_spark  # noqa: E402
from cjmodels.data.sql import path_table_duckdb  # noqa: E402

pytestmark = [pytest.mark.slow, pytest.mark.spark]


def make_session():
    """The local Spark session of the tests (created once; later calls return it): 2 cores,
    few shuffle partitions, no UI, UTC session time zone."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("cjmodels-tests")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("OFF")
    return session


@pytest.fixture(scope="session")
def spark():
    """One local Spark session shared by all Spark tests."""
    session = make_session()
    yield session
    session.stop()


def _three(df: pd.DataFrame, spark, **kw):
    mem = quiet(path_table, df, **kw)
    eng = quiet(path_table_spark, spark.createDataFrame(df), **kw)
    db = quiet(path_table_duckdb, duckdb.from_df(df), **kw)
    return mem, eng, db


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_paths_as_in_memory_and_duckdb(spark, seed):
    df = hard_log(seed, 40, 500)
    # one frame, several rule variants: ties, stops, timeout, lookback, collapse, end
    for kw in (
        {},
        {"timeout": 3.0},
        {"timeout": 3.0, "lookback": 4.0, "collapse_repeats": True},
        {"timeout": 5.0, "observation_end": 40.0},
    ):
        mem, eng, db = _three(df, spark, **kw)
        assert_same_paths(mem.table, eng.table)
        assert_same_paths(db.table, eng.table)
        assert eng.info["source"] == "spark"
        assert eng.info["journeys_without_touches"] == mem.info["journeys_without_touches"]


def test_timestamp_columns(spark):
    df = hard_log(4, 40, 500)
    df["timestamp"] = pd.Timestamp("2025-03-30") + pd.to_timedelta(df["timestamp"], "h")
    for kw in (
        {"timeout": "170min"},
        {"timeout": "170min", "lookback": "290min", "collapse_repeats": True},
        {"timeout": "110min", "observation_end": "2025-03-31 06:30"},
    ):
        mem, eng, db = _three(df, spark, **kw)
        assert_same_paths(mem.table, eng.table)
        assert_same_paths(db.table, eng.table)


def test_long_paths_and_many_channels(spark):
    rng = np.random.default_rng(3)
    channels = np.array([f"ch{i:03d}" for i in range(700)])
    n = 3000
    ev = np.where(rng.random(n) < 0.02, "conversion", "touch")
    df = pd.DataFrame(
        {
            "customer_id": np.repeat(np.arange(30), n // 30),
            "timestamp": np.tile(np.arange(n // 30), 30).astype(float),
            "event": ev,
            "channel": np.where(ev == "touch", channels[rng.integers(0, 700, n)], None),
            "value": np.where(ev == "conversion", 5.0, 0.0),
        }
    )
    mem, eng, _ = _three(df, spark, lookback=30.0)
    assert_same_paths(mem.table, eng.table)


def test_shipped_journeys(spark):
    from cjmodels.datasets import load_journeys

    df = load_journeys().events
    mem, eng, _ = _three(df, spark, timeout="30D")
    assert_same_paths(mem.table, eng.table)


@pytest.mark.parametrize("censored", ["drop", "null", "state"])
def test_transition_counts_dispatch(spark, censored):
    df = hard_log(6, 40, 400)
    sdf = spark.createDataFrame(df)
    kw = {"order": 2, "censored": censored, "timeout": 4.0}
    assert_same_transitions(quiet(transition_counts, df, **kw), quiet(transition_counts, sdf, **kw))


def test_path_table_dispatches_spark_frames(spark):
    df = hard_log(7)
    assert_same_paths(
        quiet(path_table, df, timeout=3.0).table,
        quiet(path_table, spark.createDataFrame(df), timeout=3.0).table,
    )


def test_arm_sums_spark_equal_duckdb_and_memory(spark):
    from cjmodels.data.spark import arm_sums_spark
    from cjmodels.data.sql import arm_sums_duckdb
    from cjmodels.experiments._stats import sufficient_stats

    rng = np.random.default_rng(2)
    t = pd.DataFrame(
        {"variant": rng.choice(["control", "b", "c"], 500), "converted": rng.random(500) < 0.2,
         "value": rng.lognormal(3, 1, 500), "pre_value": rng.lognormal(3, 1, 500)}
    )
    cols = ["converted", "value", "pre_value"]
    ref = sufficient_stats(t, cols).to_frame()
    pd.testing.assert_frame_equal(ref, arm_sums_spark(spark.createDataFrame(t), cols), rtol=1e-12)
    pd.testing.assert_frame_equal(ref, arm_sums_duckdb(duckdb.from_df(t), cols), rtol=1e-12)
    with pytest.raises(ValidationError, match="has type string"):
        arm_sums_spark(spark.createDataFrame(t.assign(value="x")), ["value"])


def test_bad_spark_tables(spark):
    df = hard_log(1)
    with pytest.raises(ValidationError, match=re.escape("column 'channel' (channel) not found")):
        path_table_spark(spark.createDataFrame(df.drop(columns="channel")))
    bad = df.assign(timestamp=df["timestamp"].astype(str))
    with pytest.raises(ValidationError, match="has type string in the Spark DataFrame"):
        path_table_spark(spark.createDataFrame(bad))
    with pytest.raises(ValidationError, match=re.escape("column 'event' (event) has type bigint")):
        path_table_spark(spark.createDataFrame(df.assign(event=1)))
    with pytest.raises(ValidationError, match="values outside"):
        path_table_spark(spark.createDataFrame(df.assign(event="click")))
    with pytest.raises(ValidationError, match="expected a PySpark DataFrame"):
        path_table_spark(df)
