"""Contract examples for the markov results and estimators (see _cases.py)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from cjmodels import markov as mk
from tests.contract._cases import EstimatorCase

_STATES = ("(start)", "a", "b", "(conversion)", "(null)")
_P = np.array([
    [0, 0.7, 0.3, 0, 0],
    [0, 0.2, 0.5, 0.1, 0.2],
    [0, 0.1, 0.2, 0.4, 0.3],
    [0, 0, 0, 1, 0],
    [0, 0, 0, 0, 1],
])


@lru_cache(maxsize=1)
def _chain() -> mk.MarkovChain:
    return mk.MarkovChain(_STATES, _P, start="(start)")


@lru_cache(maxsize=1)
def _log() -> pd.DataFrame:
    """An event log of 60 simulated journeys (one touch per stage visit, times in days)."""
    sim = _chain().simulate(60, random_state=3)
    s = sim[sim["state"] != "(start)"]
    state = s["state"].to_numpy()
    event = np.where(state == "(conversion)", "conversion",
                     np.where(state == "(null)", "drop_out", "touch"))
    return pd.DataFrame({
        "customer_id": s["walk"].to_numpy(),
        "timestamp": s["step"].to_numpy(dtype=float) + s["walk"].to_numpy() % 7,
        "event": event,
        "stage": np.where(event == "touch", state, None),
    })


@lru_cache(maxsize=1)
def _fit() -> mk.FittedChain:
    return mk.fit_chain(_log())


_LIFE = {("(start)", "a"): 10, ("a", "(conversion)"): 6, ("a", "(null)"): 4,
         ("(conversion)", "a"): 3, ("(conversion)", "(null)"): 3}


@lru_cache(maxsize=1)
def _lifecycle() -> mk.LifecycleChain:
    return mk.lifecycle_chain(_LIFE)


#: {ResultClass: factory returning a small instance}
RESULTS: dict[type, Any] = {
    mk.MarkovChain: _chain,
    mk.FittedChain: _fit,
    mk.TransitionIntervals: lambda: _fit().intervals("wilson"),
    mk.ChainBootstrap: lambda: _fit().bootstrap(20, random_state=1),
    mk.AbsorbingAnalysis: lambda: _fit().absorbing(),
    mk.Funnel: lambda: _fit().funnel(),
    mk.OrderSelection: lambda: mk.select_order(_log(), max_order=2),
    mk.DwellTimes: lambda: mk.dwell_times(_log()),
    mk.Intensities: lambda: mk.transition_intensities(_log()),
    mk.LifecycleChain: _lifecycle,
    mk.Passage: lambda: _lifecycle().repeat_purchase(),
}
#: {EstimatorClass: EstimatorCase(...)}
ESTIMATORS: dict[type, EstimatorCase] = {}
#: {PublicClass: why it is neither a result nor an estimator}
NOT_RESULTS: dict[type, str] = {}
#: {(qualified name, parameter): why the vocabulary rule does not apply}
VOCABULARY_EXCEPTIONS: dict[tuple[str, str], str] = {}
#: further keywords that name a column of the data
COLUMN_KEYWORDS: tuple[str, ...] = ()
