"""Input handling: event logs and path tables in, clear errors for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.attribution import attribute, attribution_data
from cjmodels.data import PathTable, path_table
from cjmodels.errors import ValidationError


def test_path_table_and_log_give_the_same_cells(small_log):
    from_log = attribution_data(small_log)
    from_table = attribution_data(path_table(small_log))
    assert from_log.channels == from_table.channels
    assert from_log.total_conversions == from_table.total_conversions == 1
    assert from_log.total_value == from_table.total_value == 80.0
    assert from_log.n_journeys == from_table.n_journeys == 3
    for m in ("first", "last", "linear", "markov"):
        a = attribute(small_log, model=m).table
        b = attribute(path_table(small_log), model=m).table
        pd.testing.assert_frame_equal(a, b)


def test_engine_table_gives_the_same_attribution_as_the_log():
    # a DuckDB relation is reduced by the engine to its path table; results equal the log's
    duckdb = pytest.importorskip("duckdb")
    from cjmodels.datasets import load_journeys

    df = load_journeys().events
    df = df[df["customer_id"] < df["customer_id"].min() + 400]
    rel = duckdb.from_df(df)
    for m in ("first", "last", "linear", "markov"):
        a = attribute(df, model=m, data_options={"timeout": "30D"}).table
        b = attribute(rel, model=m, data_options={"timeout": "30D"}).table
        pd.testing.assert_frame_equal(a, b, rtol=1e-12)
    with pytest.raises(ValidationError, match="time decay"):
        attribute(rel, model="time-decay")


def test_csv_file(tmp_path, tiny_paths):
    f = tmp_path / "paths.csv"
    tiny_paths.to_csv(f, index=False)
    a = attribute(f, model="first").table
    b = attribute(tiny_paths, model="first").table
    pd.testing.assert_frame_equal(a, b)


def test_time_decay_needs_times(tiny_paths):
    with pytest.raises(ValidationError, match="timestamps"):
        attribute(tiny_paths, model="time-decay")


@pytest.mark.parametrize(
    ("table", "match"),
    [
        (pd.DataFrame({"path": [], "total_conversions": [], "total_null": []}), "empty"),
        (
            pd.DataFrame({"path": ["a", "b"], "total_conversions": [0, 0], "total_null": [3, 1]}),
            "no conversions",
        ),
        (
            pd.DataFrame({"path": ["a", "b"], "total_conversions": [1, -1], "total_null": [3, 1]}),
            ">= 0",
        ),
        (
            pd.DataFrame({"path": ["a >  > b"], "total_conversions": [1], "total_null": [0]}),
            "empty channel name",
        ),
        (
            pd.DataFrame({"path": ["a > b >"], "total_conversions": [1], "total_null": [0]}),
            "empty channel name",
        ),
        (
            pd.DataFrame({"path": ["a > (start)"], "total_conversions": [1], "total_null": [0]}),
            "reserved",
        ),
        (
            pd.DataFrame({"path": ["Conversion > b"], "total_conversions": [1], "total_null": [0]}),
            "reserved",
        ),
        (
            pd.DataFrame({"path": ["null"], "total_conversions": [1], "total_null": [0]}),
            "reserved",
        ),
    ],
)
def test_bad_tables(table, match):
    with pytest.raises(ValidationError, match=match):
        attribute(table, model="markov")


def test_bad_model_and_order(tiny_paths):
    with pytest.raises(ValidationError, match="unknown"):
        attribute(tiny_paths, model="magic")
    with pytest.raises(ValidationError, match="order"):
        attribute(tiny_paths, model="markov", order=0)


def test_bad_source():
    with pytest.raises(ValidationError, match="cannot attribute"):
        attribute([1, 2, 3])


def test_log_without_conversions():
    df = pd.DataFrame({"customer_id": [1, 1], "timestamp": [0.0, 1.0],
                       "event": ["touch", "touch"], "channel": ["a", "b"]})
    with pytest.raises(ValidationError, match="no conversions"):
        attribute(df)


def test_reweight_scales_value(tiny_paths):
    d = attribution_data(PathTable(tiny_paths))
    w = d.journeys.weight * 2
    d2 = d.reweight(w)
    assert d2.total_conversions == 2 * d.total_conversions
    assert np.isclose(d2.total_value, 2 * d.total_value)
