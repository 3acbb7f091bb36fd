"""The touch sequences of an event log: each journey's touches, with the covariates at each touch.

The hidden Markov model of :mod:`cjmodels.markov.hmm` reads journeys as sequences of touch
symbols (channels or stages) that latent stages emit. :func:`touch_sequences` cuts the log
into journeys by the rules of :func:`~cjmodels.data.journeys` (a
:class:`~cjmodels.data.JourneySpec`: the symbols, ``timeout``, ``lookback``), leaves out the
journeys without a touch (a conversion with no touch before it; a warning counts them) and,
when asked, reads covariate columns of the log at every touch, in journey order.
"""

from __future__ import annotations

import warnings
from dataclasses import field
from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.events import EventLog, as_event_log
from cjmodels.data.journeys import journey_set
from cjmodels.data.journeyset import JourneySet, subset
from cjmodels.data.spec import JourneySpec
from cjmodels.errors import ValidationError
from cjmodels.results import Result, result_dataclass

__all__ = ["TouchSequences", "touch_sequences"]


@result_dataclass
class TouchSequences(Result):
    """Journeys with at least one touch, as sequences of touch symbols (:func:`touch_sequences`).

    ``summary()`` has one row per sequence: customer, journey number, number of touches and
    outcome.

    Attributes
    ----------
    journeys : JourneySet
        The sequences: touches (codes into ``journeys.labels``), offsets, outcome and weight of
        each journey that has a touch.
    keys : DataFrame
        ``customer_id`` and ``journey`` (the customer's journey number) of each sequence.
    covariates : DataFrame or None
        The requested covariate columns of the log, one row per touch in sequence order.
    info : dict
        ``sequence`` and ``journeys_without_touches`` (left out).

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 2], "timestamp": [0, 1, 2, 0],
    ...                    "event": ["touch", "touch", "conversion", "touch"],
    ...                    "channel": ["email", "search", None, "email"]})
    >>> ts = touch_sequences(df)
    >>> ts
    TouchSequences(sequences=2, touches=3, sequence='channel')
    >>> ts.summary()
       customer_id  journey  touches     outcome
    0            1        1        2  conversion
    1            2        1        1    censored
    """

    journeys: JourneySet
    keys: pd.DataFrame
    covariates: pd.DataFrame | None = None
    info: dict[str, Any] = field(default_factory=dict)

    _repr_exclude = ("journeys", "keys", "covariates")

    def _summary(self) -> pd.DataFrame:
        from cjmodels.data.journeyset import OUTCOMES

        return self.keys.assign(
            touches=self.journeys.lengths,
            outcome=np.asarray(OUTCOMES, dtype=object)[self.journeys.outcome],
        )

    def _repr_fields(self) -> dict[str, Any]:
        return {"sequences": self.journeys.n, "touches": len(self.journeys.symbols),
                "sequence": self.info.get("sequence")}

    def _to_dict(self) -> dict[str, Any]:
        js = self.journeys
        return {
            "labels": [str(x) for x in js.labels], "symbols": js.symbols,
            "offsets": js.offsets, "outcome": js.outcome, "weight": js.weight,
            "keys": self.keys.astype({"customer_id": str}).to_dict(orient="list"),
            "covariates": None if self.covariates is None
            else self.covariates.astype(str).to_dict(orient="list"),
            "info": dict(self.info),
        }


def _log_covariates(log: EventLog, js: JourneySet, sequence: str,
                    covariates: Any) -> pd.DataFrame:
    """Covariate columns of the log at every touch, in journey order (per-step covariates)."""
    cols = [covariates] if isinstance(covariates, str) else list(covariates)
    missing = [c for c in cols if c not in log.events.columns]
    if missing:
        raise ValidationError(
            f"covariates {missing} are not columns of the event log (it has "
            f"{log.events.columns.tolist()}); with an event log, name covariate columns."
        )
    ev = log.events
    touch = (ev["event"] == "touch").to_numpy()
    sub = ev.loc[touch]
    if len(sub) != len(js.symbols) or not np.array_equal(
        sub[sequence].astype(str).to_numpy(),
        np.asarray(js.labels, dtype=object)[js.symbols].astype(str),
    ):
        raise ValidationError(
            "covariates from the log could not be matched to the journeys' touches (is a "
            "lookback set?); pass per-sequence or per-touch covariates as an array instead."
        )
    return sub[cols].reset_index(drop=True)


def touch_sequences(
    data: EventLog | pd.DataFrame,
    *,
    spec: JourneySpec | None = None,
    covariates: str | list[str] | None = None,
    **log_options: Any,
) -> TouchSequences:
    """Each journey with a touch as a sequence of touch symbols (see the module notes).

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    spec : JourneySpec, optional
        Default ``JourneySpec(sequence="channel")``. Reads ``sequence`` (the symbols: channels
        or stages), ``timeout`` and ``lookback``; the other fields must keep their defaults.
    covariates : str or list of str, optional
        Columns of the log to read at every touch (covariates need every touch of the log in a
        journey, so no ``lookback``).
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    TouchSequences
        The journeys with at least one touch, their customer and journey number, and the
        covariates at each touch when asked for; journeys without a touch are left out with
        a warning (counted in ``info["journeys_without_touches"]``).

    Raises
    ------
    ValidationError
        For a ``spec`` that is not a JourneySpec or sets a field other than ``sequence``,
        ``timeout`` and ``lookback``, a log without the sequence's column, covariates that
        are not columns of the log, or covariates that cannot be matched to the touches.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 2], "timestamp": [0.0, 5.0, 0.0],
    ...                    "event": ["touch"] * 3, "channel": ["email", "search", "email"],
    ...                    "device": ["mobile", "desktop", "mobile"]})
    >>> ts = touch_sequences(df, spec=JourneySpec(sequence="channel", timeout=2.0),
    ...                      covariates="device")
    >>> ts.journeys.lengths.tolist(), ts.covariates["device"].tolist()
    ([1, 1, 1], ['mobile', 'desktop', 'mobile'])
    """
    spec = JourneySpec.resolve(spec, default=JourneySpec(sequence="channel"),
                               fields=("sequence", "timeout", "lookback"),
                               purpose="touch sequences")
    log = as_event_log(data, **log_options)
    js = journey_set(log, sequence=spec.sequence, timeout=spec.timeout, lookback=spec.lookback)
    frame = js.table
    xframe = None
    if covariates is not None:
        xframe = _log_covariates(log, js, spec.sequence, covariates)
    empty = js.lengths == 0
    if empty.any():
        warnings.warn(
            f"{int(empty.sum())} of {js.n} journeys have no touches (e.g. a conversion with "
            "no touch before it) and are left out of the touch sequences.",
            UserWarning,
            stacklevel=2,
        )
    keep = ~empty
    keys = frame.loc[keep, ["customer_id", "journey"]].reset_index(drop=True)
    kept = js if not empty.any() else subset(js, keep)
    return TouchSequences(kept, keys, xframe,
                          {"sequence": spec.sequence,
                           "journeys_without_touches": int(empty.sum())})
