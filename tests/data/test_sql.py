"""The DuckDB path table equals the in-memory one, rule for rule."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cjmodels.data import path_table
from cjmodels.datasets import load_journeys
from cjmodels.errors import ValidationError
from tests.conftest import random_log

duckdb = pytest.importorskip("duckdb")
from cjmodels.data.sql import path_table_duckdb, scan  # noqa: E402


def _both(df: pd.DataFrame, **kw) -> tuple[pd.DataFrame, pd.DataFrame]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        mem = path_table(df, **kw).table
        sql = path_table_duckdb(duckdb.from_df(df), **kw).table
    return mem, sql


def _assert_same(mem: pd.DataFrame, sql: pd.DataFrame) -> None:
    pd.testing.assert_frame_equal(
        mem.drop(columns="total_conversion_value"), sql.drop(columns="total_conversion_value")
    )
    np.testing.assert_allclose(
        sql["total_conversion_value"], mem["total_conversion_value"], rtol=1e-12
    )


@given(
    st.integers(0, 10_000),
    st.sampled_from([None, 3.0, 10.0]),
    st.sampled_from([None, 5.0]),
    st.booleans(),
)
def test_same_table_as_in_memory(seed, timeout, lookback, collapse):
    rng = np.random.default_rng(seed)
    df = random_log(rng)
    stops = rng.random(len(df)) < 0.05
    df.loc[stops, "event"] = "drop_out"
    df.loc[stops, "channel"] = None
    mem, sql = _both(df, timeout=timeout, lookback=lookback, collapse_repeats=collapse)
    _assert_same(mem, sql)


def test_same_table_on_the_shipped_journeys_with_timestamps():
    df = load_journeys().events
    for kw in ({}, {"timeout": "30D"}, {"timeout": "7D", "lookback": "14D"}):
        mem, sql = _both(df, **kw)
        _assert_same(mem, sql)


def test_reads_parquet_without_pandas(tmp_path):
    df = load_journeys().events
    p = tmp_path / "events.parquet"
    df.to_parquet(p)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        pt = path_table_duckdb(p, timeout="30D")
        mem = path_table(df, timeout="30D")
    _assert_same(mem.table, pt.table)
    assert pt.info["source"] == "duckdb"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.assign(event=d["event"].where(d.index != 2, "click")), "outside"),
        (
            lambda d: d.assign(customer_id=d["customer_id"].astype(float).where(d.index != 1)),
            "customer id",
        ),
        (lambda d: d.assign(value=d["value"].where(d.index != 0, -1.0)), "negative"),
        (lambda d: d.drop(columns="channel"), "'channel' (channel) not found"),
        (lambda d: d.iloc[0:0], "empty"),
    ],
)
def test_bad_tables(change, words):
    df = random_log(np.random.default_rng(1))
    with pytest.raises(ValidationError, match=re.escape(words)):
        path_table_duckdb(duckdb.from_df(change(df)))


def test_missing_file_and_bad_suffix(tmp_path):
    with pytest.raises(ValidationError, match="does not exist"):
        scan(tmp_path / "nope.parquet")
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValidationError, match="use .parquet or .csv"):
        scan(tmp_path / "x.json")
