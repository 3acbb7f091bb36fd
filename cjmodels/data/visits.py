"""Stage visits: maximal runs of touches in one stage within a journey, with their durations.

A *visit* starts at its first touch and ends at the first touch of the next stage, at the
conversion, at an explicit ``drop_out`` event, or, for a journey ended by a ``timeout``, at its
last touch (the customer is taken to leave at their last event); a visit still open at the end
of observation is right-censored there. Times are in days. Dwell times and continuous-time
transition intensities (:func:`cjmodels.markov.dwell_times`,
:func:`cjmodels.markov.transition_intensities`) are computed from these visits.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cjmodels.data.events import EventLog
from cjmodels.data.journeyset import OUTCOME_CENSORED, OUTCOME_CONVERSION
from cjmodels.data.sequences import journey_transitions
from cjmodels.data.spec import JourneySpec
from cjmodels.errors import ValidationError

__all__ = ["stage_visits"]


def stage_visits(
    data: EventLog | pd.DataFrame, *, spec: JourneySpec | None = None, **log_options: Any,
) -> pd.DataFrame:
    """One row per stage visit: journey, customer, stage, start, duration (days), exit, event.

    ``event`` is 1 when the visit ended (to another stage, conversion or drop-out) and 0 when
    it was still open at the end of observation (``duration`` runs to the observation end).

    Parameters
    ----------
    data : EventLog or DataFrame
        The event log (column options as keywords for a DataFrame).
    spec : JourneySpec, optional
        Default ``JourneySpec()`` (stages). Reads ``sequence`` (a visit is a run of one stage,
        or of one channel), ``timeout``, ``lookback`` and ``journeys``; ``order`` must be 1
        and ``collapse_repeats`` False (a visit already merges a repeated stage).
        ``censored`` and ``censor_recent`` are not used: every visit is kept, also in the last
        ``timeout`` of the window, and a visit that has not ended is censored at the
        observation end.
    **log_options
        Column options of :class:`~cjmodels.data.EventLog` when ``data`` is a DataFrame.

    Returns
    -------
    pandas.DataFrame
        One row per visit, in journey and time order: ``journey`` (row of the journey set),
        ``customer_id``, ``stage`` (the stage, or channel, visited), ``start`` (days since the
        observation start), ``duration`` (days), ``touches`` (in the visit), ``exit`` (the
        next stage, the conversion or null state, or None when censored) and ``event``.

    Raises
    ------
    ValidationError
        For a ``spec`` that is not a JourneySpec or sets ``order`` or ``collapse_repeats``,
        a log without the sequence's column, or journeys without touches.

    Examples
    --------
    >>> df = pd.DataFrame({"customer_id": [1, 1, 1, 1], "timestamp": [0.0, 1.0, 3.0, 4.0],
    ...                    "event": ["touch", "touch", "touch", "conversion"],
    ...                    "stage": ["a", "a", "b", None]})
    >>> stage_visits(df)[["stage", "duration", "exit", "event"]]
      stage  duration          exit  event
    0     a       3.0             b      1
    1     b       1.0  (conversion)      1
    """
    spec = JourneySpec.resolve(spec, fields=("sequence", "timeout", "lookback", "journeys",
                                              "censored", "censor_recent"),
                               purpose="stage visits")
    jt = journey_transitions(data, spec=spec.replace(censor_recent=False), times=True,
                             **log_options)
    js = jt.journey_set
    t = jt.touch_time
    fr = jt.journey_frame
    if js is None or t is None or fr is None:  # pragma: no cover - logs always have them
        raise ValidationError("stage visits need an event log with timestamps.")
    n_t = len(js.symbols)
    if n_t == 0:
        raise ValidationError("the journeys have no touches, so there are no stage visits.")
    lengths = js.lengths
    jid = np.repeat(np.arange(js.n), lengths)
    first = np.zeros(n_t, dtype=bool)
    first[js.offsets[:-1][lengths > 0]] = True
    change = np.ones(n_t, dtype=bool)
    change[1:] = js.symbols[1:] != js.symbols[:-1]
    run_start = first | change
    starts = np.flatnonzero(run_start)
    ends = np.r_[starts[1:], n_t] - 1  # last touch of each run
    rj = jid[starts]
    last_of_journey = np.r_[rj[1:] != rj[:-1], True]
    t0 = t[starts]
    exit_t = np.empty(len(starts))
    exit_name = np.empty(len(starts), dtype=object)
    event = np.ones(len(starts), dtype=np.int8)
    inner = ~last_of_journey
    nxt = np.r_[starts[1:], 0][inner]
    exit_t[inner] = t[nxt]
    exit_name[inner] = js.labels[js.symbols[nxt]]
    lj = rj[last_of_journey]
    out = js.outcome[lj]
    conv = fr["end_time"].to_numpy()[lj]
    obs_end = float(fr["observation_end"].iloc[0])
    last_touch = t[ends[last_of_journey]]
    conv_name, null_name = jt.counts.absorbing[0], jt.counts.absorbing[1]
    # conversion and explicit drop_out events end the journey at their time (end_time); a
    # journey ended by a timeout ends at its last touch (which is then its end_time too)
    censored = out == OUTCOME_CENSORED
    exit_t[last_of_journey] = np.where(censored, obs_end, np.maximum(conv, last_touch))
    exit_name[last_of_journey] = np.where(out == OUTCOME_CONVERSION, conv_name,
                                          np.where(censored, None, null_name))
    event[last_of_journey] = (~censored).astype(np.int8)
    return pd.DataFrame({
        "journey": rj,
        "customer_id": fr["customer_id"].to_numpy()[rj],
        "stage": js.labels[js.symbols[starts]],
        "start": t0,
        "duration": exit_t - t0,
        "touches": ends - starts + 1,
        "exit": exit_name,
        "event": event,
    })
