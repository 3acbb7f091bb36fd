"""Shared fixtures and hypothesis settings."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, settings

# Scripts that produced reference values run outside the test suite (they need other tools).
collect_ignore_glob = ["*/reference/*"]

settings.register_profile(
    "cjmodels",
    max_examples=60,
    deadline=None,
    derandomize=True,  # deterministic test runs
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("cjmodels")


@pytest.fixture
def small_log() -> pd.DataFrame:
    """Two customers, three journeys; the example used across the data-layer tests."""
    return pd.DataFrame(
        {
            "customer_id": [1, 1, 1, 1, 1, 2, 2],
            "timestamp": pd.to_datetime(
                [
                    "2025-01-01",
                    "2025-01-03",
                    "2025-01-04",
                    "2025-01-10",
                    "2025-01-11",
                    "2025-01-02",
                    "2025-01-05",
                ]
            ),
            "event": ["touch", "touch", "conversion", "touch", "touch", "touch", "touch"],
            "channel": ["search", "email", None, "email", "email", "social", "search"],
            "value": [0.0, 0.0, 80.0, 0.0, 0.0, 0.0, 0.0],
            "segment": ["a", "a", "a", "a", "a", "b", "b"],
        }
    )


def random_log(rng: np.random.Generator, n_customers: int = 20, n_events: int = 120) -> pd.DataFrame:
    """A random event log of touches and conversions on integer times."""
    cust = rng.integers(0, n_customers, n_events)
    ev = np.where(rng.random(n_events) < 0.2, "conversion", "touch")
    ch = np.array(["a", "b", "c", "d"])[rng.integers(0, 4, n_events)]
    return pd.DataFrame(
        {
            "customer_id": cust,
            "timestamp": rng.integers(0, 50, n_events).astype(float),
            "event": ev,
            "channel": np.where(ev == "touch", ch, None),
            "value": np.where(ev == "conversion", rng.integers(1, 100, n_events), 0).astype(float),
        }
    )
