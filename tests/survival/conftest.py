"""Fixtures of the survival tests: reference files and the optional CDNOW/donations data."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest

REFERENCE = Path(__file__).parent / "reference"


def _reference_dir() -> Path:
    env = os.environ.get("CJMODELS_REFERENCE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "cjmodels" / "reference"


def _optional_csv(name: str) -> pd.DataFrame:
    path = _reference_dir() / name
    if not path.exists():
        pytest.skip(
            f"{name} not found in {path.parent}; run "
            "tests/survival/reference/fetch_lifetimes_datasets.py to fetch it"
        )
    return pd.read_csv(path)


@pytest.fixture(scope="session")
def cdnow() -> pd.DataFrame:
    """CDNOW calibration summary (2,357 customers, weeks), from the lifetimes wheel."""
    return _optional_csv("cdnow_customers_summary.csv")


@pytest.fixture(scope="session")
def cdnow_spend() -> pd.DataFrame:
    """CDNOW summary with mean repeat spend ``zbar`` (columns ID, x, t_x, T, zbar)."""
    return _optional_csv("cdnow_customers_summary_with_transactions.csv")


@pytest.fixture(scope="session")
def donations() -> pd.DataFrame:
    """Donations data of Fader, Hardie & Shang (2010): 22 histories with weights, 6 periods."""
    return _optional_csv("donations.csv")


@pytest.fixture(scope="session")
def lifetimes_ref() -> dict:
    return json.loads((REFERENCE / "lifetimes_reference.json").read_text())


@pytest.fixture(scope="session")
def synthetic_rfm() -> pd.DataFrame:
    """RFM table (weeks) of the shipped synthetic transactions dataset."""
    return pd.read_csv(REFERENCE / "transactions_rfm.csv")
