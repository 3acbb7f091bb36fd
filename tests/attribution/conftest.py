"""Shared inputs of the attribution tests."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

REF = Path(__file__).parent / "reference"


@pytest.fixture(scope="session")
def ca_reference() -> dict:
    """ChannelAttribution 2.2.5 outputs (see reference/make_channelattribution_reference.py)."""
    return json.loads((REF / "channelattribution_reference.json").read_text())


@pytest.fixture(scope="session")
def ref_tables() -> dict[str, pd.DataFrame]:
    """The path tables the reference was computed on."""
    return {
        "tiny": pd.DataFrame(
            {
                "path": ["a > a > b", "a > b > c", "c", "b > a > a > b"],
                "total_conversions": [3, 1, 0, 2],
                "total_null": [2, 4, 5, 1],
                "total_conversion_value": [30.0, 10.0, 0.0, 25.0],
            }
        ),
        "random": pd.read_csv(REF / "random_paths.csv"),
        "journeys": pd.read_csv(REF / "journeys_paths.csv.gz"),
    }


@pytest.fixture
def tiny_paths() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "path": ["a > b", "c > b", "b", "a > c"],
            "total_conversions": [3, 0, 2, 1],
            "total_null": [1, 4, 6, 2],
            "total_conversion_value": [30.0, 0.0, 10.0, 5.0],
        }
    )
