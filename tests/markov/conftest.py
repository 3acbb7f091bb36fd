"""Shared helpers of the markov tests: a known journey chain and walks turned into data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cjmodels.markov import MarkovChain

STATES = ("(start)", "a", "b", "c", "(conversion)", "(null)")
# A known journey chain of our own (the same matrix as in reference/markovchain_reference.R).
P_TRUE = np.array(
    [
        [0, 0.7, 0.2, 0.1, 0, 0],
        [0, 0.4, 0.3, 0.1, 0, 0.2],
        [0, 0.1, 0.3, 0.4, 0.05, 0.15],
        [0, 0, 0.2, 0.3, 0.3, 0.2],
        [0, 0, 0, 0, 1, 0],
        [0, 0, 0, 0, 0, 1],
    ]
)


@pytest.fixture
def true_chain() -> MarkovChain:
    return MarkovChain(STATES, P_TRUE, start="(start)")


def walks_to_counts(sim: pd.DataFrame) -> pd.DataFrame:
    """Long count table (from_state, to_state, count) of simulated walks."""
    same = sim["walk"].to_numpy()[1:] == sim["walk"].to_numpy()[:-1]
    frm = sim["state"].to_numpy()[:-1][same]
    to = sim["state"].to_numpy()[1:][same]
    return (
        pd.DataFrame({"from_state": frm, "to_state": to})
        .value_counts()
        .rename("count")
        .reset_index()
    )


def walks_to_log(sim: pd.DataFrame, *, dt: np.ndarray | None = None) -> pd.DataFrame:
    """Event log of simulated walks: one touch per visit to a stage, a conversion event or a
    drop_out event at the end; times are step numbers (or cumulative ``dt``)."""
    s = sim[sim["state"] != "(start)"].copy()
    t = s["step"].to_numpy(dtype=float) if dt is None else dt
    state = s["state"].to_numpy()
    event = np.where(state == "(conversion)", "conversion",
                     np.where(state == "(null)", "drop_out", "touch"))
    return pd.DataFrame({
        "customer_id": s["walk"].to_numpy(),
        "timestamp": t,
        "event": event,
        "stage": np.where(event == "touch", state, None),
    })
